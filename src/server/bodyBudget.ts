// A budget for the request-body bytes being received at once, across all connections. Without
// it, any pod that can reach the Service can make the process hold gigabytes of half-received
// bodies (64 concurrent 3 MB reviews are 192 MB of buffers before a byte is parsed), and the
// Deployment's memory limit turns that into an OOM kill: every uncordon fails until it is back.
export class BodyBudget {
  readonly limitBytes: number;
  #inFlight = 0;

  constructor(limitBytes: number) {
    this.limitBytes = limitBytes;
  }

  /** Bytes reserved by bodies being received now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Reserves `bytes`, or reserves nothing and returns false when they would not fit. */
  tryReserve(bytes: number): boolean {
    if (this.#inFlight + bytes > this.limitBytes) return false;
    this.#inFlight += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - bytes);
  }
}
