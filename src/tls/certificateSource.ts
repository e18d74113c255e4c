// Where the TLS material in force comes from: files that are watched (the serving key pair, the
// client CA), a pair made in memory at start (--self-signed), or a Kubernetes Secret. The
// admission server is built from a source and subscribes to it; nothing is bound late.
import type { PemKeyPair } from './certificates.ts';

/**
 * TLS material that may change while the server runs.
 * - `current()` is valid as soon as the source exists: a source that cannot produce usable
 *   material fails when it is created, so that the process fails at start.
 * - After `start()`, a change is validated by the source and, if good, becomes `current()`;
 *   then every listener is called with it. A bad change is the source's to log: it keeps the
 *   last good material and calls no listener.
 * - `stop()` ends the watching, and resolves when no change is in progress.
 */
export interface CertificateSource<T> {
  current(): T;
  onChange(listener: (value: T) => void): void;
  start(): void;
  stop(): Promise<void>;
}

/** The server's certificate and key. */
export type ServingCertificateSource = CertificateSource<PemKeyPair>;

/** The PEM bundle of CA certificates that clients' certificates must chain to (--client-ca). */
export type ClientCaSource = CertificateSource<string>;

/** Material that never changes, such as --self-signed's pair made at start. */
export class FixedSource<T> implements CertificateSource<T> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  current(): T {
    return this.#value;
  }

  onChange(): void {
    // It never changes.
  }

  start(): void {
    // Nothing to watch.
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
