// The node watch: list (in pages) then watch Nodes, keeping one NodeRecord per node and never a
// whole Node (src/fleet/nodeRecord.ts transforms each object as it arrives, before anything is
// stored). A reflector as client-go's: a watch that ends is resumed from the last resourceVersion
// seen; a watch too old for the API server (410 Gone), or a change of the maintenance annotation
// key, lists again; errors back off exponentially. The API calls are a NodeListWatchClient
// (src/kube/nodeListWatch.ts through client-node; fakes in tests).
import { countStates, recordOf, type NodeRecord, type NodeState } from '../fleet/nodeRecord.ts';
import type { Logger } from '../observability/logger.ts';
import type { Policy } from '../policy/types.ts';
import { errorMessage } from '../text/errors.ts';
import { resourceVersionOf, statusCodeOf } from './rest.ts';

/**
 * Nodes per list page. Each page is garbage once turned into records: pages of 50 (client-go asks
 * for 500) keep that garbage from growing the heap for good (docs/performance.md "Memory").
 */
export const NODE_LIST_PAGE_SIZE = 50;
const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** How often the maintenance annotation key of the policy in force is compared with the cache's. */
const KEY_CHECK_MS = 5000;

export interface NodePage {
  /** Node objects as plain JSON. */
  items: unknown[];
  resourceVersion: string;
  /** The continue token of the next page; undefined on the last. */
  next: string | undefined;
}

export interface WatchHandlers {
  /** ADDED, MODIFIED, DELETED, BOOKMARK or ERROR, with the event's object. */
  event(type: string, object: unknown): void;
  /** The watch ended: err undefined when the server closed it normally. */
  done(err: unknown): void;
}

export interface NodeListWatchClient {
  listPage(limit: number, next: string | undefined): Promise<NodePage>;
  /** Starts a watch from resourceVersion; resolves once it is started, with a way to end it. */
  watch(resourceVersion: string, handlers: WatchHandlers): Promise<{ abort(): void }>;
}

export interface Scheduler {
  now(): number;
  /** Runs fn after ms; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export interface NodeWatchOptions {
  client: NodeListWatchClient;
  policy: () => Policy;
  logger: Logger;
  scheduler?: Scheduler;
  /** Each record as it is stored (after a list, for every node; then for each watch event). */
  onRecord?: (record: NodeRecord) => void;
}

export class NodeWatch {
  readonly #options: NodeWatchOptions;
  readonly #scheduler: Scheduler;
  #records = new Map<string, NodeRecord>();
  #synced = false;
  #key = '';
  #resourceVersion = '';
  #backoffMs = BACKOFF_START_MS;
  #watch: { abort(): void } | undefined;
  /** Bumped at each (re)start, so that callbacks of an abandoned watch are ignored. */
  #epoch = 0;
  #cancelRetry: (() => void) | undefined;
  #cancelKeyCheck: (() => void) | undefined;
  #stopped = false;

  constructor(options: NodeWatchOptions) {
    this.#options = options;
    this.#scheduler = options.scheduler ?? realScheduler;
  }

  /** Resolves after the first attempt to list (it keeps retrying in the background if that failed). */
  async start(): Promise<void> {
    this.#checkKeyLater();
    await this.#listAndWatch();
  }

  stop(): void {
    this.#stopped = true;
    this.#epoch += 1;
    this.#cancelRetry?.();
    this.#cancelKeyCheck?.();
    this.#watch?.abort();
  }

  /** True once a list has completed. */
  get synced(): boolean {
    return this.#synced;
  }

  get(name: string): NodeRecord | undefined {
    return this.#records.get(name);
  }

  records(): IterableIterator<NodeRecord> {
    return this.#records.values();
  }

  /** The gauge's counts now, or undefined before the first list. */
  counts(): Record<NodeState, number> | undefined {
    if (!this.#synced) return undefined;
    return countStates(this.#records.values(), this.#options.policy().maintenanceMaxAge, this.#scheduler.now());
  }

  async #listAndWatch(): Promise<void> {
    const epoch = ++this.#epoch;
    this.#watch?.abort();
    this.#watch = undefined;
    const key = this.#options.policy().maintenanceAnnotation;
    let listed: Map<string, NodeRecord>;
    let resourceVersion: string;
    try {
      ({ listed, resourceVersion } = await this.#list(key));
    } catch (err) {
      if (epoch === this.#epoch) this.#retry('listing nodes failed', err, () => void this.#listAndWatch());
      return;
    }
    if (epoch !== this.#epoch) return;
    this.#records = listed;
    this.#backoffMs = BACKOFF_START_MS;
    this.#key = key;
    this.#resourceVersion = resourceVersion;
    this.#synced = true;
    this.#options.logger.info({ nodes: listed.size, resourceVersion, maintenanceAnnotation: key }, `node watch: listed ${listed.size} nodes`);
    for (const record of listed.values()) this.#options.onRecord?.(record);
    await this.#startWatch(epoch);
  }

  /** Every page is turned into records before the next is asked for: one page of Nodes at most is alive. */
  async #list(key: string): Promise<{ listed: Map<string, NodeRecord>; resourceVersion: string }> {
    const listed = new Map<string, NodeRecord>();
    let next: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.#options.client.listPage(NODE_LIST_PAGE_SIZE, next);
      const now = this.#scheduler.now();
      for (const item of page.items) {
        const previous = this.#records.get(nameOf(item) ?? '');
        const record = recordOf(item, { key, now, previous: previous, consecutive: false });
        if (record !== undefined) listed.set(record.name, record);
      }
      // The first page's resourceVersion is the list's: the continue token keeps the snapshot.
      if (resourceVersion === '') resourceVersion = page.resourceVersion;
      next = page.next;
    } while (next !== undefined && next !== '');
    return { listed, resourceVersion };
  }

  async #startWatch(epoch: number): Promise<void> {
    try {
      const watch = await this.#options.client.watch(this.#resourceVersion, {
        event: (type, object) => {
          if (epoch === this.#epoch) this.#event(type, object);
        },
        done: (err) => {
          if (epoch === this.#epoch) this.#watchEnded(err);
        },
      });
      if (epoch !== this.#epoch) watch.abort();
      else this.#watch = watch;
    } catch (err) {
      if (epoch === this.#epoch) this.#watchEnded(err);
    }
  }

  #event(type: string, object: unknown): void {
    if (type === 'ERROR') {
      const code = statusCodeOf(object);
      // 410 Gone: events since our resourceVersion are no longer kept; only a list can catch up.
      this.#options.logger.info({ code }, 'node watch: the API server ended the watch; listing again');
      this.#epoch += 1;
      this.#watch?.abort();
      if (code === 410) void this.#listAndWatch();
      else this.#retry('the node watch failed', `Status ${code ?? 'without a code'}`, () => void this.#listAndWatch());
      return;
    }
    const resourceVersion = resourceVersionOf(object);
    if (resourceVersion !== undefined) this.#resourceVersion = resourceVersion;
    if (type === 'BOOKMARK') return;
    const name = nameOf(object);
    if (name === undefined) return;
    if (type === 'DELETED') {
      this.#records.delete(name);
      return;
    }
    const previous = this.#records.get(name);
    const record = recordOf(object, { key: this.#key, now: this.#scheduler.now(), previous, consecutive: type === 'MODIFIED' });
    if (record === undefined) return;
    this.#records.set(name, record);
    this.#backoffMs = BACKOFF_START_MS;
    this.#options.onRecord?.(record);
  }

  #watchEnded(err: unknown): void {
    if (this.#stopped) return;
    this.#watch = undefined;
    const epoch = this.#epoch;
    // A watch the server closed (its timeout) resumes at once. A failed one lists again after a
    // backoff: a watch refused with 410 (resourceVersion too old) fails before any ERROR event,
    // and resuming from the same resourceVersion would fail for ever.
    if (err === undefined || err === null) void this.#startWatch(epoch);
    else this.#retry('the node watch failed', err, () => void this.#listAndWatch());
  }

  #retry(what: string, err: unknown, again: () => void): void {
    if (this.#stopped) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, BACKOFF_MAX_MS);
    this.#options.logger.warn({ err: errorMessage(err), retryInMs: delay }, `${what}; retrying in ${delay} ms`);
    this.#cancelRetry?.();
    this.#cancelRetry = this.#scheduler.after(delay, again);
  }

  /** A new maintenance annotation key changes what every record says: list again. */
  #checkKeyLater(): void {
    this.#cancelKeyCheck = this.#scheduler.after(KEY_CHECK_MS, () => {
      if (this.#stopped) return;
      const key = this.#options.policy().maintenanceAnnotation;
      if (this.#synced && key !== this.#key) {
        this.#options.logger.info({ from: this.#key, to: key }, 'node watch: the maintenance annotation key changed; listing again');
        void this.#listAndWatch();
      }
      this.#checkKeyLater();
    });
  }
}

function nameOf(object: unknown): string | undefined {
  const metadata = typeof object === 'object' && object !== null ? (object as { metadata?: { name?: unknown } }).metadata : undefined;
  return typeof metadata?.name === 'string' ? metadata.name : undefined;
}
