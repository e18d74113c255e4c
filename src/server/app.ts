// The admission HTTP app: decode, answer, encode. Built by a factory so tests run it in-process.
import type { ServerResponse } from 'node:http';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { parseAdmissionReview } from '../admission/decode.ts';
import { encodeReview } from '../admission/reply.ts';
import { answer } from '../policy/answer.ts';
import type { Endpoint, Policy } from '../policy/types.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { errorMessage } from '../text/errors.ts';
import type { AnswerObserver } from './admissionObserver.ts';
import { BodyBudget } from './bodyBudget.ts';
import { HttpError } from './httpError.ts';
import { readJsonBody } from './requestBody.ts';

/**
 * etcd stores at most 1.5 MiB per object (its default request limit); as JSON, a review of the
 * largest Node it can hold, with object and oldObject, is about 3 MB. 7 MiB leaves room for that
 * twice over, as controller-runtime's webhook server does (7 MiB).
 */
const DEFAULT_BODY_LIMIT_BYTES = 7 * 1024 * 1024;
/**
 * Body bytes received at once, across all connections: eight of the largest reviews. Under a
 * flood of big bodies the rest get 503 at once, and memory stays within the pod's limit.
 */
const DEFAULT_BODY_BUDGET_BYTES = 24 * 1024 * 1024;
/** Distinct observer failures logged; past that they are only counted. */
const OBSERVER_FAILURES_LOGGED = 20;

export interface AppDeps {
  policy: () => Policy;
  /** The log line, metrics and Event of an answer; runs after the answer is sent. */
  observe: AnswerObserver;
  /** The clock for cordon stamps. */
  now?: () => Date;
  logger: Logger;
  metrics: Metrics;
  bodyLimitBytes?: number;
  bodyBudgetBytes?: number;
  /** While draining, answers carry `Connection: close` so clients reconnect to another replica. */
  isDraining?: () => boolean;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const bodyLimits = { limitBytes: deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES, budget: new BodyBudget(deps.bodyBudgetBytes ?? DEFAULT_BODY_BUDGET_BYTES) };
  const isDraining = deps.isDraining ?? (() => false);
  const now = deps.now ?? (() => new Date());
  const loggedFailures = new Set<string>();

  // The answer is already on the wire when the observer runs: its failure must not become an
  // error response, a "malformed request" or an unhandled rejection. Logged once per distinct
  // error (a broken observer fails on every request), counted every time.
  const observerFailed = (endpoint: Endpoint, err: unknown): void => {
    deps.metrics.observerFailures.inc({ endpoint: `/${endpoint}` });
    const message = errorMessage(err);
    if (loggedFailures.has(message) || loggedFailures.size >= OBSERVER_FAILURES_LOGGED) return;
    loggedFailures.add(message);
    deps.logger.error({ err, endpoint: `/${endpoint}` }, `recording an answer failed (the answer was sent): ${message}`);
  };

  // One route for both endpoints: read, decode, answer, encode, then observe off the answer's path.
  const route =
    (endpoint: Endpoint): RequestHandler =>
    async (req, res) => {
      const started = process.hrtime.bigint();
      const decoded = parseAdmissionReview((await readJsonBody(req, bodyLimits)).toString('utf8'));
      if (!decoded.ok) throw new HttpError(400, decoded.error);
      const { apiVersion, request } = decoded.review;
      const policy = deps.policy(); // read once: one answer, one policy version
      const result = answer(endpoint, request, policy, now());
      sendJson(res, 200, encodeReview(apiVersion, request.uid, result.reply), isDraining());
      try {
        deps.observe(request, result, policy, Number(process.hrtime.bigint() - started) / 1e9);
      } catch (err) {
        observerFailed(endpoint, err);
      }
    };

  app.post('/validate', route('validate'));
  app.post('/mutate', route('mutate'));

  app.use((req, _res, next) => next(new HttpError(404, `no such endpoint: ${req.method} ${req.path}`)));

  const onError: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const status = statusOf(err);
    const message = err instanceof Error ? messageOf(err, status) : String(err);
    deps.metrics.countRefusedRequest(req.path, status);
    const log = status >= 500 ? deps.logger.error.bind(deps.logger) : deps.logger.warn.bind(deps.logger);
    log({ status, path: req.path, remote: req.socket.remoteAddress, error: message }, `request refused: ${message}`);
    if (res.headersSent) return;
    // After a 413 or 503 the rest of the body is still on the wire: close rather than read it.
    sendJson(res, status, { error: message }, (err instanceof HttpError && err.closeConnection) || isDraining());
  };
  app.use(onError);
  return app;
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

function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

function messageOf(err: Error, status: number): string {
  if (status >= 500 && !(err instanceof HttpError)) return 'internal error';
  return err.message;
}
