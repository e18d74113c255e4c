// The serving certificate and key from files, re-read when they change (cert-manager and
// Secret volumes rotate them in place). Read at start and fail fast; later, a bad pair is
// logged and the last good one kept. fs.watch for speed, a poll for what watch misses.
import { watch, type FSWatcher, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../observability/logger.ts';
import { concernsMountedFile } from '../watch/mountedFile.ts';
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
  readonly #certPath: string;
  readonly #keyPath: string;
  readonly #logger: Logger;
  readonly #onChange: (pair: PemKeyPair) => void;
  readonly #pollIntervalMs: number;
  readonly #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #current: PemKeyPair;
  #lastBad: string | undefined;
  #checking: Promise<void> = Promise.resolve();
  #checkQueued = false;
  #reads = 0;

  /** Reads and validates the pair now; throws if it is unusable, so startup fails fast. */
  constructor(options: KeyPairWatcherOptions) {
    this.#certPath = resolve(options.certPath);
    this.#keyPath = resolve(options.keyPath);
    this.#logger = options.logger;
    this.#onChange = options.onChange;
    this.#pollIntervalMs = options.pollIntervalMs ?? 5000;
    const pair = { certPem: readFileSync(this.#certPath, 'utf8'), keyPem: readFileSync(this.#keyPath, 'utf8') };
    validateKeyPair(pair);
    this.#current = pair;
  }

  get current(): PemKeyPair {
    return this.#current;
  }

  /** How many times the pair has been re-read since start (for tests and debugging). */
  get reads(): number {
    return this.#reads;
  }

  start(): void {
    // Watch the directories: a Secret volume swaps a `..data` symlink, which a file watch never sees.
    for (const dir of new Set([dirname(this.#certPath), dirname(this.#keyPath)])) {
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          if (concernsMountedFile(name, this.#certPath, this.#keyPath)) void this.check();
        });
        watcher.on('error', (err) => this.#logger.warn({ err, dir }, 'certificate watch failed; polling only'));
        this.#watchers.push(watcher);
      } catch (err) {
        this.#logger.warn({ err, dir }, 'cannot watch the certificate directory; polling only');
      }
    }
    this.#timer = setInterval(() => void this.check(), this.#pollIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    for (const watcher of this.#watchers) watcher.close();
    clearInterval(this.#timer);
  }

  /**
   * Re-reads both files; serialized so that a slower read never overwrites a newer pair. A burst
   * of events while a read is waiting to start costs that one read: it starts after them all.
   */
  check(): Promise<void> {
    if (this.#checkQueued) return this.#checking;
    this.#checkQueued = true;
    this.#checking = this.#checking.then(() => {
      this.#checkQueued = false;
      return this.#checkOnce();
    });
    return this.#checking;
  }

  async #checkOnce(): Promise<void> {
    this.#reads++;
    let pair: PemKeyPair;
    try {
      const [certPem, keyPem] = await Promise.all([readFile(this.#certPath, 'utf8'), readFile(this.#keyPath, 'utf8')]);
      pair = { certPem, keyPem };
    } catch (err) {
      this.#reportBad(`cannot read: ${(err as Error).message}`);
      return;
    }
    if (pair.certPem === this.#current.certPem && pair.keyPem === this.#current.keyPem) return;
    try {
      validateKeyPair(pair);
    } catch (err) {
      // Mid-rotation the cert may be new and the key old; the next event or poll sees both.
      this.#reportBad(`unusable pair: ${(err as Error).message}`);
      return;
    }
    this.#current = pair;
    this.#lastBad = undefined;
    this.#onChange(pair);
    this.#logger.info({ cert: this.#certPath }, 'serving certificate reloaded');
  }

  #reportBad(problem: string): void {
    if (problem === this.#lastBad) return;
    this.#lastBad = problem;
    this.#logger.error({ cert: this.#certPath, key: this.#keyPath, problem }, `serving certificate not reloaded, keeping the last good pair: ${problem}`);
  }
}
