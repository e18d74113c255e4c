// One ConfigMap kept current by list+watch with `metadata.name=NAME` (client-node's ListWatch).
// A failed list or watch starts a fresh list+watch with exponential backoff (RestartLoop); the
// caller sees only the object.
import { CoreV1Api, ListWatch, Watch, type KubeConfig, type KubernetesListObject, type V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.ts';
import { errorMessage } from '../text/errors.ts';
import type { ConfigMapFeed, ConfigMapHandlers } from '../sources/configMapSource.ts';
import { Backoff, RestartLoop } from './restartLoop.ts';

export const BACKOFF_START_MS = 500;
export const BACKOFF_MAX_MS = 30_000;

/** The two calls a list+watch of ConfigMaps makes; the real one is `configMapClient(kubeConfig)`. */
export interface ConfigMapClient {
  list(namespace: string, fieldSelector: string): Promise<KubernetesListObject<V1ConfigMap>>;
  watch: Watch;
}

export function configMapClient(kubeConfig: KubeConfig): ConfigMapClient {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  return {
    list: (namespace, fieldSelector) => api.listNamespacedConfigMap({ namespace, fieldSelector }),
    watch: new Watch(kubeConfig),
  };
}

export interface ConfigMapWatchOptions {
  client: ConfigMapClient;
  namespace: string;
  name: string;
  logger: Logger;
}

export class ConfigMapWatch implements ConfigMapFeed {
  readonly #options: ConfigMapWatchOptions;
  readonly #description: string;
  #loop: RestartLoop | undefined;

  constructor(options: ConfigMapWatchOptions) {
    this.#options = options;
    this.#description = `${options.namespace}/${options.name}`;
  }

  start(handlers: ConfigMapHandlers): Promise<void> {
    const { client, namespace, name, logger } = this.#options;
    const fieldSelector = `metadata.name=${name}`;
    const present = (cm: V1ConfigMap): void => {
      if (cm.metadata?.name === name) handlers.present({ uid: cm.metadata.uid, data: cm.data });
    };
    this.#loop = new RestartLoop({
      backoff: new Backoff({ initialMs: BACKOFF_START_MS, maxMs: BACKOFF_MAX_MS }),
      onRetry: (err, delayMs) =>
        logger.warn(
          { origin: this.#description, retryInMs: delayMs, err: errorMessage(err) },
          `watching policy ${this.#description} failed; retrying in ${delayMs} ms`,
        ),
      attempt: (reports) => {
        const list = async (): Promise<KubernetesListObject<V1ConfigMap>> => {
          const result = await client.list(namespace, fieldSelector);
          reports.listed();
          if (result.items.length === 0) handlers.absent();
          for (const item of result.items) present(item);
          handlers.listed();
          return result;
        };
        const informer = new ListWatch<V1ConfigMap>(`/api/v1/namespaces/${namespace}/configmaps`, client.watch, list, false, undefined, fieldSelector);
        informer.on('add', present);
        informer.on('update', present);
        informer.on('delete', () => handlers.absent());
        informer.on('error', (err) => reports.failed(err));
        return informer;
      },
    });
    return this.#loop.start();
  }

  async stop(): Promise<void> {
    await this.#loop?.stop();
  }
}
