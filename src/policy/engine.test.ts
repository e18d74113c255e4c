import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAINTENANCE, makeNode, type ReviewShape } from '../../testkit/fixtures.ts';
import { policyWith } from '../../testkit/policies.ts';
import { requestOf } from '../../testkit/requests.ts';
import { stampValue } from './cordonStamp.ts';
import { evaluate } from './engine.ts';
import type { PolicySettings } from './types.ts';

const ROGUE = 'system:serviceaccount:system-upgrade:system-upgrade';
const STAMP = 'cordon-guard.io/cordoned-by';
const stampOf = (user: string) => stampValue(user, new Date('2026-11-28T06:00:00Z'));
const cordonedInMaintenance = makeNode({ cordoned: true, annotations: MAINTENANCE });
const uncordonedInMaintenance = makeNode({ cordoned: false, annotations: MAINTENANCE });
const allowlist: Partial<PolicySettings> = {
  allow: { users: ['alice@example.com', 'system:serviceaccount:ops:*'], groups: ['sre-oncall'], serviceAccounts: ['kube-system/node-maintenance'] },
};

interface Row {
  name: string;
  review: ReviewShape;
  policy?: Partial<PolicySettings>;
  expect: { verdict: string; reason?: string; transition?: string };
}

const uncordonInMaintenance = (username: string, groups: string[] = []): ReviewShape => ({
  username,
  groups,
  oldObject: cordonedInMaintenance,
  object: uncordonedInMaintenance,
});

const rows: Row[] = [
  // Step 1: not applicable.
  { name: 'a Pod is not judged', review: { ...uncordonInMaintenance(ROGUE), kind: { group: '', version: 'v1', kind: 'Pod' } }, expect: { verdict: 'allow', reason: 'not-applicable' } },
  { name: 'a Node in another group is not judged', review: { ...uncordonInMaintenance(ROGUE), kind: { group: 'example.com', version: 'v1', kind: 'Node' } }, expect: { verdict: 'allow', reason: 'not-applicable' } },
  { name: 'a Node of another version is not judged', review: { ...uncordonInMaintenance(ROGUE), kind: { group: '', version: 'v2', kind: 'Node' } }, expect: { verdict: 'allow', reason: 'not-applicable' } },
  { name: 'a CREATE of a cordoned node is not judged', review: { operation: 'CREATE', oldObject: null, object: cordonedInMaintenance }, expect: { verdict: 'allow', reason: 'not-applicable' } },
  { name: 'a DELETE of a node under maintenance is not judged', review: { operation: 'DELETE', oldObject: cordonedInMaintenance, object: null }, expect: { verdict: 'allow', reason: 'not-applicable' } },
  { name: 'a CONNECT is not judged', review: { operation: 'CONNECT' }, expect: { verdict: 'allow', reason: 'not-applicable' } },
  { name: 'an uncordon through the status subresource is not judged', review: { ...uncordonInMaintenance(ROGUE), subResource: 'status' }, expect: { verdict: 'allow', reason: 'not-applicable' } },
  // Step 2.1: allowlisted.
  { name: 'an allowlisted user may uncordon a node under maintenance', review: uncordonInMaintenance('alice@example.com'), policy: allowlist, expect: { verdict: 'allow', reason: 'allowlisted', transition: 'uncordon' } },
  { name: 'a user pattern with * matches a service account username', review: uncordonInMaintenance('system:serviceaccount:ops:drainer'), policy: allowlist, expect: { verdict: 'allow', reason: 'allowlisted' } },
  { name: 'a member of an allowlisted group may uncordon', review: uncordonInMaintenance('bob', ['system:authenticated', 'sre-oncall']), policy: allowlist, expect: { verdict: 'allow', reason: 'allowlisted' } },
  { name: 'an allowlisted service account NS/NAME may uncordon', review: uncordonInMaintenance('system:serviceaccount:kube-system:node-maintenance'), policy: allowlist, expect: { verdict: 'allow', reason: 'allowlisted' } },
  { name: 'user patterns are case-sensitive', review: uncordonInMaintenance('Alice@example.com'), policy: allowlist, expect: { verdict: 'violation', reason: 'maintenance-active' } },
  { name: 'user patterns are anchored at both ends', review: uncordonInMaintenance('xalice@example.com.evil'), policy: allowlist, expect: { verdict: 'violation', reason: 'maintenance-active' } },
  { name: 'a dot in a pattern is a literal dot', review: uncordonInMaintenance('alice@exampleXcom'), policy: allowlist, expect: { verdict: 'violation', reason: 'maintenance-active' } },
  { name: 'a group name is not matched against user patterns', review: uncordonInMaintenance('sre-oncall'), policy: allowlist, expect: { verdict: 'violation', reason: 'maintenance-active' } },
  { name: 'a service account pattern does not match a user named NS/NAME', review: uncordonInMaintenance('kube-system/node-maintenance'), policy: allowlist, expect: { verdict: 'violation', reason: 'maintenance-active' } },
  { name: 'a service account in another namespace is not allowlisted', review: uncordonInMaintenance('system:serviceaccount:default:node-maintenance'), policy: allowlist, expect: { verdict: 'violation', reason: 'maintenance-active' } },
  { name: 'a * pattern can stand for a whole service account namespace', review: uncordonInMaintenance('system:serviceaccount:maint:any'), policy: { allow: { users: [], groups: [], serviceAccounts: ['maint/*'] } }, expect: { verdict: 'allow', reason: 'allowlisted' } },
  // Step 2.2: maintenance.
  { name: 'a rogue uncordon of a node under maintenance is a violation', review: uncordonInMaintenance(ROGUE), expect: { verdict: 'violation', reason: 'maintenance-active', transition: 'uncordon' } },
  { name: 'an empty annotation value still means maintenance', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { 'cordon-guard.io/maintenance': '' } }), object: makeNode({ cordoned: false, annotations: { 'cordon-guard.io/maintenance': '' } }) }, expect: { verdict: 'violation', reason: 'maintenance-active' } },
  { name: 'removing the annotation while uncordoning is judged on oldObject and refused', review: { username: ROGUE, oldObject: cordonedInMaintenance, object: makeNode({ cordoned: false }) }, expect: { verdict: 'violation', reason: 'maintenance-active', transition: 'uncordon' } },
  { name: 'unschedulable absent in object counts as an uncordon', review: { username: ROGUE, oldObject: cordonedInMaintenance, object: makeNode({ annotations: MAINTENANCE }) }, expect: { verdict: 'violation', reason: 'maintenance-active' } },
  { name: 'unschedulable null in object counts as an uncordon', review: { username: ROGUE, oldObject: cordonedInMaintenance, object: makeNode({ cordoned: null, annotations: MAINTENANCE }) }, expect: { verdict: 'violation', reason: 'maintenance-active' } },
  { name: 'a custom maintenance annotation key is honoured', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { 'example.com/maint': 'x' } }), object: makeNode({ cordoned: false, annotations: { 'example.com/maint': 'x' } }) }, policy: { maintenanceAnnotation: 'example.com/maint' }, expect: { verdict: 'violation', reason: 'maintenance-active' } },
  { name: 'the default annotation means nothing under a custom key', review: uncordonInMaintenance(ROGUE), policy: { maintenanceAnnotation: 'example.com/maint' }, expect: { verdict: 'allow', reason: 'no-maintenance' } },
  { name: 'a node with no annotations at all is not under maintenance', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: null }), object: makeNode({ cordoned: false, annotations: null }) }, expect: { verdict: 'allow', reason: 'no-maintenance' } },
  // Step 2.3 and 2.4.
  { name: 'with guardAllCordons any rogue uncordon is a violation', review: { username: ROGUE, oldObject: makeNode({ cordoned: true }), object: makeNode({ cordoned: false }) }, policy: { guardAllCordons: true }, expect: { verdict: 'violation', reason: 'cordon-guarded' } },
  { name: 'maintenance wins over guardAllCordons as the reason', review: uncordonInMaintenance(ROGUE), policy: { guardAllCordons: true }, expect: { verdict: 'violation', reason: 'maintenance-active' } },
  { name: 'an allowlisted user may uncordon under guardAllCordons', review: { username: 'alice@example.com', oldObject: makeNode({ cordoned: true }), object: makeNode({ cordoned: false }) }, policy: { ...allowlist, guardAllCordons: true }, expect: { verdict: 'allow', reason: 'allowlisted' } },
  { name: 'an uncordon of a node never under maintenance is allowed', review: { username: ROGUE, oldObject: makeNode({ cordoned: true }), object: makeNode({ cordoned: false }) }, expect: { verdict: 'allow', reason: 'no-maintenance', transition: 'uncordon' } },
  // Step 3: annotation removal.
  { name: 'removing the annotation from a cordoned node is allowed by default', review: { username: ROGUE, oldObject: cordonedInMaintenance, object: makeNode({ cordoned: true }) }, expect: { verdict: 'allow', reason: 'not-an-uncordon', transition: 'annotation-removal' } },
  { name: 'with guardAnnotationRemoval a rogue removal is a violation', review: { username: ROGUE, oldObject: cordonedInMaintenance, object: makeNode({ cordoned: true }) }, policy: { guardAnnotationRemoval: true }, expect: { verdict: 'violation', reason: 'annotation-removal', transition: 'annotation-removal' } },
  { name: 'with guardAnnotationRemoval an allowlisted removal is allowed as not-an-uncordon', review: { username: 'alice@example.com', oldObject: cordonedInMaintenance, object: makeNode({ cordoned: true }) }, policy: { ...allowlist, guardAnnotationRemoval: true }, expect: { verdict: 'allow', reason: 'not-an-uncordon' } },
  { name: 'an empty-valued annotation removal is guarded too', review: { username: ROGUE, oldObject: makeNode({ annotations: { 'cordon-guard.io/maintenance': '' } }), object: makeNode({}) }, policy: { guardAnnotationRemoval: true }, expect: { verdict: 'violation', reason: 'annotation-removal' } },
  { name: 'changing the annotation value is not a removal', review: { username: ROGUE, oldObject: cordonedInMaintenance, object: makeNode({ cordoned: true, annotations: { 'cordon-guard.io/maintenance': 'other' } }) }, policy: { guardAnnotationRemoval: true }, expect: { verdict: 'allow', reason: 'not-an-uncordon', transition: 'other' } },
  // Step 4.
  { name: 'a label change on a node under maintenance is allowed', review: { username: 'system:node:worker-3', oldObject: cordonedInMaintenance, object: makeNode({ cordoned: true, annotations: MAINTENANCE, labels: { a: 'b' } }) }, policy: { guardAllCordons: true, guardAnnotationRemoval: true }, expect: { verdict: 'allow', reason: 'not-an-uncordon', transition: 'other' } },
  { name: 'a cordon is allowed', review: { username: ROGUE, oldObject: makeNode({ cordoned: false }), object: makeNode({ cordoned: true }) }, policy: { guardAllCordons: true }, expect: { verdict: 'allow', reason: 'not-an-uncordon' } },
  { name: 'false to absent is not an uncordon', review: { username: ROGUE, oldObject: makeNode({ cordoned: false, annotations: MAINTENANCE }), object: makeNode({ annotations: MAINTENANCE }) }, expect: { verdict: 'allow', reason: 'not-an-uncordon' } },
  { name: 'adding the annotation is allowed', review: { username: ROGUE, oldObject: makeNode({ cordoned: true }), object: cordonedInMaintenance }, policy: { guardAnnotationRemoval: true }, expect: { verdict: 'allow', reason: 'not-an-uncordon' } },
  // Cordon ownership (POLICY.md "Cordon ownership").
  { name: 'under guardAllCordons the requester who cordoned may uncordon', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { [STAMP]: stampOf(ROGUE) } }), object: makeNode({ cordoned: false }) }, policy: { guardAllCordons: true }, expect: { verdict: 'allow', reason: 'cordon-owner', transition: 'uncordon' } },
  { name: 'under guardAllCordons another requester may not uncordon someone else\'s cordon', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { [STAMP]: stampOf('admin') } }), object: makeNode({ cordoned: false }) }, policy: { guardAllCordons: true }, expect: { verdict: 'violation', reason: 'cordon-guarded' } },
  { name: 'allowCordonOwner false takes the owner\'s right away', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { [STAMP]: stampOf(ROGUE) } }), object: makeNode({ cordoned: false }) }, policy: { guardAllCordons: true, allowCordonOwner: false }, expect: { verdict: 'violation', reason: 'cordon-guarded' } },
  { name: 'the maintenance annotation wins over ownership', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { ...MAINTENANCE, [STAMP]: stampOf(ROGUE) } }), object: makeNode({ cordoned: false, annotations: MAINTENANCE }) }, policy: { guardAllCordons: true }, expect: { verdict: 'violation', reason: 'maintenance-active' } },
  { name: 'a stamp that is not valid JSON names no owner', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { [STAMP]: ROGUE } }), object: makeNode({ cordoned: false }) }, policy: { guardAllCordons: true }, expect: { verdict: 'violation', reason: 'cordon-guarded' } },
  { name: 'without guardAllCordons an uncordon of a stamped node is allowed as no-maintenance', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { [STAMP]: stampOf('admin') } }), object: makeNode({ cordoned: false }) }, expect: { verdict: 'allow', reason: 'no-maintenance' } },
  { name: 'forging a stamp on a cordoned node is stamp-tampering', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { [STAMP]: stampOf('admin') } }), object: makeNode({ cordoned: true, annotations: { [STAMP]: stampOf(ROGUE) } }) }, expect: { verdict: 'violation', reason: 'stamp-tampering', transition: 'stamp-change' } },
  { name: 'adding a stamp to a node that is not cordoned is stamp-tampering in enforce mode', review: { username: ROGUE, oldObject: makeNode({ cordoned: false }), object: makeNode({ cordoned: false, annotations: { [STAMP]: stampOf(ROGUE) } }) }, expect: { verdict: 'violation', reason: 'stamp-tampering', transition: 'stamp-change' } },
  { name: 'adding a stamp to a node that is not cordoned is a stale stamp in warn mode, where tampering would only be warned about', review: { username: ROGUE, oldObject: makeNode({ cordoned: false }), object: makeNode({ cordoned: false, annotations: { [STAMP]: stampOf(ROGUE) } }) }, policy: { mode: 'warn' }, expect: { verdict: 'violation', reason: 'stale-stamp', transition: 'stamp-change' } },
  { name: 'removing the stamp without uncordoning is stamp-tampering', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { [STAMP]: stampOf('admin') } }), object: makeNode({ cordoned: true }) }, expect: { verdict: 'violation', reason: 'stamp-tampering' } },
  { name: 'an allowlisted requester may fix a stamp', review: { username: 'alice@example.com', oldObject: makeNode({ cordoned: true, annotations: { [STAMP]: stampOf('x') } }), object: makeNode({ cordoned: true }) }, policy: allowlist, expect: { verdict: 'allow', reason: 'not-an-uncordon', transition: 'stamp-change' } },
  { name: 'a cordon that carries the new stamp is not tampering', review: { username: ROGUE, oldObject: makeNode({ cordoned: false }), object: makeNode({ cordoned: true, annotations: { [STAMP]: stampOf(ROGUE) } }) }, expect: { verdict: 'allow', reason: 'not-an-uncordon', transition: 'other' } },
  { name: 'an uncordon that drops the stamp is judged as an uncordon', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { [STAMP]: stampOf(ROGUE) } }), object: makeNode({ cordoned: false }) }, expect: { verdict: 'allow', reason: 'no-maintenance', transition: 'uncordon' } },
  // A stamp must not outlive its cordon (POLICY.md "Cordon ownership").
  { name: 'an uncordon that keeps the stamp is a stale stamp, even by the owner', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { [STAMP]: stampOf(ROGUE) } }), object: makeNode({ cordoned: false, annotations: { [STAMP]: stampOf(ROGUE) } }) }, policy: { guardAllCordons: true }, expect: { verdict: 'violation', reason: 'stale-stamp', transition: 'uncordon' } },
  { name: 'an uncordon that keeps the stamp is a stale stamp, even by an allowlisted requester', review: { username: 'alice@example.com', oldObject: makeNode({ cordoned: true, annotations: { ...MAINTENANCE, [STAMP]: stampOf('admin') } }), object: makeNode({ cordoned: false, annotations: { ...MAINTENANCE, [STAMP]: stampOf('admin') } }) }, policy: allowlist, expect: { verdict: 'violation', reason: 'stale-stamp', transition: 'uncordon' } },
  { name: 'an uncordon that keeps a stamp of the old format is a stale stamp too', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { [STAMP]: 'x' } }), object: makeNode({ cordoned: false, annotations: { [STAMP]: 'x' } }) }, expect: { verdict: 'violation', reason: 'stale-stamp' } },
  { name: 'an uncordon that writes another stamp is a stale stamp', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { [STAMP]: stampOf('admin') } }), object: makeNode({ cordoned: false, annotations: { [STAMP]: stampOf(ROGUE) } }) }, expect: { verdict: 'violation', reason: 'stale-stamp' } },
  { name: 'an allowlisted requester may not add a stamp to a node that is not cordoned either', review: { username: 'alice@example.com', oldObject: makeNode({ cordoned: false }), object: makeNode({ cordoned: false, annotations: { [STAMP]: stampOf('alice@example.com') } }) }, policy: allowlist, expect: { verdict: 'violation', reason: 'stale-stamp', transition: 'stamp-change' } },
  { name: 'changing a stamp left on a node that is not cordoned is a stale stamp in audit mode', review: { username: ROGUE, oldObject: makeNode({ cordoned: false, annotations: { [STAMP]: stampOf('admin') } }), object: makeNode({ cordoned: false, annotations: { [STAMP]: stampOf(ROGUE) } }) }, policy: { mode: 'audit' }, expect: { verdict: 'violation', reason: 'stale-stamp' } },
  { name: 'an uncordon under maintenance that keeps the stamp is maintenance-active in enforce mode: it is refused anyway, and that reason tells more', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { ...MAINTENANCE, [STAMP]: stampOf('admin') } }), object: makeNode({ cordoned: false, annotations: { ...MAINTENANCE, [STAMP]: stampOf('admin') } }) }, expect: { verdict: 'violation', reason: 'maintenance-active', transition: 'uncordon' } },
  { name: 'an uncordon under maintenance that keeps the stamp is maintenance-active in preserve mode too', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { ...MAINTENANCE, [STAMP]: stampOf('admin') } }), object: makeNode({ cordoned: false, annotations: { ...MAINTENANCE, [STAMP]: stampOf('admin') } }) }, policy: { mode: 'preserve' }, expect: { verdict: 'violation', reason: 'maintenance-active' } },
  { name: 'an uncordon under maintenance that keeps the stamp is a stale stamp in warn mode, where maintenance-active would only be warned about', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { ...MAINTENANCE, [STAMP]: stampOf('admin') } }), object: makeNode({ cordoned: false, annotations: { ...MAINTENANCE, [STAMP]: stampOf('admin') } }) }, policy: { mode: 'warn' }, expect: { verdict: 'violation', reason: 'stale-stamp', transition: 'uncordon' } },
  { name: 'removing a stamp left on a node that is not cordoned is still stamp-tampering', review: { username: ROGUE, oldObject: makeNode({ cordoned: false, annotations: { [STAMP]: stampOf('admin') } }), object: makeNode({ cordoned: false }) }, expect: { verdict: 'violation', reason: 'stamp-tampering' } },
  { name: 'a stamp left on a node that is not cordoned does not stop the removal of the maintenance annotation', review: { username: ROGUE, oldObject: makeNode({ cordoned: false, annotations: { ...MAINTENANCE, [STAMP]: stampOf('admin') } }), object: makeNode({ cordoned: false, annotations: { [STAMP]: stampOf('admin') } }) }, expect: { verdict: 'allow', reason: 'not-an-uncordon', transition: 'annotation-removal' } },
  { name: 'a stamp without the version of this format names no owner (cordon-guard 0.1 wrote it)', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { [STAMP]: JSON.stringify({ user: ROGUE, at: '2026-11-28T06:00:00Z' }) } }), object: makeNode({ cordoned: false }) }, policy: { guardAllCordons: true }, expect: { verdict: 'violation', reason: 'cordon-guarded' } },
  { name: 'a stamp of another version names no owner', review: { username: ROGUE, oldObject: makeNode({ cordoned: true, annotations: { [STAMP]: JSON.stringify({ user: ROGUE, at: '2026-11-28T06:00:00Z', v: 3 }) } }), object: makeNode({ cordoned: false }) }, policy: { guardAllCordons: true }, expect: { verdict: 'violation', reason: 'cordon-guarded' } },
  { name: 'a cordon may keep a stamp left over from an earlier cordon (/mutate replaces it)', review: { username: ROGUE, oldObject: makeNode({ cordoned: false, annotations: { [STAMP]: stampOf('admin') } }), object: makeNode({ cordoned: true, annotations: { [STAMP]: stampOf('admin') } }) }, policy: { guardAllCordons: true }, expect: { verdict: 'allow', reason: 'not-an-uncordon', transition: 'other' } },
  // Cannot be judged.
  { name: 'a Node UPDATE without oldObject cannot be judged', review: { username: ROGUE, oldObject: null }, expect: { verdict: 'errored' } },
  { name: 'a Node UPDATE without object cannot be judged', review: { username: ROGUE, object: null }, expect: { verdict: 'errored' } },
];

describe('the policy engine follows POLICY.md', () => {
  for (const row of rows) {
    it(row.name, () => {
      const evaluation = evaluate(requestOf(row.review), policyWith(row.policy));
      assert.equal(evaluation.verdict, row.expect.verdict);
      if (row.expect.reason !== undefined) assert.equal('reason' in evaluation ? evaluation.reason : undefined, row.expect.reason);
      if (row.expect.transition !== undefined) {
        assert.equal('transition' in evaluation ? evaluation.transition : undefined, row.expect.transition);
      }
    });
  }

  it('a pattern with regex characters matches only literally', () => {
    const policy = policyWith({ allow: { users: ['a+b(c)[d]{2}|e$^'], groups: [], serviceAccounts: [] } });
    assert.equal(evaluate(requestOf(uncordonInMaintenance('a+b(c)[d]{2}|e$^')), policy).verdict, 'allow');
    assert.equal(evaluate(requestOf(uncordonInMaintenance('aab(c)[d]{2}|e$^')), policy).verdict, 'violation');
    assert.equal(evaluate(requestOf(uncordonInMaintenance('e')), policy).verdict, 'violation');
  });

  it('a lone * pattern allowlists every user, including the empty name', () => {
    const policy = policyWith({ allow: { users: ['*'], groups: [], serviceAccounts: [] } });
    assert.equal(evaluate(requestOf(uncordonInMaintenance('')), policy).verdict, 'allow');
    assert.equal(evaluate(requestOf(uncordonInMaintenance('line\nbreak')), policy).verdict, 'allow');
  });

  it('__proto__ and constructor are plain strings to the allowlist and annotations', () => {
    const policy = policyWith({ allow: { users: ['__proto__'], groups: ['constructor'], serviceAccounts: [] } });
    assert.equal(evaluate(requestOf(uncordonInMaintenance('__proto__')), policy).verdict, 'allow');
    assert.equal(evaluate(requestOf(uncordonInMaintenance('x', ['constructor'])), policy).verdict, 'allow');
    assert.equal(evaluate(requestOf(uncordonInMaintenance('toString', ['hasOwnProperty'])), policy).verdict, 'violation');
    const protoOnly = JSON.parse('{"metadata":{"annotations":{"__proto__":{"cordon-guard.io/maintenance":"x"}}},"spec":{"unschedulable":true}}');
    const review = { username: ROGUE, oldObject: protoOnly, object: makeNode({ cordoned: false }) };
    const evaluation = evaluate(requestOf(review), policyWith());
    assert.equal(evaluation.verdict === 'allow' && evaluation.reason, 'no-maintenance');
  });
});

// Added with mutation testing (issue 6): each test pins one behaviour a mutant could change.
describe('the policy engine, edge cases found by mutation testing', () => {
  const judged = (review: ReviewShape, policy: Partial<PolicySettings> = {}) => evaluate(requestOf(review), policyWith(policy));
  const plainUncordon = (username: string, stamp?: string): ReviewShape => ({
    username,
    oldObject: makeNode({ cordoned: true, ...(stamp === undefined ? {} : { annotations: { [STAMP]: stamp } }) }),
    object: makeNode({ cordoned: false }),
  });

  it('a request that is not applicable is an allow whose transition is other', () => {
    assert.deepEqual(judged({ ...uncordonInMaintenance(ROGUE), subResource: 'status' }), { verdict: 'allow', reason: 'not-applicable', transition: 'other' });
  });

  it('a cordon-guarded violation is an uncordon transition', () => {
    const evaluation = judged(plainUncordon(ROGUE), { guardAllCordons: true });
    assert.equal(evaluation.verdict === 'violation' && evaluation.transition, 'uncordon');
  });

  it('a Node UPDATE without object cannot be judged, and the message names the missing object', () => {
    const evaluation = judged({ username: ROGUE, object: null });
    assert.equal(evaluation.verdict, 'errored');
    assert.match('message' in evaluation ? evaluation.message : '', /: the review has no object$/);
  });

  it('a stamp without a time names no owner', () => {
    const evaluation = judged(plainUncordon(ROGUE, JSON.stringify({ user: ROGUE, v: 2 })), { guardAllCordons: true });
    assert.equal(evaluation.verdict === 'violation' && evaluation.reason, 'cordon-guarded');
  });

  it('a stamp whose user or time is not a string names no owner, and the message is still written', () => {
    for (const stamp of [{ user: 42, at: '2026-11-28T06:00:00Z', v: 2 }, { user: ROGUE, at: 7, v: 2 }]) {
      const evaluation = judged(plainUncordon(ROGUE, JSON.stringify(stamp)), { guardAllCordons: true });
      assert.equal(evaluation.verdict, 'violation');
      if (evaluation.verdict === 'violation') assert.doesNotMatch(evaluation.message, /cordoned by/);
    }
  });

  it('a service-account username whose prefix differs in case is not a service account', () => {
    const evaluation = judged(uncordonInMaintenance('system:serviceAccount:kube-system:node-maintenance'), allowlist);
    assert.equal(evaluation.verdict === 'violation' && evaluation.reason, 'maintenance-active');
  });

  it('a service-account username with an empty namespace, an empty name or no name is matched by no serviceAccounts pattern', () => {
    const policy = { allow: { users: [], groups: [], serviceAccounts: ['*', '*/x', 'ns/*'] } };
    for (const username of ['system:serviceaccount::x', 'system:serviceaccount:ns:', 'system:serviceaccount:ns', 'system:serviceaccount:']) {
      const evaluation = judged(uncordonInMaintenance(username), policy);
      assert.equal(evaluation.verdict === 'violation' && evaluation.reason, 'maintenance-active', username);
    }
    assert.equal(judged(uncordonInMaintenance('system:serviceaccount:ns:x'), policy).verdict, 'allow');
  });

  it('a node whose spec, metadata or annotations are null is neither cordoned nor under maintenance', () => {
    const hostile = [{ metadata: null, spec: null }, { metadata: { annotations: null }, spec: { unschedulable: null } }];
    for (const oldObject of hostile) {
      assert.deepEqual(judged({ username: ROGUE, oldObject, object: makeNode({ cordoned: false }) }, { guardAllCordons: true, guardAnnotationRemoval: true }), {
        verdict: 'allow',
        reason: 'not-an-uncordon',
        transition: 'other',
        facts: { write: 'update', cordonedBefore: false, cordonedAfter: false, stampAfter: undefined },
      });
    }
  });

  it('a maintenance annotation whose value is not a string still counts, and the message shows it as JSON', () => {
    for (const [value, shown] of [[42, '"42"'], [{ a: 1 }, '"{\\"a\\":1}"'], [null, '"null"']] as const) {
      const oldObject = { metadata: { name: 'worker-3', annotations: { 'cordon-guard.io/maintenance': value } }, spec: { unschedulable: true } };
      const evaluation = judged({ username: ROGUE, oldObject, object: makeNode({ cordoned: false }) });
      assert.equal(evaluation.verdict === 'violation' && evaluation.reason, 'maintenance-active');
      if (evaluation.verdict === 'violation') assert.ok(evaluation.message.includes(`(cordon-guard.io/maintenance=${shown})`), evaluation.message);
    }
  });
});
