import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { certificateSecrets } from '../kube/certificateSecrets.ts';
import { createLogger } from '../observability/logger.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import { FakeKube } from '../../testkit/fakeKube.ts';
import { LogCapture } from '../../testkit/logCapture.ts';
import { DAY_MS, bundleVerifies, splitBundle } from './authority.ts';
import type { PemKeyPair } from './certificates.ts';
import { CHECK_INTERVAL_MS, SecretCertificateSource, type Validity } from './secretSource.ts';

const T0 = new Date('2030-03-01T12:00:00Z');
const SECRETS = '/api/v1/namespaces/cordon-guard/secrets';
const SERVING = `${SECRETS}/cordon-guard-tls`;
const CA = `${SECRETS}/cordon-guard-tls-ca`;
const pem = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const text = (value: unknown): string => Buffer.from(String(value), 'base64').toString('utf8');

interface Replica {
  source: SecretCertificateSource;
  logs: LogCapture;
  metrics: Metrics;
  clock: { now: Date };
  changes: PemKeyPair[];
  bundles: string[];
}

function replica(api: FakeKube, validity?: Validity, now = T0): Replica {
  const logs = new LogCapture();
  const metrics = createMetrics({ defaultMetrics: false });
  const clock = { now };
  const source = new SecretCertificateSource({
    store: certificateSecrets(api, 'cordon-guard'),
    namespace: 'cordon-guard',
    name: 'cordon-guard-tls',
    service: 'cordon-guard',
    logger: createLogger('debug', logs),
    metrics,
    now: () => clock.now,
    ...(validity === undefined ? {} : { validity }),
  });
  const changes: PemKeyPair[] = [];
  const bundles: string[] = [];
  source.onChange((pair) => changes.push(pair));
  source.onBundleChange((bundle) => bundles.push(bundle));
  return { source, logs, metrics, clock, changes, bundles };
}

/** The data of a stored Secret, decoded. */
function secretData(api: FakeKube, path: string): Record<string, string> {
  const secret = api.get(path);
  assert.ok(secret !== undefined, `${path} exists`);
  return Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, text(v)]));
}

/** As serve runs it: the first pair, then the periodic checks. */
async function startedSource(source: SecretCertificateSource): Promise<void> {
  await source.load();
  source.start();
}

const counter = async (metric: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> => (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);

describe('the Secret-backed certificate source (serve --tls-secret)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('on a fresh start creates the CA in NAME-ca and a serving pair for the four Service names in NAME, and serves it', async () => {
    const api = new FakeKube();
    const r = replica(api);
    await startedSource(r.source);
    const ca = secretData(api, CA);
    const serving = secretData(api, SERVING);
    assert.deepEqual(Object.keys(ca).sort(), ['ca.crt', 'tls.crt', 'tls.key']);
    assert.deepEqual(Object.keys(serving).sort(), ['ca.crt', 'tls.crt', 'tls.key']);
    assert.equal(api.get(SERVING)?.type, 'kubernetes.io/tls');
    assert.equal(new X509Certificate(ca['tls.crt'] ?? '').ca, true);
    assert.deepEqual(r.source.current(), { certPem: serving['tls.crt'], keyPem: serving['tls.key'] });
    assert.equal(serving['ca.crt'], r.source.caBundle());
    assert.ok(bundleVerifies(r.source.caBundle(), r.source.current().certPem));
    const cert = new X509Certificate(r.source.current().certPem);
    assert.equal(cert.subjectAltName, 'DNS:cordon-guard, DNS:cordon-guard.cordon-guard, DNS:cordon-guard.cordon-guard.svc, DNS:cordon-guard.cordon-guard.svc.cluster.local');
    assert.equal(cert.validToDate.getTime(), T0.getTime() + 365 * DAY_MS);
    assert.deepEqual(r.logs.lines.map((l) => [l.level, l.msg.replace(/\d{4}-\d\d-\d\d/g, 'DATE')]), [
      ['info', 'created a CA in Secret cordon-guard/cordon-guard-tls-ca (valid until DATE)'],
      ['info', 'issued a serving certificate into Secret cordon-guard/cordon-guard-tls because there was none (valid until DATE)'],
      ['info', 'serving the certificate from Secret cordon-guard/cordon-guard-tls (valid until DATE)'],
    ]);
    await r.source.stop();
  });

  it('two replicas starting at once end up serving one pair from one CA: the first create wins, the other reads what won', async () => {
    const api = new FakeKube();
    const [a, b] = [replica(api), replica(api)];
    await Promise.all([startedSource(a.source), startedSource(b.source)]);
    assert.deepEqual(a.source.current(), b.source.current());
    assert.equal(a.source.caBundle(), b.source.caBundle());
    assert.equal(splitBundle(a.source.caBundle()).length, 1, 'one CA');
    assert.equal(secretData(api, CA)['ca.crt'], a.source.caBundle());
    // Both read that there was no CA before either wrote, so both tried to create it; one create was refused.
    assert.deepEqual(api.calls.slice(0, 2), [`GET ${CA}`, `GET ${CA}`]);
    assert.ok(api.calls.filter((c) => c === `POST ${SECRETS}`).length >= 3);
    const created = [...a.logs.lines, ...b.logs.lines].filter((l) => /^(created a CA|issued a serving)/.test(l.msg));
    assert.equal(created.length, 2, created.map((l) => l.msg).join('\n'));
    await Promise.all([a.source.stop(), b.source.stop()]);
  });

  it('a serving certificate entering its renewal window is renewed by the same CA at the next check, and served', async () => {
    const api = new FakeKube();
    const r = replica(api);
    await startedSource(r.source);
    const first = r.source.current();
    r.clock.now = new Date(T0.getTime() + 340 * DAY_MS); // 25 days left
    mock.timers.tick(CHECK_INTERVAL_MS);
    await r.source.check();
    assert.notEqual(r.source.current().certPem, first.certPem);
    assert.deepEqual(r.changes.at(-1), r.source.current());
    assert.equal(splitBundle(r.source.caBundle()).length, 1, 'the same CA');
    assert.ok(bundleVerifies(r.source.caBundle(), r.source.current().certPem));
    assert.ok(r.logs.find((l) => /issued a serving certificate .* because it expires 2031-03-01, within 30 days/.test(l.msg)));
    await r.source.stop();
  });

  it("another replica's renewal is served at the next check, without renewing again", async () => {
    const api = new FakeKube();
    const [a, b] = [replica(api), replica(api)];
    await startedSource(a.source);
    await startedSource(b.source);
    b.clock.now = new Date(T0.getTime() + 340 * DAY_MS);
    await b.source.check();
    const renewed = b.source.current();
    assert.notDeepEqual(renewed, a.source.current());
    mock.timers.tick(CHECK_INTERVAL_MS);
    await a.source.check();
    assert.deepEqual(a.source.current(), renewed);
    assert.deepEqual(a.changes.at(-1), renewed);
    assert.equal(a.logs.lines.filter((l) => /^issued/.test(l.msg)).length, 1, 'a issued only the first pair');
    await Promise.all([a.source.stop(), b.source.stop()]);
  });

  it('a Secret holding garbage is replaced, and that is logged as a warning naming what was wrong', async () => {
    const api = new FakeKube();
    await startedSource(replica(api).source);
    for (const path of [SERVING, CA]) {
      const secret = api.get(path);
      assert.ok(secret !== undefined);
      api.put(path, { ...secret, data: { 'tls.crt': pem('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n'), 'tls.key': pem('garbage') } });
    }
    const r = replica(api);
    await startedSource(r.source);
    const warnings = r.logs.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings[0] ?? '', /^the CA in Secret cordon-guard\/cordon-guard-tls-ca is unusable \(its CA certificate is not a readable PEM certificate\); replaced it with a new CA/);
    assert.match(warnings[1] ?? '', /^the serving certificate in Secret cordon-guard\/cordon-guard-tls is unusable; issued .* because tls.crt is not a readable certificate/);
    assert.ok(bundleVerifies(r.source.caBundle(), r.source.current().certPem));
    assert.deepEqual(secretData(api, SERVING)['tls.crt'], r.source.current().certPem);
    await r.source.stop();
  });

  it('a serving certificate for other names is issued again', async () => {
    const api = new FakeKube();
    await startedSource(replica(api).source);
    const other = new SecretCertificateSource({
      store: certificateSecrets(api, 'cordon-guard'),
      namespace: 'cordon-guard',
      name: 'cordon-guard-tls',
      service: 'guard',
      logger: createLogger('silent'),
      metrics: createMetrics({ defaultMetrics: false }),
      now: () => T0,
    });
    await startedSource(other);
    assert.match(new X509Certificate(other.current().certPem).subjectAltName ?? '', /^DNS:guard, DNS:guard.cordon-guard,/);
    await other.stop();
  });

  it('renews the CA long before it expires, keeps the old one in the bundle while certificates it signed live, then drops it', async () => {
    const api = new FakeKube();
    const validity: Validity = { caDays: 400, caRenewBeforeDays: 100, servingDays: 365, servingRenewBeforeDays: 30 };
    const r = replica(api, validity);
    await startedSource(r.source);
    const firstPair = r.source.current();
    const [oldCa] = splitBundle(r.source.caBundle());
    assert.ok(oldCa !== undefined);

    r.clock.now = new Date(T0.getTime() + 310 * DAY_MS); // CA: 90 days left; serving: 55
    await r.source.check();
    const bundle = splitBundle(r.source.caBundle());
    assert.equal(bundle.length, 2);
    assert.equal(bundle[1], oldCa, 'the new CA first, the old one after it');
    assert.deepEqual(r.source.current(), firstPair, 'the serving pair signed by the old CA is kept');
    assert.deepEqual(r.bundles.at(-1), r.source.caBundle());
    assert.ok(r.logs.find((l) => /^renewed the CA in Secret .*; the previous CA stays in the bundle until it expires$/.test(l.msg)));

    r.clock.now = new Date(T0.getTime() + 340 * DAY_MS); // serving: 25 days left
    await r.source.check();
    const newCa = new X509Certificate(bundle[0] ?? '');
    assert.ok(new X509Certificate(r.source.current().certPem).checkIssued(newCa), 'renewed by the new CA');

    r.clock.now = new Date(T0.getTime() + 401 * DAY_MS); // the old CA has expired
    await r.source.check();
    assert.deepEqual(splitBundle(r.source.caBundle()), [bundle[0]]);
    assert.equal(secretData(api, SERVING)['ca.crt'], r.source.caBundle());
    await r.source.stop();
  });

  it('keeps trying while the API server refuses, logging each failure at error and counting it, and starts once it answers', async () => {
    const api = new FakeKube();
    let refusals = 2;
    api.intercept = () => (refusals-- > 0 ? { status: 403, body: { kind: 'Status', message: 'secrets "cordon-guard-tls-ca" is forbidden' } } : undefined);
    const r = replica(api);
    let started = false;
    const starting = startedSource(r.source).then(() => (started = true));
    for (let i = 0; i < 10 && !started; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      mock.timers.tick(2000);
    }
    await starting;
    const errors = r.logs.lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 2);
    assert.equal(
      errors[0]?.msg,
      'serving certificate from Secret cordon-guard/cordon-guard-tls not checked: get Secret cordon-guard/cordon-guard-tls-ca: HTTP 403: secrets "cordon-guard-tls-ca" is forbidden; no certificate yet, so not serving; retrying',
    );
    assert.equal(await counter(r.metrics.certificateSyncFailures), 2);
    assert.ok(bundleVerifies(r.source.caBundle(), r.source.current().certPem));
    await r.source.stop();
  });

  it('gives up a check, keeping the pair in use, when every conditional update meets a conflict', async () => {
    const api = new FakeKube();
    const r = replica(api);
    await startedSource(r.source);
    const before = r.source.current();
    r.clock.now = new Date(T0.getTime() + 340 * DAY_MS);
    api.intercept = (method) => (method === 'PATCH' ? { status: 409, body: { kind: 'Status', message: 'the object has been modified' } } : undefined);
    assert.equal(await r.source.check(), false);
    assert.deepEqual(r.source.current(), before);
    assert.match(r.logs.lines.at(-1)?.msg ?? '', /changed under each of 5 attempts to write them .*; still serving the current one \(valid until 2031-03-01\); retrying$/);
    await r.source.stop();
  });
});
