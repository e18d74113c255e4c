// The recordon's two API calls through client-node: the conditional cordon and a fresh read.
import { ApiException, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { NodeWriter } from './recordon.ts';

/** The name the API server records for cordon-guard's own writes (managedFields, audit log). */
const FIELD_MANAGER = 'cordon-guard';

function codeOf(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

export function nodeWriter(kubeConfig: KubeConfig): NodeWriter {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  return {
    async cordon(name, resourceVersion) {
      try {
        await core.patchNode({ name, body: { metadata: { resourceVersion }, spec: { unschedulable: true } }, fieldManager: FIELD_MANAGER }, mergePatch);
        return 'cordoned';
      } catch (err) {
        if (codeOf(err) === 409) return 'conflict';
        if (codeOf(err) === 404) return 'gone';
        throw err;
      }
    },
    async read(name) {
      try {
        return await core.readNode({ name });
      } catch (err) {
        if (codeOf(err) === 404) return undefined;
        throw err;
      }
    },
  };
}
