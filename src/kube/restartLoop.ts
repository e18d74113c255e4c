// Keeps a list+watch (any informer) running, as client-go's reflector does: when an attempt
// fails, a fresh one starts after a delay that doubles with each failure up to a cap, and the
// delay starts over once an attempt lists successfully. A fresh attempt lists again, so what
// changed while the API server was out of reach is seen.

/** The delay before each restart: `initialMs`, doubled per failure up to `maxMs`. */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  #nextMs: number;

  constructor(options: { initialMs: number; maxMs: number }) {
    this.#initialMs = options.initialMs;
    this.#maxMs = options.maxMs;
    this.#nextMs = options.initialMs;
  }

  /** The delay for this failure; the next one is twice as long, up to the cap. */
  next(): number {
    const delayMs = this.#nextMs;
    this.#nextMs = Math.min(delayMs * 2, this.#maxMs);
    return delayMs;
  }

  reset(): void {
    this.#nextMs = this.#initialMs;
  }
}

/** One attempt: an informer that has not been started yet. */
export interface Attempt {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What an attempt reports back; reports from a retired attempt are ignored. */
export interface AttemptReports {
  /** The attempt failed (its watch or list errored): it is stopped and a fresh one scheduled. */
  failed(err: unknown): void;
  /** The attempt listed successfully: the next failure waits the first delay again. */
  listed(): void;
}

export interface RestartLoopOptions {
  /** Makes a fresh attempt, which reports through `reports`. */
  attempt: (reports: AttemptReports) => Attempt;
  backoff: Backoff;
  /** Called before each wait, to say what failed and when the next attempt starts. */
  onRetry: (err: unknown, delayMs: number) => void;
}

export class RestartLoop {
  readonly #options: RestartLoopOptions;
  #current: Attempt | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: RestartLoopOptions) {
    this.#options = options;
  }

  /** Starts the first attempt; resolves once it has started or failed, and never rejects. */
  start(): Promise<void> {
    this.#stopped = false;
    return this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const current = this.#current;
    this.#current = undefined;
    await current?.stop();
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    const attempt: Attempt = this.#options.attempt({
      failed: (err) => {
        if (this.#current === attempt) this.#failed(err);
      },
      listed: () => {
        if (this.#current === attempt) this.#options.backoff.reset();
      },
    });
    this.#current = attempt;
    try {
      await attempt.start();
    } catch (err) {
      if (this.#current === attempt) this.#failed(err);
    }
  }

  #failed(err: unknown): void {
    const failed = this.#current;
    this.#current = undefined;
    // The attempt may hold a connection still open; a fresh one replaces it.
    void failed?.stop().catch(() => undefined);
    if (this.#stopped) return;
    const delayMs = this.#options.backoff.next();
    this.#options.onRetry(err, delayMs);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#run(), delayMs);
    this.#timer.unref();
  }
}
