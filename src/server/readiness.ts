// Ready means: the TLS listener is up, a policy is in force, we are not draining, and each
// required condition holds (with --tls-secret: the webhooks' caBundle verifies the certificate served).
export class Readiness {
  #listening = false;
  #policyLoaded = false;
  #draining = false;
  readonly #conditions: Array<() => string | undefined> = [];

  listening(): void {
    this.#listening = true;
  }
  policyLoaded(): void {
    this.#policyLoaded = true;
  }
  draining(): void {
    this.#draining = true;
  }
  /** One more thing that must hold: `check` says why not, or undefined once it does. */
  require(check: () => string | undefined): void {
    this.#conditions.push(check);
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
    for (const check of this.#conditions) {
      const why = check();
      if (why !== undefined) return why;
    }
    return undefined;
  }
}
