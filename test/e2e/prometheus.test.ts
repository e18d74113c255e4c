// A real Prometheus (Debian's 2.42, `make promtool` unpacks it) scraping cordon-guard in front of
// the real API server, with the shipped alerting rules loaded (their `for:` shortened) and the
// shipped ServiceMonitor's relabelings in its scrape configuration, and with the target labels the
// Prometheus operator adds (among them its own `endpoint`): the alerts fire and resolve as the
// runbooks say, read from Prometheus' /api/v1/alerts.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import type { ServeProcess } from '../../testkit/serveProcess.ts';
import { waitFor } from '../../testkit/wait.ts';
import { startControlPlane, type ControlPlane } from '../../testkit/e2e/controlPlane.ts';
import { createNode, makeCertificates, registerWebhooks, startCordonGuard, type Certificates } from '../../testkit/e2e/cordonGuard.ts';
import { assertUncordonRefused } from '../../testkit/e2e/assertions.ts';
import { installIdentityAndPolicy, serviceAccountKubeconfig } from '../../testkit/e2e/inCluster.ts';
import { freePort, startLogged, stopProcess } from '../../testkit/e2e/process.ts';
import { COMPONENT_DIR, JOB, RULES_FILE, prometheusBinary } from '../../testkit/monitoring.ts';

const REPO = new URL('../../', import.meta.url).pathname;

const KEY = 'cordon-guard.io/maintenance';
const UPGRADER = 'system:serviceaccount:system-upgrade:system-upgrade';
/** The shortened `for:` of every rule: the alerts' logic, not their patience, is under test. */
const FOR = '3s';
const POD = 'cordon-guard-5d8c7b9f4-e2e00';

interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
}

/** A Prometheus relabel config from the operator's camelCase form (sourceLabels -> source_labels). */
function snakeCase(relabeling: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(relabeling).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]));
}

describe('a real Prometheus with the shipped rules, scraping cordon-guard in front of the API server', { timeout: 600_000 }, () => {
  let cp: ControlPlane;
  let guard: ServeProcess;
  let certs: Certificates;
  let prometheus: ChildProcess;
  let api: string;

  async function get<T>(path: string): Promise<T> {
    const response = await fetch(`${api}${path}`);
    const body = (await response.json()) as { status: string; data: T };
    assert.equal(body.status, 'success', `${path}: ${JSON.stringify(body)}`);
    return body.data;
  }
  const alerts = async (name: string): Promise<Alert[]> => (await get<{ alerts: Alert[] }>('/api/v1/alerts')).alerts.filter((a) => a.labels.alertname === name);
  const query = async (promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> =>
    (await get<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(promql)}`)).result;
  const lastEvaluation = async (): Promise<number> => Date.parse((await get<{ groups: { lastEvaluation: string }[] }>('/api/v1/rules')).groups[0]!.lastEvaluation);
  /** Resolves once the rules were evaluated after `since` (ms). */
  const evaluatedAfter = (since: number): Promise<true> => waitFor('a rule evaluation', async () => ((await lastEvaluation()) > since ? true : undefined), 30_000, 100);
  const firing = (name: string, match: (a: Alert) => boolean = () => true): Promise<Alert> =>
    waitFor(`${name} firing`, async () => (await alerts(name)).find((a) => a.state === 'firing' && match(a)), 60_000, 100);

  function setPolicy(text: string): void {
    cp.kubectlOk(['-n', 'cordon-guard', 'patch', 'configmap', 'cordon-guard-policy', '--type=merge', '-p', JSON.stringify({ data: { 'policy.yaml': text } })]);
  }

  before(async () => {
    cp = await startControlPlane();
    installIdentityAndPolicy(cp);
    certs = makeCertificates(join(cp.dir, 'certs'));
    guard = await startCordonGuard(certs, ['--policy-configmap', 'cordon-guard/cordon-guard-policy', '--kubeconfig', serviceAccountKubeconfig(cp)]);
    await waitFor('readiness', async () => ((await fetch(`http://127.0.0.1:${guard.metricsPort}/readyz`)).status === 200 ? true : undefined), 15_000);
    await registerWebhooks(cp, guard.port, certs.caPem);

    // The shipped rules, `for:` shortened; the ServiceMonitor's relabelings; the target labels
    // the operator gives a pod behind the Service's `metrics` port.
    const dir = join(cp.dir, 'prometheus');
    mkdirSync(dir);
    const rules = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: { for?: string }[] }[] };
    for (const rule of rules.groups.flatMap((g) => g.rules)) if (rule.for !== undefined) rule.for = FOR;
    writeFileSync(join(dir, 'rules.yaml'), JSON.stringify(rules));
    const monitor = parse(readFileSync(join(COMPONENT_DIR, 'servicemonitor.yaml'), 'utf8')) as { spec: { endpoints: { port: string; path: string; relabelings: Record<string, unknown>[]; metricRelabelings: Record<string, unknown>[] }[] } };
    const [endpoint] = monitor.spec.endpoints;
    assert.ok(endpoint !== undefined);
    writeFileSync(
      join(dir, 'prometheus.yaml'),
      JSON.stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [join(dir, 'rules.yaml')],
        scrape_configs: [
          {
            job_name: 'serviceMonitor/cordon-guard/cordon-guard/0',
            metrics_path: endpoint.path,
            static_configs: [{ targets: [`127.0.0.1:${guard.metricsPort}`], labels: { namespace: 'cordon-guard', service: 'cordon-guard', pod: POD, container: 'cordon-guard', endpoint: endpoint.port } }],
            relabel_configs: endpoint.relabelings.map(snakeCase),
            metric_relabel_configs: endpoint.metricRelabelings.map(snakeCase),
          },
        ],
      }),
    );
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    prometheus = startLogged(prometheusBinary('prometheus'), [
      `--config.file=${join(dir, 'prometheus.yaml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ], join(dir, 'prometheus.log'));
    await waitFor('Prometheus ready', async () => {
      if (prometheus.exitCode !== null) throw new Error(`prometheus exited: ${readFileSync(join(dir, 'prometheus.log'), 'utf8').slice(-3000)}`);
      return (await fetch(`${api}/-/ready`).catch(() => undefined))?.status === 200 ? true : undefined;
    }, 60_000, 200);
    await waitFor('cordon-guard up in Prometheus', async () => ((await query(`up{job="${JOB}"} == 1`)).length === 1 ? true : undefined), 30_000, 200);
  });

  after(async () => {
    if (prometheus !== undefined) await stopProcess(prometheus);
    await guard?.stop();
    await cp?.stop();
  });

  it('stores the series as the rules read them: job cordon-guard, cordon-guard\'s own endpoint label, no exported_endpoint', async () => {
    assert.deepEqual((await query(`up{job="${JOB}"}`)).map((s) => [s.metric.endpoint, s.metric.pod, s.value[1]]), [['metrics', POD, '1']]);
    const validate = await waitFor('a /validate duration series', async () => {
      const series = await query(`cordon_guard_admission_duration_seconds_count{job="${JOB}", endpoint="/validate"}`);
      return series.length > 0 ? series : undefined;
    }, 30_000, 200);
    assert.equal(validate[0]?.metric.pod, POD);
    assert.deepEqual(await query('count({exported_endpoint!=""})'), []);
  });

  it('CordonGuardUncordonRefused fires at the system-upgrade-controller\'s third refusal, naming it, and not at its second', async () => {
    createNode(cp, 'node-upgrade', { cordoned: true, annotations: { [KEY]: 'kernel upgrade, OPS-20' } });
    for (let i = 1; i <= 2; i += 1) assertUncordonRefused(cp.kubectl(['uncordon', 'node-upgrade'], { as: 'upgrader' }), 'node-upgrade', 'cordon-guard denied');
    const requester = `requester="${UPGRADER}"`;
    await waitFor('two refusals scraped', async () => ((await query(`sum(cordon_guard_violations_total{${requester}})`))[0]?.value[1] === '2' ? true : undefined), 30_000, 100);
    await evaluatedAfter(Date.now());
    assert.deepEqual(await alerts('CordonGuardUncordonRefused').then((a) => a.filter((x) => x.labels.requester === UPGRADER)), []);

    assertUncordonRefused(cp.kubectl(['uncordon', 'node-upgrade'], { as: 'upgrader' }), 'node-upgrade', 'cordon-guard denied');
    const third = Date.now();
    const alert = await firing('CordonGuardUncordonRefused', (a) => a.labels.requester === UPGRADER);
    const elapsed = Date.now() - third;
    console.log(`# CordonGuardUncordonRefused firing ${elapsed} ms after the third refusal (scrape and evaluation every 1 s)`);
    assert.equal(alert.labels.reason, 'maintenance-active');
    assert.equal(alert.labels.severity, 'warning');
    assert.match(alert.annotations.summary ?? '', new RegExp(`^${UPGRADER} tried 3 times in 10 minutes to uncordon nodes under maintenance \\(maintenance-active\\)`));
    assert.equal(alert.annotations.runbook_url, 'docs/runbooks.md#cordonguarduncordonrefused');
  });

  it('CordonGuardPolicyRejected fires after a broken ConfigMap edit and resolves after the fix', async () => {
    assert.deepEqual(await alerts('CordonGuardPolicyRejected'), []);
    const broken = Date.now();
    setPolicy('mode: block\n');
    const alert = await firing('CordonGuardPolicyRejected');
    console.log(`# CordonGuardPolicyRejected firing ${Date.now() - broken} ms after the broken edit (for: ${FOR})`);
    assert.equal(alert.labels.pod, POD);
    assert.equal(alert.labels.job, JOB);
    setPolicy('mode: enforce\n');
    const fixed = Date.now();
    await waitFor('CordonGuardPolicyRejected resolved', async () => ((await alerts('CordonGuardPolicyRejected')).length === 0 ? true : undefined), 60_000, 100);
    console.log(`# CordonGuardPolicyRejected resolved ${Date.now() - fixed} ms after the fix`);
    assert.deepEqual((await query(`cordon_guard_policy_valid{job="${JOB}"}`)).map((s) => s.value[1]), ['1']);
  });

  it('exports the serving certificate\'s notAfter, follows a rotation, and CordonGuardCertificateExpiring fires for a certificate of 3 days', async () => {
    const notAfter = (): number => new X509Certificate(readFileSync(certs.certFile)).validToDate.getTime() / 1000;
    const expiry = async (): Promise<number | undefined> => {
      const value = (await query(`cordon_guard_certificate_expiry_timestamp_seconds{job="${JOB}"}`))[0]?.value[1];
      return value === undefined ? undefined : Number(value);
    };
    assert.equal(await waitFor('the expiry series', expiry, 30_000, 100), notAfter());
    assert.deepEqual(await alerts('CordonGuardCertificateExpiring'), []);
    makeCertificates(certs.dir, ['--dns', 'rotated.cordon-guard.test', '--validity-days', '3', '--renew-before-days', '1']);
    const rotated = notAfter();
    await waitFor('the rotated certificate\'s notAfter', async () => ((await expiry()) === rotated ? true : undefined), 30_000, 200);
    const alert = await firing('CordonGuardCertificateExpiring');
    assert.equal(alert.labels.pod, POD);
    assert.match(alert.annotations.summary ?? '', /^cordon-guard's serving certificate expires in 2d 23h/);
  });

  it('the kustomize component renders with manifests/: ServiceMonitor, PrometheusRule and the dashboard ConfigMap', () => {
    // An overlay beside a copy of manifests/ (the default install): the copy plus the component.
    const overlay = mkdtempSync(join(cp.dir, 'monitoring-overlay-'));
    cpSync(join(REPO, 'manifests'), join(overlay, 'manifests'), { recursive: true });
    writeFileSync(join(overlay, 'kustomization.yaml'), JSON.stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['manifests'], components: ['manifests/monitoring'] }));
    const rendered = parseAllDocuments(cp.kubectlOk(['kustomize', overlay])).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } });
    const find = (kind: string) => rendered.find((o) => o.kind === kind && o.metadata.name.startsWith('cordon-guard'));
    assert.equal(find('ServiceMonitor')?.metadata.namespace, 'cordon-guard');
    assert.equal(find('PrometheusRule')?.metadata.namespace, 'cordon-guard');
    const dashboard = rendered.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'cordon-guard-dashboard');
    assert.equal(dashboard?.metadata.labels?.grafana_dashboard, '1');
    assert.ok(find('Deployment') !== undefined, 'the base is rendered too');
  });

  it('CordonGuardDown fires once no cordon-guard target is up', async () => {
    assert.deepEqual(await alerts('CordonGuardDown'), []);
    await guard.stop();
    const stopped = Date.now();
    const alert = await firing('CordonGuardDown');
    console.log(`# CordonGuardDown firing ${Date.now() - stopped} ms after cordon-guard stopped (for: ${FOR})`);
    assert.equal(alert.labels.job, JOB);
    assert.equal(alert.labels.severity, 'critical');
  });
});
