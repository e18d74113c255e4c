// Leader election on a coordination.k8s.io/v1 Lease: client-go's algorithm
// (k8s.io/client-go/tools/leaderelection, tryAcquireOrRenew, acquire, renew, release), small.
// - A candidate takes the lease when nobody holds it, or when the record it last saw has not
//   changed for leaseDurationSeconds, measured on its own clock from the moment it saw that record
//   change (observedTime): the holder's renewTime is never compared with this clock, so clocks
//   may disagree.
// - The leader renews every retryPeriod; a round that has not renewed within renewDeadline of its
//   start steps down, even while a request still hangs. renewDeadline + retryPeriod is shorter
//   than the lease duration, so a leader that is cut off stops acting before anyone else starts.
// - On shutdown the leader releases the lease (holder "" and a 1 s duration): another takes over
//   at its next try instead of after the lease duration.
// The Lease itself is a LeaseClient (src/kube/leaseClient.ts; fakes in tests).
import type { Logger } from '../observability/logger.ts';
import { errorMessage } from '../text/errors.ts';
import { realScheduler, type Scheduler } from './nodeWatch.ts';

/** The spec of the Lease, times in ms since the epoch. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: number;
  renewTime: number;
  leaseTransitions: number;
}

export interface LeaseState {
  record: LeaseRecord;
  resourceVersion: string;
}

export interface LeaseClient {
  /** The lease, or undefined when it does not exist. */
  get(): Promise<LeaseState | undefined>;
  create(record: LeaseRecord): Promise<LeaseState>;
  /** Replaces the spec; fails (409) when the lease is no longer at resourceVersion. */
  update(record: LeaseRecord, resourceVersion: string): Promise<LeaseState>;
}

/** client-go's defaults (k8s.io/component-base/config/v1alpha1, LeaderElectionConfiguration). */
export const LEASE_DURATION_MS = 15_000;
const RENEW_DEADLINE_MS = 10_000;
const RETRY_PERIOD_MS = 2000;
/** client-go's JitterFactor while acquiring: each wait is retryPeriod * (1 + random * 1.2). */
const JITTER_FACTOR = 1.2;

export interface LeaderElectionOptions {
  client: LeaseClient;
  identity: string;
  logger: Logger;
  scheduler?: Scheduler;
  random?: () => number;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
}

const EMPTY: LeaseRecord = { holderIdentity: '', leaseDurationSeconds: 0, acquireTime: 0, renewTime: 0, leaseTransitions: 0 };

export class LeaderElector {
  readonly identity: string;
  readonly #options: LeaderElectionOptions;
  readonly #scheduler: Scheduler;
  readonly #random: () => number;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  #observed: LeaseRecord = EMPTY;
  #observedRaw = '';
  #observedTime = 0;
  #resourceVersion = '';
  #leading = false;
  #stopped = false;
  #round = 0;
  readonly #cancelTimers = new Set<() => void>();

  constructor(options: LeaderElectionOptions) {
    this.#options = options;
    this.identity = options.identity;
    this.#scheduler = options.scheduler ?? realScheduler;
    this.#random = options.random ?? Math.random;
    this.#leaseDurationMs = options.leaseDurationMs ?? LEASE_DURATION_MS;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? RENEW_DEADLINE_MS;
    this.#retryPeriodMs = options.retryPeriodMs ?? RETRY_PERIOD_MS;
  }

  /** Whether this replica may write now. */
  isLeader(): boolean {
    return this.#leading;
  }

  start(): void {
    void this.#acquire();
  }

  /** Stops trying; a leader steps down and releases the lease. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const cancel of this.#cancelTimers) cancel();
    this.#cancelTimers.clear();
    const wasLeading = this.#leading;
    if (wasLeading) this.#stepDown('shutting down');
    if (wasLeading) await this.#release();
  }

  /** A timer that stop() cancels; it forgets itself once it has run. */
  #after(ms: number, fn: () => void): () => void {
    const cancel = this.#scheduler.after(ms, () => {
      this.#cancelTimers.delete(cancel);
      fn();
    });
    this.#cancelTimers.add(cancel);
    return () => {
      this.#cancelTimers.delete(cancel);
      cancel();
    };
  }

  async #acquire(): Promise<void> {
    if (this.#stopped) return;
    const acquired = await this.#tryAcquireOrRenew();
    if (this.#stopped) return;
    if (!acquired) {
      this.#after(this.#retryPeriodMs * (1 + this.#random() * JITTER_FACTOR), () => void this.#acquire());
      return;
    }
    this.#leading = true;
    this.#options.logger.info({ identity: this.identity, transitions: this.#observed.leaseTransitions }, 'leader election: became the leader');
    this.#options.onStartedLeading?.();
    this.#after(this.#retryPeriodMs, () => this.#renewRound());
  }

  /** One renewal round: tries every retryPeriod until it renews, or steps down at its deadline. */
  #renewRound(): void {
    if (this.#stopped || !this.#leading) return;
    const round = ++this.#round;
    let renewed = false;
    const cancelDeadline = this.#after(this.#renewDeadlineMs, () => {
      if (round !== this.#round || renewed || !this.#leading) return;
      this.#stepDown(`could not renew the lease within ${this.#renewDeadlineMs} ms`);
      this.#after(this.#retryPeriodMs, () => void this.#acquire());
    });
    const attempt = async (): Promise<void> => {
      const ok = await this.#tryAcquireOrRenew();
      if (this.#stopped || round !== this.#round || !this.#leading) return;
      if (ok) {
        renewed = true;
        cancelDeadline();
        this.#after(this.#retryPeriodMs, () => this.#renewRound());
      } else {
        this.#after(this.#retryPeriodMs, () => {
          if (round === this.#round && !renewed && this.#leading) void attempt();
        });
      }
    };
    void attempt();
  }

  #stepDown(why: string): void {
    this.#leading = false;
    this.#round += 1;
    this.#options.logger.warn({ identity: this.identity }, `leader election: stopped leading: ${why}`);
    this.#options.onStoppedLeading?.();
  }

  #setObserved(record: LeaseRecord, resourceVersion: string): void {
    this.#observed = record;
    this.#observedRaw = JSON.stringify(record);
    this.#observedTime = this.#scheduler.now();
    this.#resourceVersion = resourceVersion;
  }

  #observedHolderIsMe(): boolean {
    return this.#observed.holderIdentity === this.identity;
  }

  #leaseValid(now: number): boolean {
    return this.#observedTime + this.#observed.leaseDurationSeconds * 1000 > now;
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = this.#scheduler.now();
    const record: LeaseRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.floor(this.#leaseDurationMs / 1000),
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    };
    const { client, logger } = this.#options;
    // The fast path: renew what we hold without reading it first.
    if (this.#observedHolderIsMe() && this.#leaseValid(now)) {
      const renewed = { ...record, acquireTime: this.#observed.acquireTime, leaseTransitions: this.#observed.leaseTransitions };
      try {
        const state = await client.update(renewed, this.#resourceVersion);
        this.#setObserved(renewed, state.resourceVersion);
        return true;
      } catch (err) {
        logger.debug({ err: errorMessage(err) }, 'leader election: renewing without a read failed; reading the lease');
      }
    }
    let current: LeaseState | undefined;
    try {
      current = await client.get();
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'leader election: reading the lease failed');
      return false;
    }
    if (current === undefined) {
      try {
        const state = await client.create(record);
        this.#setObserved(record, state.resourceVersion);
        return true;
      } catch (err) {
        logger.warn({ err: errorMessage(err) }, 'leader election: creating the lease failed');
        return false;
      }
    }
    // observedTime moves only when the record changes: a holder that stopped renewing expires
    // leaseDuration after we first saw its last record, on our clock.
    if (JSON.stringify(current.record) !== this.#observedRaw) this.#setObserved(current.record, current.resourceVersion);
    else this.#resourceVersion = current.resourceVersion;
    if (this.#observed.holderIdentity !== '' && this.#leaseValid(now) && !this.#observedHolderIsMe()) return false;
    const next = this.#observedHolderIsMe()
      ? { ...record, acquireTime: this.#observed.acquireTime, leaseTransitions: this.#observed.leaseTransitions }
      : { ...record, leaseTransitions: this.#observed.leaseTransitions + 1 };
    try {
      const state = await client.update(next, current.resourceVersion);
      this.#setObserved(next, state.resourceVersion);
      return true;
    } catch (err) {
      logger.info({ err: errorMessage(err) }, 'leader election: updating the lease failed');
      return false;
    }
  }

  async #release(): Promise<void> {
    const { client, logger } = this.#options;
    try {
      const current = await client.get();
      if (current === undefined || current.record.holderIdentity !== this.identity) return;
      const now = this.#scheduler.now();
      const released: LeaseRecord = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: current.record.leaseTransitions };
      await client.update(released, current.resourceVersion);
      this.#setObserved(released, '');
      logger.info({ identity: this.identity }, 'leader election: released the lease');
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'leader election: releasing the lease failed');
    }
  }
}
