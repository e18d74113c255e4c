// The monitoring objects: one source for the rules, the dashboard and the ServiceMonitor's
// relabelings (charts/cordon-guard/files/), read by the Helm chart's templates and copied into
// the kustomize component manifests/monitoring/, and held identical here.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { only, parseYamlFile } from '../../../testkit/manifests.ts';
import { COMPONENT_DIR, DASHBOARD_FILE, JOB, RELABELINGS_FILE, ROOT, RULES_FILE, generatedFiles } from '../../../testkit/monitoring.ts';

const CHART = join(ROOT, 'charts', 'cordon-guard');
const read = (path: string): string => readFileSync(path, 'utf8');
const component = (): Record<string, unknown> => parse(read(join(COMPONENT_DIR, 'kustomization.yaml'))) as Record<string, unknown>;
const serviceMonitor = (): { metadata: { namespace: string }; spec: { namespaceSelector: { matchNames: string[] }; selector: { matchLabels: Record<string, string> }; endpoints: Record<string, unknown>[] } } =>
  parse(read(join(COMPONENT_DIR, 'servicemonitor.yaml'))) as ReturnType<typeof serviceMonitor>;

describe('the kustomize component manifests/monitoring/', () => {
  it('its prometheusrule.yaml and dashboard.json are up to date with charts/cordon-guard/files/ (make monitoring-manifests)', () => {
    for (const { path, text } of generatedFiles()) assert.equal(read(path), text, `${path} is out of date: run make monitoring-manifests`);
  });

  it('its PrometheusRule holds exactly the rules of the rule file', () => {
    const rule = parseYamlFile(join(COMPONENT_DIR, 'prometheusrule.yaml'))[0]!;
    assert.equal(rule.kind, 'PrometheusRule');
    assert.deepEqual(rule.spec, parse(read(RULES_FILE)));
    assert.equal((rule.metadata as { namespace: string }).namespace, 'cordon-guard');
  });

  it('is a Component listing its ServiceMonitor and PrometheusRule, and the dashboard as a ConfigMap for Grafana\'s sidecar', () => {
    const kustomization = component();
    assert.equal(kustomization.kind, 'Component');
    const yamlFiles = readdirSync(COMPONENT_DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
    assert.deepEqual([...(kustomization.resources as string[])].sort(), yamlFiles);
    const [dashboard] = kustomization.configMapGenerator as { name: string; namespace: string; files: string[]; options: { disableNameSuffixHash: boolean; labels: Record<string, string> } }[];
    assert.deepEqual(dashboard?.files, ['cordon-guard.json=dashboard.json']);
    assert.equal(dashboard?.options.labels.grafana_dashboard, '1');
    assert.equal(dashboard?.options.disableNameSuffixHash, true);
    assert.equal(dashboard?.namespace, 'cordon-guard');
  });

  it('its ServiceMonitor selects the Service of manifests/base by its labels and scrapes its metrics port', () => {
    const service = only('Service') as { metadata: { labels: Record<string, string>; namespace: string }; spec: { ports: { name: string }[] } };
    const monitor = serviceMonitor();
    for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels)) assert.equal(service.metadata.labels[key], value, key);
    assert.deepEqual(monitor.spec.namespaceSelector.matchNames, [service.metadata.namespace]);
    assert.equal(monitor.metadata.namespace, service.metadata.namespace);
    assert.deepEqual(monitor.spec.endpoints.map((e) => e.port), ['metrics']);
    assert.ok(service.spec.ports.some((p) => p.name === 'metrics'));
  });

  it('its ServiceMonitor\'s relabelings are the chart\'s: job set to what the rules select, cordon-guard\'s endpoint label put back', () => {
    const shared = parse(read(RELABELINGS_FILE)) as { relabelings: unknown[]; metricRelabelings: unknown[] };
    const [endpoint] = serviceMonitor().spec.endpoints;
    assert.deepEqual(endpoint?.relabelings, shared.relabelings);
    assert.deepEqual(endpoint?.metricRelabelings, shared.metricRelabelings);
    assert.deepEqual(shared.relabelings, [{ action: 'replace', targetLabel: 'job', replacement: JOB }]);
    assert.match(read(RULES_FILE), new RegExp(`up\\{job="${JOB}"\\}`));
  });
});

describe('the Helm chart\'s monitoring templates', () => {
  const templates = join(CHART, 'templates');
  const cases = [
    { file: 'monitoring-servicemonitor.yaml', gate: '.Values.metrics.serviceMonitor.enabled', reads: 'files/servicemonitor-relabelings.yaml', kind: 'ServiceMonitor' },
    { file: 'monitoring-prometheusrule.yaml', gate: '.Values.metrics.prometheusRule.enabled', reads: 'files/prometheus-rules.yaml', kind: 'PrometheusRule' },
    { file: 'monitoring-dashboard.yaml', gate: '.Values.grafana.dashboard.enabled', reads: 'files/grafana-dashboard.json', kind: 'ConfigMap' },
  ];
  for (const { file, gate, reads, kind } of cases) {
    it(`${file} renders a ${kind} only when ${gate}, from ${reads}`, () => {
      const text = read(join(templates, file));
      assert.match(text, new RegExp(`^\\{\\{- if ${gate.replaceAll('.', '\\.')} \\}\\}$`, 'm'));
      assert.match(text, /^\{\{- end \}\}\s*$/m);
      assert.match(text, new RegExp(`^kind: ${kind}$`, 'm'));
      assert.ok(text.includes(`.Files.Get "${reads}"`), `${file} does not read ${reads}`);
    });
  }

  it('the dashboard ConfigMap is labelled grafana_dashboard: "1" for Grafana\'s sidecar', () => {
    assert.match(read(join(templates, 'monitoring-dashboard.yaml')), /^ {4}grafana_dashboard: "1"$/m);
  });

  it('values.yaml has each switch, off by default', () => {
    const values = parse(read(join(CHART, 'values.yaml'))) as { metrics: Record<string, { enabled: boolean }>; grafana: { dashboard: { enabled: boolean } } };
    assert.equal(values.metrics.serviceMonitor?.enabled, false);
    assert.equal(values.metrics.prometheusRule?.enabled, false);
    assert.equal(values.grafana.dashboard.enabled, false);
  });
});

describe('the dashboard', () => {
  const dashboard = JSON.parse(read(DASHBOARD_FILE)) as { uid: string; panels: { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string; datasource: { uid: string } }[] }[]; templating: { list: { name: string; type: string; query: string }[] } };
  const queries = dashboard.panels.filter((p) => p.type !== 'row');

  it('queries the Prometheus chosen in its datasource variable', () => {
    const variable = dashboard.templating.list.find((v) => v.name === 'datasource');
    assert.equal(variable?.type, 'datasource');
    assert.equal(variable.query, 'prometheus');
    for (const panel of queries) {
      assert.equal(panel.datasource?.uid, '${datasource}', panel.title);
      for (const target of panel.targets ?? []) assert.equal(target.datasource.uid, '${datasource}', panel.title);
    }
  });

  const shows: { what: string; metric: RegExp }[] = [
    { what: 'refusals by requester and reason', metric: /sum by \(requester, reason\) \(increase\(cordon_guard_violations_total\{[^}]*decision=~"denied\|prevented"/ },
    { what: 'decisions by mode', metric: /sum by \(mode[^)]*decision\) \(rate\(cordon_guard_admission_requests_total/ },
    { what: 'latency quantiles per endpoint', metric: /histogram_quantile\(0\.99, sum by \(endpoint, le\)/ },
    { what: 'policy generation', metric: /cordon_guard_policy_generation/ },
    { what: 'policy validity', metric: /cordon_guard_policy_valid/ },
    { what: 'certificate expiry', metric: /cordon_guard_certificate_expiry_timestamp_seconds/ },
    { what: 'Events dropped', metric: /cordon_guard_events_dropped_total/ },
    { what: 'observer failures', metric: /cordon_guard_observer_failures_total/ },
    { what: 'memory', metric: /process_resident_memory_bytes/ },
  ];
  for (const { what, metric } of shows) {
    it(`shows ${what}`, () => {
      assert.ok(queries.some((p) => (p.targets ?? []).some((t) => metric.test(t.expr))), `no panel queries ${metric}`);
    });
  }
});
