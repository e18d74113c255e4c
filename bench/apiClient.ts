// Direct HTTPS requests to the harness's kube-apiserver with each identity's bearer token from
// its kubeconfig, over one keep-alive undici pool: the API server (and what it calls) is what a
// phase measures, not kubectl's start-up, and thousands of writes go out concurrently.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { ControlPlane, Identity } from '../testkit/e2e/controlPlane.ts';

export interface ApiResponse {
  status: number;
  text: string;
  /** From the request's dispatch to the answer's last byte. */
  ms: number;
}

export interface Api {
  patch(identity: Identity, path: string, patch: unknown, type?: string, query?: string): Promise<ApiResponse>;
  post(identity: Identity, path: string, body: unknown): Promise<ApiResponse>;
  get(identity: Identity, path: string): Promise<string>;
  close(): Promise<void>;
}

export function apiClient(cp: Pick<ControlPlane, 'kubeconfig' | 'server' | 'caFile'>, connections = 4): Api {
  const kubeconfig = JSON.parse(readFileSync(cp.kubeconfig, 'utf8')) as { users: { name: string; user: { token: string } }[] };
  const tokens = new Map(kubeconfig.users.map((u) => [u.name, u.user.token]));
  const pool = new Pool(cp.server, { connections, connect: { ca: readFileSync(cp.caFile, 'utf8') }, keepAliveTimeout: 60_000 });
  const send = async (identity: Identity, method: 'PATCH' | 'POST', path: string, body: unknown, type: string): Promise<ApiResponse> => {
    const t0 = performance.now();
    const response = await pool.request({
      method,
      path,
      headers: { authorization: `Bearer ${tokens.get(identity)}`, 'content-type': type, accept: 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.body.text();
    return { status: response.statusCode, text, ms: performance.now() - t0 };
  };
  return {
    patch: (identity, path, patch, type = 'application/strategic-merge-patch+json', query = '') => send(identity, 'PATCH', `${path}${query}`, patch, type),
    post: (identity, path, body) => send(identity, 'POST', path, body, 'application/json'),
    async get(identity, path) {
      const { body } = await pool.request({ method: 'GET', path, headers: { authorization: `Bearer ${tokens.get(identity)}` } });
      return body.text();
    },
    close: () => pool.close(),
  };
}

/**
 * Calls `task` for every item, at most `concurrency` at a time, and resolves when all are done;
 * the first failure rejects (the tasks already under way finish, no new one starts).
 */
export async function concurrently<T>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        await task(items[index]!, index);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
