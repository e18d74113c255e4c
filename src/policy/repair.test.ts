import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPatch } from 'rfc6902';
import type { AdmissionRequest, KubeObject } from '../admission/types.ts';
import { MAINTENANCE, makeNode, type NodeShape } from '../../testkit/fixtures.ts';
import { policyWith } from '../../testkit/policies.ts';
import { requestOf } from '../../testkit/requests.ts';
import { answer } from './answer.ts';
import { CORDON_STAMP_ANNOTATION } from './annotations.ts';
import { stampValue } from './cordonStamp.ts';
import { WARNING_MAX_BYTES } from './message.ts';
import type { Policy, PolicySettings } from './types.ts';

const AUTOSCALER = 'system:serviceaccount:kube-system:cluster-autoscaler';
const NOW = new Date('2026-12-01T10:00:00Z');
const ADMIN_STAMP = stampValue('admin', new Date('2026-11-28T06:00:00Z'));
const TO_BE_DELETED = { key: 'ToBeDeletedByClusterAutoscaler', value: '1764583200', effect: 'NoSchedule' };
const KEY = 'cordon-guard.io/maintenance';
const preserve: Partial<PolicySettings> = { mode: 'preserve' };
const START_RECORD = 'cordon-guard.io/maintenance-started';

/** What /mutate put back, as it answers. */
const repairOf = (request: AdmissionRequest, policy: Policy) => answer('mutate', request, policy, NOW).repair;
const RECORD = '{"by":"admin","at":"2026-11-28T06:00:00Z","wasCordoned":true,"annotation":"cordon-guard.io/maintenance"}';

/** A realistic node, with its spec and metadata changed as a writer would change them. */
function node(shape: NodeShape, change: { spec?: Record<string, unknown>; metadata?: Record<string, unknown>; drop?: string[] } = {}): KubeObject {
  const base = makeNode(shape);
  const spec = { ...(base.spec as Record<string, unknown>), ...change.spec };
  const metadata = { ...(base.metadata as Record<string, unknown>), ...change.metadata };
  for (const key of change.drop ?? []) delete spec[key];
  return { ...base, metadata, spec };
}

interface Editable {
  metadata: Record<string, unknown> & { annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: unknown;
}
/** A copy of `base` edited in place by `edit`. */
function edited(base: KubeObject, edit: (node: Editable) => void): KubeObject {
  const copy = structuredClone(base) as unknown as Editable;
  edit(copy);
  return copy as unknown as KubeObject;
}

const underMaintenance = { ...MAINTENANCE, [CORDON_STAMP_ANNOTATION]: ADMIN_STAMP };
const tainted = (shape: NodeShape): KubeObject => {
  const base = makeNode(shape);
  const spec = base.spec as { taints?: unknown[] };
  return node(shape, { spec: { taints: [...(spec.taints ?? []), TO_BE_DELETED] } });
};
/** The cluster-autoscaler's CleanTaints: one full-object Update that drops its taint and uncordons. */
const cleanTaints = (annotations: Record<string, string> | null = underMaintenance) => ({
  username: AUTOSCALER,
  oldObject: tainted({ cordoned: true, annotations }),
  object: node({ annotations }, { metadata: { managedFields: [{ manager: 'cluster-autoscaler', operation: 'Update' }] } }),
});

function patchedBy(object: KubeObject, patch: unknown[]): KubeObject {
  const copy = structuredClone(object);
  const errors = applyPatch(copy, patch as Parameters<typeof applyPatch>[1]);
  assert.ok(errors.every((e) => e === null), JSON.stringify(errors));
  return copy;
}

function decodedPatch(reply: { patch?: string | undefined }): unknown[] {
  return JSON.parse(Buffer.from(reply.patch ?? '', 'base64').toString('utf8')) as unknown[];
}

interface Row {
  name: string;
  review: Parameters<typeof requestOf>[0];
  policy?: Partial<PolicySettings>;
  /** undefined: no repair (allowed, or refused by /validate as in enforce). */
  kept?: string[];
  reason?: string;
  patch?: unknown[];
}

const stampPath = '/metadata/annotations/cordon-guard.io~1cordoned-by';
const maintenancePath = '/metadata/annotations/cordon-guard.io~1maintenance';

const rows: Row[] = [
  {
    name: "the autoscaler's CleanTaints on a node under maintenance keeps the cordon and lets the taint go",
    review: cleanTaints(),
    kept: ['cordon'],
    reason: 'maintenance-active',
    patch: [{ op: 'add', path: '/spec/unschedulable', value: true }],
  },
  {
    name: 'a full PUT from a copy older than the maintenance also gets the maintenance annotation and the stamp back, without guardAnnotationRemoval',
    review: { ...cleanTaints(), object: node({ annotations: { 'example.com/new': 'x' } }) },
    kept: ['cordon', 'maintenance-annotation', 'stamp'],
    reason: 'maintenance-active',
    patch: [
      { op: 'add', path: '/spec/unschedulable', value: true },
      { op: 'add', path: maintenancePath, value: MAINTENANCE[KEY] },
      { op: 'add', path: stampPath, value: ADMIN_STAMP },
    ],
  },
  {
    name: 'a node whose write dropped every annotation gets a new map with the guarded ones',
    review: { ...cleanTaints(), object: node({ annotations: null }) },
    kept: ['cordon', 'maintenance-annotation', 'stamp'],
    patch: [
      { op: 'add', path: '/spec/unschedulable', value: true },
      { op: 'add', path: '/metadata/annotations', value: { [KEY]: MAINTENANCE[KEY], [CORDON_STAMP_ANNOTATION]: ADMIN_STAMP } },
    ],
  },
  {
    name: 'a plain kubectl uncordon changes only guarded state (managedFields, resourceVersion and generation do not count), and is left to /validate to refuse',
    review: {
      username: AUTOSCALER,
      oldObject: makeNode({ cordoned: true, annotations: underMaintenance }),
      object: edited(makeNode({ cordoned: true, annotations: underMaintenance }), (n) => {
        delete n.spec.unschedulable;
        Object.assign(n.metadata, { managedFields: [], resourceVersion: '1', generation: 2 });
      }),
    },
  },
  {
    name: 'an uncordon that also drops the annotation and the stamp, and nothing else, changes only guarded state',
    review: {
      username: AUTOSCALER,
      oldObject: makeNode({ cordoned: true, annotations: underMaintenance }),
      object: edited(makeNode({ cordoned: true, annotations: underMaintenance }), (n) => {
        n.spec.unschedulable = false;
        n.metadata.annotations = Object.fromEntries(Object.entries(n.metadata.annotations ?? {}).filter(([key]) => key !== KEY && key !== CORDON_STAMP_ANNOTATION));
      }),
    },
  },
  {
    name: 'an uncordon whose write also changes status changes only guarded state: the Node strategy resets status',
    review: { username: AUTOSCALER, oldObject: makeNode({ cordoned: true, annotations: underMaintenance }), object: edited(makeNode({ cordoned: true, annotations: underMaintenance }), (n) => void (n.spec.unschedulable = false, (n.status = {}))) },
  },
  {
    name: 'an empty annotations map and none are the same',
    review: { username: AUTOSCALER, oldObject: { metadata: { name: 'n' }, spec: { unschedulable: true } }, object: { metadata: { name: 'n', annotations: {} }, spec: {} } },
    policy: { ...preserve, guardAllCordons: true },
  },
  { name: 'in enforce mode nothing is repaired', review: cleanTaints(), policy: { mode: 'enforce' } },
  { name: 'in warn mode nothing is repaired', review: cleanTaints(), policy: { mode: 'warn' } },
  { name: 'an allowlisted requester is not repaired', review: cleanTaints(), policy: { ...preserve, allow: { users: [AUTOSCALER], groups: [], serviceAccounts: [] } } },
  { name: 'an uncordon that is allowed is not repaired', review: cleanTaints({ [CORDON_STAMP_ANNOTATION]: ADMIN_STAMP }) },
  {
    name: "under guardAllCordons, someone else's cordon is kept while the rest goes through",
    review: cleanTaints({ [CORDON_STAMP_ANNOTATION]: ADMIN_STAMP }),
    policy: { ...preserve, guardAllCordons: true },
    kept: ['cordon'],
    reason: 'cordon-guarded',
    patch: [{ op: 'add', path: '/spec/unschedulable', value: true }],
  },
  { name: 'under guardAllCordons, the owner undoes their own cordon with the rest', review: { ...cleanTaints({ [CORDON_STAMP_ANNOTATION]: stampValue(AUTOSCALER, NOW) }) }, policy: { ...preserve, guardAllCordons: true } },
  {
    name: 'with guardAnnotationRemoval, a bundled removal of the annotation is undone and the label goes through',
    review: { username: AUTOSCALER, oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE }), object: makeNode({ cordoned: true, labels: { pool: 'b' } }) },
    policy: { ...preserve, guardAnnotationRemoval: true },
    kept: ['maintenance-annotation'],
    reason: 'annotation-removal',
    patch: [{ op: 'add', path: maintenancePath, value: MAINTENANCE[KEY] }],
  },
  { name: 'with guardAnnotationRemoval, a removal of the annotation alone is left to /validate to refuse', review: { username: AUTOSCALER, oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE }), object: makeNode({ cordoned: true }) }, policy: { ...preserve, guardAnnotationRemoval: true } },
  { name: 'without guardAnnotationRemoval, a bundled removal of the annotation goes through', review: { username: AUTOSCALER, oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE }), object: makeNode({ cordoned: true, labels: { pool: 'b' } }) } },
  {
    name: 'a stamp changed by a full PUT from a stale copy is restored, and the label goes through',
    review: { username: AUTOSCALER, oldObject: makeNode({ cordoned: true, annotations: { [CORDON_STAMP_ANNOTATION]: ADMIN_STAMP } }), object: makeNode({ cordoned: true, labels: { pool: 'b' }, annotations: { [CORDON_STAMP_ANNOTATION]: stampValue(AUTOSCALER, NOW) } }) },
    kept: ['stamp'],
    reason: 'stamp-tampering',
    patch: [{ op: 'add', path: stampPath, value: ADMIN_STAMP }],
  },
  {
    name: 'a stamp dropped by a write to a cordoned node is put back',
    review: { username: AUTOSCALER, oldObject: makeNode({ cordoned: true, annotations: { [CORDON_STAMP_ANNOTATION]: ADMIN_STAMP } }), object: makeNode({ cordoned: true, labels: { pool: 'b' } }) },
    kept: ['stamp'],
    patch: [{ op: 'add', path: stampPath, value: ADMIN_STAMP }],
  },
  {
    name: 'a stamp added to a cordoned node without one is removed again',
    review: { username: AUTOSCALER, oldObject: makeNode({ cordoned: true }), object: makeNode({ cordoned: true, labels: { pool: 'b' }, annotations: { [CORDON_STAMP_ANNOTATION]: ADMIN_STAMP } }) },
    kept: ['stamp'],
    patch: [{ op: 'remove', path: stampPath }],
  },
  {
    name: 'a stamp an allowlisted requester adds to a node that is not cordoned is removed again: it would be stale',
    review: { username: 'alice', oldObject: makeNode({}), object: makeNode({ labels: { pool: 'b' }, annotations: { [CORDON_STAMP_ANNOTATION]: ADMIN_STAMP } }) },
    policy: { ...preserve, allow: { users: ['alice'], groups: [], serviceAccounts: [] } },
    kept: ['stamp'],
    reason: 'stale-stamp',
    patch: [{ op: 'remove', path: stampPath }],
  },
  { name: 'an allowlisted requester may fix the stamp of a cordoned node', review: { username: 'alice', oldObject: makeNode({ cordoned: true }), object: makeNode({ cordoned: true, labels: { pool: 'b' }, annotations: { [CORDON_STAMP_ANNOTATION]: ADMIN_STAMP } }) }, policy: { ...preserve, allow: { users: ['alice'], groups: [], serviceAccounts: [] } } },
  {
    name: 'a cordon that drops the guarded annotation keeps the annotation and is still a cordon',
    review: { username: AUTOSCALER, oldObject: makeNode({ annotations: MAINTENANCE }), object: makeNode({ cordoned: true }) },
    policy: { ...preserve, guardAnnotationRemoval: true },
    kept: ['maintenance-annotation'],
    patch: [{ op: 'add', path: maintenancePath, value: MAINTENANCE[KEY] }],
  },
  {
    name: 'a node without spec in the write gets the whole spec',
    review: { username: AUTOSCALER, oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE }), object: { metadata: { name: 'worker-3', annotations: MAINTENANCE } } },
    kept: ['cordon'],
    patch: [{ op: 'add', path: '/spec', value: { unschedulable: true } }],
  },
  {
    name: 'the start record of kubectl cordon-guard start is put back with the maintenance annotation',
    review: { ...cleanTaints({ ...underMaintenance, [START_RECORD]: RECORD }), object: node({ annotations: { 'example.com/new': 'x' } }) },
    kept: ['cordon', 'maintenance-annotation', 'stamp'],
    patch: [
      { op: 'add', path: '/spec/unschedulable', value: true },
      { op: 'add', path: maintenancePath, value: MAINTENANCE[KEY] },
      { op: 'add', path: '/metadata/annotations/cordon-guard.io~1maintenance-started', value: RECORD },
      { op: 'add', path: stampPath, value: ADMIN_STAMP },
    ],
  },
  {
    name: 'the first step of kubectl cordon-guard end (the annotation and the start record alone) changes only guarded state, and is refused as in enforce',
    review: { username: 'mallory', oldObject: makeNode({ cordoned: true, annotations: { ...MAINTENANCE, [START_RECORD]: RECORD } }), object: makeNode({ cordoned: true }) },
    policy: { ...preserve, guardAnnotationRemoval: true },
  },
  { name: 'a start record removed without the maintenance annotation goes', review: { username: 'mallory', oldObject: makeNode({ cordoned: true, annotations: { ...MAINTENANCE, [START_RECORD]: RECORD, [CORDON_STAMP_ANNOTATION]: ADMIN_STAMP } }), object: makeNode({ cordoned: true, annotations: MAINTENANCE }) }, kept: ['stamp'], patch: [{ op: 'add', path: stampPath, value: ADMIN_STAMP }] },
  {
    name: 'a node without annotations keeps its cordon and gets no annotations map',
    review: { username: AUTOSCALER, oldObject: makeNode({ cordoned: true, annotations: null }), object: makeNode({ annotations: null, labels: { pool: 'b' } }) },
    policy: { ...preserve, guardAllCordons: true },
    kept: ['cordon'],
    patch: [{ op: 'add', path: '/spec/unschedulable', value: true }],
  },
  {
    name: 'a write without metadata gets the metadata with the guarded annotations',
    review: { username: AUTOSCALER, oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE }), object: { spec: {} } },
    kept: ['cordon', 'maintenance-annotation'],
    patch: [
      { op: 'add', path: '/spec/unschedulable', value: true },
      { op: 'add', path: '/metadata', value: { annotations: { [KEY]: MAINTENANCE[KEY] } } },
    ],
  },
  {
    name: 'a write without metadata that keeps only the cordon is repaired too',
    review: { username: AUTOSCALER, oldObject: { metadata: { name: 'n' }, spec: { unschedulable: true } }, object: { spec: {} } },
    policy: { ...preserve, guardAllCordons: true },
    kept: ['cordon'],
  },
  {
    name: 'an uncordon that also adds a taint is repaired',
    review: { username: AUTOSCALER, oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE }), object: edited(makeNode({ cordoned: true, annotations: MAINTENANCE }), (n) => void ((n.spec.unschedulable = false), (n.spec.taints = [...(n.spec.taints as unknown[]), TO_BE_DELETED]))) },
    kept: ['cordon'],
  },
  {
    name: 'an uncordon that also removes a label is repaired',
    review: { username: AUTOSCALER, oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE, labels: { pool: 'a' } }), object: edited(makeNode({ cordoned: true, annotations: MAINTENANCE }), (n) => void delete n.spec.unschedulable) },
    kept: ['cordon'],
  },
  {
    name: 'an uncordon that also renames a label is repaired',
    review: { username: AUTOSCALER, oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE, labels: { pool: 'a' } }), object: edited(makeNode({ cordoned: true, annotations: MAINTENANCE, labels: { zone: 'a' } }), (n) => void delete n.spec.unschedulable) },
    kept: ['cordon'],
  },
  {
    name: 'an allowlisted requester whose write leaves a stale stamp keeps the removal of the annotation, with guardAnnotationRemoval',
    review: { username: 'alice', oldObject: makeNode({ annotations: MAINTENANCE }), object: makeNode({ labels: { pool: 'b' }, annotations: { [CORDON_STAMP_ANNOTATION]: ADMIN_STAMP } }) },
    policy: { ...preserve, guardAnnotationRemoval: true, allow: { users: ['alice'], groups: [], serviceAccounts: [] } },
    kept: ['stamp'],
    patch: [{ op: 'remove', path: stampPath }],
  },
  {
    name: 'a start record the write keeps is left as it is',
    review: { ...cleanTaints({ ...underMaintenance, [START_RECORD]: RECORD }), object: node({ annotations: { [START_RECORD]: RECORD, [CORDON_STAMP_ANNOTATION]: ADMIN_STAMP } }) },
    kept: ['cordon', 'maintenance-annotation'],
    patch: [
      { op: 'add', path: '/spec/unschedulable', value: true },
      { op: 'add', path: maintenancePath, value: MAINTENANCE[KEY] },
    ],
  },
  {
    name: 'a cordon that carries another stamp and drops the guarded annotation keeps the annotation, and leaves the stamp to /mutate',
    review: { username: AUTOSCALER, oldObject: makeNode({ annotations: MAINTENANCE }), object: makeNode({ cordoned: true, annotations: { [CORDON_STAMP_ANNOTATION]: ADMIN_STAMP } }) },
    policy: { ...preserve, guardAnnotationRemoval: true },
    kept: ['maintenance-annotation'],
    patch: [{ op: 'add', path: maintenancePath, value: MAINTENANCE[KEY] }],
  },
  {
    name: 'an uncordon that also replaces a taint by another is repaired',
    review: { username: AUTOSCALER, oldObject: tainted({ cordoned: true, annotations: MAINTENANCE }), object: edited(tainted({ cordoned: true, annotations: MAINTENANCE }), (n) => void ((n.spec.unschedulable = false), (n.spec.taints = [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'other', effect: 'NoSchedule' }]))) },
    kept: ['cordon'],
  },
  ...[
    ['a string to a list of as many characters', 'ab', ['a', 'b']],
    ['a string to an object with the same index keys', 'b', { 0: 'b' }],
    ['an object to a string', { 0: 'b' }, 'b'],
    ['a list to an object with its index keys', ['b'], { 0: 'b' }],
  ].map(([what, before, after]): Row => ({
    name: `an uncordon that also changes a label value from ${String(what)} is repaired`,
    review: {
      username: AUTOSCALER,
      oldObject: edited(makeNode({ cordoned: true, annotations: MAINTENANCE }), (n) => void ((n.metadata.labels as Record<string, unknown>).pool = before)),
      object: edited(makeNode({ cordoned: true, annotations: MAINTENANCE }), (n) => void (delete n.spec.unschedulable, ((n.metadata.labels as Record<string, unknown>).pool = after))),
    },
    kept: ['cordon'],
  })),
  {
    name: 'an uncordon that also renames a label to __proto__ is repaired: the key is plain data',
    review: {
      username: AUTOSCALER,
      oldObject: edited(makeNode({ cordoned: true, annotations: MAINTENANCE }), (n) => void (n.metadata.labels = JSON.parse('{"pool":{}}') as Record<string, unknown>)),
      object: edited(makeNode({ cordoned: true, annotations: MAINTENANCE }), (n) => void (delete n.spec.unschedulable, (n.metadata.labels = JSON.parse('{"__proto__":{}}') as Record<string, unknown>))),
    },
    kept: ['cordon'],
  },
  { name: 'a review without oldObject is not repaired', review: { username: AUTOSCALER, oldObject: null } },
  { name: 'a review without object is not repaired', review: { username: AUTOSCALER, object: null } },
];

describe('the repair of mode preserve (POLICY.md "mode: preserve")', () => {
  for (const row of rows) {
    it(row.name, () => {
      const request = requestOf(row.review);
      const repair = repairOf(request, policyWith({ ...preserve, ...row.policy }));
      assert.deepEqual(repair?.kept, row.kept);
      if (repair === undefined || request.object === null) return;
      if (row.reason !== undefined) assert.equal(repair.evaluation.reason, row.reason);
      if (row.patch !== undefined) assert.deepEqual(repair.patch, row.patch);
      assert.deepEqual(repair.object, patchedBy(request.object, repair.patch), 'the repaired object is the patch applied');
    });
  }

  it('leaves the request alone: the repaired object is a copy', () => {
    for (const review of [cleanTaints(), { ...cleanTaints(), object: node({ annotations: { 'example.com/new': 'x' } }) }]) {
      const request = requestOf(review);
      const before = structuredClone(request.object);
      const repair = repairOf(request, policyWith(preserve));
      assert.ok(repair !== undefined);
      assert.deepEqual(request.object, before);
      assert.notEqual(repair.object.spec, request.object?.spec);
      assert.notEqual(repair.object.metadata, request.object?.metadata);
    }
  });

  it('escapes ~ and / in a custom maintenance annotation key', () => {
    const key = 'example.com/maint~x';
    const request = requestOf({ username: AUTOSCALER, oldObject: makeNode({ cordoned: true, annotations: { [key]: 'v' } }), object: makeNode({ labels: { a: 'b' } }) });
    assert.deepEqual(repairOf(request, policyWith({ ...preserve, maintenanceAnnotation: key }))?.patch, [
      { op: 'add', path: '/spec/unschedulable', value: true },
      { op: 'add', path: '/metadata/annotations/example.com~1maint~0x', value: 'v' },
    ]);
  });
});

describe('the answer of /mutate in mode preserve', () => {
  it("carries the repair, then the stamp, as one JSON Patch, and the warning W", () => {
    const result = answer('mutate', requestOf(cleanTaints()), policyWith(preserve), NOW);
    assert.equal(result.reply.allowed, true);
    assert.deepEqual(decodedPatch(result.reply), [{ op: 'add', path: '/spec/unschedulable', value: true }]);
    assert.deepEqual(result.reply.warnings, [
      'cordon-guard kept node "worker-3" cordoned: "system:serviceaccount:kube-system:cluster-autoscaler" may not uncordon it; the rest of the write was applied ' +
        '(node under maintenance (cordon-guard.io/maintenance="kernel 6.8 upgrade, OPS-4411"))',
    ]);
    assert.equal(result.mutation.change, 'none', 'a kept uncordon is no longer one: no unstamp');
  });

  it('stamps a cordon whose guarded annotation removal it undid', () => {
    const request = requestOf({ username: AUTOSCALER, oldObject: makeNode({ annotations: MAINTENANCE }), object: makeNode({ cordoned: true }) });
    const result = answer('mutate', request, policyWith({ ...preserve, guardAnnotationRemoval: true }), NOW);
    assert.deepEqual(decodedPatch(result.reply), [
      { op: 'add', path: maintenancePath, value: MAINTENANCE[KEY] },
      { op: 'add', path: stampPath, value: stampValue(AUTOSCALER, NOW) },
    ]);
  });

  it('answers a plain uncordon as in enforce: no patch (the stamp stays), and /validate refuses it', () => {
    const request = requestOf({
      username: AUTOSCALER,
      oldObject: makeNode({ cordoned: true, annotations: underMaintenance }),
      object: edited(makeNode({ cordoned: true, annotations: underMaintenance }), (n) => void delete n.spec.unschedulable),
    });
    const inPreserve = answer('mutate', request, policyWith(preserve), NOW);
    assert.deepEqual(inPreserve, answer('mutate', request, policyWith({ mode: 'enforce' }), NOW));
    assert.equal(inPreserve.repair, undefined);
    assert.deepEqual(inPreserve.reply, { allowed: true });
    assert.equal(inPreserve.mutation.change, 'kept');
  });

  it('M says what was kept, who may not, that the rest was applied, then why as in enforce', () => {
    const repair = repairOf(requestOf({ ...cleanTaints(), object: node({}) }), policyWith(preserve));
    assert.equal(
      repair?.evaluation.message,
      'cordon-guard kept node "worker-3" cordoned and under maintenance: "system:serviceaccount:kube-system:cluster-autoscaler" may not uncordon it, ' +
        'and the rest of the write was applied; node is under maintenance (cordon-guard.io/maintenance="kernel 6.8 upgrade, OPS-4411"); only allowlisted ' +
        'requesters may uncordon it (policy cordon-guard/cordon-guard-policy), or remove the annotation first in a separate request',
    );
  });

  it('W and M name what was kept when it is only the annotation or only the stamp', () => {
    const annotationOnly = repairOf(requestOf({ username: 'mallory', oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE }), object: makeNode({ cordoned: true, labels: { a: 'b' } }) }), policyWith({ ...preserve, guardAnnotationRemoval: true }));
    assert.equal(annotationOnly?.evaluation.warning, 'cordon-guard kept the maintenance annotation on node "worker-3": "mallory" may not remove it; the rest of the write was applied (guardAnnotationRemoval is on)');
    assert.match(annotationOnly?.evaluation.message ?? '', /^cordon-guard kept the maintenance annotation on node "worker-3": "mallory" may not remove it, and the rest of the write was applied; removing the maintenance annotation is guarded/);
    const stampOnly = repairOf(requestOf({ username: 'mallory', oldObject: makeNode({ cordoned: true }), object: makeNode({ cordoned: true, labels: { a: 'b' }, annotations: { [CORDON_STAMP_ANNOTATION]: ADMIN_STAMP } }) }), policyWith(preserve));
    assert.equal(stampOnly?.evaluation.warning, 'cordon-guard kept the cordon stamp on node "worker-3": "mallory" may not change cordon-guard.io/cordoned-by; the rest of the write was applied (only cordon-guard writes cordon-guard.io/cordoned-by)');
  });

  it('W stays within 256 bytes with long names and values, and keeps node and requester first', () => {
    const annotations = { [KEY]: 'v'.repeat(500) };
    const request = requestOf({ username: 'u'.repeat(300), oldObject: makeNode({ name: 'n'.repeat(300), cordoned: true, annotations }), object: makeNode({ name: 'n'.repeat(300), annotations, labels: { a: 'b' } }) });
    const warning = repairOf(request, policyWith(preserve))?.evaluation.warning ?? '';
    assert.ok(Buffer.byteLength(warning) <= WARNING_MAX_BYTES, String(Buffer.byteLength(warning)));
    assert.ok(warning.startsWith(`cordon-guard kept node "${'n'.repeat(60)}..." cordoned: "${'u'.repeat(60)}..." may not uncordon it`), warning);
  });
});
