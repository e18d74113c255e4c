// JSON requests to the API server with the kubeconfig's credentials, for objects that serve
// writes back whole: a webhook configuration read and written as plain JSON keeps every field,
// also one that a newer Kubernetes added and client-node's typed models would drop on the way.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH';

export interface JsonResponse {
  status: number;
  /** The parsed body; for a refusal, the API server's Status (its `message` says why). */
  body: unknown;
}

/** The one call serve's upkeep needs; tests give an in-memory API server instead. */
export interface KubeRest {
  request(method: Method, path: string, body?: unknown): Promise<JsonResponse>;
}

const REQUEST_TIMEOUT_MS = 10_000;
const USER_AGENT = 'cordon-guard';

/** The reason a refusal gives (Status.message), or the HTTP status. */
export function statusMessage(response: JsonResponse): string {
  const body = response.body;
  if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') return `HTTP ${response.status}: ${body.message}`;
  return `HTTP ${response.status}`;
}

export function kubeRest(config: KubeConfig): KubeRest {
  const cluster = config.getCurrentCluster();
  if (cluster === null) throw new Error('no Kubernetes cluster configured');
  const base = new URL(cluster.server);
  return {
    async request(method, path, body) {
      // Per request: the credentials (a projected token) are re-read as they rotate.
      const options: RequestOptions = { method, headers: {}, timeout: REQUEST_TIMEOUT_MS };
      await config.applyToHTTPSOptions(options);
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const url = new URL(path, base);
      options.headers = {
        ...options.headers,
        'user-agent': USER_AGENT,
        accept: 'application/json',
        ...(payload === undefined ? {} : { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json', 'content-length': Buffer.byteLength(payload) }),
      };
      const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
      return new Promise<JsonResponse>((resolve, reject) => {
        const req = send(url, options, (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              // Not JSON (a proxy's error page): kept as text for the message.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        });
        req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
        req.on('error', reject);
        req.end(payload);
      });
    },
  };
}
