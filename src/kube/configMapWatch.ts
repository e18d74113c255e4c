// The policy ConfigMap kept current by a watch of its name (NamedObjectWatch); the caller sees
// only the object.
import type { Logger } from '../observability/logger.ts';
import type { ConfigMapFeed, ConfigMapHandlers } from '../sources/configMapSource.ts';
import { NamedObjectWatch, collectionPath, namedObjectClient, type NamedObject, type NamedObjectClient } from './namedObjectWatch.ts';
import type { KubeClient } from './rest.ts';

export { BACKOFF_MAX_MS, BACKOFF_START_MS } from './namedObjectWatch.ts';

/** What is read of a ConfigMap. */
export interface ConfigMapObject extends NamedObject {
  data?: Record<string, string>;
}

/** The two calls a list+watch of ConfigMaps makes; the real one is `configMapClient(rest)`. */
export type ConfigMapClient = NamedObjectClient<ConfigMapObject>;

export function configMapClient(rest: KubeClient): ConfigMapClient {
  return namedObjectClient(rest, 'configmaps');
}

export interface ConfigMapWatchOptions {
  client: ConfigMapClient;
  namespace: string;
  name: string;
  logger: Logger;
}

export class ConfigMapWatch implements ConfigMapFeed {
  readonly #watch: NamedObjectWatch<ConfigMapObject>;

  constructor({ client, namespace, name, logger }: ConfigMapWatchOptions) {
    const description = `${namespace}/${name}`;
    this.#watch = new NamedObjectWatch({ client, path: collectionPath(namespace, 'configmaps'), namespace, name, logger, subject: `policy ${description}`, logFields: { origin: description } });
  }

  start(handlers: ConfigMapHandlers): Promise<void> {
    const present = (cm: ConfigMapObject): void => handlers.present({ uid: cm.metadata?.uid, data: cm.data });
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
