// The certificate Secrets of `serve --tls-secret`, watched by name (NamedObjectWatch), so that a
// Secret another replica renewed, or one an operator replaced, is checked at once instead of at
// the next periodic check. The watch only says "look again": the check itself reads the Secrets
// (src/tls/secretSource.ts); meanwhile the periodic check still runs.
import type { KubeConfig, V1Secret } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.ts';
import { NamedObjectWatch, namedObjectClient, type NamedObjectClient } from './namedObjectWatch.ts';

/** The two calls a list+watch of Secrets makes; the real one is `secretClient(kubeConfig)`. */
export type SecretClient = NamedObjectClient<V1Secret>;

export function secretClient(kubeConfig: KubeConfig): SecretClient {
  return namedObjectClient(kubeConfig, (api, request) => api.listNamespacedSecret(request));
}

export interface SecretWatchOptions {
  client: SecretClient;
  namespace: string;
  name: string;
  logger: Logger;
  /** Called on each list and each added, changed or deleted Secret of that name. */
  onChange: () => void;
}

export class SecretWatch {
  readonly #watch: NamedObjectWatch<V1Secret>;
  readonly #onChange: () => void;

  constructor({ client, namespace, name, logger, onChange }: SecretWatchOptions) {
    const description = `${namespace}/${name}`;
    this.#watch = new NamedObjectWatch({ client, path: `/api/v1/namespaces/${namespace}/secrets`, namespace, name, logger, subject: `Secret ${description}`, logFields: { secret: description } });
    this.#onChange = onChange;
  }

  start(): Promise<void> {
    // A fresh list after a broken watch may have missed changes: look again after every list too.
    return this.#watch.start({ listed: () => this.#onChange(), changed: () => this.#onChange(), deleted: () => this.#onChange() });
  }

  stop(): Promise<void> {
    return this.#watch.stop();
  }
}
