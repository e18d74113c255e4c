// One ConfigMap kept current by list+watch with `metadata.name=NAME` (client-node's ListWatch).
// Watch errors restart the watch with exponential backoff; the caller sees only the object.
import { CoreV1Api, ListWatch, Watch, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.ts';
import { errorMessage } from '../text/errors.ts';
import type { ConfigMapFeed, ConfigMapHandlers } from '../sources/configMapSource.ts';

const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 30_000;

export interface ConfigMapWatchOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  logger: Logger;
}

export class ConfigMapWatch implements ConfigMapFeed {
  readonly #options: ConfigMapWatchOptions;
  readonly #description: string;
  #informer: ListWatch<V1ConfigMap> | undefined;
  #backoffMs = BACKOFF_START_MS;
  #restartTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: ConfigMapWatchOptions) {
    this.#options = options;
    this.#description = `${options.namespace}/${options.name}`;
  }

  async start(handlers: ConfigMapHandlers): Promise<void> {
    const { kubeConfig, namespace, name } = this.#options;
    const api = kubeConfig.makeApiClient(CoreV1Api);
    const fieldSelector = `metadata.name=${name}`;
    const present = (cm: V1ConfigMap): void => {
      if (cm.metadata?.name === name) handlers.present({ uid: cm.metadata.uid, data: cm.data });
    };
    const list = async () => {
      const result = await api.listNamespacedConfigMap({ namespace, fieldSelector });
      this.#backoffMs = BACKOFF_START_MS;
      if (result.items.length === 0) handlers.absent();
      for (const item of result.items) present(item);
      handlers.listed();
      return result;
    };
    const informer = new ListWatch<V1ConfigMap>(`/api/v1/namespaces/${namespace}/configmaps`, new Watch(kubeConfig), list, false, undefined, fieldSelector);
    informer.on('add', present);
    informer.on('update', present);
    informer.on('delete', () => handlers.absent());
    informer.on('error', (err) => this.#restartLater(informer, err));
    this.#informer = informer;
    await this.#run(informer);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    await this.#informer?.stop();
  }

  /** A failed start is one more error to back off from, never an unhandled rejection. */
  async #run(informer: ListWatch<V1ConfigMap>): Promise<void> {
    try {
      await informer.start();
    } catch (err) {
      this.#restartLater(informer, err);
    }
  }

  #restartLater(informer: ListWatch<V1ConfigMap>, err: unknown): void {
    if (this.#stopped) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, BACKOFF_MAX_MS);
    this.#options.logger.warn(
      { origin: this.#description, retryInMs: delay, err: errorMessage(err) },
      `watching policy ${this.#description} failed; retrying in ${delay} ms`,
    );
    clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => void this.#run(informer), delay);
    this.#restartTimer.unref();
  }
}
