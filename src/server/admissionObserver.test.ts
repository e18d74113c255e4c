import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { answer as answerOf } from '../policy/answer.ts';
import { judge, type Judgement } from '../policy/judge.ts';
import { makeNode, MAINTENANCE } from '../../testkit/fixtures.ts';
import { LogCapture } from '../../testkit/logCapture.ts';
import { policyWith } from '../../testkit/policies.ts';
import { requestOf } from '../../testkit/requests.ts';
import { createAdmissionObserver, createMutationObserver } from './admissionObserver.ts';

const SECRET = 'JTI=s3cr3t-credential';

/** A rogue uncordon whose requester carries a credential id and whose node has credential-like keys. */
function rogueWithCredentials() {
  const annotations = { ...MAINTENANCE, token: 'not-a-secret-but-named-like-one' };
  const request = requestOf({ oldObject: makeNode({ cordoned: true, annotations }), object: makeNode({ cordoned: false, annotations }) });
  request.userInfo.extra = { 'authentication.kubernetes.io/credential-id': [SECRET], token: [SECRET] };
  return request;
}

describe('the admission observer', () => {
  it('logs a violation with the fields it names and never the requester\'s credentials', () => {
    const logs = new LogCapture();
    const observe = createAdmissionObserver({ logger: createLogger('info', logs), metrics: createMetrics({ defaultMetrics: false }) });
    const request = rogueWithCredentials();
    const policy = policyWith();
    observe(request, judge(request, policy), policy, 0.0002);
    assert.equal(logs.lines.length, 1);
    const [line] = logs.lines;
    assert.deepEqual(Object.keys(line!).sort(), ['decision', 'dryRun', 'groups', 'latencyMs', 'level', 'mode', 'msg', 'node', 'patch', 'policy', 'reason', 'service', 'time', 'uid', 'user']);
    assert.equal(line!.service, 'cordon-guard', 'keeps the parent logger\'s bindings');
    assert.doesNotMatch(JSON.stringify(line), /s3cr3t/);
  });

  it('keeps the parent logger\'s level: nothing below warn at level warn', () => {
    const logs = new LogCapture();
    const observe = createAdmissionObserver({ logger: createLogger('warn', logs), metrics: createMetrics({ defaultMetrics: false }) });
    const policy = policyWith();
    const cannotJudge = requestOf({ oldObject: null });
    observe(cannotJudge, judge(cannotJudge, policy), policy, 0.0001);
    assert.equal(logs.lines.length, 0);
    const rogue = rogueWithCredentials();
    observe(rogue, judge(rogue, policy), policy, 0.0001);
    assert.deepEqual(logs.lines.map((l) => l.level), ['warn']);
  });
});

describe('the admission observer and the emergency way out', () => {
  const policy = policyWith({ allow: { users: ['oncall'], groups: [], serviceAccounts: [] } });
  const uncordonBy = (username: string, annotations: Record<string, string>) =>
    requestOf({ username, groups: ['sre', 'system:authenticated'], oldObject: makeNode({ cordoned: true, annotations }), object: makeNode({ cordoned: false, annotations }) });

  it('logs an allowlisted uncordon of a node under maintenance at info, with who and why', () => {
    const logs = new LogCapture();
    const observe = createAdmissionObserver({ logger: createLogger('info', logs), metrics: createMetrics({ defaultMetrics: false }) });
    const request = uncordonBy('oncall', MAINTENANCE);
    observe(request, judge(request, policy), policy, 0.0001);
    assert.equal(logs.lines.length, 1);
    const [line] = logs.lines;
    assert.equal(line!.level, 'info');
    assert.equal(line!.msg, 'uncordon allowed: allowlisted');
    assert.equal(line!.reason, 'allowlisted');
    assert.equal(line!.decision, 'allowed');
    assert.equal(line!.user, 'oncall');
    assert.deepEqual(line!.groups, ['sre', 'system:authenticated']);
    assert.deepEqual(line!.maintenance, { key: 'cordon-guard.io/maintenance', value: 'kernel 6.8 upgrade, OPS-4411' });
    assert.deepEqual(Object.keys(line!).sort(), ['decision', 'dryRun', 'groups', 'latencyMs', 'level', 'maintenance', 'mode', 'msg', 'node', 'patch', 'policy', 'reason', 'service', 'time', 'uid', 'user']);
  });

  it('keeps other allowed uncordons at debug: an allowlisted one of a node not under maintenance, and one after the maintenance', () => {
    const logs = new LogCapture();
    const observe = createAdmissionObserver({ logger: createLogger('info', logs), metrics: createMetrics({ defaultMetrics: false }) });
    for (const request of [uncordonBy('oncall', {}), uncordonBy('someone', {})]) observe(request, judge(request, policy), policy, 0.0001);
    assert.equal(logs.lines.length, 0);
  });

  it('writes the maintenance value as a log field, its control characters escaped', () => {
    const logs = new LogCapture();
    const observe = createAdmissionObserver({ logger: createLogger('info', logs), metrics: createMetrics({ defaultMetrics: false }) });
    const request = uncordonBy('oncall', { 'cordon-guard.io/maintenance': 'OPS-1\nforged line' });
    observe(request, judge(request, policy), policy, 0.0001);
    assert.deepEqual(logs.lines[0]!.maintenance, { key: 'cordon-guard.io/maintenance', value: 'OPS-1\\u{a}forged line' });
  });
});

describe('the mutation observer', () => {
  it('logs a stamp with the patch and never the requester\'s credentials', () => {
    const logs = new LogCapture();
    const observe = createMutationObserver({ logger: createLogger('info', logs), metrics: createMetrics({ defaultMetrics: false }) });
    const request = requestOf({ username: 'alice', oldObject: makeNode({ cordoned: false }), object: makeNode({ cordoned: true }) });
    request.userInfo.extra = { token: [SECRET] };
    const policy = policyWith();
    observe(request, answerOf('mutate', request, policy, new Date('2026-11-28T09:00:00Z')), policy, 0.0001);
    assert.equal(logs.lines.length, 1);
    assert.equal(logs.lines[0]!.reason, 'cordon-stamped');
    assert.equal(logs.lines[0]!.service, 'cordon-guard');
    assert.doesNotMatch(JSON.stringify(logs.lines), /s3cr3t/);
  });
});

describe('the mutation observer in mode preserve', () => {
  const AUTOSCALER = 'system:serviceaccount:kube-system:cluster-autoscaler';
  const repairable = (dryRun: boolean) => {
    const request = requestOf({ username: AUTOSCALER, dryRun, oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE }), object: makeNode({ cordoned: false, annotations: MAINTENANCE, labels: { pool: 'b' } }) });
    request.userInfo.extra = { token: [SECRET] };
    return request;
  };

  it('logs a repair at warn with the violation, what was kept and both patches, counts it, and records an Event', async () => {
    const logs = new LogCapture();
    const metrics = createMetrics({ defaultMetrics: false });
    const recorded: string[] = [];
    const events: Judgement[] = [];
    const observe = createMutationObserver({ logger: createLogger('info', logs), metrics, events: { record: (_request, judgement) => (recorded.push(judgement.decision), events.push(judgement)) } });
    const policy = policyWith({ mode: 'preserve' });
    const request = repairable(false);
    const answer = answerOf('mutate', request, policy, new Date('2026-12-01T10:00:00Z'));
    observe(request, answer, policy, 0.0001);
    assert.equal(logs.lines.length, 1);
    const [line] = logs.lines;
    assert.equal(line!.level, 'warn');
    assert.equal(line!.decision, 'prevented');
    assert.equal(line!.reason, 'maintenance-active');
    assert.equal(line!.mode, 'preserve');
    assert.deepEqual(line!.kept, ['cordon']);
    assert.deepEqual(line!.repair, [{ op: 'add', path: '/spec/unschedulable', value: true }]);
    assert.ok(Array.isArray(line!.patch) && line!.patch.length > 0, 'what the request tried');
    assert.match(String(line!.msg), /^cordon-guard kept node "worker-3" cordoned: /);
    assert.doesNotMatch(JSON.stringify(line), /s3cr3t/);
    assert.deepEqual(recorded, ['prevented']);
    assert.equal(events.length, 1);
    assert.equal(events[0], answer.judgement, 'the Event records the answer\'s own decision record');
    const text = await metrics.registry.metrics();
    assert.match(text, /cordon_guard_admission_requests_total\{operation="UPDATE",decision="prevented",reason="maintenance-active",mode="preserve",endpoint="\/mutate"\} 1/);
    assert.match(text, /cordon_guard_violations_total\{reason="maintenance-active",requester="system:serviceaccount:kube-system:cluster-autoscaler",decision="prevented"\} 1/);
  });

  it('records no Event for a dry run, but still logs and counts it', async () => {
    const logs = new LogCapture();
    const metrics = createMetrics({ defaultMetrics: false });
    const recorded: string[] = [];
    const observe = createMutationObserver({ logger: createLogger('info', logs), metrics, events: { record: (_request, judgement) => recorded.push(judgement.decision) } });
    const policy = policyWith({ mode: 'preserve' });
    const request = repairable(true);
    observe(request, answerOf('mutate', request, policy, new Date('2026-12-01T10:00:00Z')), policy, 0.0001);
    assert.deepEqual(recorded, []);
    assert.equal(logs.lines[0]?.dryRun, true);
    assert.match(await metrics.registry.metrics(), /cordon_guard_violations_total\{reason="maintenance-active"/);
  });
});
