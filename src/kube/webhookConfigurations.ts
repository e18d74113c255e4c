// serve's own ValidatingWebhookConfiguration and MutatingWebhookConfiguration, kept in step with
// what only serve knows: the CA that signed its certificate (every webhook's caBundle, with
// --tls-secret) and the policy's maintenanceAnnotation (the matchConditions that name it, made
// by src/webhooks/matchConditions.ts). Checked when either changes and every minute, so that
// drift is repaired; each write is a PUT of the object as read, conditional on its
// resourceVersion. A failure is never quiet: logged at error with what is not guarded, counted,
// recorded as a Warning Event, and retried with backoff.
import type { EventDraft } from './eventRecorder.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { bundleVerifies } from '../tls/authority.ts';
import { errorMessage } from '../text/errors.ts';
import type { WebhookConfigurationKind } from '../webhooks/matchConditions.ts';
import { caBundlesOf, reconcileConfiguration, type JsonObject } from '../webhooks/reconcile.ts';
import { statusMessage, type KubeRest } from './rest.ts';

export const RESYNC_MS = 60_000;
const RETRY_START_MS = 1000;
const ATTEMPTS = 5;
const KINDS: readonly WebhookConfigurationKind[] = ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'];
const RESOURCES: Record<WebhookConfigurationKind, string> = {
  ValidatingWebhookConfiguration: 'validatingwebhookconfigurations',
  MutatingWebhookConfiguration: 'mutatingwebhookconfigurations',
};
/** Events about cluster-scoped objects go to `default`, as those about Nodes do. */
const EVENT_NAMESPACE = 'default';

export interface WebhookSyncOptions {
  rest: KubeRest;
  /** The name of both configurations. */
  name: string;
  maintenanceAnnotation: string;
  logger: Logger;
  metrics: Pick<Metrics, 'webhookSyncFailures'>;
  events?: { enqueue(draft: EventDraft): void } | undefined;
  resyncMs?: number;
}

/** What a configuration held after its last successful check. */
interface Seen {
  caBundles: Array<string | undefined>;
  maintenanceAnnotation: string;
  caBundle: string | undefined;
}

export class WebhookConfigurationSync {
  readonly #o: WebhookSyncOptions & { resyncMs: number };
  #caBundle: string | undefined;
  #key: string;
  readonly #seen = new Map<WebhookConfigurationKind, Seen>();
  #running: Promise<boolean> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #retryMs = RETRY_START_MS;
  #started = false;
  #stopped = false;

  constructor(options: WebhookSyncOptions) {
    this.#o = { resyncMs: RESYNC_MS, ...options };
    this.#key = options.maintenanceAnnotation;
  }

  /** The CA bundle (PEM) every webhook must trust; undefined leaves caBundle to another manager. */
  setCaBundle(pem: string | undefined): void {
    const encoded = pem === undefined ? undefined : Buffer.from(pem, 'utf8').toString('base64');
    if (encoded === this.#caBundle) return;
    this.#caBundle = encoded;
    this.#kick();
  }

  setMaintenanceAnnotation(key: string): void {
    if (key === this.#key) return;
    this.#key = key;
    this.#o.logger.info({ maintenanceAnnotation: key }, `maintenance annotation is now ${key}: updating the webhook configurations' matchConditions`);
    this.#kick();
  }

  /** Checks both configurations now, then every resyncMs (sooner after a failure). */
  start(): void {
    this.#started = true;
    this.#kick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Both configurations checked, and fixed where needed; true when both are in step. A call while a pass runs joins it. */
  sync(): Promise<boolean> {
    this.#running ??= this.#pass().finally(() => (this.#running = undefined));
    return this.#running;
  }

  /**
   * Why the pod must not be ready yet: a webhook whose caBundle (as last read) does not verify
   * the certificate being served, so the API server would refuse its TLS handshake.
   */
  notReadyBecause(servingCertPem: string): string | undefined {
    for (const kind of KINDS) {
      const seen = this.#seen.get(kind);
      if (seen === undefined) return `${kind} ${this.#o.name} not read yet`;
      const bundles = seen.caBundles;
      if (bundles.length === 0) return `${kind} ${this.#o.name} has no webhooks`;
      if (!bundles.every((b) => b !== undefined && bundleVerifies(Buffer.from(b, 'base64').toString('utf8'), servingCertPem)))
        return `the caBundle of ${kind} ${this.#o.name} does not verify the serving certificate yet`;
    }
    return undefined;
  }

  #kick(): void {
    if (!this.#started || this.#stopped) return;
    // A change while a pass runs: one more pass after it, with the latest wishes.
    if (this.#running !== undefined) this.#again = true;
    else void this.sync();
  }

  async #pass(): Promise<boolean> {
    let ok: boolean;
    do {
      this.#again = false;
      ok = true;
      for (const kind of KINDS) ok = (await this.#syncOne(kind)) && ok;
    } while (this.#again && !this.#stopped);
    if (ok) this.#retryMs = RETRY_START_MS;
    this.#schedule(ok ? this.#o.resyncMs : this.#nextRetryMs());
    return ok;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.sync(), delayMs);
    this.#timer.unref();
  }

  #nextRetryMs(): number {
    const delay = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, this.#o.resyncMs);
    return delay;
  }

  async #syncOne(kind: WebhookConfigurationKind): Promise<boolean> {
    const { rest, name, logger } = this.#o;
    const path = `/apis/admissionregistration.k8s.io/v1/${RESOURCES[kind]}/${encodeURIComponent(name)}`;
    const want = { caBundle: this.#caBundle, maintenanceAnnotation: this.#key };
    try {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const read = await rest.request('GET', path);
        if (read.status === 404) throw new Error(`${kind} ${name} does not exist`);
        if (read.status !== 200 || typeof read.body !== 'object' || read.body === null) throw new Error(`get ${kind} ${name}: ${statusMessage(read)}`);
        const { object, changes, unkeyed } = reconcileConfiguration(read.body as JsonObject, kind, want);
        if (unkeyed.length > 0 && this.#seen.get(kind) === undefined) {
          logger.warn({ configuration: kind, name, webhooks: unkeyed }, `${kind} ${name}: webhooks ${unkeyed.join(', ')} have no matchCondition naming the maintenance annotation; left as they are`);
        }
        if (changes.length === 0) {
          this.#seen.set(kind, { caBundles: caBundlesOf(object), ...want });
          return true;
        }
        const written = await rest.request('PUT', path, object);
        if (written.status === 409) continue; // changed since it was read: read and judge again
        if (written.status !== 200) throw new Error(`update ${kind} ${name}: ${statusMessage(written)}`);
        this.#seen.set(kind, { caBundles: caBundlesOf(written.body as JsonObject), ...want });
        logger.info({ configuration: kind, name, changes, maintenanceAnnotation: want.maintenanceAnnotation }, `updated ${kind} ${name}: ${changes.join(', ')}`);
        return true;
      }
      throw new Error(`${kind} ${name} changed under each of ${ATTEMPTS} attempts to update it`);
    } catch (err) {
      this.#failed(kind, want, err);
      return false;
    }
  }

  /** Logged at error with what is not guarded, counted, and recorded as a Warning Event. */
  #failed(kind: WebhookConfigurationKind, want: { caBundle: string | undefined; maintenanceAnnotation: string }, err: unknown): void {
    const { name, logger, metrics, events } = this.#o;
    const seen = this.#seen.get(kind);
    const unguarded: string[] = [];
    if (seen?.maintenanceAnnotation !== want.maintenanceAnnotation) {
      unguarded.push(
        `removals of the maintenance annotation ${want.maintenanceAnnotation} may not be sent to cordon-guard (its matchConditions may name another key), so guardAnnotationRemoval may not hold for it`,
      );
    }
    if (want.caBundle !== undefined && seen?.caBundle !== want.caBundle) {
      unguarded.push(
        kind === 'ValidatingWebhookConfiguration'
          ? "the API server may not trust cordon-guard's serving certificate, and then refuses uncordons and removals of the maintenance annotation (failurePolicy Fail)"
          : "the API server may not trust cordon-guard's serving certificate, and then lets cordons through unstamped (failurePolicy Ignore)",
      );
    }
    const retryInMs = this.#retryMs;
    const cause = errorMessage(err);
    const consequence = unguarded.length === 0 ? 'it was in step at the last check' : `not guarded until this succeeds: ${unguarded.join('; ')}`;
    metrics.webhookSyncFailures.inc({ configuration: kind });
    logger.error(
      { configuration: kind, name, err: cause, maintenanceAnnotation: want.maintenanceAnnotation, unguarded, retryInMs },
      `could not keep ${kind} ${name} in step: ${cause}; ${consequence}; retrying in ${retryInMs} ms`,
    );
    events?.enqueue({
      namespace: EVENT_NAMESPACE,
      regarding: { apiVersion: 'admissionregistration.k8s.io/v1', kind, name },
      reason: 'WebhookSyncFailed',
      action: 'UpdateWebhookConfiguration',
      note: `cordon-guard could not update ${kind} ${name}: ${cause}; ${consequence}`,
      seriesKey: JSON.stringify([kind, name, 'WebhookSyncFailed']),
    });
  }
}
