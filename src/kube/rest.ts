// serve's HTTP client of the API server: JSON requests and watches over node:https with the
// credentials of an ApiConnection (./apiConnection.ts). Objects are plain JSON: a webhook
// configuration read and written back keeps every field, also one a newer Kubernetes added, and
// nothing is turned into model objects that the caller would only read a few fields of.
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import type { ApiConnection } from './apiConnection.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH';

export interface JsonResponse {
  status: number;
  /** The parsed body; for a refusal, the API server's Status (its `message` says why). */
  body: unknown;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface WatchCallbacks {
  /** ADDED, MODIFIED, DELETED, BOOKMARK or ERROR, with the event's object. */
  event(type: string, object: unknown): void;
  /** The watch ended: err undefined when the server closed it normally. Not called after abort(). */
  done(err: unknown): void;
}

/** One request; tests give an in-memory API server instead. */
export interface KubeRest {
  /** A PATCH body is a merge patch unless contentType says otherwise. */
  request(method: Method, path: string, body?: unknown, contentType?: string): Promise<JsonResponse>;
}

/** Requests and watches: what kubeRest makes. */
export interface KubeClient extends KubeRest {
  /** A watch of the collection at path; resolves once the API server has accepted it. */
  watch(path: string, query: Query, callbacks: WatchCallbacks): Promise<{ abort(): void }>;
}

/** A refusal of the API server, with its HTTP status (404, 409, ...) and Status message. */
export class KubeApiError extends Error {
  readonly status: number;

  constructor(what: string, response: JsonResponse) {
    super(`${what}: ${statusMessage(response)}`);
    this.name = 'KubeApiError';
    this.status = response.status;
  }
}

const REQUEST_TIMEOUT_MS = 10_000;
/** A watch silent this much longer than its timeoutSeconds lost its connection without a word. */
const WATCH_SILENCE_MARGIN_MS = 30_000;
const USER_AGENT = 'cordon-guard';

/** The reason a refusal gives (Status.message), or the HTTP status. */
export function statusMessage(response: JsonResponse): string {
  const body = response.body;
  if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') return `HTTP ${response.status}: ${body.message}`;
  return `HTTP ${response.status}`;
}

/** The code of a watch's ERROR event (its Status), or of a refused request (410: the resourceVersion is too old). */
export function statusCodeOf(value: unknown): number | undefined {
  if (value instanceof KubeApiError) return value.status;
  const code = typeof value === 'object' && value !== null ? (value as { code?: unknown }).code : undefined;
  return typeof code === 'number' ? code : undefined;
}

/** An object's metadata.resourceVersion, when it has one. */
export function resourceVersionOf(object: unknown): string | undefined {
  const metadata = typeof object === 'object' && object !== null ? (object as { metadata?: { resourceVersion?: unknown } }).metadata : undefined;
  return typeof metadata?.resourceVersion === 'string' ? metadata.resourceVersion : undefined;
}

/** The answer's body when its status is 2xx; else a KubeApiError. */
export function expectOk(what: string, response: JsonResponse): unknown {
  if (response.status < 200 || response.status > 299) throw new KubeApiError(what, response);
  return response.body;
}

/** path?query, leaving out the undefined values. */
export function withQuery(path: string, query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const search = params.toString();
  return search === '' ? path : `${path}?${search}`;
}

function parseBody(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): kept as text for the message.
    return text;
  }
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('error', reject);
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

export function kubeRest(connection: ApiConnection): KubeClient {
  const send = (path: string, options: RequestOptions, onResponse: (res: IncomingMessage) => void): ClientRequest => {
    const url = new URL(path, connection.server);
    return (url.protocol === 'http:' ? httpRequest : httpsRequest)(url, options, onResponse);
  };
  const optionsFor = async (method: string, headers: Record<string, string | number | undefined>): Promise<RequestOptions> => {
    // Per request: the credentials (a projected token) are re-read as they rotate.
    const options = await connection.requestOptions();
    return { ...options, method, headers: { ...options.headers, 'user-agent': USER_AGENT, accept: 'application/json', ...headers } };
  };

  return {
    async request(method, path, body, contentType) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers = payload === undefined ? {} : { 'content-type': contentType ?? (method === 'PATCH' ? 'application/merge-patch+json' : 'application/json'), 'content-length': Buffer.byteLength(payload) };
      const options = { ...(await optionsFor(method, headers)), timeout: REQUEST_TIMEOUT_MS };
      return new Promise<JsonResponse>((resolve, reject) => {
        const req = send(path, options, (res) => {
          readAll(res).then((text) => resolve({ status: res.statusCode ?? 0, body: parseBody(text) }), reject);
        });
        req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
        req.on('error', reject);
        req.end(payload);
      });
    },

    async watch(path, query, callbacks) {
      const target = withQuery(path, { ...query, watch: true });
      const silenceMs = (typeof query.timeoutSeconds === 'number' ? query.timeoutSeconds * 1000 : REQUEST_TIMEOUT_MS) + WATCH_SILENCE_MARGIN_MS;
      const options = { ...(await optionsFor('GET', {})), timeout: silenceMs };
      let aborted = false;
      let ended = false;
      // Before the API server accepts the watch, a failure rejects the promise; after, it ends the watch.
      let started = false;
      const end = (err: unknown): void => {
        if (aborted || ended) return;
        ended = true;
        callbacks.done(err);
      };
      return new Promise((resolve, reject) => {
        const req = send(target, options, (res) => {
          if (res.statusCode !== 200) {
            readAll(res).then((text) => reject(new KubeApiError(`watch ${path}`, { status: res.statusCode ?? 0, body: parseBody(text) })), reject);
            return;
          }
          started = true;
          resolve({
            abort: () => {
              aborted = true;
              req.destroy();
            },
          });
          // One JSON event a line; a line may arrive in several chunks.
          const decoder = new StringDecoder('utf8');
          let pending = '';
          res.on('data', (chunk: Buffer) => {
            pending += decoder.write(chunk);
            let newline: number;
            while (!aborted && !ended && (newline = pending.indexOf('\n')) !== -1) {
              const line = pending.slice(0, newline);
              pending = pending.slice(newline + 1);
              if (line.trim() === '') continue;
              let event: { type?: unknown; object?: unknown };
              try {
                event = JSON.parse(line) as typeof event;
              } catch (err) {
                end(new Error(`watch ${path}: an event that is not JSON`, { cause: err }));
                req.destroy();
                return;
              }
              try {
                callbacks.event(String(event.type), event.object);
              } catch (err) {
                // A handler's bug ends this watch loudly; the caller's retry starts a fresh one.
                end(new Error(`watch ${path}: handling a ${String(event.type)} event failed`, { cause: err }));
                req.destroy();
                return;
              }
            }
          });
          res.on('error', end);
          res.on('end', () => end(undefined));
          res.on('close', () => end(res.complete ? undefined : new Error(`watch ${path}: the connection closed mid-stream`)));
        });
        req.on('timeout', () => req.destroy(new Error(`watch ${path}: silent for ${silenceMs} ms`)));
        req.on('error', (err) => {
          if (started) end(err);
          else reject(err);
        });
        req.end();
      });
    },
  };
}
