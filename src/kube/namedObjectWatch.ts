// One namespaced object kept in view by list+watch with `metadata.name=NAME` (client-node's
// ListWatch): the policy ConfigMap, the certificate Secrets. A failed list or watch starts a fresh
// list+watch with exponential backoff (RestartLoop), logged with the caller's words.
import { CoreV1Api, ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.ts';
import { errorMessage } from '../text/errors.ts';
import { Backoff, RestartLoop } from './restartLoop.ts';

export const BACKOFF_START_MS = 500;
export const BACKOFF_MAX_MS = 30_000;

/** The two calls a list+watch makes, for one kind in one namespace. */
export interface NamedObjectClient<T extends KubernetesObject> {
  list(namespace: string, fieldSelector: string): Promise<KubernetesListObject<T>>;
  watch: Watch;
}

/** The real client: `list` is the typed call of CoreV1Api for the kind, e.g. listNamespacedSecret. */
export function namedObjectClient<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  list: (api: CoreV1Api, request: { namespace: string; fieldSelector: string }) => Promise<KubernetesListObject<T>>,
): NamedObjectClient<T> {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  return { list: (namespace, fieldSelector) => list(api, { namespace, fieldSelector }), watch: new Watch(kubeConfig) };
}

export interface NamedObjectHandlers<T> {
  /** After each list: the object, or undefined when there is none. */
  listed(object: T | undefined): void;
  /** Added or changed. */
  changed(object: T): void;
  deleted(): void;
}

export interface NamedObjectWatchOptions<T extends KubernetesObject> {
  client: NamedObjectClient<T>;
  /** The collection's path: `/api/v1/namespaces/NS/configmaps`. */
  path: string;
  namespace: string;
  name: string;
  logger: Logger;
  /** What a failure's log line says was being watched, e.g. `policy cordon-guard/cordon-guard-policy`, and its fields. */
  subject: string;
  logFields: Record<string, string>;
}

export class NamedObjectWatch<T extends KubernetesObject> {
  readonly #options: NamedObjectWatchOptions<T>;
  #loop: RestartLoop | undefined;

  constructor(options: NamedObjectWatchOptions<T>) {
    this.#options = options;
  }

  start(handlers: NamedObjectHandlers<T>): Promise<void> {
    const { client, path, namespace, name, logger, subject, logFields } = this.#options;
    const fieldSelector = `metadata.name=${name}`;
    const ours = (object: T | undefined): object is T => object?.metadata?.name === name;
    this.#loop = new RestartLoop({
      backoff: new Backoff({ initialMs: BACKOFF_START_MS, maxMs: BACKOFF_MAX_MS }),
      onRetry: (err, delayMs) => logger.warn({ ...logFields, retryInMs: delayMs, err: errorMessage(err) }, `watching ${subject} failed; retrying in ${delayMs} ms`),
      attempt: (reports) => {
        const list = async (): Promise<KubernetesListObject<T>> => {
          const result = await client.list(namespace, fieldSelector);
          reports.listed();
          handlers.listed(result.items.find(ours));
          return result;
        };
        const informer = new ListWatch<T>(path, client.watch, list, false, undefined, fieldSelector);
        informer.on('add', (object) => ours(object) && handlers.changed(object));
        informer.on('update', (object) => ours(object) && handlers.changed(object));
        informer.on('delete', (object) => ours(object) && handlers.deleted());
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
