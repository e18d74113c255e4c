// The Secrets of `serve --tls-secret` through the API server: read, create (409 AlreadyExists:
// another replica won), and a merge patch of the data that carries the resourceVersion read,
// which the API server takes as a precondition (409 Conflict when the Secret changed since).
import type { SecretStore, StoredSecret } from '../tls/secretSource.ts';
import { statusMessage, type JsonResponse, type KubeRest } from './rest.ts';

const LABELS = { 'app.kubernetes.io/name': 'cordon-guard', 'app.kubernetes.io/part-of': 'cordon-guard' };

function encode(data: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
}

function stored(response: JsonResponse, what: string): StoredSecret {
  const body = response.body as { metadata?: { resourceVersion?: unknown }; data?: Record<string, unknown> } | undefined;
  const resourceVersion = body?.metadata?.resourceVersion;
  if (typeof resourceVersion !== 'string') throw new Error(`${what}: the answer is not a Secret`);
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(body?.data ?? {})) if (typeof value === 'string') data[key] = Buffer.from(value, 'base64').toString('utf8');
  return { resourceVersion, data };
}

export function certificateSecrets(rest: KubeRest, namespace: string): SecretStore {
  const collection = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
  const path = (name: string): string => `${collection}/${encodeURIComponent(name)}`;
  const fail = (what: string, response: JsonResponse): never => {
    throw new Error(`${what}: ${statusMessage(response)}`);
  };
  return {
    async read(name) {
      const what = `get Secret ${namespace}/${name}`;
      const response = await rest.request('GET', path(name));
      if (response.status === 404) return undefined;
      return response.status === 200 ? stored(response, what) : fail(what, response);
    },
    async create(name, data) {
      const what = `create Secret ${namespace}/${name}`;
      const response = await rest.request('POST', collection, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace, labels: LABELS },
        type: 'kubernetes.io/tls',
        data: encode(data),
      });
      if (response.status === 409) return 'exists';
      return response.status === 201 || response.status === 200 ? stored(response, what) : fail(what, response);
    },
    async update(name, resourceVersion, data) {
      const what = `update Secret ${namespace}/${name}`;
      const response = await rest.request('PATCH', path(name), { metadata: { resourceVersion }, data: encode(data) });
      // 404: it was deleted since it was read, a change like any other.
      if (response.status === 409 || response.status === 404) return 'conflict';
      return response.status === 200 ? stored(response, what) : fail(what, response);
    },
  };
}
