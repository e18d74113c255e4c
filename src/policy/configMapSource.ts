// The policy from key `policy.yaml` of one ConfigMap, kept current by list+watch with
// `metadata.name=NAME`. Watch errors restart the watch with exponential backoff.
import { CoreV1Api, ListWatch, Watch, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.ts';
import type { PolicySource, PolicyStore } from './store.ts';

export const POLICY_KEY = 'policy.yaml';
const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 30_000;

export interface InvalidPolicyRecorder {
  recordInvalidPolicy(configMap: { namespace: string; name: string; uid?: string }, errors: string[]): void;
}

export interface ConfigMapPolicySourceOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  store: PolicyStore;
  logger: Logger;
  events?: InvalidPolicyRecorder;
}

export class ConfigMapPolicySource implements PolicySource {
  readonly description: string;
  readonly #options: ConfigMapPolicySourceOptions;
  #informer: ListWatch<V1ConfigMap> | undefined;
  #firstList: PromiseWithResolvers<void> = Promise.withResolvers();
  #backoffMs = BACKOFF_START_MS;
  #restartTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: ConfigMapPolicySourceOptions) {
    this.#options = options;
    this.description = `${options.namespace}/${options.name}`;
  }

  /** Resolves after the first successful list, so readiness means "the ConfigMap was read". */
  async start(): Promise<void> {
    const { kubeConfig, namespace, name } = this.#options;
    const api = kubeConfig.makeApiClient(CoreV1Api);
    const fieldSelector = `metadata.name=${name}`;
    const list = async () => {
      const result = await api.listNamespacedConfigMap({ namespace, fieldSelector });
      this.#listed(result.items);
      return result;
    };
    const informer = new ListWatch<V1ConfigMap>(
      `/api/v1/namespaces/${namespace}/configmaps`,
      new Watch(kubeConfig),
      list,
      false,
      undefined,
      fieldSelector,
    );
    informer.on('add', (cm) => this.#apply(cm));
    informer.on('update', (cm) => this.#apply(cm));
    informer.on('delete', () => this.#options.store.missing(this.description, 'configmap'));
    informer.on('error', (err) => this.#restartLater(informer, err));
    this.#informer = informer;
    await informer.start();
    await this.#firstList.promise;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    await this.#informer?.stop();
    this.#firstList.resolve();
  }

  #listed(items: V1ConfigMap[]): void {
    this.#backoffMs = BACKOFF_START_MS;
    if (items.length === 0) this.#options.store.missing(this.description, 'configmap');
    for (const item of items) this.#apply(item);
    this.#firstList.resolve();
  }

  #apply(configMap: V1ConfigMap): void {
    if (configMap.metadata?.name !== this.#options.name) return;
    const text = configMap.data?.[POLICY_KEY];
    let errors: string[] | undefined;
    if (text === undefined) {
      errors = [`the ConfigMap has no key ${POLICY_KEY}`];
      this.#options.store.refuse(this.description, 'configmap', errors);
    } else {
      const result = this.#options.store.apply(text, this.description, 'configmap');
      if (!result.ok) errors = result.errors;
    }
    if (errors !== undefined) {
      this.#options.events?.recordInvalidPolicy(
        { namespace: this.#options.namespace, name: this.#options.name, uid: configMap.metadata?.uid },
        errors,
      );
    }
  }

  #restartLater(informer: ListWatch<V1ConfigMap>, err: unknown): void {
    if (this.#stopped) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, BACKOFF_MAX_MS);
    this.#options.logger.warn(
      { origin: this.description, retryInMs: delay, err: err instanceof Error ? err.message : String(err) },
      `watching policy ${this.description} failed; retrying in ${delay} ms`,
    );
    this.#restartTimer = setTimeout(() => void informer.start(), delay);
    this.#restartTimer.unref();
  }
}
