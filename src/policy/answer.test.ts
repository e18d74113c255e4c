import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAINTENANCE, makeNode } from '../../testkit/fixtures.ts';
import { policyWith } from '../../testkit/policies.ts';
import { requestOf } from '../../testkit/requests.ts';
import { answer } from './answer.ts';
import { CORDON_STAMP_ANNOTATION } from './annotations.ts';

const NOW = new Date('2026-12-01T10:00:00Z');
const rogueUncordon = requestOf({
  username: 'system:serviceaccount:system-upgrade:system-upgrade',
  oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE }),
  object: makeNode({ cordoned: false, annotations: MAINTENANCE }),
});
const cordon = requestOf({ username: 'admin', oldObject: makeNode({ cordoned: false }), object: makeNode({ cordoned: true }) });

describe('answer', () => {
  it('validate: the reply is the judgement\'s, and the judgement comes with it', () => {
    const result = answer('validate', rogueUncordon, policyWith(), NOW);
    assert.equal(result.endpoint, 'validate');
    if (result.endpoint !== 'validate') return;
    assert.equal(result.judgement.decision, 'denied');
    assert.equal(result.reply, result.judgement.reply);
    assert.equal(result.reply.allowed, false);
  });

  it('mutate: a cordon is answered with the stamp patch, timed by the clock passed in', () => {
    const result = answer('mutate', cordon, policyWith(), NOW);
    assert.equal(result.endpoint, 'mutate');
    if (result.endpoint !== 'mutate') return;
    assert.equal(result.mutation.change, 'stamp');
    assert.equal(result.reply.patchType, 'JSONPatch');
    const patch = JSON.parse(Buffer.from(String(result.reply.patch), 'base64').toString('utf8'));
    assert.deepEqual(patch, result.mutation.patch);
    assert.match(JSON.stringify(patch), /2026-12-01T10:00:00Z/);
    assert.match(JSON.stringify(patch), new RegExp(CORDON_STAMP_ANNOTATION.replace('/', '~1')));
  });

  it('mutate: a request that is not a cordon transition is allowed with no patch at all', () => {
    const result = answer('mutate', rogueUncordon, policyWith(), NOW);
    assert.deepEqual(result.reply, { allowed: true });
  });

  describe('mutate: the stamp of an uncordon', () => {
    const stamp = JSON.stringify({ user: 'admin', at: '2026-12-01T09:00:00Z', v: 2 });
    const uncordonBy = (username: string, annotations: Record<string, string>) =>
      requestOf({ username, oldObject: makeNode({ cordoned: true, annotations }), object: makeNode({ cordoned: false, annotations }) });
    const removal = [{ op: 'remove', path: `/metadata/annotations/${CORDON_STAMP_ANNOTATION.replace('/', '~1')}` }];
    const cases: [string, ReturnType<typeof requestOf>, Parameters<typeof policyWith>[0], 'unstamp' | 'kept'][] = [
      ['is removed when /validate allows the uncordon (an allowlisted requester)', uncordonBy('alice', { ...MAINTENANCE, [CORDON_STAMP_ANNOTATION]: stamp }), { allow: { users: ['alice'], groups: [], serviceAccounts: [] } }, 'unstamp'],
      ['is removed when no rule guards the node', uncordonBy('someone', { [CORDON_STAMP_ANNOTATION]: stamp }), {}, 'unstamp'],
      ['is kept, with no patch, when /validate refuses the uncordon: the API server would patch a write it throws away', uncordonBy('rogue', { ...MAINTENANCE, [CORDON_STAMP_ANNOTATION]: stamp }), {}, 'kept'],
      ['is removed in mode warn, where the refused uncordon goes through', uncordonBy('rogue', { ...MAINTENANCE, [CORDON_STAMP_ANNOTATION]: stamp }), { mode: 'warn' }, 'unstamp'],
      ['is removed in mode audit, for the same reason', uncordonBy('rogue', { ...MAINTENANCE, [CORDON_STAMP_ANNOTATION]: stamp }), { mode: 'audit' }, 'unstamp'],
    ];
    for (const [name, request, settings, change] of cases) {
      it(name, () => {
        const result = answer('mutate', request, policyWith(settings), NOW);
        assert.equal(result.mutation.change, change);
        if (change === 'kept') {
          assert.deepEqual(result.reply, { allowed: true });
          assert.equal(answer('validate', request, policyWith(settings), NOW).judgement.decision, 'denied');
        } else {
          assert.deepEqual(JSON.parse(Buffer.from(String(result.reply.patch), 'base64').toString('utf8')), removal);
        }
      });
    }
  });
});
