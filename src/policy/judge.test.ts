import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAINTENANCE, makeNode } from '../../testkit/fixtures.ts';
import { policyWith } from '../../testkit/policies.ts';
import { requestOf } from '../../testkit/requests.ts';
import { judge, reasonOf } from './judge.ts';
import { CORDON_STAMP_ANNOTATION } from './annotations.ts';
import { stampValue } from './cordonStamp.ts';
import { MODES } from './types.ts';

const rogueUncordon = requestOf({
  username: 'system:serviceaccount:kube-system:cluster-autoscaler',
  oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE }),
  object: makeNode({ cordoned: false, annotations: MAINTENANCE }),
});

const EXAMPLE_M =
  'cordon-guard denied uncordon of node "worker-3" by "system:serviceaccount:kube-system:cluster-autoscaler": ' +
  'node is under maintenance (cordon-guard.io/maintenance="kernel 6.8 upgrade, OPS-4411"); only allowlisted ' +
  'requesters may uncordon it (policy cordon-guard/cordon-guard-policy), or remove the annotation first in a separate request';

describe('a violation is answered by mode', () => {
  it('enforce denies with 403 Forbidden and the message of POLICY.md, word for word', () => {
    const { reply, decision } = judge(rogueUncordon, policyWith({ mode: 'enforce' }));
    assert.equal(decision, 'denied');
    assert.deepEqual(reply, { allowed: false, status: { code: 403, reason: 'Forbidden', message: EXAMPLE_M } });
  });

  it('warn allows with one warning that names node and requester first', () => {
    const { reply, decision } = judge(rogueUncordon, policyWith({ mode: 'warn' }));
    assert.equal(decision, 'warned');
    assert.equal(reply.allowed, true);
    assert.equal(reply.status, undefined);
    assert.equal(reply.warnings?.length, 1);
    const [warning] = reply.warnings ?? [];
    assert.match(warning ?? '', /^node "worker-3" uncordon by "system:serviceaccount:kube-system:cluster-autoscaler" /);
    assert.ok(Buffer.byteLength(warning ?? '') <= 256);
    assert.match(warning ?? '', /cordon-guard\.io\/maintenance="kernel 6\.8 upgrade, OPS-4411"/);
  });

  it('audit allows silently and records the message as the violation audit annotation', () => {
    const { reply, decision } = judge(rogueUncordon, policyWith({ mode: 'audit' }));
    assert.equal(decision, 'audited');
    assert.equal(reply.allowed, true);
    assert.equal(reply.warnings, undefined);
    assert.match(reply.auditAnnotations?.violation ?? '', /^cordon-guard would deny uncordon of node "worker-3" by /);
  });

  it('preserve denies at /validate as enforce does, word for word: /mutate repairs what it can before', () => {
    const { reply, decision } = judge(rogueUncordon, policyWith({ mode: 'preserve' }));
    assert.equal(decision, 'denied');
    assert.deepEqual(reply, { allowed: false, status: { code: 403, reason: 'Forbidden', message: EXAMPLE_M } });
  });

  it('a stale stamp is denied in every mode', () => {
    const stamp = stampValue('admin', new Date('2026-11-28T06:00:00Z'));
    const keptStamp = requestOf({ oldObject: makeNode({ cordoned: true, annotations: { [CORDON_STAMP_ANNOTATION]: stamp } }), object: makeNode({ cordoned: false, annotations: { [CORDON_STAMP_ANNOTATION]: stamp } }) });
    for (const mode of MODES) {
      const { reply, decision } = judge(keptStamp, policyWith({ mode }));
      assert.equal(decision, 'denied', mode);
      assert.equal(reply.status?.code, 403);
      assert.match(reply.status?.message ?? '', /^cordon-guard denied uncordon of node "worker-3" by "system:serviceaccount:system-upgrade:system-upgrade": the node would not be cordoned and still carry the cordon-guard\.io\/cordoned-by stamp/);
    }
  });

  for (const mode of MODES) {
    it(`an allowed request in ${mode} mode carries no warning, status or annotation`, () => {
      const request = requestOf({ oldObject: makeNode({ cordoned: true }), object: makeNode({ cordoned: false }) });
      assert.deepEqual(judge(request, policyWith({ mode })).reply, { allowed: true });
    });
  }

  it('a Node UPDATE without oldObject is answered 400 and not allowed, in every mode', () => {
    for (const mode of MODES) {
      const { reply, decision } = judge(requestOf({ oldObject: null }), policyWith({ mode }));
      assert.equal(decision, 'errored');
      assert.equal(reply.allowed, false);
      assert.equal(reply.status?.code, 400);
      assert.match(reply.status?.message ?? '', /no oldObject/);
    }
  });
});

// Added with mutation testing (issue 6).
describe('what is logged and counted', () => {
  it('an allowed request is decided "allowed" and labelled with its allow reason', () => {
    const { decision, evaluation } = judge(requestOf({ oldObject: makeNode({ cordoned: true }), object: makeNode({ cordoned: false }) }), policyWith());
    assert.equal(decision, 'allowed');
    assert.equal(reasonOf(evaluation), 'no-maintenance');
  });

  it('a violation is labelled with the violation', () => {
    assert.equal(reasonOf(judge(rogueUncordon, policyWith()).evaluation), 'maintenance-active');
  });

  it('a review that cannot be judged is labelled errored', () => {
    assert.equal(reasonOf(judge(requestOf({ oldObject: null }), policyWith()).evaluation), 'errored');
  });
});
