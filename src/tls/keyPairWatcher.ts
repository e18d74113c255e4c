// The serving certificate and key from files, re-read when they change (cert-manager and
// Secret volumes rotate them in place). Read at start and fail fast; later, a bad pair is
// logged and the last good one kept.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../observability/logger.ts';
import { errorMessage } from '../text/errors.ts';
import { MountedFiles } from '../watch/mountedFiles.ts';
import type { PemKeyPair } from './certificates.ts';

export interface KeyPairWatcherOptions {
  certPath: string;
  keyPath: string;
  logger: Logger;
  onChange: (pair: PemKeyPair) => void;
  pollIntervalMs?: number;
}

/** Throws when the key does not match the certificate, or either is not PEM. */
function validateKeyPair(pair: PemKeyPair): void {
  createSecureContext({ cert: pair.certPem, key: pair.keyPem });
}

export class KeyPairWatcher {
  readonly #options: KeyPairWatcherOptions;
  readonly #files: MountedFiles;
  #current: PemKeyPair;
  #lastBad: string | undefined;

  /** Reads and validates the pair now; throws if it is unusable, so startup fails fast. */
  constructor(options: KeyPairWatcherOptions) {
    this.#options = options;
    const pair = { certPem: readFileSync(options.certPath, 'utf8'), keyPem: readFileSync(options.keyPath, 'utf8') };
    validateKeyPair(pair);
    this.#current = pair;
    this.#files = new MountedFiles({
      paths: [options.certPath, options.keyPath],
      what: 'serving certificate',
      logger: options.logger,
      pollIntervalMs: options.pollIntervalMs ?? 5000,
      onChange: ([certPem = '', keyPem = '']) => this.#offer({ certPem, keyPem }),
      onReadError: (err) => this.#reportBad(`cannot read: ${errorMessage(err)}`),
    });
    this.#files.seed([pair.certPem, pair.keyPem]);
  }

  get current(): PemKeyPair {
    return this.#current;
  }

  /** How many times the pair has been re-read since start (for tests and debugging). */
  get reads(): number {
    return this.#files.reads;
  }

  start(): void {
    this.#files.start();
  }

  stop(): Promise<void> {
    return this.#files.stop();
  }

  /** Re-reads both files now; a burst of calls costs one read. */
  check(): Promise<void> {
    return this.#files.check();
  }

  #offer(pair: PemKeyPair): void {
    if (pair.certPem === this.#current.certPem && pair.keyPem === this.#current.keyPem) return;
    try {
      validateKeyPair(pair);
    } catch (err) {
      // Mid-rotation the cert may be new and the key old; the next event or poll sees both.
      this.#reportBad(`unusable pair: ${errorMessage(err)}`);
      return;
    }
    this.#current = pair;
    this.#lastBad = undefined;
    this.#options.onChange(pair);
    this.#options.logger.info({ cert: this.#options.certPath }, 'serving certificate reloaded');
  }

  #reportBad(problem: string): void {
    if (problem === this.#lastBad) return;
    this.#lastBad = problem;
    this.#options.logger.error(
      { cert: this.#options.certPath, key: this.#options.keyPath, problem },
      `serving certificate not reloaded, keeping the last good pair: ${problem}`,
    );
  }
}
