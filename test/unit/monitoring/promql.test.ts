// Every PromQL expression of the dashboard and of the rules is parsed by Prometheus' own parser
// (promtool check rules, on a rule file of one recording rule per expression), and selects only
// metrics that cordon-guard exports, with labels they have.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { createCertificateAuthority, issueServingCertificate } from '../../../src/tls/certificates.ts';
import { DASHBOARD_FILE, RULES_FILE, dashboardExpressions, prometheusBinary, recordingRulesOf, ruleExpressions, selectorsOf, type Expression } from '../../../testkit/monitoring.ts';

/** Labels Prometheus adds to every series of a target scraped through the shipped ServiceMonitor. */
const TARGET_LABELS = ['job', 'instance', 'namespace', 'service', 'pod', 'container', 'endpoint'];

/** Each metric name cordon-guard exports (its own and prom-client's default ones), with its label names. */
async function exported(): Promise<Map<string, Set<string>>> {
  const metrics = createMetrics({ defaultMetrics: true });
  // Registered with the first serving certificate.
  const ca = createCertificateAuthority('test CA', 2);
  metrics.recordServingCertificate(issueServingCertificate(ca, { commonName: 'x', dnsNames: ['localhost'], ipAddresses: [], validityDays: 1 }).certPem);
  const names = new Map<string, Set<string>>([['up', new Set(TARGET_LABELS)]]);
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    const labels = new Set([...TARGET_LABELS, ...(metrics.registry.getSingleMetric(metric.name) as unknown as { labelNames: string[] }).labelNames]);
    // prom-client's typings say an enum; at run time the type is the exposition format's word.
    if (String(metric.type) === 'histogram') {
      names.set(`${metric.name}_bucket`, new Set([...labels, 'le']));
      names.set(`${metric.name}_sum`, labels);
      names.set(`${metric.name}_count`, labels);
    } else {
      names.set(metric.name, labels);
    }
  }
  return names;
}

const dashboard: unknown = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'));
const expressions: Expression[] = [...ruleExpressions(parse(readFileSync(RULES_FILE, 'utf8'))), ...dashboardExpressions(dashboard)];

describe('the PromQL of the dashboard and the rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cg-promql-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the dashboard has its queries, with Grafana\'s variables all replaced', () => {
    const fromDashboard = dashboardExpressions(dashboard);
    assert.ok(fromDashboard.length >= 15, `${fromDashboard.length} queries`);
    for (const { where, expr } of fromDashboard) assert.doesNotMatch(expr, /\$/, where);
  });

  it('every expression is parsed by Prometheus\' own parser (promtool check rules)', () => {
    const file = join(dir, 'expressions.json');
    writeFileSync(file, recordingRulesOf(expressions));
    const result = spawnSync(prometheusBinary('promtool'), ['check', 'rules', file], { encoding: 'utf8' });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout, new RegExp(`SUCCESS: ${expressions.length} rules found`));
  });

  it('a broken expression is refused by the same check', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, recordingRulesOf([{ where: 'broken', expr: 'sum by (le (rate(cordon_guard_admission_duration_seconds_bucket[5m]))' }]));
    const result = spawnSync(prometheusBinary('promtool'), ['check', 'rules', file], { encoding: 'utf8' });
    assert.notEqual(result.status, 0);
    assert.match(`${result.stdout}${result.stderr}`, /parse error/);
  });

  it('every expression selects only metrics cordon-guard exports, by labels they have', async () => {
    const names = await exported();
    const used = new Set<string>();
    for (const { where, expr } of expressions) {
      const selectors = selectorsOf(expr);
      assert.ok(selectors.length > 0, `${where}: no selector found in ${expr}`);
      for (const { metric, labels } of selectors) {
        assert.ok(names.has(metric), `${where}: ${metric} is not exported by cordon-guard (${expr})`);
        for (const label of labels) assert.ok(names.get(metric)!.has(label), `${where}: ${metric} has no label ${label}`);
        used.add(metric);
      }
    }
    for (const needed of ['cordon_guard_violations_total', 'cordon_guard_admission_requests_total', 'cordon_guard_admission_duration_seconds_bucket', 'cordon_guard_policy_generation', 'cordon_guard_policy_valid', 'cordon_guard_certificate_expiry_timestamp_seconds', 'cordon_guard_events_dropped_total', 'cordon_guard_observer_failures_total', 'process_resident_memory_bytes', 'up']) {
      assert.ok(used.has(needed), `nothing shows ${needed}`);
    }
  });
});

describe('selectorsOf finds the selectors of an expression', () => {
  const cases: { expr: string; selectors: { metric: string; labels: string[] }[] }[] = [
    { expr: 'up', selectors: [{ metric: 'up', labels: [] }] },
    { expr: 'sum by (requester, reason) (increase(a_total{decision=~"denied|prevented"}[10m])) >= 3', selectors: [{ metric: 'a_total', labels: ['decision'] }] },
    { expr: 'histogram_quantile(0.99, sum(rate(b_bucket{endpoint="/validate", job!="x,}"}[5m])) by (le)) > 1', selectors: [{ metric: 'b_bucket', labels: ['endpoint', 'job'] }] },
    { expr: 'max by (job) (up{job="cordon-guard"}) == 0 or absent(up{job="cordon-guard"})', selectors: [{ metric: 'up', labels: ['job'] }, { metric: 'up', labels: ['job'] }] },
    { expr: 'c - time() < 7 * 86400', selectors: [{ metric: 'c', labels: [] }] },
    { expr: 'd unless d offset 1h30m', selectors: [{ metric: 'd', labels: [] }, { metric: 'd', labels: [] }] },
    { expr: 'e:rate5m * on (pod) group_left (version) f', selectors: [{ metric: 'e:rate5m', labels: [] }, { metric: 'f', labels: [] }] },
    { expr: '{__name__="g"}', selectors: [{ metric: '', labels: ['__name__'] }] },
  ];
  for (const { expr, selectors } of cases) {
    it(expr, () => assert.deepEqual(selectorsOf(expr), selectors));
  }
});
