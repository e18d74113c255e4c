// The node watch's manifests (POLICY.md "Drift" and "cordon-guard's own identity on Nodes"):
// rbac-nodes.yaml grants exactly what src/kube/ calls for the watch, the recordon and the leader
// Lease; protect-node-writes.yaml lets cordon-guard's identity cordon a node and nothing else,
// evaluated here with @bufbuild/cel on a table of writes (test/e2e/fleet.test.ts runs it on a
// real API server).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LEADER_LEASE_NAME } from '../../../src/kube/leaseClient.ts';
import { stampValue } from '../../../src/policy/cordonStamp.ts';
import { admissionOf, type PolicyInput } from '../../../testkit/admissionPolicy.ts';
import { NAMESPACE, deploymentParts, kustomization, list, obj, resources, str, type Obj, type Resource } from '../../../testkit/manifests.ts';

const RBAC_FILE = 'rbac-nodes.yaml';
const POLICY_FILE = 'protect-node-writes.yaml';
const SELF = 'system:serviceaccount:cordon-guard:cordon-guard';
const STAMP = 'cordon-guard.io/cordoned-by';
const KEY = 'cordon-guard.io/maintenance';

const inFile = (file: string): Resource[] => resources().filter((r) => r.file === file);

describe('the node watch\'s RBAC (rbac-nodes.yaml)', () => {
  test('kustomization.yaml lists both files', () => {
    const listed = list(kustomization().resources, 'resources').map((r) => str(r, 'resource'));
    assert.ok(listed.includes(RBAC_FILE));
    assert.ok(listed.includes(POLICY_FILE));
  });

  test('the grants are exactly what the code calls: nodes get, list, watch and patch cluster-wide; the leader Lease get and update by name and create in the namespace', () => {
    const grants = inFile(RBAC_FILE)
      .filter((r) => r.kind === 'ClusterRole' || r.kind === 'Role')
      .flatMap((role) =>
        list(role.doc.rules, 'rules').map((x) => {
          const rule = obj(x, 'rule');
          return { kind: role.kind, namespace: role.namespace ?? null, apiGroups: rule.apiGroups, resources: rule.resources, resourceNames: rule.resourceNames ?? null, verbs: list(rule.verbs, 'verbs').map(String).sort() };
        }),
      );
    assert.deepEqual(grants, [
      { kind: 'ClusterRole', namespace: null, apiGroups: [''], resources: ['nodes'], resourceNames: null, verbs: ['get', 'list', 'patch', 'watch'] },
      { kind: 'Role', namespace: NAMESPACE, apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [LEADER_LEASE_NAME], verbs: ['get', 'update'] },
      { kind: 'Role', namespace: NAMESPACE, apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: null, verbs: ['create'] },
    ]);
  });

  test('nothing grants nodes/status, update of nodes, delete or any wildcard', () => {
    for (const role of inFile(RBAC_FILE).filter((r) => r.kind.endsWith('Role'))) {
      for (const x of list(role.doc.rules, 'rules')) {
        const rule = obj(x, 'rule');
        for (const field of ['verbs', 'resources', 'apiGroups']) for (const v of list(rule[field], field)) assert.ok(!String(v).includes('*'));
        assert.ok(!list(rule.resources, 'resources').includes('nodes/status'));
        assert.ok(!list(rule.verbs, 'verbs').some((v) => v === 'update' && list(rule.resources, 'resources').includes('nodes')));
      }
    }
  });

  test("each binding gives its role to cordon-guard's ServiceAccount alone", () => {
    const { podSpec } = deploymentParts();
    const bindings = inFile(RBAC_FILE).filter((r) => r.kind.endsWith('Binding'));
    assert.equal(bindings.length, 2);
    for (const binding of bindings) {
      const roleRef = obj(binding.doc.roleRef, 'roleRef');
      assert.ok(inFile(RBAC_FILE).some((r) => r.kind === roleRef.kind && r.name === roleRef.name && (r.namespace ?? null) === (binding.namespace ?? null)));
      assert.deepEqual(binding.doc.subjects, [{ kind: 'ServiceAccount', name: podSpec.serviceAccountName, namespace: NAMESPACE }]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The identity rule

const admission = () => admissionOf(inFile(POLICY_FILE).map((r) => r.doc));

/** A Node as the API server hands it to admission, with what it carries in a real cluster. */
function node(options: { cordoned?: boolean; annotations?: Record<string, string>; labels?: Record<string, string>; taints?: Obj[]; rv?: string; managedFields?: Obj[] } = {}): Obj {
  const metadata: Obj = {
    name: 'worker-1',
    uid: '7d7c1e0a-0000-4000-8000-000000000001',
    resourceVersion: options.rv ?? '100',
    creationTimestamp: '2026-11-01T00:00:00Z',
    labels: options.labels ?? { 'kubernetes.io/hostname': 'worker-1' },
    managedFields: options.managedFields ?? [{ manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: '2026-11-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }],
  };
  if (options.annotations !== undefined) metadata.annotations = options.annotations;
  const spec: Obj = { podCIDR: '10.0.1.0/24' };
  if (options.cordoned === true) spec.unschedulable = true;
  if (options.taints !== undefined) spec.taints = options.taints;
  return { apiVersion: 'v1', kind: 'Node', metadata, spec, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
}

function input(operation: string, object: Obj | null, oldObject: Obj | null, username = SELF, subResource?: string): PolicyInput {
  const resource = { group: '', version: 'v1', resource: 'nodes' };
  const request: Obj = { kind: { group: '', version: 'v1', kind: 'Node' }, resource, requestKind: { group: '', version: 'v1', kind: 'Node' }, requestResource: resource, operation, name: 'worker-1', userInfo: { username, groups: ['system:serviceaccounts', 'system:serviceaccounts:cordon-guard', 'system:authenticated'] }, dryRun: false };
  if (subResource !== undefined) request.subResource = subResource;
  return { request, object, oldObject, params: null };
}

const written = (o: Obj): Obj => {
  const copy = structuredClone(o);
  const metadata = obj(copy.metadata, 'metadata');
  metadata.resourceVersion = '100';
  metadata.managedFields = [...list(metadata.managedFields, 'managedFields'), { manager: 'cordon-guard', operation: 'Update', apiVersion: 'v1', time: '2026-11-30T12:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:unschedulable': {} } } }];
  return copy;
};
const ownStamp = stampValue(SELF, new Date('2026-11-30T12:00:00Z'));
const maintenance = { [KEY]: 'kernel, OPS-1' };

describe('cordon-guard-node-writes: cordon-guard\'s identity may cordon a node and do nothing else', () => {
  const allowed: [string, PolicyInput][] = [
    ['a cordon of a node under maintenance, /mutate down (no stamp), is allowed', input('UPDATE', written(node({ cordoned: true, annotations: maintenance })), node({ annotations: maintenance }))],
    ['a cordon that /mutate stamped with cordon-guard\'s own name is allowed', input('UPDATE', written(node({ cordoned: true, annotations: { ...maintenance, [STAMP]: ownStamp } })), node({ annotations: maintenance }))],
    ['a cordon whose stamp replaces one left by an uncordon that bypassed the webhook is allowed', input('UPDATE', written(node({ cordoned: true, annotations: { ...maintenance, [STAMP]: ownStamp } })), node({ annotations: { ...maintenance, [STAMP]: stampValue('admin', new Date('2026-11-28T00:00:00Z')) } }))],
    ['a cordon that keeps an earlier stamp as it was (/mutate down) is allowed', input('UPDATE', written(node({ cordoned: true, annotations: { ...maintenance, [STAMP]: 'x' } })), node({ annotations: { ...maintenance, [STAMP]: 'x' } }))],
    ['a cordon of a node with no annotations map, stamped, is allowed', input('UPDATE', written(node({ cordoned: true, annotations: { [STAMP]: ownStamp } })), node())],
  ];
  for (const [name, request] of allowed) test(name, () => assert.deepEqual(admission().evaluate(request), { result: 'allowed' }));

  const refused: [string, PolicyInput][] = [
    ['an uncordon is refused', input('UPDATE', written(node({ annotations: maintenance })), node({ cordoned: true, annotations: maintenance }))],
    ['a cordon that also changes a label is refused', input('UPDATE', written(node({ cordoned: true, annotations: maintenance, labels: { 'kubernetes.io/hostname': 'worker-1', extra: 'x' } })), node({ annotations: maintenance }))],
    ['a label change alone is refused', input('UPDATE', written(node({ annotations: maintenance, labels: { 'kubernetes.io/hostname': 'worker-2' } })), node({ annotations: maintenance }))],
    ['a cordon that also adds a taint is refused', input('UPDATE', written(node({ cordoned: true, taints: [{ key: 'k', effect: 'NoSchedule' }] })), node())],
    ['a cordon that also adds another annotation is refused', input('UPDATE', written(node({ cordoned: true, annotations: { ...maintenance, other: 'x' } })), node({ annotations: maintenance }))],
    ['a cordon that removes the maintenance annotation is refused', input('UPDATE', written(node({ cordoned: true })), node({ annotations: maintenance }))],
    ['a cordon that removes the stamp is refused', input('UPDATE', written(node({ cordoned: true, annotations: maintenance })), node({ annotations: { ...maintenance, [STAMP]: 'x' } }))],
    ['a cordon with a stamp naming someone else is refused', input('UPDATE', written(node({ cordoned: true, annotations: { [STAMP]: stampValue('admin', new Date('2026-11-30T12:00:00Z')) } })), node())],
    ['a cordon with a stamp that is not /mutate\'s format is refused', input('UPDATE', written(node({ cordoned: true, annotations: { [STAMP]: `${ownStamp} ` } })), node())],
    ['a write to a node already cordoned is refused, even one that changes nothing', input('UPDATE', written(node({ cordoned: true })), node({ cordoned: true }))],
    ['a write of the status subresource is refused', input('UPDATE', written(node({ cordoned: true })), node(), SELF, 'status')],
    ['a delete is refused', input('DELETE', null, node())],
    ['a create is refused', input('CREATE', node({ cordoned: true }), null)],
  ];
  for (const [name, request] of refused) {
    test(name, () => {
      const outcome = admission().evaluate(request);
      assert.equal(outcome.result, 'denied', JSON.stringify(outcome));
      if (outcome.result === 'denied') {
        assert.equal(outcome.reason, 'Forbidden');
        assert.match(outcome.message, /^cordon-guard-node-writes: (UPDATE|DELETE|CREATE) of node "worker-1".* by cordon-guard's own identity refused/);
      }
    });
  }

  test('other requesters are not judged by it (the webhook judges them)', () => {
    assert.deepEqual(admission().evaluate(input('UPDATE', written(node({ annotations: maintenance })), node({ cordoned: true, annotations: maintenance }), 'system:serviceaccount:system-upgrade:system-upgrade')), { result: 'not-matched' });
  });
});
