// RBAC no wider than what cordon-guard calls.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NAMESPACE, deploymentParts, list, obj, resources, serveOptions, type Json, type Obj, type Resource } from '../../../testkit/manifests.ts';

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

  test('nothing grants access to Secrets, Nodes or any other resource than configmaps and events', () => {
    for (const { role, rule } of rules()) {
      for (const resource of list(rule.resources, 'resources')) {
        assert.ok(['configmaps', 'events'].includes(String(resource)), `${role.name} grants ${String(resource)}`);
      }
    }
  });

  test('the grants are exactly what the code uses: its policy ConfigMap read and watched, events.k8s.io Events created and patched', () => {
    const policyRef = serveOptions().policy;
    assert.equal(policyRef.kind, 'configmap');
    const grants = rules()
      .map(({ role, rule }) => ({
        kind: role.kind,
        namespace: role.namespace,
        apiGroups: rule.apiGroups,
        resources: rule.resources,
        resourceNames: rule.resourceNames,
        verbs: list(rule.verbs, 'verbs').map(String).sort(),
      }))
      .sort((a, b) => a.kind.localeCompare(b.kind));
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
        kind: 'Role',
        namespace: policyRef.kind === 'configmap' ? policyRef.namespace : '?',
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: [policyRef.kind === 'configmap' ? policyRef.name : '?'],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
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
