// The recordon's two API calls: the conditional cordon and a fresh read.
import type { NodeWriter } from './recordon.ts';
import { expectOk, withQuery, type KubeRest } from './rest.ts';

/** The name the API server records for cordon-guard's own writes (managedFields, audit log). */
const FIELD_MANAGER = 'cordon-guard';

export function nodeWriter(rest: KubeRest): NodeWriter {
  const nodePath = (name: string): string => `/api/v1/nodes/${encodeURIComponent(name)}`;
  return {
    async cordon(name, resourceVersion) {
      const response = await rest.request('PATCH', withQuery(nodePath(name), { fieldManager: FIELD_MANAGER }), { metadata: { resourceVersion }, spec: { unschedulable: true } });
      if (response.status === 409) return 'conflict';
      if (response.status === 404) return 'gone';
      expectOk(`cordoning node ${name}`, response);
      return 'cordoned';
    },
    async read(name) {
      const response = await rest.request('GET', nodePath(name));
      if (response.status === 404) return undefined;
      return expectOk(`reading node ${name}`, response);
    },
  };
}
