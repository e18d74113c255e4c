import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { createLogger } from '../observability/logger.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import { createCertificateAuthority, issueServingCertificate } from '../tls/certificates.ts';
import { mutatingExpression, validatingExpression } from '../webhooks/matchConditions.ts';
import { FakeKube } from '../../testkit/fakeKube.ts';
import { LogCapture } from '../../testkit/logCapture.ts';
import { mutating, validating } from '../../testkit/manifests.ts';
import type { EventDraft } from './eventRecorder.ts';
import { RESYNC_MS, WebhookConfigurationSync } from './webhookConfigurations.ts';

const VALIDATING = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/cordon-guard';
const MUTATING = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/cordon-guard';
const DEFAULT_KEY = 'cordon-guard.io/maintenance';
const NEW_KEY = 'example.com/maintenance';

const CA = createCertificateAuthority('test CA', 30);
const SERVING = issueServingCertificate(CA, { commonName: 'cordon-guard.cordon-guard.svc', dnsNames: ['cordon-guard.cordon-guard.svc'], ipAddresses: [], validityDays: 30 });
const OTHER_CA = createCertificateAuthority('another CA', 30);
const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

type Obj = Record<string, unknown>;
interface Webhook {
  name: string;
  clientConfig: { caBundle?: string; service?: unknown };
  matchConditions: { name: string; expression: string }[];
  failurePolicy: string;
}
const webhooksOf = (api: FakeKube, path: string): Webhook[] => (api.get(path)?.webhooks ?? []) as Webhook[];

interface Setup {
  api: FakeKube;
  sync: WebhookConfigurationSync;
  logs: LogCapture;
  metrics: Metrics;
  events: EventDraft[];
}

/** An API server holding the two configurations of manifests/base, as applied (no caBundle). */
function setup(): Setup {
  const api = new FakeKube();
  api.put(VALIDATING, structuredClone(validating().configuration));
  api.put(MUTATING, structuredClone(mutating().configuration));
  const logs = new LogCapture();
  const metrics = createMetrics({ defaultMetrics: false });
  const events: EventDraft[] = [];
  const sync = new WebhookConfigurationSync({ rest: api, name: 'cordon-guard', maintenanceAnnotation: DEFAULT_KEY, logger: createLogger('debug', logs), metrics, events: { enqueue: (e) => events.push(e) } });
  return { api, sync, logs, metrics, events };
}

const failures = async (metrics: Metrics, configuration: string): Promise<number> =>
  (await metrics.webhookSyncFailures.get()).values.find((v) => v.labels.configuration === configuration)?.value ?? 0;

/** The object with the parts serve manages blanked, to compare what it must leave alone. */
function unmanaged(object: Obj | undefined): unknown {
  const copy = structuredClone(object ?? {});
  delete (copy.metadata as Obj).resourceVersion;
  for (const w of copy.webhooks as Webhook[]) {
    delete w.clientConfig.caBundle;
    for (const c of w.matchConditions) c.expression = '';
  }
  return copy;
}

describe("serve's own webhook configurations", () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('gets the CA bundle into every webhook of both configurations, changes nothing else, and is ready only then', async () => {
    const { api, sync, logs } = setup();
    const before = [api.get(VALIDATING), api.get(MUTATING)];
    sync.setCaBundle(CA.certPem);
    assert.equal(sync.notReadyBecause(SERVING.certPem), 'ValidatingWebhookConfiguration cordon-guard not read yet');
    sync.start();
    assert.equal(await sync.sync(), true);
    for (const path of [VALIDATING, MUTATING]) for (const w of webhooksOf(api, path)) assert.equal(w.clientConfig.caBundle, base64(CA.certPem), w.name);
    assert.deepEqual([api.get(VALIDATING), api.get(MUTATING)].map(unmanaged), before.map(unmanaged));
    assert.equal(sync.notReadyBecause(SERVING.certPem), undefined);
    const other = issueServingCertificate(OTHER_CA, { commonName: 'x', dnsNames: ['x'], ipAddresses: [], validityDays: 1 });
    assert.equal(sync.notReadyBecause(other.certPem), 'the caBundle of ValidatingWebhookConfiguration cordon-guard does not verify the serving certificate yet');
    assert.deepEqual(
      logs.lines.map((l) => l.msg),
      ['updated ValidatingWebhookConfiguration cordon-guard: caBundle of uncordon.cordon-guard.io', 'updated MutatingWebhookConfiguration cordon-guard: caBundle of cordon-owner.cordon-guard.io'],
    );
    await sync.stop();
  });

  it('writes nothing when both are in step already', async () => {
    const { api, sync } = setup();
    sync.start();
    await sync.sync();
    assert.deepEqual(api.calls.filter((c) => !c.startsWith('GET')), [], 'the manifests already name the default key');
    await sync.stop();
  });

  it('repairs a caBundle changed behind its back at the next check, a minute later', async () => {
    const { api, sync, logs } = setup();
    sync.setCaBundle(CA.certPem);
    sync.start();
    await sync.sync();
    const drifted = api.get(MUTATING);
    assert.ok(drifted !== undefined);
    (drifted.webhooks as Webhook[])[0]!.clientConfig.caBundle = base64(OTHER_CA.certPem);
    api.put(MUTATING, drifted);
    assert.match(sync.notReadyBecause(SERVING.certPem) ?? 'ready', /ready/, 'what it saw last is still the good CA');
    mock.timers.tick(RESYNC_MS - 1);
    assert.equal(api.calls.length, 4, 'no check before the minute is up');
    mock.timers.tick(1);
    await sync.sync();
    assert.equal(webhooksOf(api, MUTATING)[0]?.clientConfig.caBundle, base64(CA.certPem));
    assert.equal(logs.lines.at(-1)?.msg, 'updated MutatingWebhookConfiguration cordon-guard: caBundle of cordon-owner.cordon-guard.io');
    await sync.stop();
  });

  it('follows a change of the maintenance key: both matchConditions name the new key, made by src/webhooks/matchConditions.ts', async () => {
    const { api, sync, logs } = setup();
    sync.start();
    await sync.sync();
    const before = [api.get(VALIDATING), api.get(MUTATING)];
    sync.setMaintenanceAnnotation(NEW_KEY);
    await sync.sync();
    assert.equal(webhooksOf(api, VALIDATING)[0]?.matchConditions[0]?.expression, validatingExpression(NEW_KEY));
    assert.equal(webhooksOf(api, MUTATING)[0]?.matchConditions[0]?.expression, mutatingExpression(NEW_KEY));
    assert.deepEqual([api.get(VALIDATING), api.get(MUTATING)].map(unmanaged), before.map(unmanaged));
    assert.deepEqual(logs.lines.map((l) => l.msg), [
      "maintenance annotation is now example.com/maintenance: updating the webhook configurations' matchConditions",
      'updated ValidatingWebhookConfiguration cordon-guard: matchCondition uncordon-or-maintenance-annotation-removal-or-stamp-change of uncordon.cordon-guard.io',
      'updated MutatingWebhookConfiguration cordon-guard: matchCondition cordon-or-uncordon-or-annotation-removal-or-stamp-change of cordon-owner.cordon-guard.io',
    ]);
    await sync.stop();
  });

  it('reads again and retries when a write meets a conflict (another replica wrote first)', async () => {
    const { api, sync } = setup();
    let conflicts = 1;
    api.intercept = (method) => (method === 'PUT' && conflicts-- > 0 ? { status: 409, body: { kind: 'Status', message: 'the object has been modified' } } : undefined);
    sync.setMaintenanceAnnotation(NEW_KEY);
    sync.start();
    assert.equal(await sync.sync(), true);
    assert.deepEqual(api.calls.slice(0, 4), [`GET ${VALIDATING}`, `PUT ${VALIDATING}`, `GET ${VALIDATING}`, `PUT ${VALIDATING}`]);
    assert.equal(webhooksOf(api, VALIDATING)[0]?.matchConditions[0]?.expression, validatingExpression(NEW_KEY));
    await sync.stop();
  });

  it('is loud when it cannot follow the key: an error line saying what is not guarded, a metric, a Warning Event, then retries with backoff until it can', async () => {
    const { api, sync, logs, metrics, events } = setup();
    sync.start();
    await sync.sync();
    let forbidden = true;
    api.intercept = (method, path) =>
      forbidden && method === 'PUT' && path === VALIDATING
        ? { status: 403, body: { kind: 'Status', message: 'validatingwebhookconfigurations.admissionregistration.k8s.io "cordon-guard" is forbidden' } }
        : undefined;
    sync.setMaintenanceAnnotation(NEW_KEY);
    assert.equal(await sync.sync(), false);
    const errors = logs.lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 1);
    assert.equal(
      errors[0]?.msg,
      'could not keep ValidatingWebhookConfiguration cordon-guard in step: update ValidatingWebhookConfiguration cordon-guard: HTTP 403: validatingwebhookconfigurations.admissionregistration.k8s.io "cordon-guard" is forbidden; ' +
        'not guarded until this succeeds: removals of the maintenance annotation example.com/maintenance may not be sent to cordon-guard (its matchConditions may name another key), so guardAnnotationRemoval may not hold for it; retrying in 1000 ms',
    );
    assert.deepEqual([errors[0]?.configuration, errors[0]?.maintenanceAnnotation, errors[0]?.retryInMs], ['ValidatingWebhookConfiguration', NEW_KEY, 1000]);
    assert.equal(await failures(metrics, 'ValidatingWebhookConfiguration'), 1);
    assert.equal(await failures(metrics, 'MutatingWebhookConfiguration'), 0);
    assert.deepEqual(
      events.map((e) => [e.reason, e.regarding.kind, e.regarding.name, e.namespace]),
      [['WebhookSyncFailed', 'ValidatingWebhookConfiguration', 'cordon-guard', 'default']],
    );
    assert.equal(webhooksOf(api, MUTATING)[0]?.matchConditions[0]?.expression, mutatingExpression(NEW_KEY), 'the other one was updated');

    // Still refused at the first retry (1 s), then allowed: it succeeds at the second (2 s later).
    mock.timers.tick(1000);
    assert.equal(await sync.sync(), false);
    assert.equal(logs.lines.filter((l) => l.level === 'error').at(-1)?.retryInMs, 2000);
    forbidden = false;
    mock.timers.tick(2000);
    assert.equal(await sync.sync(), true);
    assert.equal(webhooksOf(api, VALIDATING)[0]?.matchConditions[0]?.expression, validatingExpression(NEW_KEY));
    assert.equal(await failures(metrics, 'ValidatingWebhookConfiguration'), 2);
    await sync.stop();
  });

  it('is loud when a configuration does not exist, naming the caBundle it cannot write', async () => {
    const { api, sync, logs, metrics } = setup();
    api.objects.delete(VALIDATING);
    sync.setCaBundle(CA.certPem);
    sync.start();
    assert.equal(await sync.sync(), false);
    const error = logs.lines.find((l) => l.level === 'error');
    assert.match(error?.msg ?? '', /^could not keep ValidatingWebhookConfiguration cordon-guard in step: ValidatingWebhookConfiguration cordon-guard does not exist; not guarded until this succeeds: .*the API server may not trust cordon-guard's serving certificate, and then refuses uncordons/);
    assert.equal(await failures(metrics, 'ValidatingWebhookConfiguration'), 1);
    assert.equal(sync.notReadyBecause(SERVING.certPem), 'ValidatingWebhookConfiguration cordon-guard not read yet');
    await sync.stop();
  });
});
