// The node watch's API calls through client-node: list Nodes in pages, and watch them. The watch
// hands each event's object on as parsed JSON; nothing here keeps a Node.
import { CoreV1Api, Watch, type KubeConfig } from '@kubernetes/client-node';
import type { NodeListWatchClient } from './nodeWatch.ts';

/**
 * The API server ends a watch after timeoutSeconds, and the node watch resumes it from the last
 * resourceVersion. client-go asks for 5 to 10 minutes; client-node's Watch aborts a watch that
 * has been silent for 30 s (its requestTimeoutMs, private), which a quiet cluster's node watch
 * is, bookmarks coming about once a minute. So the server is asked to close it first.
 */
const WATCH_MIN_SECONDS = 20;
const WATCH_JITTER_SECONDS = 8;

export function nodeListWatchClient(kubeConfig: KubeConfig): NodeListWatchClient {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const watcher = new Watch(kubeConfig);
  return {
    async listPage(limit, next) {
      const list = await core.listNode({ limit, _continue: next });
      const token = list.metadata?._continue;
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '', next: token === undefined || token === '' ? undefined : token };
    },
    async watch(resourceVersion, handlers) {
      const timeoutSeconds = WATCH_MIN_SECONDS + Math.floor(Math.random() * WATCH_JITTER_SECONDS);
      const controller = await watcher.watch(
        '/api/v1/nodes',
        { resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
        (type: string, object: unknown) => handlers.event(type, object),
        (err: unknown) => handlers.done(err ?? undefined),
      );
      return { abort: () => controller.abort() };
    },
  };
}
