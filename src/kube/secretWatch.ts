// The certificate Secrets of `serve --tls-secret`, watched by name (NamedObjectWatch), so that a
// Secret another replica renewed, or one an operator replaced, is checked at once instead of at
// the next periodic check. The watch only says "look again": the check itself reads the Secrets
// (src/tls/secretSource.ts); meanwhile the periodic check still runs.
import type { Logger } from '../observability/logger.ts';
import { NamedObjectWatch, collectionPath, namedObjectClient, type NamedObject, type NamedObjectClient } from './namedObjectWatch.ts';
import type { KubeClient } from './rest.ts';

/** The two calls a list+watch of Secrets makes; the real one is `secretClient(rest)`. Only the name is read. */
export type SecretClient = NamedObjectClient<NamedObject>;

export function secretClient(rest: KubeClient): SecretClient {
  return namedObjectClient(rest, 'secrets');
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
  readonly #watch: NamedObjectWatch<NamedObject>;
  readonly #onChange: () => void;

  constructor({ client, namespace, name, logger, onChange }: SecretWatchOptions) {
    const description = `${namespace}/${name}`;
    this.#watch = new NamedObjectWatch({ client, path: collectionPath(namespace, 'secrets'), namespace, name, logger, subject: `Secret ${description}`, logFields: { secret: description } });
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
