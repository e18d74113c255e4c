// RBAC no wider than what cordon-guard calls.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { caSecretName } from '../../../src/tls/secretSource.ts';
import { parseCommandLine } from '../../../src/cli/args.ts';
import { MANIFESTS, NAMESPACE, argvAfterScript, deploymentParts, list, obj, resources, serveOptions, type Json, type Obj, type Resource } from '../../../testkit/manifests.ts';

// rbac-nodes.yaml (the node watch, the recordon and the leader Lease) is held to its code by nodeWatch.test.ts.
const roles = (): Resource[] => resources().filter((r) => (r.kind === 'Role' || r.kind === 'ClusterRole') && r.file !== 'rbac-nodes.yaml');
const bindings = (): Resource[] => resources().filter((r) => (r.kind === 'RoleBinding' || r.kind === 'ClusterRoleBinding') && r.file !== 'rbac-nodes.yaml');
const rules = (): Array<{ role: Resource; rule: Obj }> => roles().flatMap((r) => list(r.doc.rules, `${r.name} rules`).map((rule) => ({ role: r, rule: obj(rule, 'rule') })));

describe('RBAC', () => {
  test('no rule has a wildcard in verbs, resources, apiGroups or resourceNames', () => {
    assert.ok(rules().length > 0);
    for (const { role, rule } of rules()) {
      for (const field of ['verbs', 'resources', 'apiGroups', 'resourceNames', 'nonResourceURLs']) {
        const values: Json[] = rule[field] === undefined ? [] : list(rule[field], `${role.name} ${field}`);
        for (const value of values) {
          assert.ok(!String(value).includes('*'), `${role.kind} ${role.name}: ${field} has ${String(value)}`);
        }
      }
      assert.equal(rule.nonResourceURLs, undefined, `${role.name}: no non-resource URLs`);
    }
    for (const role of roles()) assert.equal(role.doc.aggregationRule, undefined, `${role.name} aggregates nothing`);
  });

  test('nothing grants access to Nodes or any other resource than configmaps, events, secrets and the webhook configurations', () => {
    for (const { role, rule } of rules()) {
      for (const resource of list(rule.resources, 'resources')) {
        assert.ok(['configmaps', 'events', 'secrets', 'validatingwebhookconfigurations', 'mutatingwebhookconfigurations'].includes(String(resource)), `${role.name} grants ${String(resource)}`);
      }
    }
  });

  test('the grants are exactly what the code uses: its policy ConfigMap read and watched, Events created and patched, its two Secrets read, watched, created and patched, its two webhook configurations read and updated', () => {
    const policyRef = serveOptions().policy;
    assert.equal(policyRef.kind, 'configmap');
    const shipped = parseCommandLine(argvAfterScript(deploymentParts().args), {});
    assert.ok(shipped.command === 'serve' && shipped.tls.kind === 'secret');
    const { tls, webhookConfiguration } = shipped;
    const grants = rules()
      .map(({ role, rule }) => ({
        kind: role.kind,
        namespace: role.namespace,
        apiGroups: rule.apiGroups,
        resources: rule.resources,
        resourceNames: rule.resourceNames,
        verbs: list(rule.verbs, 'verbs').map(String).sort(),
      }))
      .sort((a, b) => `${a.kind} ${JSON.stringify(a.resources)} ${a.verbs.join()}`.localeCompare(`${b.kind} ${JSON.stringify(b.resources)} ${b.verbs.join()}`));
    assert.deepEqual(grants, [
      {
        kind: 'ClusterRole',
        namespace: undefined,
        apiGroups: ['events.k8s.io'],
        resources: ['events'],
        resourceNames: undefined,
        verbs: ['create', 'patch'],
      },
      {
        kind: 'ClusterRole',
        namespace: undefined,
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'],
        resourceNames: [webhookConfiguration],
        verbs: ['get', 'update'],
      },
      {
        kind: 'Role',
        namespace: policyRef.kind === 'configmap' ? policyRef.namespace : '?',
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: [policyRef.kind === 'configmap' ? policyRef.name : '?'],
        verbs: ['get', 'list', 'watch'],
      },
      {
        kind: 'Role',
        namespace: tls.namespace,
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: undefined,
        verbs: ['create'],
      },
      {
        kind: 'Role',
        namespace: tls.namespace,
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: [tls.name, caSecretName(tls.name)],
        verbs: ['get', 'list', 'patch', 'watch'],
      },
    ]);
  });

  test('only Secret creation goes without resourceNames, because Kubernetes cannot restrict it by name, and the file says so', () => {
    const unnamed = rules().filter(({ rule }) => rule.resourceNames === undefined && list(rule.resources, 'resources').includes('secrets'));
    assert.deepEqual(unnamed.map(({ rule }) => rule.verbs), [['create']]);
    const text = readFileSync(join(MANIFESTS, 'base', 'rbac.yaml'), 'utf8');
    assert.match(text, /Kubernetes cannot restrict create by resourceNames/);
  });

  test("each binding gives one of these roles to cordon-guard's ServiceAccount and to nobody else", () => {
    const { podSpec } = deploymentParts();
    assert.equal(bindings().length, roles().length);
    for (const binding of bindings()) {
      const roleRef = obj(binding.doc.roleRef, 'roleRef');
      const role = roles().find((r) => r.name === roleRef.name && r.kind === roleRef.kind);
      assert.ok(role !== undefined, `${binding.name} refers to ${String(roleRef.kind)} ${String(roleRef.name)}, not defined here`);
      assert.equal(binding.kind === 'RoleBinding', role.kind === 'Role');
      if (binding.kind === 'RoleBinding') assert.equal(binding.namespace, role.namespace);
      assert.deepEqual(binding.doc.subjects, [{ kind: 'ServiceAccount', name: podSpec.serviceAccountName, namespace: NAMESPACE }]);
    }
    assert.equal(podSpec.serviceAccountName, 'cordon-guard');
  });
});
