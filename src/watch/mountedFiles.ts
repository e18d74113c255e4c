// Files mounted from a Secret or ConfigMap volume (or edited in place), re-read when they
// change: the serving key pair and the policy file both use this one watcher.
// - Watch the directory, not the file: the kubelet updates a volume by swapping a `..data`
//   symlink (its atomic writer), and editors rename over the file; a file watch sees neither.
// - Poll as well, for whatever the watch misses (some filesystems give no events).
// - A burst of events costs one read: while a read is waiting to start, more events join it.
// - Reads are serialised, so an older read never lands after a newer one.
// - A file caught mid-write (truncated, then filled) is read again until two reads agree.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '../observability/logger.ts';

const STABLE_READ_DELAY_MS = 20;
const STABLE_READ_ATTEMPTS = 10;

/**
 * True for a change that names one of `paths`, the volume's `..data` / `..TIMESTAMP` entries, or
 * nothing (some platforms give no name). Anything else in the directory (a log file, say) must
 * not cost a re-read: under load that was one read per write.
 */
export function concernsMountedFile(name: string | null, ...paths: string[]): boolean {
  return name === null || name.startsWith('..') || paths.some((path) => basename(path) === name);
}

export interface MountedFilesOptions {
  /** Read together, and delivered together: a certificate and its key, or one policy file. */
  paths: string[];
  /** What the files are, for log lines: "policy file", "serving certificate". */
  what: string;
  logger: Logger;
  pollIntervalMs: number;
  /** New contents (in the order of `paths`), only when they differ from the last delivered. */
  onChange: (contents: string[]) => void;
  /** A read failed (a file is missing or unreadable); the next change or poll reads again. */
  onReadError: (err: unknown) => void;
}

export class MountedFiles {
  readonly #options: MountedFilesOptions;
  readonly #paths: string[];
  readonly #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> = Promise.resolve();
  #queued = false;
  #delivered: string[] | undefined;
  #reads = 0;

  constructor(options: MountedFilesOptions) {
    this.#options = options;
    this.#paths = options.paths.map((path) => resolve(path));
  }

  /** How many reads of the files have run (a stable read counts once), for tests and debugging. */
  get reads(): number {
    return this.#reads;
  }

  /** Contents read elsewhere (a fail-fast read at start-up) count as delivered. */
  seed(contents: string[]): void {
    this.#delivered = contents;
  }

  start(): void {
    for (const dir of new Set(this.#paths.map((path) => dirname(path)))) {
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          if (concernsMountedFile(name, ...this.#paths)) void this.check();
        });
        watcher.on('error', (err) => this.#options.logger.warn({ err, dir }, `${this.#options.what} watch failed; polling only`));
        this.#watchers.push(watcher);
      } catch (err) {
        this.#options.logger.warn({ err, dir }, `cannot watch the ${this.#options.what} directory; polling only`);
      }
    }
    this.#timer = setInterval(() => void this.check(), this.#options.pollIntervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers.length = 0;
    clearInterval(this.#timer);
    await this.#reading;
  }

  /** Reads the files now, or joins the read that is waiting to start. Never rejects. */
  check(): Promise<void> {
    if (this.#queued) return this.#reading;
    this.#queued = true;
    this.#reading = this.#reading
      .then(() => {
        this.#queued = false;
        return this.#readOnce();
      })
      .catch((err: unknown) => this.#options.logger.error({ err }, `handling a change of the ${this.#options.what} failed; keeping what is in force`));
    return this.#reading;
  }

  async #readOnce(): Promise<void> {
    this.#reads++;
    let contents: string[];
    try {
      contents = await this.#stableRead();
    } catch (err) {
      this.#delivered = undefined;
      this.#options.onReadError(err);
      return;
    }
    if (this.#delivered !== undefined && same(contents, this.#delivered)) return;
    this.#delivered = contents;
    this.#options.onChange(contents);
  }

  /** Reads until two reads a moment apart agree; unchanged contents need no second read. */
  async #stableRead(): Promise<string[]> {
    let contents = await this.#readAll();
    if (this.#delivered !== undefined && same(contents, this.#delivered)) return contents;
    for (let attempt = 0; attempt < STABLE_READ_ATTEMPTS; attempt++) {
      await new Promise((r) => setTimeout(r, STABLE_READ_DELAY_MS));
      const again = await this.#readAll();
      if (same(again, contents)) return contents;
      contents = again;
    }
    return contents;
  }

  #readAll(): Promise<string[]> {
    return Promise.all(this.#paths.map((path) => readFile(path, 'utf8')));
  }
}

function same(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((text, i) => text === b[i]);
}
