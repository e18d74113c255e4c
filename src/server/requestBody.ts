// Reads an admission request's body: JSON only, capped, whole before anything parses it.
//
// In place of express.raw() + req.is(): those cost tens of microseconds a request (content
// negotiation, raw-body's generic options, inflate streams) for what the API server always
// sends the same way: an uncompressed application/json body with a Content-Length.
import type { IncomingMessage } from 'node:http';
import type { BodyBudget } from './bodyBudget.ts';
import { HttpError } from './httpError.ts';

/** `application/json`, any parameters (charset) allowed, case-insensitive, as RFC 9110 says. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim();
  return mediaType.length === 16 && mediaType.toLowerCase() === 'application/json';
}

export interface BodyLimits {
  /** The largest body accepted (413 past it). */
  limitBytes: number;
  /** Shared by all requests: a body that does not fit in what is left is refused with 503. */
  budget?: BodyBudget | undefined;
}

const tooLarge = (limitBytes: number): HttpError => new HttpError(413, `body exceeds the ${limitBytes} byte limit`, { closeConnection: true });
const overBudget = (budget: BodyBudget): HttpError =>
  new HttpError(503, `too many request bodies in flight (budget ${budget.limitBytes} bytes); retry`, { closeConnection: true });

/**
 * The body's bytes. Refuses, before reading, a non-JSON content type (415), a content encoding
 * (415: the API server never compresses, and inflating would defeat the cap), a declared
 * length over the cap (413) or over what is left of the budget (503); refuses a body that
 * outgrows either while streaming. After a 413 or 503 the connection is closed, not drained:
 * the rest of the body is not read. A body's reservation ends when it has been read.
 */
export function readJsonBody(req: IncomingMessage, { limitBytes, budget }: BodyLimits): Promise<Buffer> {
  const contentType = req.headers['content-type'];
  if (!isJsonMediaType(contentType)) {
    return Promise.reject(new HttpError(415, `content type must be application/json, got ${JSON.stringify(contentType ?? '')}`));
  }
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    return Promise.reject(new HttpError(415, `content encoding ${JSON.stringify(encoding)} is not supported; send the body uncompressed`));
  }
  const declared = req.headers['content-length'];
  const declaredBytes = declared === undefined ? 0 : Number(declared);
  if (declaredBytes > limitBytes) return Promise.reject(tooLarge(limitBytes));
  if (budget !== undefined && !budget.tryReserve(declaredBytes)) return Promise.reject(overBudget(budget));
  let reserved = declaredBytes;

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const cleanup = (): void => {
      budget?.release(reserved);
      reserved = 0;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > limitBytes) {
        cleanup();
        reject(tooLarge(limitBytes));
        return;
      }
      // A body without Content-Length (chunked) reserves as it arrives.
      if (budget !== undefined && length > reserved) {
        if (!budget.tryReserve(length - reserved)) {
          cleanup();
          reject(overBudget(budget));
          return;
        }
        reserved = length;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
    };
    const onAborted = (): void => {
      cleanup();
      reject(new HttpError(400, 'client aborted the request'));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new HttpError(400, `reading the body failed: ${err.message}`));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('error', onError);
  });
}
