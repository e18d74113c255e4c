import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAINTENANCE, makeNode } from '../../testkit/fixtures.ts';
import { policyWith } from '../../testkit/policies.ts';
import { requestOf } from '../../testkit/requests.ts';
import { answer } from './answer.ts';
import { CORDON_STAMP_ANNOTATION } from './cordonStamp.ts';

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
});
