// The in-cluster phase's Nodes and what it reads back: the mix of states it creates, the bodies
// it POSTs, the truth it counts from the API server's objects, cordon-guard's gauge and log lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gaugeErrors, heartbeatPatch, listedLine, MAINTENANCE_REASON, nodeBody, nodeGauge, shapeOf, statesOf, watchStartingAt } from './nodes.ts';

const KEY = 'example.com/maintenance';

describe('the nodes the phase creates', () => {
  it('are, of 5,000: 1,000 cordoned, 600 under maintenance, 100 of those schedulable', () => {
    const bodies = Array.from({ length: 5000 }, (_, i) => nodeBody(`node-${i}`, i, KEY));
    assert.deepEqual(statesOf(bodies, KEY), { maintenance: 600, cordoned: 1000, drifted: 100, overdue: 0 });
    assert.deepEqual(shapeOf(2), { cordoned: false, maintenance: true });
  });

  it('are makeNode objects with 50 images, without what the API server sets', () => {
    const body = nodeBody('node-0', 0, KEY) as { metadata: Record<string, unknown>; spec: { unschedulable?: boolean; taints?: unknown[] }; status: { images: unknown[] } };
    assert.equal(body.metadata.name, 'node-0');
    for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields']) assert.ok(!Object.hasOwn(body.metadata, field), field);
    assert.equal((body.metadata.annotations as Record<string, string>)[KEY], MAINTENANCE_REASON);
    assert.equal(body.spec.unschedulable, true);
    assert.equal(body.spec.taints?.length, 1);
    assert.equal(body.status.images.length, 50);
    const plain = nodeBody('node-3', 3, KEY) as { metadata: { annotations: Record<string, string> }; spec: Record<string, unknown> };
    assert.ok(!Object.hasOwn(plain.metadata.annotations, KEY));
    assert.ok(!Object.hasOwn(plain.spec, 'unschedulable'));
  });

  it('get a heartbeat as a kubelet writes it: the Ready condition\'s lastHeartbeatTime, to the second', () => {
    assert.deepEqual(heartbeatPatch(new Date('2026-12-05T09:30:01.789Z')), { status: { conditions: [{ type: 'Ready', lastHeartbeatTime: '2026-12-05T09:30:01Z' }] } });
  });
});

describe('statesOf', () => {
  it('counts an annotation with an empty value as maintenance, and only unschedulable true as cordoned', () => {
    const nodes = [
      { metadata: { annotations: { [KEY]: '' } }, spec: { unschedulable: true } },
      { metadata: { annotations: { [KEY]: 'x' } }, spec: { unschedulable: false } },
      { metadata: { annotations: { other: 'x' } }, spec: { unschedulable: true } },
      { metadata: {}, spec: {} },
    ];
    assert.deepEqual(statesOf(nodes, KEY), { maintenance: 2, cordoned: 2, drifted: 1, overdue: 0 });
  });
});

describe('nodeGauge and gaugeErrors', () => {
  const page = [
    '# HELP cordon_guard_nodes Nodes by state',
    '# TYPE cordon_guard_nodes gauge',
    'cordon_guard_nodes{state="maintenance"} 601',
    'cordon_guard_nodes{state="cordoned"} 1001',
    'cordon_guard_nodes{state="drifted"} 100',
    'cordon_guard_nodes{state="overdue"} 0',
    'cordon_guard_recordons_total 0',
  ].join('\n');

  it('reads each state of cordon_guard_nodes', () => {
    assert.deepEqual(nodeGauge(page), { maintenance: 601, cordoned: 1001, drifted: 100, overdue: 0 });
  });

  it('says there is no gauge before the first list (no samples)', () => {
    assert.equal(nodeGauge('# HELP cordon_guard_nodes Nodes by state\n# TYPE cordon_guard_nodes gauge\n'), undefined);
    assert.deepEqual(gaugeErrors(undefined, { maintenance: 0, cordoned: 0, drifted: 0, overdue: 0 }), ['no cordon_guard_nodes samples']);
  });

  it('names each state whose count differs from the truth', () => {
    const gauge = nodeGauge(page);
    assert.deepEqual(gaugeErrors(gauge, { maintenance: 601, cordoned: 1001, drifted: 100, overdue: 0 }), []);
    assert.deepEqual(gaugeErrors(gauge, { maintenance: 600, cordoned: 1001, drifted: 101, overdue: 0 }), ['maintenance: 601 (truth 600)', 'drifted: 100 (truth 101)']);
  });
});

describe('the log lines of the node watch', () => {
  const logs = [
    { level: 'info', time: '2026-12-05T09:30:00.100Z', msg: 'admission webhook on https://127.0.0.1:9443 (/validate /mutate)' },
    { level: 'info', time: '2026-12-05T09:30:00.250Z', msg: 'node watch and leader election starting' },
    { level: 'info', time: '2026-12-05T09:30:03.750Z', msg: 'node watch: listed 5010 nodes', nodes: 5010 },
    { level: 'info', time: '2026-12-05T09:31:00.000Z', msg: 'node watch: listed 5011 nodes', nodes: 5011 },
  ];

  it('give the first list: how many nodes, and when it was logged', () => {
    assert.deepEqual(listedLine(logs), { nodes: 5010, at: Date.parse('2026-12-05T09:30:03.750Z') });
    assert.equal(watchStartingAt(logs), Date.parse('2026-12-05T09:30:00.250Z'));
  });

  it('give nothing before the watch has listed', () => {
    assert.equal(listedLine(logs.slice(0, 2)), undefined);
    assert.equal(watchStartingAt(logs.slice(0, 1)), undefined);
  });
});
