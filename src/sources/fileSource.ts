// A policy document in a local file, re-read when it changes. fs.watch gives speed; the poll
// catches what watch misses (editors that rename over the file, ConfigMap volume symlink swaps).
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Logger } from '../observability/logger.ts';
import type { PolicySource } from './policySource.ts';
import type { PolicyStore } from './store.ts';
import { concernsMountedFile } from '../watch/mountedFile.ts';

const STABLE_READ_DELAY_MS = 20;

export interface FilePolicySourceOptions {
  path: string;
  store: PolicyStore;
  logger: Logger;
  /** How often the file is re-read regardless of watch events. */
  pollIntervalMs?: number;
}

export class FilePolicySource implements PolicySource {
  readonly description: string;
  readonly #path: string;
  readonly #store: PolicyStore;
  readonly #logger: Logger;
  readonly #pollIntervalMs: number;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> = Promise.resolve();
  #lastError: string | undefined;

  constructor(options: FilePolicySourceOptions) {
    this.#path = resolve(options.path);
    // As the operator wrote it, so that `serve` and `check` name the policy alike.
    this.description = `file ${options.path}`;
    this.#store = options.store;
    this.#logger = options.logger;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
  }

  async start(): Promise<void> {
    await this.#reload();
    try {
      // Watch the directory, not the file: a rename-over replaces the inode a file watch holds.
      this.#watcher = watch(dirname(this.#path), { persistent: false }, (_event, name) => {
        if (concernsMountedFile(name, this.#path)) void this.#reload();
      });
      this.#watcher.on('error', (err) => this.#logger.warn({ err }, 'policy file watch failed; polling only'));
    } catch (err) {
      this.#logger.warn({ err, path: this.#path }, 'cannot watch the policy file directory; polling only');
    }
    this.#timer = setInterval(() => void this.#reload(), this.#pollIntervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#watcher?.close();
    clearInterval(this.#timer);
    await this.#reading;
  }

  /** Reads are serialized so that an older read never lands after a newer one. */
  #reload(): Promise<void> {
    // A failure here must never become an unhandled rejection: the process keeps serving.
    this.#reading = this.#reading
      .then(() => this.#readOnce())
      .catch((err: unknown) => this.#logger.error({ err }, 'reading the policy file failed; keeping the policy in force'));
    return this.#reading;
  }

  /**
   * Reads until two reads a moment apart agree, so that a file caught mid-write (truncated,
   * then filled) is never taken for a document; an empty read would otherwise be "defaults".
   */
  async #stableRead(): Promise<string> {
    let text = await readFile(this.#path, 'utf8');
    for (let attempt = 0; attempt < 10; attempt++) {
      await new Promise((r) => setTimeout(r, STABLE_READ_DELAY_MS));
      const again = await readFile(this.#path, 'utf8');
      if (again === text) return text;
      text = again;
    }
    return text;
  }

  async #readOnce(): Promise<void> {
    let text: string;
    try {
      text = await this.#stableRead();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      if (this.#lastError !== code) {
        this.#lastError = code;
        if (code === 'ENOENT') this.#store.missing(this.description, 'file');
        else this.#logger.error({ err, path: this.#path }, `cannot read the policy file: ${code}`);
      }
      return;
    }
    const result = this.#store.apply(text, this.description, 'file');
    this.#lastError = result.ok ? undefined : result.errors.join('; ');
  }
}
