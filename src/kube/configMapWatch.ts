// The policy ConfigMap kept current by a watch of its name (NamedObjectWatch); the caller sees
// only the object.
import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.ts';
import type { ConfigMapFeed, ConfigMapHandlers } from '../sources/configMapSource.ts';
import { NamedObjectWatch, namedObjectClient, type NamedObjectClient } from './namedObjectWatch.ts';

export { BACKOFF_MAX_MS, BACKOFF_START_MS } from './namedObjectWatch.ts';

/** The two calls a list+watch of ConfigMaps makes; the real one is `configMapClient(kubeConfig)`. */
export type ConfigMapClient = NamedObjectClient<V1ConfigMap>;

export function configMapClient(kubeConfig: KubeConfig): ConfigMapClient {
  return namedObjectClient(kubeConfig, (api, request) => api.listNamespacedConfigMap(request));
}

export interface ConfigMapWatchOptions {
  client: ConfigMapClient;
  namespace: string;
  name: string;
  logger: Logger;
}

export class ConfigMapWatch implements ConfigMapFeed {
  readonly #watch: NamedObjectWatch<V1ConfigMap>;

  constructor({ client, namespace, name, logger }: ConfigMapWatchOptions) {
    const description = `${namespace}/${name}`;
    this.#watch = new NamedObjectWatch({ client, path: `/api/v1/namespaces/${namespace}/configmaps`, namespace, name, logger, subject: `policy ${description}`, logFields: { origin: description } });
  }

  start(handlers: ConfigMapHandlers): Promise<void> {
    const present = (cm: V1ConfigMap): void => handlers.present({ uid: cm.metadata?.uid, data: cm.data });
    return this.#watch.start({
      listed: (cm) => {
        if (cm === undefined) handlers.absent();
        else present(cm);
        handlers.listed();
      },
      changed: present,
      deleted: () => handlers.absent(),
    });
  }

  stop(): Promise<void> {
    return this.#watch.stop();
  }
}
