// The certificate Secrets of `serve --tls-secret`, watched by name (list+watch with
// `metadata.name=NAME`, client-node's ListWatch), so that a Secret another replica renewed, or
// one an operator replaced, is checked at once instead of at the next periodic check. The watch
// only says "look again": the check itself reads the Secrets (src/tls/secretSource.ts). A failed
// list or watch starts a fresh one with exponential backoff (RestartLoop); meanwhile the periodic
// check still runs.
import { CoreV1Api, ListWatch, Watch, type KubeConfig, type KubernetesListObject, type V1Secret } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.ts';
import { errorMessage } from '../text/errors.ts';
import { BACKOFF_MAX_MS, BACKOFF_START_MS } from './configMapWatch.ts';
import { Backoff, RestartLoop } from './restartLoop.ts';

/** The two calls a list+watch of Secrets makes; the real one is `secretClient(kubeConfig)`. */
export interface SecretClient {
  list(namespace: string, fieldSelector: string): Promise<KubernetesListObject<V1Secret>>;
  watch: Watch;
}

export function secretClient(kubeConfig: KubeConfig): SecretClient {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  return {
    list: (namespace, fieldSelector) => api.listNamespacedSecret({ namespace, fieldSelector }),
    watch: new Watch(kubeConfig),
  };
}

export interface SecretWatchOptions {
  client: SecretClient;
  namespace: string;
  name: string;
  logger: Logger;
  /** Called on each list and each added, changed or deleted Secret of that name. */
  onChange: () => void;
}

export class SecretWatch {
  readonly #options: SecretWatchOptions;
  readonly #description: string;
  #loop: RestartLoop | undefined;

  constructor(options: SecretWatchOptions) {
    this.#options = options;
    this.#description = `${options.namespace}/${options.name}`;
  }

  start(): Promise<void> {
    const { client, namespace, name, logger, onChange } = this.#options;
    const fieldSelector = `metadata.name=${name}`;
    const changed = (secret: V1Secret | undefined): void => {
      if (secret?.metadata?.name === name) onChange();
    };
    this.#loop = new RestartLoop({
      backoff: new Backoff({ initialMs: BACKOFF_START_MS, maxMs: BACKOFF_MAX_MS }),
      onRetry: (err, delayMs) =>
        logger.warn({ secret: this.#description, retryInMs: delayMs, err: errorMessage(err) }, `watching Secret ${this.#description} failed; retrying in ${delayMs} ms`),
      attempt: (reports) => {
        const list = async (): Promise<KubernetesListObject<V1Secret>> => {
          const result = await client.list(namespace, fieldSelector);
          reports.listed();
          // A fresh list after a broken watch may have missed changes: look again.
          onChange();
          return result;
        };
        const informer = new ListWatch<V1Secret>(`/api/v1/namespaces/${namespace}/secrets`, client.watch, list, false, undefined, fieldSelector);
        informer.on('add', changed);
        informer.on('update', changed);
        informer.on('delete', changed);
        informer.on('error', (err) => reports.failed(err));
        return informer;
      },
    });
    return this.#loop.start();
  }

  async stop(): Promise<void> {
    await this.#loop?.stop();
  }
}
