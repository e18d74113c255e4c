import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { judge } from '../policy/judge.ts';
import { cordonStampMutation } from '../policy/mutation.ts';
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

describe('the mutation observer', () => {
  it('logs a stamp with the patch and never the requester\'s credentials', () => {
    const logs = new LogCapture();
    const observe = createMutationObserver({ logger: createLogger('info', logs), metrics: createMetrics({ defaultMetrics: false }) });
    const request = requestOf({ username: 'alice', oldObject: makeNode({ cordoned: false }), object: makeNode({ cordoned: true }) });
    request.userInfo.extra = { token: [SECRET] };
    observe(request, cordonStampMutation(request, new Date('2026-11-28T09:00:00Z')), 0.0001);
    assert.equal(logs.lines.length, 1);
    assert.equal(logs.lines[0]!.reason, 'cordon-stamped');
    assert.equal(logs.lines[0]!.service, 'cordon-guard');
    assert.doesNotMatch(JSON.stringify(logs.lines), /s3cr3t/);
  });
});
