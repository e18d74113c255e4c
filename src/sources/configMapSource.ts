// The policy from key `policy.yaml` of one ConfigMap. The watching itself (list+watch, backoff)
// is a ConfigMapFeed from src/kube/; this file only decides what each version means.
import { POLICY_CONFIGMAP_KEY } from '../install.ts';
import type { PolicySource } from './policySource.ts';
import type { PolicyStore } from './store.ts';

/** The parts of a ConfigMap the source reads. */
export interface WatchedConfigMap {
  uid: string | undefined;
  data: Record<string, string> | undefined;
}

export interface ConfigMapHandlers {
  /** The ConfigMap exists, in this version. */
  present(configMap: WatchedConfigMap): void;
  /** The ConfigMap does not exist (never created, or deleted). */
  absent(): void;
  /** A list completed: every present/absent call for it has been made. */
  listed(): void;
}

/** Keeps one ConfigMap current; `start` resolves or rejects as its first attempt does. */
export interface ConfigMapFeed {
  start(handlers: ConfigMapHandlers): Promise<void>;
  stop(): Promise<void>;
}

interface InvalidPolicyRecorder {
  recordInvalidPolicy(configMap: { namespace: string; name: string; uid?: string | undefined }, errors: string[]): void;
}

export interface ConfigMapPolicySourceOptions {
  feed: ConfigMapFeed;
  namespace: string;
  name: string;
  store: PolicyStore;
  events?: InvalidPolicyRecorder | undefined;
}

export class ConfigMapPolicySource implements PolicySource {
  readonly description: string;
  readonly #options: ConfigMapPolicySourceOptions;
  #firstList: PromiseWithResolvers<void> = Promise.withResolvers();

  constructor(options: ConfigMapPolicySourceOptions) {
    this.#options = options;
    this.description = `${options.namespace}/${options.name}`;
  }

  /** Resolves after the first successful list, so readiness means "the ConfigMap was read". */
  async start(): Promise<void> {
    await this.#options.feed.start({
      present: (configMap) => this.#apply(configMap),
      absent: () => this.#options.store.missing(this.description, 'configmap'),
      listed: () => this.#firstList.resolve(),
    });
    await this.#firstList.promise;
  }

  async stop(): Promise<void> {
    await this.#options.feed.stop();
    this.#firstList.resolve();
  }

  #apply(configMap: WatchedConfigMap): void {
    const { store, namespace, name, events } = this.#options;
    const text = configMap.data?.[POLICY_CONFIGMAP_KEY];
    let errors: string[] | undefined;
    if (text === undefined) {
      errors = [`the ConfigMap has no key ${POLICY_CONFIGMAP_KEY}`];
      store.refuse(this.description, 'configmap', errors);
    } else {
      const result = store.apply(text, this.description, 'configmap');
      if (!result.ok) errors = result.errors;
    }
    if (errors !== undefined) events?.recordInvalidPolicy({ namespace, name, uid: configMap.uid }, errors);
  }
}
