// TLS material read from files, re-read when they change (cert-manager and Secret volumes rotate
// them in place): the serving key pair and the client CA are both this. Read at creation and
// fail fast; later, a bad version is logged and the last good one kept.
import { readFileSync } from 'node:fs';
import type { Logger } from '../observability/logger.ts';
import { errorMessage } from '../text/errors.ts';
import { MountedFiles } from '../watch/mountedFiles.ts';
import type { CertificateSource } from './certificateSource.ts';

export interface WatchedFilesOptions<T> {
  paths: string[];
  /** What the files hold, for log lines: "serving certificate", "client CA". */
  what: string;
  /** The value the files' contents make; throws when they are unusable. */
  parse: (contents: string[]) => T;
  logger: Logger;
  pollIntervalMs?: number;
}

export class WatchedFiles<T> implements CertificateSource<T> {
  readonly #options: WatchedFilesOptions<T>;
  readonly #files: MountedFiles;
  readonly #listeners: ((value: T) => void)[] = [];
  #current: T;
  #lastBad: string | undefined;

  /** Reads and parses the files now; throws if they are unusable, so startup fails fast. */
  constructor(options: WatchedFilesOptions<T>) {
    this.#options = options;
    const contents = options.paths.map((path) => readFileSync(path, 'utf8'));
    this.#current = options.parse(contents);
    this.#files = new MountedFiles({
      paths: options.paths,
      what: options.what,
      logger: options.logger,
      pollIntervalMs: options.pollIntervalMs ?? 5000,
      onChange: (changed) => this.#offer(changed),
      onReadError: (err) => this.#reportBad(`cannot read: ${errorMessage(err)}`),
    });
    this.#files.seed(contents);
  }

  current(): T {
    return this.#current;
  }

  onChange(listener: (value: T) => void): void {
    this.#listeners.push(listener);
  }

  /** How many times the files have been re-read since start (for tests and debugging). */
  get reads(): number {
    return this.#files.reads;
  }

  start(): void {
    this.#files.start();
  }

  stop(): Promise<void> {
    return this.#files.stop();
  }

  /** Re-reads the files now; a burst of calls costs one read. */
  check(): Promise<void> {
    return this.#files.check();
  }

  #offer(contents: string[]): void {
    let value: T;
    try {
      value = this.#options.parse(contents);
    } catch (err) {
      // Mid-rotation a certificate may be new and its key old; the next event or poll sees both.
      this.#reportBad(`unusable: ${errorMessage(err)}`);
      return;
    }
    this.#current = value;
    this.#lastBad = undefined;
    for (const listener of this.#listeners) listener(value);
    this.#options.logger.info({ files: this.#options.paths }, `${this.#options.what} reloaded`);
  }

  #reportBad(problem: string): void {
    if (problem === this.#lastBad) return;
    this.#lastBad = problem;
    this.#options.logger.error({ files: this.#options.paths, problem }, `${this.#options.what} not reloaded, keeping the last good one: ${problem}`);
  }
}
