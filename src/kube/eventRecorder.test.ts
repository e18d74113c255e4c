import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { answer } from '../policy/answer.ts';
import { judge } from '../policy/judge.ts';
import { MAINTENANCE, makeNode } from '../../testkit/fixtures.ts';
import { LogCapture } from '../../testkit/logCapture.ts';
import { policyWith } from '../../testkit/policies.ts';
import { requestOf } from '../../testkit/requests.ts';
import { EventRecorder, REQUESTER_ANNOTATION, SERIES_WINDOW_MS, type EventsClient } from './eventRecorder.ts';

class FakeEvents implements EventsClient {
  created: { namespace: string; event: Record<string, unknown> }[] = [];
  series: { name: string; count: number }[] = [];
  gate: Promise<void> = Promise.resolve();
  fail = false;
  async create(namespace: string, event: Record<string, unknown>): Promise<string> {
    await this.gate;
    if (this.fail) throw new Error('forbidden');
    this.created.push({ namespace, event });
    return String((event.metadata as { name: string }).name);
  }
  updateSeries(_namespace: string, name: string, series: { count: number }): Promise<void> {
    this.series.push({ name, count: series.count });
    return Promise.resolve();
  }
}

function setup(options: { queueLimit?: number } = {}) {
  const client = new FakeEvents();
  const metrics = createMetrics({ defaultMetrics: false });
  let now = Date.parse('2026-11-28T06:00:00Z');
  const recorder = new EventRecorder({ client, logger: createLogger('debug', new LogCapture()), metrics, queueLimit: options.queueLimit, now: () => now, instance: 'test' });
  return { client, metrics, recorder, advance: (ms: number) => (now += ms) };
}

function rogue(username = 'system:serviceaccount:system-upgrade:system-upgrade', mode: 'enforce' | 'warn' | 'audit' = 'enforce') {
  const request = requestOf({ username, oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE }), object: makeNode({ cordoned: false, annotations: MAINTENANCE }) });
  const policy = policyWith({ mode });
  return { request, judgement: judge(request, policy) };
}

describe('violation Events', () => {
  it('a denial becomes a Warning Event on the Node that kubectl describe node finds', async () => {
    const { client, recorder } = setup();
    const { request, judgement } = rogue();
    recorder.record(request, judgement);
    await recorder.flush();
    assert.equal(client.created.length, 1);
    const { namespace, event } = client.created[0]!;
    assert.equal(namespace, 'default');
    assert.equal(event.type, 'Warning');
    assert.equal(event.reason, 'UncordonDenied');
    assert.equal(event.reportingController, 'cordon-guard.io/cordon-guard');
    assert.equal(event.reportingInstance, 'test');
    assert.deepEqual(event.regarding, { apiVersion: 'v1', kind: 'Node', name: 'worker-3', uid: 'worker-3' });
    assert.equal(event.note, judgement.evaluation.verdict === 'violation' ? judgement.evaluation.message : '');
    assert.match(String(event.eventTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('names the requester in an annotation, cut to 1 kB, so that cordon-guard list need not parse the note', async () => {
    const { client, recorder } = setup();
    for (const username of ['system:serviceaccount:system-upgrade:system-upgrade', 'x'.repeat(10_000)]) {
      const { request, judgement } = rogue(username);
      recorder.record(request, judgement);
    }
    await recorder.flush();
    const requesters = client.created.map((c) => (c.event.metadata as { annotations: Record<string, string> }).annotations[REQUESTER_ANNOTATION]);
    assert.deepEqual(requesters, ['system:serviceaccount:system-upgrade:system-upgrade', 'x'.repeat(1024)]);
  });

  it('names warn and audit outcomes in the reason', async () => {
    const { client, recorder } = setup();
    for (const mode of ['warn', 'audit'] as const) {
      const { request, judgement } = rogue(`user-${mode}`, mode);
      recorder.record(request, judgement);
    }
    await recorder.flush();
    assert.deepEqual(client.created.map((c) => c.event.reason), ['UncordonWarned', 'UncordonAudited']);
  });

  it('names a repair of mode preserve "Prevented", with the repair\'s message as the note', async () => {
    const { client, recorder } = setup();
    const request = requestOf({
      username: 'system:serviceaccount:kube-system:cluster-autoscaler',
      oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE }),
      object: makeNode({ cordoned: false, annotations: MAINTENANCE, labels: { pool: 'b' } }),
    });
    const mutated = answer('mutate', request, policyWith({ mode: 'preserve' }), new Date('2026-12-01T10:00:00Z'));
    assert.ok(mutated.repair !== undefined);
    recorder.record(request, { evaluation: mutated.repair.evaluation, decision: 'prevented', reply: mutated.reply });
    await recorder.flush();
    assert.deepEqual(client.created.map((c) => [c.event.reason, c.event.action]), [['UncordonPrevented', 'Uncordon']]);
    assert.match(String(client.created[0]?.event.note), /^cordon-guard kept node "worker-3" cordoned: /);
  });

  it('folds repeats of the same node, requester and reason within 10 minutes into the series count', async () => {
    const { client, recorder, advance } = setup();
    const { request, judgement } = rogue();
    for (let i = 0; i < 3; i++) {
      recorder.record(request, judgement);
      advance(60_000);
    }
    const other = rogue('someone-else');
    recorder.record(other.request, other.judgement);
    await recorder.flush();
    assert.equal(client.created.length, 2);
    assert.deepEqual(client.series.map((s) => s.count), [2, 3]);
    advance(SERIES_WINDOW_MS);
    recorder.record(request, judgement);
    await recorder.flush();
    assert.equal(client.created.length, 3, 'a repeat after the window starts a new Event');
  });

  it('never waits on the API server, and drops and counts what overflows the queue', async () => {
    const { client, metrics, recorder } = setup({ queueLimit: 5 });
    let release!: () => void;
    client.gate = new Promise((r) => (release = r));
    const recorded = 20;
    for (let i = 0; i < recorded; i++) {
      const { request, judgement } = rogue(`user-${i}`);
      assert.equal(recorder.record(request, judgement), undefined, 'record hands back nothing to wait on');
    }
    // Every record returned while the API server had answered none of them.
    assert.equal(client.created.length, 0);
    release();
    await recorder.flush();
    const dropped = Number(/^cordon_guard_events_dropped_total (\d+)$/m.exec(await metrics.registry.metrics())?.[1]);
    assert.equal(client.created.length + dropped, recorded, 'each Event is either sent or counted as dropped');
    // The queue holds five; the worker may have taken one of them off it already.
    assert.ok(client.created.length >= 5 && client.created.length <= 6, `${client.created.length} sent`);
    assert.deepEqual(
      client.created.map((c) => (c.event.metadata as { annotations: Record<string, string> }).annotations[REQUESTER_ANNOTATION]),
      Array.from({ length: client.created.length }, (_, i) => `user-${i}`),
      'the first ones are kept, in order; the overflow is what is dropped',
    );
  });

  it('counts an Event the API server refuses as dropped, and keeps going', async () => {
    const { client, metrics, recorder } = setup();
    client.fail = true;
    const { request, judgement } = rogue();
    recorder.record(request, judgement);
    await recorder.flush();
    assert.match(await metrics.registry.metrics(), /cordon_guard_events_dropped_total 1/);
    client.fail = false;
    const other = rogue('another');
    recorder.record(other.request, other.judgement);
    await recorder.flush();
    assert.equal(client.created.length, 1);
  });

  it('records an invalid policy on its ConfigMap, naming the problem', async () => {
    const { client, recorder } = setup();
    recorder.recordInvalidPolicy({ namespace: 'cordon-guard', name: 'cordon-guard-policy', uid: 'u' }, ['mode: Invalid option']);
    await recorder.flush();
    const { namespace, event } = client.created[0]!;
    assert.equal(namespace, 'cordon-guard');
    assert.equal(event.reason, 'InvalidPolicy');
    assert.deepEqual(event.regarding, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'cordon-guard', name: 'cordon-guard-policy', uid: 'u' });
    assert.match(String(event.note), /policy\.yaml is invalid: mode: Invalid option/);
  });
});
