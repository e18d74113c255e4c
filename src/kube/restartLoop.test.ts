import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { Backoff, RestartLoop, type Attempt, type AttemptReports } from './restartLoop.ts';

describe('Backoff', () => {
  it('waits the first delay, then twice as long after each failure, up to the cap', () => {
    const backoff = new Backoff({ initialMs: 500, maxMs: 30_000 });
    assert.deepEqual(Array.from({ length: 9 }, () => backoff.next()), [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('starts over from the first delay after a reset', () => {
    const backoff = new Backoff({ initialMs: 500, maxMs: 30_000 });
    for (let i = 0; i < 10; i++) backoff.next();
    backoff.reset();
    assert.deepEqual([backoff.next(), backoff.next()], [500, 1000]);
  });
});

/** Attempts as the loop makes them: each can be made to fail or list by the test. */
class Attempts {
  readonly made: { reports: AttemptReports; stopped: boolean }[] = [];
  /** How the next attempts start: 'fail' rejects start(), 'run' resolves and keeps running. */
  startWith: 'fail' | 'run' = 'fail';

  readonly make = (reports: AttemptReports): Attempt => {
    const entry = { reports, stopped: false };
    this.made.push(entry);
    const startWith = this.startWith;
    return {
      start: () => (startWith === 'fail' ? Promise.reject(new Error(`connect ECONNREFUSED (attempt ${this.made.length})`)) : Promise.resolve()),
      stop: () => {
        entry.stopped = true;
        return Promise.resolve();
      },
    };
  };

  get count(): number {
    return this.made.length;
  }

  last(): { reports: AttemptReports; stopped: boolean } {
    const last = this.made.at(-1);
    assert.ok(last !== undefined, 'no attempt yet');
    return last;
  }
}

/** Lets the promise callbacks the loop chained on an attempt run (fake timers do not move them). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('RestartLoop, on a fake clock', () => {
  let attempts: Attempts;
  let retries: number[];
  let loop: RestartLoop;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout'] });
    attempts = new Attempts();
    retries = [];
    loop = new RestartLoop({ attempt: attempts.make, backoff: new Backoff({ initialMs: 500, maxMs: 30_000 }), onRetry: (_err, delayMs) => retries.push(delayMs) });
  });
  afterEach(async () => {
    await loop.stop();
    mock.timers.reset();
  });

  /** Moves the clock to 1 ms before the restart is due, then to it; returns the attempts made at each. */
  async function countAround(delayMs: number): Promise<[number, number]> {
    mock.timers.tick(delayMs - 1);
    await settle();
    const before = attempts.count;
    mock.timers.tick(1);
    await settle();
    return [before, attempts.count];
  }

  it('restarts a failed attempt after exactly the delay, which doubles per failure up to the cap', async () => {
    await loop.start();
    assert.equal(attempts.count, 1);
    const delays = [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000];
    for (const [i, delayMs] of delays.entries()) {
      assert.deepEqual(await countAround(delayMs), [i + 1, i + 2], `restart ${i + 1}, due after ${delayMs} ms`);
    }
    assert.deepEqual(retries, [...delays, 30_000]);
  });

  it('a successful list starts the delays over', async () => {
    await loop.start();
    await countAround(500);
    await countAround(1000);
    attempts.startWith = 'run';
    await countAround(2000);
    attempts.last().reports.listed();
    attempts.last().reports.failed(new Error('watch closed: other side closed'));
    assert.deepEqual(retries, [500, 1000, 2000, 500]);
    assert.deepEqual(await countAround(500), [4, 5]);
  });

  it('a failure reported by an attempt that runs (its watch broke) stops it and starts a fresh one', async () => {
    attempts.startWith = 'run';
    await loop.start();
    const first = attempts.last();
    first.reports.failed(new Error('watch closed'));
    await settle();
    assert.equal(first.stopped, true, 'the failed attempt is stopped');
    assert.deepEqual(await countAround(500), [1, 2]);
    assert.equal(attempts.last().stopped, false);
  });

  it('ignores what a retired attempt reports: one failure, one restart', async () => {
    attempts.startWith = 'run';
    await loop.start();
    const first = attempts.last();
    first.reports.failed(new Error('watch closed'));
    first.reports.failed(new Error('and its list failed too'));
    await countAround(500);
    first.reports.failed(new Error('late'));
    first.reports.listed();
    assert.deepEqual(retries, [500]);
    mock.timers.tick(60_000);
    await settle();
    assert.equal(attempts.count, 2);
  });

  it('stop cancels the pending restart and stops the running attempt', async () => {
    await loop.start();
    await loop.stop();
    mock.timers.tick(60_000);
    await settle();
    assert.equal(attempts.count, 1, 'no restart after stop');

    attempts.startWith = 'run';
    await loop.start();
    const running = attempts.last();
    await loop.stop();
    assert.equal(running.stopped, true);
    running.reports.failed(new Error('closed by stop'));
    mock.timers.tick(60_000);
    await settle();
    assert.equal(attempts.count, 2, 'the error of the stopped attempt schedules nothing');
  });
});
