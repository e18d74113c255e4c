// `serve --tls-secret NAMESPACE/NAME`: the serving certificate kept in Secret NAME and its CA in
// Secret NAME-ca, made, checked and renewed by cordon-guard itself, as Kyverno and Gatekeeper
// keep theirs. Every replica runs this; they agree through the API server alone:
// - a create that finds the Secret already there (another replica won) reads what won;
// - an update is conditional on the resourceVersion read; a conflict reads and judges again.
// The CA is renewed long before it expires, and the old one stays in the bundle (ca.crt, and
// the webhooks' caBundle) until it expires, so the certificates it signed keep verifying while
// the new one takes over: a serving certificate signed by any CA of the bundle is kept, and
// only new ones come from the newest CA.
import type { Logger } from '../observability/logger.ts';
import { errorMessage } from '../text/errors.ts';
import {
  authorityDue,
  authorityProblem,
  caBundle,
  canonicalSans,
  day,
  issueAuthority,
  issueServing,
  serviceDnsNames,
  servingRenewalReason,
  splitBundle,
} from './authority.ts';
import { certificateNotAfter, type PemKeyPair } from './certificates.ts';
import type { ServingCertificateSource } from './certificateSource.ts';

/** A Secret's data as text (the API server's base64 decoded), and the version it was read at. */
export interface StoredSecret {
  resourceVersion: string;
  data: Record<string, string>;
}

/** The Secrets of one namespace, by name: what src/kube/certificateSecrets.ts does with the API server. */
export interface SecretStore {
  /** undefined: there is no such Secret. */
  read(name: string): Promise<StoredSecret | undefined>;
  /** `exists`: another writer created it first. */
  create(name: string, data: Record<string, string>): Promise<StoredSecret | 'exists'>;
  /** Sets these keys if the Secret is still at resourceVersion; `conflict`: it changed (or went) since. */
  update(name: string, resourceVersion: string, data: Record<string, string>): Promise<StoredSecret | 'conflict'>;
}

/** The metrics this source keeps (src/observability/metrics.ts). */
interface CertificateMetrics {
  certificateSyncFailures: { inc(): void };
}

export interface Validity {
  caDays: number;
  /** Renew the CA when it has less than this left: long before the serving certificates it signed end. */
  caRenewBeforeDays: number;
  servingDays: number;
  servingRenewBeforeDays: number;
}

const DEFAULT_VALIDITY: Validity = { caDays: 3650, caRenewBeforeDays: 365, servingDays: 365, servingRenewBeforeDays: 30 };
/** Behind the Secrets' watch (src/kube/secretWatch.ts): with the watch broken, a certificate renewed by another replica is still served within 3 minutes. */
export const CHECK_INTERVAL_MS = 60_000;
const ROUNDS = 5;
const RETRY_START_MS = 1000;
const CA_COMMON_NAME = 'cordon-guard-ca';

export interface SecretSourceOptions {
  store: SecretStore;
  namespace: string;
  /** The serving Secret; the CA is in `${name}-ca`. */
  name: string;
  /** The Service whose names the serving certificate carries. */
  service: string;
  logger: Logger;
  metrics: CertificateMetrics;
  now?: () => Date;
  validity?: Validity;
  checkIntervalMs?: number;
}

/** The Secret that holds the CA of serving Secret `name`. */
export const caSecretName = (name: string): string => `${name}-ca`;

interface Authority {
  pair: PemKeyPair;
  bundle: string;
}

type Round<T> = T | 'again';

export class SecretCertificateSource implements ServingCertificateSource {
  readonly description: string;
  readonly #o: Required<SecretSourceOptions>;
  readonly #caName: string;
  readonly #listeners: Array<(pair: PemKeyPair) => void> = [];
  readonly #bundleListeners: Array<(bundle: string) => void> = [];
  #current: PemKeyPair | undefined;
  #bundle = '';
  #checking: Promise<boolean> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #retryMs = RETRY_START_MS;
  #stopped = false;
  #wakeStart: (() => void) | undefined;

  constructor(options: SecretSourceOptions) {
    this.#o = { now: () => new Date(), validity: DEFAULT_VALIDITY, checkIntervalMs: CHECK_INTERVAL_MS, ...options };
    this.#caName = caSecretName(options.name);
    this.description = `${options.namespace}/${options.name}`;
  }

  /** The pair to serve; only after load() resolved. */
  current(): PemKeyPair {
    if (this.#current === undefined) throw new Error(`no serving certificate from Secret ${this.description} yet: await load() first`);
    return this.#current;
  }

  /** The CA bundle (PEM) that verifies the serving certificate: what the webhooks' caBundle must be. */
  caBundle(): string {
    return this.#bundle;
  }

  /** Called with each new pair, after current() returns it. */
  onChange(listener: (pair: PemKeyPair) => void): void {
    this.#listeners.push(listener);
  }

  onBundleChange(listener: (bundle: string) => void): void {
    this.#bundleListeners.push(listener);
  }

  /**
   * Resolves once a pair is in hand (made or read), retrying with backoff while the API server
   * refuses or is away: without a certificate there is nothing to serve, so serve awaits this
   * before it builds the server.
   */
  async load(): Promise<void> {
    while (!this.#stopped && !(await this.check())) {
      await new Promise<void>((resolve) => {
        this.#wakeStart = resolve;
        this.#timer = setTimeout(resolve, this.#nextRetryMs());
      });
    }
  }

  /** Checks every checkIntervalMs from now on. */
  start(): void {
    this.#schedule(this.#o.checkIntervalMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#wakeStart?.();
    await this.#checking;
  }

  /** Reads the Secrets and renews what is due, now; false when that failed (logged). A call while one runs shares it. */
  check(): Promise<boolean> {
    this.#checking ??= this.#run().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.check().then((ok) => this.#schedule(ok ? this.#o.checkIntervalMs : this.#nextRetryMs())), delayMs);
    this.#timer.unref();
  }

  #nextRetryMs(): number {
    const delay = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, this.#o.checkIntervalMs);
    return delay;
  }

  /** One check; a failure is logged and counted, and the pair in use stays. */
  async #run(): Promise<boolean> {
    try {
      const { serving, bundle } = await this.#ensure();
      this.#retryMs = RETRY_START_MS;
      this.#offer(serving, bundle);
      return true;
    } catch (err) {
      this.#o.metrics.certificateSyncFailures.inc();
      const kept = this.#current === undefined ? 'no certificate yet, so not serving' : `still serving the current one (valid until ${day(certificateNotAfter(this.#current.certPem))})`;
      this.#o.logger.error(
        { secret: this.description, caSecret: `${this.#o.namespace}/${this.#caName}`, err: errorMessage(err) },
        `serving certificate from Secret ${this.description} not checked: ${errorMessage(err)}; ${kept}; retrying`,
      );
      return false;
    }
  }

  #offer(serving: PemKeyPair, bundle: string): void {
    const pairChanged = this.#current?.certPem !== serving.certPem || this.#current.keyPem !== serving.keyPem;
    const bundleChanged = bundle !== this.#bundle;
    this.#current = serving;
    this.#bundle = bundle;
    const notAfter = certificateNotAfter(serving.certPem);
    if (bundleChanged) for (const listener of this.#bundleListeners) listener(bundle);
    if (pairChanged) {
      for (const listener of this.#listeners) listener(serving);
      this.#o.logger.info({ secret: this.description, notAfter: notAfter.toISOString(), cas: splitBundle(bundle).length }, `serving the certificate from Secret ${this.description} (valid until ${day(notAfter)})`);
    }
  }

  async #ensure(): Promise<{ serving: PemKeyPair; bundle: string }> {
    for (let round = 0; round < ROUNDS; round++) {
      const now = this.#o.now();
      const authority = await this.#ensureAuthority(now);
      if (authority === 'again') continue;
      const serving = await this.#ensureServing(authority, now);
      if (serving === 'again') continue;
      return { serving, bundle: authority.bundle };
    }
    throw new Error(`Secrets ${this.description} and ${this.#caName} changed under each of ${ROUNDS} attempts to write them (other writers at work)`);
  }

  /** The CA in Secret NAME-ca: kept, its bundle tidied, renewed when due, or replaced when unusable. */
  async #ensureAuthority(now: Date): Promise<Round<Authority>> {
    const { store, validity, logger, namespace } = this.#o;
    const where = `${namespace}/${this.#caName}`;
    const found = await store.read(this.#caName);
    const pair = { certPem: found?.data['tls.crt'], keyPem: found?.data['tls.key'] };
    const previous = splitBundle(found?.data['ca.crt'] ?? '');
    const problem = found === undefined ? undefined : authorityProblem(pair);
    if (found !== undefined && problem === undefined && pair.certPem !== undefined && pair.keyPem !== undefined) {
      const usable = { certPem: pair.certPem, keyPem: pair.keyPem };
      if (!authorityDue(usable.certPem, validity.caRenewBeforeDays, now)) {
        const bundle = caBundle(usable.certPem, previous, now);
        if (bundle === found.data['ca.crt']) return { pair: usable, bundle };
        const written = await store.update(this.#caName, found.resourceVersion, { 'ca.crt': bundle });
        if (written === 'conflict') return 'again';
        logger.info({ secret: where, cas: splitBundle(bundle).length }, `CA bundle in Secret ${where} brought up to date (the CA first, expired CAs left out)`);
        return { pair: usable, bundle };
      }
    }
    const fresh = issueAuthority(CA_COMMON_NAME, validity.caDays, now);
    const kept = pair.certPem === undefined ? previous : [...splitBundle(pair.certPem), ...previous];
    const bundle = caBundle(fresh.certPem, kept, now);
    const data = { 'tls.crt': fresh.certPem, 'tls.key': fresh.keyPem, 'ca.crt': bundle };
    const written = found === undefined ? await store.create(this.#caName, data) : await store.update(this.#caName, found.resourceVersion, data);
    if (written === 'exists' || written === 'conflict') return 'again';
    const until = day(certificateNotAfter(fresh.certPem));
    if (found === undefined) logger.info({ secret: where, notAfter: until }, `created a CA in Secret ${where} (valid until ${until})`);
    else if (problem !== undefined) logger.warn({ secret: where, problem, notAfter: until }, `the CA in Secret ${where} is unusable (${problem}); replaced it with a new CA (valid until ${until})`);
    else
      logger.info(
        { secret: where, notAfter: until, cas: splitBundle(bundle).length },
        `renewed the CA in Secret ${where} (valid until ${until}); the previous CA stays in the bundle until it expires`,
      );
    return { pair: fresh, bundle };
  }

  /** The serving pair in Secret NAME: kept while a CA of the bundle verifies it and it is not due, else issued by the CA. */
  async #ensureServing(authority: Authority, now: Date): Promise<Round<PemKeyPair>> {
    const { store, validity, logger, namespace, service } = this.#o;
    const where = this.description;
    const names = canonicalSans({ dnsNames: serviceDnsNames(service, namespace), ipAddresses: [] });
    const found = await store.read(this.#o.name);
    const serving = { certPem: found?.data['tls.crt'], keyPem: found?.data['tls.key'] };
    const reason = servingRenewalReason({ serving, authorities: splitBundle(authority.bundle), names, renewBeforeDays: validity.servingRenewBeforeDays, now });
    if (found !== undefined && reason === undefined && serving.certPem !== undefined && serving.keyPem !== undefined) {
      const kept = { certPem: serving.certPem, keyPem: serving.keyPem };
      if (found.data['ca.crt'] === authority.bundle) return kept;
      // ca.crt is for clients that read the Secret; the pair itself is good.
      const written = await store.update(this.#o.name, found.resourceVersion, { 'ca.crt': authority.bundle });
      return written === 'conflict' ? 'again' : kept;
    }
    const issued = issueServing(authority.pair, { commonName: `${service}.${namespace}.svc`, names, validityDays: validity.servingDays }, now);
    const data = { 'tls.crt': issued.pair.certPem, 'tls.key': issued.pair.keyPem, 'ca.crt': authority.bundle };
    const written = found === undefined ? await store.create(this.#o.name, data) : await store.update(this.#o.name, found.resourceVersion, data);
    if (written === 'exists' || written === 'conflict') return 'again';
    const why = reason?.text ?? 'there was none';
    const until = day(certificateNotAfter(issued.pair.certPem));
    const fields = { secret: where, reason: why, notAfter: until, dnsNames: names.dnsNames };
    const message = `issued a serving certificate into Secret ${where} because ${why} (valid until ${until}${issued.capped ? ", capped at the CA's expiry" : ''})`;
    if (reason?.broken === true) logger.warn(fields, `the serving certificate in Secret ${where} is unusable; ${message}`);
    else logger.info(fields, message);
    return issued.pair;
  }
}
