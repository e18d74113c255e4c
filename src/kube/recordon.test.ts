import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeRecord } from '../fleet/nodeRecord.ts';
import { createLogger } from '../observability/logger.ts';
import type { Mode } from '../policy/types.ts';
import { policyWith } from '../../testkit/policies.ts';
import { LogCapture } from '../../testkit/logCapture.ts';
import { ManualScheduler } from '../../testkit/manualScheduler.ts';
import type { EventDraft } from './eventRecorder.ts';
import { RECORDONED_REASON, RESYNC_MS, Recordon, recordonNote, type NodeWriter } from './recordon.ts';

const KEY = 'cordon-guard.io/maintenance';

function record(name: string, rv: string, overrides: Partial<NodeRecord> = {}): NodeRecord {
  return { name, resourceVersion: rv, cordoned: false, maintenance: 'kernel, OPS-1', maintenanceSince: 0, managers: {}, uncordonedBy: 'system-upgrade-controller', ...overrides };
}

/** The API server's side: a node's current resourceVersion and whether it is cordoned. */
class FakeNodes implements NodeWriter {
  current = new Map<string, { rv: string; cordoned: boolean; maintenance: boolean }>();
  patches: string[] = [];
  failures = 0;

  cordon(name: string, resourceVersion: string): Promise<'cordoned' | 'conflict' | 'gone'> {
    this.patches.push(`${name}@${resourceVersion}`);
    if (this.failures > 0) {
      this.failures -= 1;
      return Promise.reject(new Error('HTTP-Code: 403 Message: forbidden'));
    }
    const node = this.current.get(name);
    if (node === undefined) return Promise.resolve('gone');
    if (node.rv !== resourceVersion) return Promise.resolve('conflict');
    node.cordoned = true;
    node.rv = String(Number(node.rv) + 1);
    return Promise.resolve('cordoned');
  }

  read(name: string): Promise<unknown> {
    const node = this.current.get(name);
    return Promise.resolve(
      node === undefined ? undefined : { metadata: { name, resourceVersion: node.rv, annotations: node.maintenance ? { [KEY]: 'kernel, OPS-1' } : {} }, spec: node.cordoned ? { unschedulable: true } : {} },
    );
  }
}

function setUp(options: { mode?: Mode; recordon?: boolean; leader?: boolean } = {}) {
  const nodes = new FakeNodes();
  const cache = new Map<string, NodeRecord>();
  const events: EventDraft[] = [];
  const logs = new LogCapture();
  const scheduler = new ManualScheduler();
  let count = 0;
  const state = { leader: options.leader ?? true };
  const recordon = new Recordon({
    writer: nodes,
    events: { enqueue: (draft) => events.push(draft) },
    logger: createLogger('debug', logs),
    recordons: { inc: () => (count += 1) },
    policy: () => policyWith({ mode: options.mode ?? 'enforce', recordon: options.recordon ?? true }),
    isLeader: () => state.leader,
    nodes: { get: (name) => cache.get(name), records: () => cache.values() },
    scheduler,
  });
  const sight = (r: NodeRecord): void => {
    cache.set(r.name, r);
    nodes.current.set(r.name, nodes.current.get(r.name) ?? { rv: r.resourceVersion, cordoned: r.cordoned, maintenance: r.maintenance !== undefined });
    recordon.sighted(r);
  };
  return { nodes, events, logs, scheduler, recordon, sight, state, count: () => count };
}

describe('recordon', () => {
  it('the leader cordons a drifted node again with one patch on the resourceVersion it saw, records one Event naming the uncordoner, logs a warning and counts it', async () => {
    const { nodes, events, logs, scheduler, sight, count } = setUp();
    sight(record('worker-1', '11'));
    await scheduler.advance(0);
    assert.deepEqual(nodes.patches, ['worker-1@11']);
    assert.equal(count(), 1);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.reason, RECORDONED_REASON);
    assert.deepEqual(events[0]?.regarding, { apiVersion: 'v1', kind: 'Node', name: 'worker-1', uid: 'worker-1' });
    assert.equal(events[0]?.note, 'cordon-guard cordoned node "worker-1" again: it is under maintenance (cordon-guard.io/maintenance="kernel, OPS-1") but was schedulable; field manager "system-upgrade-controller" uncordoned it');
    const lines = logs.lines.filter((l) => l.level === 'warn');
    assert.deepEqual(lines.map((l) => l.msg), ['node "worker-1" is under maintenance (cordon-guard.io/maintenance) but schedulable (drifted)', events[0]?.note]);
    assert.equal(lines[1]?.uncordonedBy, 'system-upgrade-controller');
  });

  it('says so when managedFields do not name the uncordoner', () => {
    assert.match(recordonNote({ name: 'n', maintenance: '' }, KEY, undefined), /its managedFields do not name the writer that uncordoned it/);
  });

  it('on a conflict it reads the node again and patches the new version if it is still drifted', async () => {
    const { nodes, events, scheduler, sight, count } = setUp();
    nodes.current.set('worker-1', { rv: '12', cordoned: false, maintenance: true });
    sight(record('worker-1', '11'));
    await scheduler.advance(0);
    assert.deepEqual(nodes.patches, ['worker-1@11', 'worker-1@12']);
    assert.equal(count(), 1);
    assert.equal(events.length, 1);
    assert.match(events[0]?.note ?? '', /field manager "system-upgrade-controller"/, 'the uncordoner seen first is kept');
  });

  it('on a conflict with a node already cordoned (another replica healed it), it writes nothing more and records nothing', async () => {
    const { nodes, events, scheduler, sight, count } = setUp();
    nodes.current.set('worker-1', { rv: '12', cordoned: true, maintenance: true });
    sight(record('worker-1', '11'));
    await scheduler.advance(0);
    assert.deepEqual(nodes.patches, ['worker-1@11']);
    assert.equal(count(), 0);
    assert.equal(events.length, 0);
  });

  it('a node whose maintenance ended meanwhile is left alone', async () => {
    const { nodes, scheduler, sight, count } = setUp();
    nodes.current.set('worker-1', { rv: '12', cordoned: false, maintenance: false });
    sight(record('worker-1', '11'));
    await scheduler.advance(0);
    assert.equal(nodes.patches.length, 1);
    assert.equal(count(), 0);
  });

  const silent: [string, { mode?: Mode; recordon?: boolean; leader?: boolean }][] = [
    ['with recordon false it reports the drift and writes nothing', { recordon: false }],
    ['in mode warn it reports the drift and writes nothing', { mode: 'warn' }],
    ['in mode audit it reports the drift and writes nothing', { mode: 'audit' }],
    ['a replica that is not the leader reports the drift and writes nothing', { leader: false }],
  ];
  for (const [name, options] of silent) {
    it(name, async () => {
      const { nodes, events, logs, scheduler, sight, recordon } = setUp(options);
      recordon.start();
      sight(record('worker-1', '11'));
      await scheduler.advance(3 * RESYNC_MS);
      assert.deepEqual(nodes.patches, []);
      assert.deepEqual(events, []);
      assert.equal(logs.lines.filter((l) => l.level === 'warn' && /drifted/.test(l.msg)).length, 1, 'one line when the node becomes drifted');
      await recordon.stop();
    });
  }

  it('in mode preserve it writes', async () => {
    const { nodes, scheduler, sight } = setUp({ mode: 'preserve' });
    sight(record('worker-1', '11'));
    await scheduler.advance(0);
    assert.deepEqual(nodes.patches, ['worker-1@11']);
  });

  it('a replica that becomes the leader heals the drift it has seen', async () => {
    const { nodes, scheduler, sight, recordon, state } = setUp({ leader: false });
    sight(record('worker-1', '11'));
    await scheduler.advance(0);
    state.leader = true;
    recordon.healAll();
    await scheduler.advance(0);
    assert.deepEqual(nodes.patches, ['worker-1@11']);
  });

  it('a refused write is logged and retried with a backoff at the resync, not at every sighting', async () => {
    const { nodes, logs, scheduler, sight, recordon, count } = setUp();
    nodes.failures = 2;
    recordon.start();
    sight(record('worker-1', '11'));
    await scheduler.advance(0);
    sight(record('worker-1', '11'));
    await scheduler.advance(0);
    assert.equal(nodes.patches.length, 1, 'backing off: the second sighting writes nothing');
    await scheduler.advance(RESYNC_MS);
    assert.equal(nodes.patches.length, 2, 'retried 5 s later, refused again');
    await scheduler.advance(RESYNC_MS);
    assert.equal(nodes.patches.length, 2, 'the backoff doubled to 10 s');
    await scheduler.advance(RESYNC_MS);
    assert.equal(nodes.patches.length, 3);
    assert.equal(count(), 1);
    assert.deepEqual(logs.lines.filter((l) => /could not cordon/.test(l.msg)).map((l) => l.retryInMs), [5000, 10_000]);
    await recordon.stop();
  });

  it('a node cordoned by someone else before the leader got to it is not written', async () => {
    const { nodes, scheduler, sight } = setUp();
    sight(record('worker-1', '11', { cordoned: true }));
    await scheduler.advance(0);
    assert.deepEqual(nodes.patches, []);
  });
});
