// A policy document in a local file (or a mounted ConfigMap key), re-read when it changes.
import type { Logger } from '../observability/logger.ts';
import { MountedFiles } from '../watch/mountedFiles.ts';
import type { PolicySource } from './policySource.ts';
import type { PolicyStore } from './store.ts';

export interface FilePolicySourceOptions {
  path: string;
  store: PolicyStore;
  logger: Logger;
  /** How often the file is re-read regardless of watch events. */
  pollIntervalMs?: number;
}

export class FilePolicySource implements PolicySource {
  readonly description: string;
  readonly #options: FilePolicySourceOptions;
  readonly #files: MountedFiles;
  #lastError: string | undefined;

  constructor(options: FilePolicySourceOptions) {
    this.#options = options;
    // As the operator wrote it, so that `serve` and `check` name the policy alike.
    this.description = `file ${options.path}`;
    this.#files = new MountedFiles({
      paths: [options.path],
      what: 'policy file',
      logger: options.logger,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      onChange: ([text = '']) => this.#apply(text),
      onReadError: (err) => this.#readFailed(err),
    });
  }

  async start(): Promise<void> {
    this.#files.start();
    await this.#files.check();
  }

  stop(): Promise<void> {
    return this.#files.stop();
  }

  #apply(text: string): void {
    const result = this.#options.store.apply(text, this.description, 'file');
    this.#lastError = result.ok ? undefined : result.errors.join('; ');
  }

  /** Logged once per kind of failure: the poll must not repeat it every second. */
  #readFailed(err: unknown): void {
    const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'error';
    if (this.#lastError === code) return;
    this.#lastError = code;
    if (code === 'ENOENT') this.#options.store.missing(this.description, 'file');
    else this.#options.logger.error({ err, path: this.#options.path }, `cannot read the policy file: ${code}`);
  }
}
