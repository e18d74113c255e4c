// The node watch's API calls: list Nodes in pages, and watch them. Both hand on each Node as
// parsed JSON; nothing here keeps a Node.
import type { NodeListWatchClient } from './nodeWatch.ts';
import { expectOk, withQuery, type KubeClient } from './rest.ts';

/**
 * The API server ends a watch after timeoutSeconds, and the node watch resumes it from the last
 * resourceVersion: client-go's reflector asks for 5 to 10 minutes, spread so that replicas do not
 * come back together.
 */
const WATCH_MIN_SECONDS = 300;
const WATCH_JITTER_SECONDS = 300;

interface NodeListJson {
  items?: unknown[];
  metadata?: { resourceVersion?: string; continue?: string };
}

export function nodeListWatchClient(rest: KubeClient): NodeListWatchClient {
  return {
    async listPage(limit, next) {
      const list = expectOk('listing nodes', await rest.request('GET', withQuery('/api/v1/nodes', { limit, continue: next }))) as NodeListJson;
      const token = list.metadata?.continue;
      return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '', next: token === undefined || token === '' ? undefined : token };
    },
    watch(resourceVersion, handlers) {
      const timeoutSeconds = WATCH_MIN_SECONDS + Math.floor(Math.random() * WATCH_JITTER_SECONDS);
      return rest.watch('/api/v1/nodes', { resourceVersion, allowWatchBookmarks: true, timeoutSeconds }, handlers);
    },
  };
}
