// The admission HTTP app: decode, judge, encode. Built by a factory so tests run it in-process.
import type { ServerResponse } from 'node:http';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { decodeAdmissionReview } from '../admission/decode.ts';
import { allowed, encodeReview, patched, type Reply } from '../admission/reply.ts';
import type { AdmissionRequest } from '../admission/types.ts';
import { judge } from '../policy/judge.ts';
import { cordonStampMutation } from '../policy/mutation.ts';
import type { Policy } from '../policy/types.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { AdmissionObserver, MutationObserver } from './admissionObserver.ts';
import { HttpError } from './httpError.ts';
import { readJsonBody } from './requestBody.ts';

/** A Node with 500 images makes a review of several hundred kB; leave generous room. */
const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

export interface AppDeps {
  policy: () => Policy;
  observe: AdmissionObserver;
  observeMutation: MutationObserver;
  /** The clock for cordon stamps. */
  now?: () => Date;
  logger: Logger;
  metrics: Metrics;
  bodyLimitBytes?: number;
  /** While draining, answers carry `Connection: close` so clients reconnect to another replica. */
  isDraining?: () => boolean;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const limitBytes = deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const isDraining = deps.isDraining ?? (() => false);

  // One route shape for both endpoints: read, decode, decide, encode, then observe off the answer's path.
  const admission = (decide: (request: AdmissionRequest) => { reply: Reply; observe: (latencySeconds: number) => void }): RequestHandler =>
    async (req, res) => {
      const decoded = decodeAdmissionReview(parseJson(await readJsonBody(req, limitBytes)));
      if (!decoded.ok) throw new HttpError(400, decoded.error);
      const started = process.hrtime.bigint();
      const { apiVersion, request } = decoded.review;
      const { reply, observe } = decide(request);
      sendJson(res, 200, encodeReview(apiVersion, request.uid, reply), isDraining());
      observe(Number(process.hrtime.bigint() - started) / 1e9);
    };

  app.post('/validate', admission((request) => {
    const policy = deps.policy(); // read once: one answer, one policy version
    const judgement = judge(request, policy);
    return { reply: judgement.reply, observe: (latency) => deps.observe(request, judgement, policy, latency) };
  }));

  const now = deps.now ?? (() => new Date());
  app.post('/mutate', admission((request) => {
    const mutation = cordonStampMutation(request, now());
    const reply = mutation.patch.length === 0 ? allowed() : patched(mutation.patch);
    return { reply, observe: (latency) => deps.observeMutation(request, mutation, latency) };
  }));

  app.use((req, _res, next) => next(new HttpError(404, `no such endpoint: ${req.method} ${req.path}`)));

  const onError: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const status = statusOf(err);
    const message = err instanceof Error ? messageOf(err, status) : String(err);
    deps.metrics.malformedRequests.inc({ endpoint: endpointLabel(req.path), status: String(status) });
    const log = status >= 500 ? deps.logger.error.bind(deps.logger) : deps.logger.warn.bind(deps.logger);
    log({ status, path: req.path, remote: req.socket.remoteAddress, error: message }, `request refused: ${message}`);
    if (res.headersSent) return;
    // After a 413 the rest of the body is still on the wire: close rather than read it.
    sendJson(res, status, { error: message }, status === 413 || isDraining());
  };
  app.use(onError);
  return app;
}

/** Bounded label values: a scan of random paths must not grow the metrics without limit. */
function endpointLabel(path: string): string {
  return path === '/validate' || path === '/mutate' ? path : 'other';
}

/**
 * Writes a JSON answer straight to the socket: no content negotiation, no ETag, one write.
 * While draining, `Connection: close` sends keep-alive clients to another replica.
 */
function sendJson(res: ServerResponse, status: number, value: unknown, close: boolean): void {
  const body = JSON.stringify(value);
  const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) };
  if (close) headers.connection = 'close';
  res.writeHead(status, headers).end(body);
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw new HttpError(400, 'body is empty; expected an AdmissionReview');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `body is not valid JSON: ${(err as Error).message}`);
  }
}

function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

function messageOf(err: Error, status: number): string {
  if (status >= 500 && !(err instanceof HttpError)) return 'internal error';
  return err.message;
}
