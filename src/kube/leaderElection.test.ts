import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../observability/logger.ts';
import { LogCapture } from '../../testkit/logCapture.ts';
import { ManualScheduler } from '../../testkit/manualScheduler.ts';
import { LeaderElector, type LeaseClient, type LeaseRecord, type LeaseState } from './leaderElection.ts';

class ConflictError extends Error {
  readonly code = 409;
}

/** One Lease as the API server keeps it: updates must name the current resourceVersion. */
class FakeLease {
  state: LeaseState | undefined;
  #rv = 0;
  /** While set, every call waits for it (a request that hangs). */
  hang: Promise<void> | undefined;
  /** While true, every call fails (the API server cannot be reached). */
  down = false;
  writes: LeaseRecord[] = [];

  client(): LeaseClient {
    const gate = async (): Promise<void> => {
      if (this.hang !== undefined) await this.hang;
      if (this.down) throw new Error('connect ECONNREFUSED');
    };
    return {
      get: async () => {
        await gate();
        return this.state === undefined ? undefined : structuredClone(this.state);
      },
      create: async (record) => {
        await gate();
        if (this.state !== undefined) throw new ConflictError('already exists');
        return this.#write(record);
      },
      update: async (record, resourceVersion) => {
        await gate();
        if (this.state?.resourceVersion !== resourceVersion) throw new ConflictError('the object has been modified');
        return this.#write(record);
      },
    };
  }

  #write(record: LeaseRecord): LeaseState {
    this.writes.push(structuredClone(record));
    this.state = { record: structuredClone(record), resourceVersion: String(++this.#rv) };
    return structuredClone(this.state);
  }

  /** Another replica's holding, written at `renewTime` by its own clock. */
  heldBy(holderIdentity: string, renewTime: number): void {
    this.#write({ holderIdentity, leaseDurationSeconds: 15, acquireTime: renewTime, renewTime, leaseTransitions: 3 });
  }
}

/** A fresh clock and Lease for one test. */
function setUp(): { scheduler: ManualScheduler; lease: FakeLease } {
  return { scheduler: new ManualScheduler(), lease: new FakeLease() };
}

function elector(lease: FakeLease, scheduler: ManualScheduler, identity = 'pod-a_1', events: string[] = []): LeaderElector {
  return new LeaderElector({
    client: lease.client(),
    identity,
    logger: createLogger('debug', new LogCapture()),
    scheduler,
    random: () => 0,
    onStartedLeading: () => events.push(`${identity} started`),
    onStoppedLeading: () => events.push(`${identity} stopped`),
  });
}

describe('leader election (client-go\'s algorithm)', () => {
  it('a candidate creates a missing lease and leads, with client-go\'s durations', async () => {
    const { scheduler, lease } = setUp();
    const a = elector(lease, scheduler);
    a.start();
    await scheduler.advance(0);
    assert.equal(a.isLeader(), true);
    assert.deepEqual(lease.state?.record, { holderIdentity: 'pod-a_1', leaseDurationSeconds: 15, acquireTime: scheduler.now(), renewTime: scheduler.now(), leaseTransitions: 0 });
  });

  it('a lease held by another is not taken 1 ms before it expires, and is taken once the lease duration has passed on the candidate\'s clock', async () => {
    const { scheduler, lease } = setUp();
    lease.heldBy('pod-b_2', scheduler.now());
    const a = elector(lease, scheduler);
    a.start();
    await scheduler.advance(0);
    assert.equal(a.isLeader(), false, 'held');
    // random 0: a try every 2 s. The record was first seen at t=0; tries at 2, 4, ..., 14 see it valid.
    await scheduler.advance(14_999);
    assert.equal(a.isLeader(), false, 'not yet expired at 14.999 s');
    await scheduler.advance(1);
    assert.equal(a.isLeader(), false, 'no try falls on 15 s itself yet: the try at 16 s takes it');
    await scheduler.advance(1000);
    assert.equal(a.isLeader(), true, 'expired: taken at the try at 16 s');
    assert.equal(lease.state?.record.holderIdentity, 'pod-a_1');
    assert.equal(lease.state?.record.leaseTransitions, 4, 'a new holder counts a transition');
  });

  it('exactly at observed time + lease duration the lease counts as expired (valid only while strictly before)', async () => {
    const { scheduler, lease } = setUp();
    lease.heldBy('pod-b_2', scheduler.now());
    const a = new LeaderElector({ client: lease.client(), identity: 'pod-a_1', logger: createLogger('silent'), scheduler, random: () => 0, retryPeriodMs: 5000 });
    a.start();
    await scheduler.advance(10_000);
    assert.equal(a.isLeader(), false, 'tries at 0, 5 and 10 s see it valid');
    await scheduler.advance(5000);
    assert.equal(a.isLeader(), true, 'the try at exactly 15 s takes it');
  });

  it('a holder\'s renewTime far in the past (its clock behind ours) does not make its lease expired: only our own observation counts', async () => {
    const { scheduler, lease } = setUp();
    lease.heldBy('pod-b_2', scheduler.now() - 3_600_000);
    const a = elector(lease, scheduler);
    a.start();
    await scheduler.advance(12_000);
    assert.equal(a.isLeader(), false);
  });

  it('a holder\'s renewTime in the future (its clock ahead) does not keep its lease once it stops changing', async () => {
    const { scheduler, lease } = setUp();
    lease.heldBy('pod-b_2', scheduler.now() + 3_600_000);
    const a = elector(lease, scheduler);
    a.start();
    await scheduler.advance(16_000);
    assert.equal(a.isLeader(), true);
  });

  it('a holder that keeps renewing keeps the lease: each change of its record restarts the count', async () => {
    const { scheduler, lease } = setUp();
    lease.heldBy('pod-b_2', scheduler.now());
    const a = elector(lease, scheduler);
    a.start();
    for (let t = 0; t < 60_000; t += 2000) {
      await scheduler.advance(2000);
      lease.heldBy('pod-b_2', scheduler.now());
    }
    assert.equal(a.isLeader(), false);
  });

  it('a leader renews every retry period, keeping its acquire time', async () => {
    const { scheduler, lease } = setUp();
    const a = elector(lease, scheduler);
    a.start();
    await scheduler.advance(0);
    const acquired = scheduler.now();
    await scheduler.advance(6000);
    assert.equal(a.isLeader(), true);
    assert.equal(lease.writes.length, 4, 'created, then renewed at 2, 4 and 6 s');
    assert.equal(lease.state?.record.acquireTime, acquired);
    assert.equal(lease.state?.record.renewTime, scheduler.now());
  });

  it('a leader that cannot reach the API server steps down at the renew deadline, 10 s after its round began, before the lease could expire for others', async () => {
    const { scheduler, lease } = setUp();
    const events: string[] = [];
    const a = elector(lease, scheduler, 'pod-a_1', events);
    a.start();
    await scheduler.advance(2000); // renewed at 2 s; the next round begins at 4 s
    lease.down = true;
    await scheduler.advance(2000 + 9999);
    assert.equal(a.isLeader(), true, 'still within the deadline of the round that began at 4 s');
    await scheduler.advance(1);
    assert.equal(a.isLeader(), false, 'stepped down at 14 s, 12 s after the last renewal, less than the 15 s lease');
    assert.deepEqual(events, ['pod-a_1 started', 'pod-a_1 stopped']);
  });

  it('a renewal that hangs does not extend leadership past the renew deadline', async () => {
    const { scheduler, lease } = setUp();
    const a = elector(lease, scheduler);
    a.start();
    await scheduler.advance(2000);
    lease.hang = new Promise(() => undefined);
    await scheduler.advance(2000 + 10_000);
    assert.equal(a.isLeader(), false);
  });

  it('a conflict on the update means not leader: two candidates for a free lease, one wins', async () => {
    const { scheduler, lease } = setUp();
    lease.heldBy('old_0', scheduler.now());
    const a = elector(lease, scheduler, 'pod-a_1');
    const b = elector(lease, scheduler, 'pod-b_2');
    a.start();
    b.start();
    await scheduler.advance(16_000);
    assert.deepEqual([a.isLeader(), b.isLeader()].sort(), [false, true]);
    const holder = lease.state?.record.holderIdentity;
    assert.equal(holder, a.isLeader() ? 'pod-a_1' : 'pod-b_2');
    await scheduler.advance(30_000);
    assert.deepEqual([a.isLeader(), b.isLeader()].sort(), [false, true], 'and it stays so while the leader renews');
  });

  it('a leader that finds the lease taken by another (it was cut off) does not lead again until that lease expires', async () => {
    const { scheduler, lease } = setUp();
    const a = elector(lease, scheduler);
    a.start();
    await scheduler.advance(2000);
    lease.heldBy('pod-b_2', scheduler.now());
    await scheduler.advance(12_000);
    assert.equal(a.isLeader(), false);
    assert.equal(lease.state?.record.holderIdentity, 'pod-b_2');
  });

  it('on shutdown the leader releases the lease, and another takes it at its next try rather than after the lease duration', async () => {
    const { scheduler, lease } = setUp();
    const a = elector(lease, scheduler, 'pod-a_1');
    a.start();
    await scheduler.advance(0);
    const b = elector(lease, scheduler, 'pod-b_2');
    b.start();
    await scheduler.advance(1000);
    await a.stop();
    assert.equal(a.isLeader(), false);
    assert.deepEqual({ holder: lease.state?.record.holderIdentity, duration: lease.state?.record.leaseDurationSeconds }, { holder: '', duration: 1 });
    await scheduler.advance(2000);
    assert.equal(b.isLeader(), true);
  });

  it('a leader renewing for an hour keeps no more than a few timers', async () => {
    const { scheduler, lease } = setUp();
    const a = elector(lease, scheduler);
    a.start();
    await scheduler.advance(3_600_000);
    assert.equal(a.isLeader(), true);
    assert.ok(scheduler.pending <= 2, `${scheduler.pending} timers pending`);
    await a.stop();
    assert.equal(scheduler.pending, 0);
  });

  it('a stopped candidate writes nothing more', async () => {
    const { scheduler, lease } = setUp();
    lease.heldBy('pod-b_2', scheduler.now());
    const a = elector(lease, scheduler);
    a.start();
    await scheduler.advance(0);
    await a.stop();
    const writes = lease.writes.length;
    await scheduler.advance(60_000);
    assert.equal(lease.writes.length, writes);
    assert.equal(scheduler.pending, 0);
  });
});
