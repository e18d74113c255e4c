// Ready means: the TLS listener is up, a policy is in force, and we are not draining.
export class Readiness {
  #listening = false;
  #policyLoaded = false;
  #draining = false;

  listening(): void {
    this.#listening = true;
  }
  policyLoaded(): void {
    this.#policyLoaded = true;
  }
  draining(): void {
    this.#draining = true;
  }

  /** Draining since SIGTERM: answers then carry `Connection: close`, and shutdown is under way. */
  get isDraining(): boolean {
    return this.#draining;
  }

  /** Why the server is not ready, or undefined when it is. */
  notReadyBecause(): string | undefined {
    if (this.#draining) return 'shutting down';
    if (!this.#listening) return 'TLS listener not up yet';
    if (!this.#policyLoaded) return 'no policy loaded yet';
    return undefined;
  }
}
