// Self-healing (POLICY.md "Drift"): the leader cordons again a node under maintenance found
// schedulable, when the policy says `recordon: true` and its mode writes (enforce, preserve).
// One conditional patch on the resourceVersion seen; on a conflict the node is read again and
// patched again only if it is still drifted. Every replica reports drift (a warn line when a
// node becomes drifted); only the leader writes, and the conditional patch makes a healing that
// two replicas attempt at once happen once.
import { isDrifted, recordOf, type NodeRecord } from '../fleet/nodeRecord.ts';
import type { Logger } from '../observability/logger.ts';
import type { Policy } from '../policy/types.ts';
import { errorMessage } from '../text/errors.ts';
import type { EventDraft } from './eventRecorder.ts';
import type { Scheduler } from './nodeWatch.ts';

type CordonResult = 'cordoned' | 'conflict' | 'gone';

export interface NodeWriter {
  /** The merge patch {"metadata":{"resourceVersion":RV},"spec":{"unschedulable":true}}. */
  cordon(name: string, resourceVersion: string): Promise<CordonResult>;
  /** The node as it is now (plain JSON), undefined when it is gone. */
  read(name: string): Promise<unknown>;
}

export const RECORDONED_REASON = 'Recordoned';
/** Attempts per sighting: a node that keeps changing under us is left to the next sighting. */
const MAX_ATTEMPTS = 5;
/** How often drifted nodes are looked at again (a policy change, a new leader, a failed write). */
export const RESYNC_MS = 5000;
const FAILURE_BACKOFF_START_MS = 5000;
const FAILURE_BACKOFF_MAX_MS = 300_000;

export interface RecordonOptions {
  writer: NodeWriter;
  events: { enqueue(draft: EventDraft): void } | undefined;
  logger: Logger;
  recordons: { inc(): void };
  policy: () => Policy;
  isLeader: () => boolean;
  /** The node watch's cache. */
  nodes: { get(name: string): NodeRecord | undefined; records(): Iterable<NodeRecord> };
  scheduler: Scheduler;
}

export function recordonNote(record: Pick<NodeRecord, 'name' | 'maintenance'>, key: string, uncordonedBy: string | undefined): string {
  const by =
    uncordonedBy === undefined
      ? 'its managedFields do not name the writer that uncordoned it (look for it in the API server\'s audit log)'
      : `field manager ${JSON.stringify(uncordonedBy)} uncordoned it`;
  return `cordon-guard cordoned node ${JSON.stringify(record.name)} again: it is under maintenance (${key}=${JSON.stringify(record.maintenance ?? '')}) but was schedulable; ${by}`;
}

export class Recordon {
  readonly #options: RecordonOptions;
  readonly #queue = new Set<string>();
  readonly #drifted = new Set<string>();
  /** Nodes whose healing failed, and when to try again. */
  readonly #failures = new Map<string, { count: number; notBefore: number }>();
  #working: Promise<void> | undefined;
  #cancelResync: (() => void) | undefined;
  #stopped = false;

  constructor(options: RecordonOptions) {
    this.#options = options;
  }

  start(): void {
    const tick = (): void => {
      if (this.#stopped) return;
      this.healAll();
      this.#cancelResync = this.#options.scheduler.after(RESYNC_MS, tick);
    };
    this.#cancelResync = this.#options.scheduler.after(RESYNC_MS, tick);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelResync?.();
    this.#queue.clear();
    await this.#working;
  }

  /** Each record the watch stores. */
  sighted(record: NodeRecord): void {
    if (!isDrifted(record)) {
      this.#drifted.delete(record.name);
      this.#failures.delete(record.name);
      return;
    }
    if (!this.#drifted.has(record.name)) {
      this.#drifted.add(record.name);
      const { maintenanceAnnotation: key } = this.#options.policy();
      this.#options.logger.warn(
        { node: record.name, resourceVersion: record.resourceVersion, uncordonedBy: record.uncordonedBy ?? null, maintenance: record.maintenance },
        `node ${JSON.stringify(record.name)} is under maintenance (${key}) but schedulable (drifted)`,
      );
    }
    this.#enqueue(record.name);
  }

  /** Every drifted node, again: on becoming the leader, and every RESYNC_MS. */
  healAll(): void {
    for (const name of this.#drifted) this.#enqueue(name);
  }

  #writes(): boolean {
    const policy = this.#options.policy();
    return policy.recordon && (policy.mode === 'enforce' || policy.mode === 'preserve') && this.#options.isLeader();
  }

  #enqueue(name: string): void {
    if (this.#stopped || !this.#writes()) return;
    const failure = this.#failures.get(name);
    if (failure !== undefined && this.#options.scheduler.now() < failure.notBefore) return;
    this.#queue.add(name);
    this.#working ??= this.#work().finally(() => (this.#working = undefined));
  }

  async #work(): Promise<void> {
    for (let name = first(this.#queue); name !== undefined; name = first(this.#queue)) {
      this.#queue.delete(name);
      try {
        await this.#heal(name);
      } catch (err) {
        this.#failed(name, err);
      }
    }
  }

  async #heal(name: string): Promise<void> {
    let record = this.#options.nodes.get(name);
    const { writer, scheduler } = this.#options;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      if (record === undefined || !isDrifted(record) || !this.#writes() || this.#stopped) return;
      const result = await writer.cordon(name, record.resourceVersion);
      if (result === 'gone') return;
      if (result === 'cordoned') return this.#healed(record);
      // 409: the node changed since that version. Judge the node as it is now.
      const now = await writer.read(name);
      const key = this.#options.policy().maintenanceAnnotation;
      const fresh = now === undefined ? undefined : recordOf(now, { key, now: scheduler.now(), previous: record, consecutive: false });
      record = fresh === undefined ? undefined : { ...fresh, uncordonedBy: fresh.uncordonedBy ?? record.uncordonedBy };
    }
    this.#options.logger.warn({ node: name, attempts: MAX_ATTEMPTS }, `node ${JSON.stringify(name)} kept changing; it will be cordoned again at its next sighting`);
  }

  #healed(record: NodeRecord): void {
    const { logger, recordons, events } = this.#options;
    const key = this.#options.policy().maintenanceAnnotation;
    this.#failures.delete(record.name);
    recordons.inc();
    const note = recordonNote(record, key, record.uncordonedBy);
    logger.warn({ node: record.name, resourceVersion: record.resourceVersion, uncordonedBy: record.uncordonedBy ?? null, maintenance: record.maintenance }, note);
    events?.enqueue({
      namespace: 'default',
      // kubectl describe node matches node events by uid == name, as the kubelet writes them.
      regarding: { apiVersion: 'v1', kind: 'Node', name: record.name, uid: record.name },
      reason: RECORDONED_REASON,
      action: 'Cordon',
      note,
      seriesKey: JSON.stringify(['Node', record.name, RECORDONED_REASON, record.uncordonedBy ?? '']),
    });
  }

  #failed(name: string, err: unknown): void {
    const count = (this.#failures.get(name)?.count ?? 0) + 1;
    const delay = Math.min(FAILURE_BACKOFF_START_MS * 2 ** (count - 1), FAILURE_BACKOFF_MAX_MS);
    this.#failures.set(name, { count, notBefore: this.#options.scheduler.now() + delay });
    this.#options.logger.warn({ node: name, err: errorMessage(err), retryInMs: delay }, `could not cordon node ${JSON.stringify(name)} again; retrying in ${delay} ms`);
  }
}

function first(set: Set<string>): string | undefined {
  for (const value of set) return value;
  return undefined;
}
