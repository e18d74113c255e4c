// One namespaced object kept in view by list+watch with `metadata.name=NAME`: the policy
// ConfigMap, the certificate Secrets. As client-go's reflector: a watch the API server ends is
// resumed from the last resourceVersion seen, a 410 Gone lists again, and a failed list or watch
// starts a fresh list+watch with exponential backoff (RestartLoop), logged with the caller's words.
import type { Logger } from '../observability/logger.ts';
import { errorMessage } from '../text/errors.ts';
import { Backoff, RestartLoop } from './restartLoop.ts';
import { expectOk, resourceVersionOf, statusCodeOf, withQuery, type KubeClient, type Query, type WatchCallbacks } from './rest.ts';

export const BACKOFF_START_MS = 500;
export const BACKOFF_MAX_MS = 30_000;
/** client-go's reflector: watches of 5 to 10 minutes, spread so that replicas do not come back together. */
const WATCH_MIN_SECONDS = 300;
const WATCH_JITTER_SECONDS = 300;

/** What is read of any object: its name and version. */
export interface NamedObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; uid?: string };
}

export interface ObjectList<T> {
  metadata?: { resourceVersion?: string };
  items: T[];
}

/** The two calls a list+watch makes, for one kind in one namespace. */
export interface NamedObjectClient<T extends NamedObject> {
  list(namespace: string, fieldSelector: string): Promise<ObjectList<T>>;
  watch(path: string, query: Query, callbacks: WatchCallbacks): Promise<{ abort(): void }>;
}

/** The real client, for the collection `/api/v1/namespaces/NS/PLURAL` (`plural` e.g. `configmaps`). */
export function namedObjectClient<T extends NamedObject>(rest: KubeClient, plural: string): NamedObjectClient<T> {
  return {
    async list(namespace, fieldSelector) {
      const path = withQuery(collectionPath(namespace, plural), { fieldSelector });
      const list = expectOk(`listing ${plural} in ${namespace}`, await rest.request('GET', path)) as Partial<ObjectList<T>>;
      return { metadata: list.metadata, items: list.items ?? [] };
    },
    watch: (path, query, callbacks) => rest.watch(path, query, callbacks),
  };
}

export function collectionPath(namespace: string, plural: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/${plural}`;
}

export interface NamedObjectHandlers<T> {
  /** After each list: the object, or undefined when there is none. */
  listed(object: T | undefined): void;
  /** Added or changed. */
  changed(object: T): void;
  deleted(): void;
}

export interface NamedObjectWatchOptions<T extends NamedObject> {
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

export class NamedObjectWatch<T extends NamedObject> {
  readonly #options: NamedObjectWatchOptions<T>;
  #loop: RestartLoop | undefined;

  constructor(options: NamedObjectWatchOptions<T>) {
    this.#options = options;
  }

  start(handlers: NamedObjectHandlers<T>): Promise<void> {
    const { logger, subject, logFields } = this.#options;
    this.#loop = new RestartLoop({
      backoff: new Backoff({ initialMs: BACKOFF_START_MS, maxMs: BACKOFF_MAX_MS }),
      onRetry: (err, delayMs) => logger.warn({ ...logFields, retryInMs: delayMs, err: errorMessage(err) }, `watching ${subject} failed; retrying in ${delayMs} ms`),
      attempt: (reports) => this.#attempt(handlers, reports),
    });
    return this.#loop.start();
  }

  async stop(): Promise<void> {
    await this.#loop?.stop();
  }

  /** One list, then watches resumed from the last resourceVersion until something fails. */
  #attempt(handlers: NamedObjectHandlers<T>, reports: { failed(err: unknown): void; listed(): void }): { start(): Promise<void>; stop(): Promise<void> } {
    const { client, path, namespace, name } = this.#options;
    const fieldSelector = `metadata.name=${name}`;
    const ours = (object: unknown): object is T => (object as NamedObject | undefined)?.metadata?.name === name;
    let resourceVersion = '';
    let open: { abort(): void } | undefined;
    /** Bumped by each list and watch, and by stop: callbacks of an earlier one are ignored. */
    let generation = 0;

    const list = async (): Promise<void> => {
      const mine = ++generation;
      const result = await client.list(namespace, fieldSelector);
      if (mine !== generation) return;
      reports.listed();
      resourceVersion = result.metadata?.resourceVersion ?? '';
      handlers.listed(result.items.find(ours));
      await watch();
    };
    const relist = (): void => {
      list().catch((err: unknown) => reports.failed(err));
    };
    const watch = async (): Promise<void> => {
      const mine = ++generation;
      const timeoutSeconds = WATCH_MIN_SECONDS + Math.floor(Math.random() * WATCH_JITTER_SECONDS);
      const callbacks: WatchCallbacks = {
        event: (type, object) => {
          if (mine !== generation) return;
          if (type === 'ERROR') {
            generation += 1;
            open?.abort();
            // 410 Gone: what changed since resourceVersion is no longer kept; only a list catches up.
            if (statusCodeOf(object) === 410) relist();
            else reports.failed(new Error(`the watch ended with Status ${statusCodeOf(object) ?? 'without a code'}`));
            return;
          }
          resourceVersion = resourceVersionOf(object) ?? resourceVersion;
          if (!ours(object)) return;
          if (type === 'DELETED') handlers.deleted();
          else if (type === 'ADDED' || type === 'MODIFIED') handlers.changed(object);
        },
        done: (err) => {
          if (mine !== generation) return;
          if (err === undefined) void watch();
          else if (statusCodeOf(err) === 410) relist();
          else reports.failed(err);
        },
      };
      try {
        const started = await client.watch(path, { fieldSelector, resourceVersion, allowWatchBookmarks: true, timeoutSeconds }, callbacks);
        if (mine === generation) open = started;
        else started.abort();
      } catch (err) {
        if (mine !== generation) return;
        if (statusCodeOf(err) === 410) relist();
        else reports.failed(err);
      }
    };
    return {
      start: list,
      stop: () => {
        generation += 1;
        open?.abort();
        return Promise.resolve();
      },
    };
  }
}
