import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countStates, isDrifted, isOverdue, recordOf, type NodeRecord, type Sighting } from './nodeRecord.ts';

const KEY = 'cordon-guard.io/maintenance';
const NOW = Date.parse('2026-11-30T12:00:00Z');
const HOUR = 3_600_000;

// managedFields as the API server writes them (v1.35): kubectl create, kubectl cordon, the kubelet
// on the status subresource, a controller's Update that uncordons and sets a label, and a
// server-side apply of `unschedulable: false`.
const created = { manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: '2026-11-28T05:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:kubernetes.io/hostname': {} } } } };
const cordon = { manager: 'kubectl-cordon', operation: 'Update', apiVersion: 'v1', time: '2026-11-28T06:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:unschedulable': {} } } };
const annotate = { manager: 'kubectl-annotate', operation: 'Update', apiVersion: 'v1', time: '2026-11-28T06:00:01Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:annotations': { '.': {}, [`f:${KEY}`]: {} } } } };
const kubelet = { manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: '2026-11-30T11:59:50Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:conditions': {} } }, subresource: 'status' };
const upgraderLabel = (time: string) => ({ manager: 'system-upgrade-controller', operation: 'Update', apiVersion: 'v1', time, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:plan.upgrade.cattle.io/k3s': {} } } } });
const appliedFalse = { manager: 'fleet-agent', operation: 'Apply', apiVersion: 'v1', time: '2026-11-30T11:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:unschedulable': {} } } };

function node(options: { rv?: string; cordoned?: boolean; annotations?: Record<string, string>; managedFields?: unknown[] }): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'worker-1',
      resourceVersion: options.rv ?? '10',
      annotations: options.annotations,
      managedFields: options.managedFields ?? [created],
      labels: { 'kubernetes.io/hostname': 'worker-1' },
    },
    spec: options.cordoned === true ? { unschedulable: true } : {},
    status: { images: [{ names: ['registry.example/app:1'], sizeBytes: 1 }] },
  };
}

const sighting = (overrides: Partial<Sighting> = {}): Sighting => ({ key: KEY, now: NOW, previous: undefined, consecutive: false, ...overrides });
const record = (raw: unknown, overrides: Partial<Sighting> = {}): NodeRecord => {
  const r = recordOf(raw, sighting(overrides));
  assert.ok(r !== undefined);
  return r;
};
const startRecord = (at: string) => JSON.stringify({ by: 'admin', at, wasCordoned: false, annotation: KEY });

describe('what the node watch keeps of a Node', () => {
  it('a node under maintenance keeps its name, resourceVersion, cordon, reason, start and managers, and nothing of the rest', () => {
    const r = record(node({ cordoned: true, annotations: { [KEY]: 'kernel, OPS-1', 'cordon-guard.io/maintenance-started': startRecord('2026-11-28T06:00:00Z') }, managedFields: [created, cordon, annotate, kubelet] }));
    assert.deepEqual(r, {
      name: 'worker-1',
      resourceVersion: '10',
      cordoned: true,
      maintenance: 'kernel, OPS-1',
      maintenanceSince: Date.parse('2026-11-28T06:00:00Z'),
      managers: { 'kubectl-create': Date.parse(created.time), 'kubectl-cordon': Date.parse(cordon.time), 'kubectl-annotate': Date.parse(annotate.time) },
      uncordonedBy: undefined,
    });
  });

  it('a node not under maintenance keeps no managers and no start', () => {
    assert.deepEqual(record(node({ cordoned: true, managedFields: [created, cordon] })), { name: 'worker-1', resourceVersion: '10', cordoned: true, maintenance: undefined, maintenanceSince: undefined, managers: undefined, uncordonedBy: undefined });
  });

  it('an object without a name is not kept', () => {
    assert.equal(recordOf({ metadata: {} }, sighting()), undefined);
    assert.equal(recordOf(null, sighting()), undefined);
  });

  it('the empty annotation value counts as under maintenance', () => {
    assert.equal(record(node({ annotations: { [KEY]: '' } })).maintenance, '');
  });

  it('a long reason is cut to 120 characters', () => {
    assert.equal(record(node({ annotations: { [KEY]: 'x'.repeat(500) } })).maintenance?.length, 120);
  });

  it('without a start record, a maintenance is dated from when it was first seen, and keeps that date', () => {
    const first = record(node({ cordoned: true, annotations: { [KEY]: 'r' } }));
    assert.equal(first.maintenanceSince, NOW);
    const later = record(node({ cordoned: true, annotations: { [KEY]: 'r' }, rv: '11' }), { now: NOW + HOUR, previous: first });
    assert.equal(later.maintenanceSince, NOW);
  });

  it('an unreadable start record counts as none', () => {
    assert.equal(record(node({ annotations: { [KEY]: 'r', 'cordon-guard.io/maintenance-started': '{"at": 3}' } })).maintenanceSince, NOW);
    assert.equal(record(node({ annotations: { [KEY]: 'r', 'cordon-guard.io/maintenance-started': startRecord('yesterday') } })).maintenanceSince, NOW);
  });
});

describe('who uncordoned a drifted node', () => {
  const cordonedVersion = (managedFields: unknown[]) => record(node({ rv: '10', cordoned: true, annotations: { [KEY]: 'r' }, managedFields }));

  it('a controller that uncordons and sets a label in one write is named: its entry is the one that moved', () => {
    const before = cordonedVersion([created, cordon, annotate, upgraderLabel('2026-11-29T00:00:00Z'), kubelet]);
    const after = record(node({ rv: '11', annotations: { [KEY]: 'r' }, managedFields: [created, annotate, upgraderLabel('2026-11-30T11:59:59Z'), kubelet] }), { previous: before, consecutive: true });
    assert.equal(after.uncordonedBy, 'system-upgrade-controller');
  });

  it('a controller writing its first entry with the uncordon is named', () => {
    const before = cordonedVersion([created, cordon, annotate]);
    const after = record(node({ rv: '11', annotations: { [KEY]: 'r' }, managedFields: [created, annotate, upgraderLabel('2026-11-30T11:59:59Z')] }), { previous: before, consecutive: true });
    assert.equal(after.uncordonedBy, 'system-upgrade-controller');
  });

  it('a plain uncordon leaves no entry that moved, and nobody is named, not even the latest writer', () => {
    const before = cordonedVersion([created, cordon, annotate, upgraderLabel('2026-11-29T00:00:00Z')]);
    const after = record(node({ rv: '11', annotations: { [KEY]: 'r' }, managedFields: [created, annotate, upgraderLabel('2026-11-29T00:00:00Z')] }), { previous: before, consecutive: true });
    assert.equal(after.uncordonedBy, undefined);
  });

  it('a status update in between does not count: the status subresource cannot uncordon', () => {
    const before = cordonedVersion([created, cordon, annotate, { ...kubelet, time: '2026-11-30T11:00:00Z' }]);
    const after = record(node({ rv: '11', annotations: { [KEY]: 'r' }, managedFields: [created, annotate, kubelet] }), { previous: before, consecutive: true });
    assert.equal(after.uncordonedBy, undefined);
  });

  it('a version found at a list is not compared with an older one: versions in between may be missed', () => {
    const before = cordonedVersion([created, cordon, annotate]);
    const after = record(node({ rv: '15', annotations: { [KEY]: 'r' }, managedFields: [created, annotate, upgraderLabel('2026-11-30T11:59:59Z')] }), { previous: before, consecutive: false });
    assert.equal(after.uncordonedBy, undefined);
  });

  it('times read from a list that client-node deserialized (Date objects) compare equal to the same times from a watch (strings)', () => {
    const listed = cordonedVersion([created, cordon, annotate, { ...upgraderLabel('2026-11-29T00:00:00Z'), time: new Date('2026-11-29T00:00:00Z') }]);
    const watched = record(node({ rv: '11', annotations: { [KEY]: 'r' }, managedFields: [created, annotate, upgraderLabel('2026-11-29T00:00:00Z')] }), { previous: listed, consecutive: true });
    assert.equal(watched.uncordonedBy, undefined);
  });

  it('a server-side apply of unschedulable false owns the field, and is named even at a list', () => {
    assert.equal(record(node({ annotations: { [KEY]: 'r' }, managedFields: [created, annotate, appliedFalse] })).uncordonedBy, 'fleet-agent');
  });

  it('a later write to a node still drifted keeps the name of its uncordoner', () => {
    const before = cordonedVersion([created, cordon, annotate]);
    const drifted = record(node({ rv: '11', annotations: { [KEY]: 'r' }, managedFields: [created, annotate, upgraderLabel('2026-11-30T11:59:59Z')] }), { previous: before, consecutive: true });
    const relabelled = record(node({ rv: '12', annotations: { [KEY]: 'r' }, managedFields: [{ ...created, time: '2026-11-30T12:00:00Z' }, annotate, upgraderLabel('2026-11-30T11:59:59Z')] }), { previous: drifted, consecutive: true });
    assert.equal(relabelled.uncordonedBy, 'system-upgrade-controller');
  });
});

describe('node states and the gauge', () => {
  const at = (hoursAgo: number) => new Date(NOW - hoursAgo * HOUR).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const nodes = [
    record(node({ cordoned: true })),
    record(node({ cordoned: true, annotations: { [KEY]: 'a', 'cordon-guard.io/maintenance-started': startRecord(at(100)) } })),
    record(node({ annotations: { [KEY]: 'b', 'cordon-guard.io/maintenance-started': startRecord(at(1)) } })),
    record(node({ annotations: { [KEY]: 'c' } }), { now: NOW - 80 * HOUR }),
    record(node({})),
  ];

  const cases: [string, number | null, Record<string, number>][] = [
    ['without maintenanceMaxAge nothing is overdue', null, { maintenance: 3, cordoned: 2, drifted: 2, overdue: 0 }],
    ['with 72h, a start record 100 h old and a node first seen 80 h ago are overdue', 72 * HOUR, { maintenance: 3, cordoned: 2, drifted: 2, overdue: 2 }],
    ['with 90h, only the start record 100 h old is overdue', 90 * HOUR, { maintenance: 3, cordoned: 2, drifted: 2, overdue: 1 }],
  ];
  for (const [name, maxAge, counts] of cases) it(name, () => assert.deepEqual(countStates(nodes, maxAge, NOW), counts));

  it('a maintenance exactly as old as the limit is not yet overdue', () => {
    const r = record(node({ annotations: { [KEY]: 'a', 'cordon-guard.io/maintenance-started': startRecord(at(72)) } }));
    assert.equal(isOverdue(r, 72 * HOUR, NOW), false);
    assert.equal(isOverdue(r, 72 * HOUR, NOW + 1000), true);
  });

  it('drifted means under maintenance and schedulable; a schedulable node without the annotation is not drifted', () => {
    assert.deepEqual(nodes.map(isDrifted), [false, false, true, true, false]);
  });

  it('a maintenance under another key is not one: the policy key decides, as for the webhook', () => {
    assert.equal(record(node({ annotations: { 'example.com/maintenance': 'x' } })).maintenance, undefined);
    assert.equal(record(node({ annotations: { 'example.com/maintenance': 'x' } }), { key: 'example.com/maintenance' }).maintenance, 'x');
  });
});
