// The Helm chart charts/cordon-guard, rendered by helm v4: with the default values, the objects of
// deploy/cordon-guard.yaml; with others, what each value says. `make unit` runs it (CORDON_GUARD_HELM).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEPLOY_FILE, kustomizationImage, packageVersion } from '../../packaging/release.ts';
import { parsePolicyDocument } from '../../src/policy/document.ts';
import { CHART, helm, helmTemplate, helmTemplateError } from '../../testkit/helm.ts';
import { list, obj, parseYamlFile, partsOf, patched, str, tlsFromSecretPatch, type Obj } from '../../testkit/manifests.ts';

const key = (o: Obj): string => `${str(o.kind, 'kind')} ${String(obj(o.metadata, 'metadata').namespace ?? '')}/${str(obj(o.metadata, 'metadata').name, 'name')}`;
const byKey = (objects: Obj[]): Map<string, Obj> => new Map(objects.map((o) => [key(o), o]));
const find = (objects: Obj[], kind: string, name = 'cordon-guard'): Obj => {
  const found = objects.find((o) => o.kind === kind && obj(o.metadata, 'metadata').name === name);
  assert.ok(found !== undefined, `no ${kind} ${name}`);
  return found;
};
const policyOf = (objects: Obj[]): string => str(obj(find(objects, 'ConfigMap', 'cordon-guard-policy').data, 'data')['policy.yaml'], 'policy.yaml');
const webhooksOf = (configuration: Obj): Obj[] => list(configuration.webhooks, 'webhooks').map((w) => obj(w, 'webhook'));
const expressionOf = (configuration: Obj): string => str(obj(list(webhooksOf(configuration)[0]?.matchConditions, 'matchConditions')[0], 'matchCondition').expression, 'expression');
const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBexample\n-----END CERTIFICATE-----\n';

describe('the Helm chart', () => {
  test('with the default values, helm template renders the objects of deploy/cordon-guard.yaml, field for field', () => {
    const chart = byKey(helmTemplate());
    const deploy = byKey(parseYamlFile(DEPLOY_FILE));
    assert.deepEqual([...chart.keys()].sort(), [...deploy.keys()].sort());
    for (const [k, o] of deploy) assert.deepEqual(chart.get(k), o, k);
  });

  test("its version and appVersion are package.json's, and it runs the image deploy/cordon-guard.yaml names", () => {
    const chartYaml = parseYamlFile(join(CHART, 'Chart.yaml'))[0] ?? {};
    assert.equal(chartYaml.apiVersion, 'v2');
    assert.equal(chartYaml.version, packageVersion());
    assert.equal(chartYaml.appVersion, packageVersion());
    const values = parseYamlFile(join(CHART, 'values.yaml'))[0] ?? {};
    assert.equal(obj(values.image, 'image').repository, kustomizationImage().repository);
    assert.equal(partsOf(find(helmTemplate(['--set', 'image.tag=0.0.1-test']), 'Deployment')).container.image, `${kustomizationImage().repository}:0.0.1-test`);
  });

  test('helm lint --strict finds nothing, and the values schema refuses a mode, a key or a certificate source that does not exist', () => {
    const lint = helm(['lint', '--strict', CHART, '--namespace', 'cordon-guard']);
    assert.equal(lint.code, 0, lint.stdout + lint.stderr);
    assert.match(helmTemplateError(['--set', 'policy.mode=block']), /\/policy\/mode/);
    assert.match(helmTemplateError(['--set', 'policy.maintenanceAnnotation=not a key']), /\/policy\/maintenanceAnnotation/);
    assert.match(helmTemplateError(['--set', 'certificates.source=vault']), /\/certificates\/source/);
    assert.match(helmTemplateError(['--set', 'policy.allowlist=x']), /additional properties|allowlist/i);
  });

  test('an allowlist, a maintenance key and the strict profiles set in values are the policy document, in its format, and the webhooks match the key', () => {
    const objects = helmTemplate([
      '--set', 'policy.mode=preserve',
      '--set', 'policy.maintenanceAnnotation=example.com/under-maintenance',
      '--set', 'policy.guardAllCordons=true',
      '--set', 'policy.allowCordonOwner=false',
      '--set', 'policy.guardAnnotationRemoval=true',
      '--set-json', 'policy.allow={"users":["alice@example.com","system:serviceaccount:ops:*"],"groups":["sre-oncall"],"serviceAccounts":["kube-system/node-maintenance"]}',
    ]);
    const text = policyOf(objects);
    const result = parsePolicyDocument(text, 'helm values');
    assert.ok(result.ok, result.ok ? '' : result.errors.join('; '));
    assert.equal(result.policy.mode, 'preserve');
    assert.equal(result.policy.maintenanceAnnotation, 'example.com/under-maintenance');
    assert.equal(result.policy.guardAllCordons, true);
    assert.equal(result.policy.allowCordonOwner, false);
    assert.equal(result.policy.guardAnnotationRemoval, true);
    assert.match(text, /^ {2}users: \["alice@example\.com","system:serviceaccount:ops:\*"\]$/m);
    assert.match(text, /^ {2}serviceAccounts: \["kube-system\/node-maintenance"\]$/m);
    const defaults = policyOf(parseYamlFile(DEPLOY_FILE));
    assert.deepEqual(text.split('\n').filter((l) => l.trimStart().startsWith('#')), defaults.split('\n').filter((l) => l.trimStart().startsWith('#')), 'the comments stay');
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      const expression = expressionOf(find(objects, kind));
      assert.match(expression, /'example\.com\/under-maintenance' in oldObject\.metadata\.annotations/, kind);
      assert.doesNotMatch(expression, /cordon-guard\.io\/maintenance/, kind);
    }
  });

  test('certificates from cert-manager: its Issuers and Certificates, its CA injected into both webhooks, and the Deployment of the overlays', () => {
    const objects = helmTemplate(['--set', 'certificates.source=certManager']);
    assert.deepEqual(objects.filter((o) => String(o.apiVersion).startsWith('cert-manager.io/')).map(key).sort(), ['Certificate cordon-guard/cordon-guard-ca', 'Certificate cordon-guard/cordon-guard-serving', 'Issuer cordon-guard/cordon-guard-ca', 'Issuer cordon-guard/cordon-guard-selfsigned']);
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      assert.equal(obj(obj(find(objects, kind).metadata, 'metadata').annotations, 'annotations')['cert-manager.io/inject-ca-from'], 'cordon-guard/cordon-guard-serving', kind);
    }
    const fromDeployFile = find(parseYamlFile(DEPLOY_FILE), 'Deployment');
    assert.deepEqual(find(objects, 'Deployment'), patched(fromDeployFile, tlsFromSecretPatch(), 'tls-from-secret patch'), 'what manifests/components/tls-from-secret makes of it');
  });

  test('certificates from an existing Secret: that Secret mounted, its CA in both webhooks; without the CA the chart refuses', () => {
    const objects = helmTemplate(['--set', 'certificates.source=existingSecret', '--set', 'certificates.existingSecret.name=my-tls', '--set-string', `certificates.existingSecret.caCert=${CA_PEM}`]);
    const { args, podSpec } = partsOf(find(objects, 'Deployment'));
    assert.deepEqual(args.slice(0, 4), ['--tls-cert', '/etc/cordon-guard/tls/tls.crt', '--tls-key', '/etc/cordon-guard/tls/tls.key']);
    assert.deepEqual(list(podSpec.volumes, 'volumes').map((v) => obj(v, 'volume')).find((v) => v.name === 'tls')?.secret, { secretName: 'my-tls', defaultMode: 0o440 });
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      assert.equal(Buffer.from(str(obj(webhooksOf(find(objects, kind))[0]?.clientConfig, 'clientConfig').caBundle, 'caBundle'), 'base64').toString('utf8'), CA_PEM, kind);
    }
    assert.ok(!objects.some((o) => String(o.apiVersion).startsWith('cert-manager.io/')));
    assert.match(helmTemplateError(['--set', 'certificates.source=existingSecret']), /needs certificates\.existingSecret\.caCert/);
  });

  test('the ownership webhook off: no MutatingWebhookConfiguration, and mode preserve, which needs it, is refused', () => {
    assert.ok(!helmTemplate(['--set', 'ownershipWebhook.enabled=false']).some((o) => o.kind === 'MutatingWebhookConfiguration'));
    assert.match(helmTemplateError(['--set', 'ownershipWebhook.enabled=false', '--set', 'policy.mode=preserve']), /preserve repairs writes through the ownership webhook/);
  });

  test('replicas, resources and scheduling reach the pod; one replica gets no PodDisruptionBudget, which would block every drain', () => {
    const objects = helmTemplate([
      '--set', 'replicas=1',
      '--set-json', 'resources={"requests":{"cpu":"10m","memory":"64Mi"},"limits":{"memory":"128Mi"}}',
      '--set-json', 'nodeSelector={"kubernetes.io/os":"linux"}',
      '--set-json', 'tolerations=[{"key":"node-role.kubernetes.io/control-plane","operator":"Exists","effect":"NoSchedule"}]',
      '--set-json', 'podAnnotations={"prometheus.io/scrape":"true"}',
      '--set', 'priorityClassName=',
      '--set', 'image.pullPolicy=Always',
    ]);
    const { spec, podSpec, container, deployment } = partsOf(find(objects, 'Deployment'));
    assert.equal(spec.replicas, 1);
    assert.deepEqual(container.resources, { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } });
    assert.deepEqual(podSpec.nodeSelector, { 'kubernetes.io/os': 'linux' });
    assert.deepEqual(podSpec.tolerations, [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }]);
    assert.deepEqual(obj(obj(obj(deployment.spec, 'spec').template, 'template').metadata, 'metadata').annotations, { 'prometheus.io/scrape': 'true' });
    assert.equal(podSpec.priorityClassName, undefined);
    assert.equal(container.imagePullPolicy, 'Always');
    assert.ok(!objects.some((o) => o.kind === 'PodDisruptionBudget'));
  });

  test('it installs into the namespace cordon-guard only, and can leave the Namespace object to whoever made it', () => {
    assert.match(helmTemplateError([], 'kube-system'), /installs into the namespace cordon-guard/);
    assert.ok(!helmTemplate(['--set', 'namespace.create=false']).some((o) => o.kind === 'Namespace'));
    assert.match(readFileSync(join(CHART, 'values.yaml'), 'utf8'), /helm install cordon-guard charts\/cordon-guard --namespace cordon-guard/);
  });
});

describe('the Helm chart with monitoring on', () => {
  test('off by default: no ServiceMonitor, PrometheusRule or dashboard', () => {
    const kinds = helmTemplate().map((o) => `${String(o.kind)} ${str(obj(o.metadata, 'metadata').name, 'name')}`);
    for (const unwanted of ['ServiceMonitor cordon-guard', 'PrometheusRule cordon-guard', 'ConfigMap cordon-guard-dashboard']) assert.ok(!kinds.includes(unwanted), unwanted);
  });

  test('metrics.serviceMonitor, metrics.prometheusRule and grafana.dashboard render the objects of the kustomize component manifests/monitoring', () => {
    const rendered = helmTemplate(['--set', 'metrics.serviceMonitor.enabled=true', '--set', 'metrics.prometheusRule.enabled=true', '--set', 'grafana.dashboard.enabled=true']);
    const component = join(CHART, '..', '..', 'manifests', 'monitoring');
    const serviceMonitor = parseYamlFile(join(component, 'servicemonitor.yaml'))[0] ?? {};
    const prometheusRule = parseYamlFile(join(component, 'prometheusrule.yaml'))[0] ?? {};
    assert.deepEqual(find(rendered, 'ServiceMonitor').spec, serviceMonitor.spec);
    assert.deepEqual(find(rendered, 'PrometheusRule').spec, prometheusRule.spec);
    const dashboard = find(rendered, 'ConfigMap', 'cordon-guard-dashboard');
    assert.equal(obj(obj(dashboard.metadata, 'metadata').labels, 'labels').grafana_dashboard, '1');
    assert.deepEqual(JSON.parse(str(obj(dashboard.data, 'data')['cordon-guard.json'], 'dashboard')), JSON.parse(readFileSync(join(component, 'dashboard.json'), 'utf8')));
  });

  test('their labels and the dashboard namespace come from values', () => {
    const rendered = helmTemplate(['--set', 'metrics.serviceMonitor.enabled=true', '--set', 'metrics.serviceMonitor.labels.release=kube-prometheus-stack', '--set', 'grafana.dashboard.enabled=true', '--set', 'grafana.dashboard.namespace=monitoring']);
    assert.equal(obj(obj(find(rendered, 'ServiceMonitor').metadata, 'metadata').labels, 'labels').release, 'kube-prometheus-stack');
    assert.equal(obj(find(rendered, 'ConfigMap', 'cordon-guard-dashboard').metadata, 'metadata').namespace, 'monitoring');
  });
});
