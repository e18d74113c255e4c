// A Scheduler (src/kube/nodeWatch.ts) whose time moves only when a test says so: timers run in
// order of their due time as `advance` passes it, and promise chains settle between them.
import type { Scheduler } from '../src/kube/nodeWatch.ts';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Lets every pending promise callback (and the I/O-free chains they start) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

export class ManualScheduler implements Scheduler {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(start = Date.parse('2026-11-30T12:00:00Z')) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Moves time forward by ms, running each timer due on the way at its own time. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.at;
      due.fn();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  get pending(): number {
    return this.#timers.length;
  }
}
