import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPatch } from 'rfc6902';
import { makeNode } from '../../testkit/fixtures.ts';
import { requestOf } from '../../testkit/requests.ts';
import { CORDON_STAMP_ANNOTATION } from './annotations.ts';
import { readStamp } from './cordonStamp.ts';
import type { AdmissionRequest } from '../admission/types.ts';
import { policyWith } from '../../testkit/policies.ts';
import { answer } from './answer.ts';

const NOW = new Date('2026-11-28T06:30:15.123Z');
/** The stamp change of /mutate's answer. */
const cordonStampMutation = (request: AdmissionRequest, now: Date) => answer('mutate', request, policyWith(), now).mutation;

const STAMP = '{"user":"system:serviceaccount:system-upgrade:system-upgrade","at":"2026-11-28T06:30:15Z","v":2}';

function applied(object: Record<string, unknown>, patch: ReturnType<typeof cordonStampMutation>['patch']): Record<string, unknown> {
  const copy = structuredClone(object);
  const errors = applyPatch(copy, patch);
  assert.ok(errors.every((e) => e === null), JSON.stringify(errors));
  return copy;
}

describe('the cordon stamp patch', () => {
  it('stamps a cordon with the requester and the time, escaping the key as RFC 6901 requires', () => {
    const object = makeNode({ cordoned: true });
    const { change, patch } = cordonStampMutation(requestOf({ oldObject: makeNode({ cordoned: false }), object }), NOW);
    assert.equal(change, 'stamp');
    assert.deepEqual(patch, [{ op: 'add', path: '/metadata/annotations/cordon-guard.io~1cordoned-by', value: STAMP }]);
    assert.deepEqual(readStamp(applied(object, patch)), { user: 'system:serviceaccount:system-upgrade:system-upgrade', at: '2026-11-28T06:30:15Z' });
  });

  it('gives a node without annotations the whole map', () => {
    const object = makeNode({ cordoned: true, annotations: null });
    const { patch } = cordonStampMutation(requestOf({ oldObject: makeNode({ annotations: null }), object }), NOW);
    assert.deepEqual(patch, [{ op: 'add', path: '/metadata/annotations', value: { [CORDON_STAMP_ANNOTATION]: STAMP } }]);
    assert.equal(readStamp(applied(object, patch))?.at, '2026-11-28T06:30:15Z');
  });

  it('replaces a stale stamp on a new cordon', () => {
    const object = makeNode({ cordoned: true, annotations: { [CORDON_STAMP_ANNOTATION]: '{"user":"old","at":"2020-01-01T00:00:00Z"}' } });
    const { patch } = cordonStampMutation(requestOf({ oldObject: makeNode({ cordoned: false }), object }), NOW);
    assert.deepEqual(patch, [{ op: 'replace', path: '/metadata/annotations/cordon-guard.io~1cordoned-by', value: STAMP }]);
  });

  it('stamps a node created cordoned', () => {
    const { change } = cordonStampMutation(requestOf({ operation: 'CREATE', oldObject: null, object: makeNode({ cordoned: true }) }), NOW);
    assert.equal(change, 'stamp');
  });

  it('removes the stamp on an uncordon, and leaves the other annotations alone', () => {
    const annotations = { [CORDON_STAMP_ANNOTATION]: STAMP, 'example.com/keep': 'yes' };
    const object = makeNode({ cordoned: false, annotations });
    const { change, patch } = cordonStampMutation(requestOf({ oldObject: makeNode({ cordoned: true, annotations }), object }), NOW);
    assert.equal(change, 'unstamp');
    assert.deepEqual(patch, [{ op: 'remove', path: '/metadata/annotations/cordon-guard.io~1cordoned-by' }]);
    const after = applied(object, patch) as { metadata: { annotations: Record<string, string> } };
    assert.equal(after.metadata.annotations['example.com/keep'], 'yes');
    assert.equal(readStamp(after), undefined);
  });

  const untouched: [string, Parameters<typeof requestOf>[0]][] = [
    ['an uncordon of a node without a stamp', { oldObject: makeNode({ cordoned: true }), object: makeNode({ cordoned: false }) }],
    ['a label change of a cordoned node', { oldObject: makeNode({ cordoned: true }), object: makeNode({ cordoned: true, labels: { a: 'b' } }) }],
    ['a node created schedulable', { operation: 'CREATE', oldObject: null, object: makeNode({}) }],
    ['a status update', { subResource: 'status', oldObject: makeNode({ cordoned: false }), object: makeNode({ cordoned: true }) }],
    ['a Pod', { kind: { group: '', version: 'v1', kind: 'Pod' }, oldObject: makeNode({ cordoned: false }), object: makeNode({ cordoned: true }) }],
    ['a DELETE', { operation: 'DELETE', oldObject: makeNode({ cordoned: true }), object: null }],
  ];
  for (const [name, review] of untouched) {
    it(`does not patch ${name}`, () => {
      assert.deepEqual(cordonStampMutation(requestOf(review), NOW), { change: 'none', patch: [] });
    });
  }
});

// Added with mutation testing (issue 6): only cordon transitions of a Node are stamped.
describe('the cordon stamp patch, edge cases found by mutation testing', () => {
  const stamped = { [CORDON_STAMP_ANNOTATION]: STAMP };
  const untouched: [string, Parameters<typeof requestOf>[0]][] = [
    ['a cordon of a Node in another group', { kind: { group: 'example.com', version: 'v1', kind: 'Node' }, oldObject: makeNode({ cordoned: false }), object: makeNode({ cordoned: true }) }],
    ['a cordon of a Node of another version', { kind: { group: '', version: 'v2', kind: 'Node' }, oldObject: makeNode({ cordoned: false }), object: makeNode({ cordoned: true }) }],
    ['a CONNECT, whatever objects it carries', { operation: 'CONNECT', oldObject: makeNode({ cordoned: false }), object: makeNode({ cordoned: true }) }],
    ['an UPDATE without oldObject', { oldObject: null, object: makeNode({ cordoned: true }) }],
    ['a label change of a cordoned, stamped node', { oldObject: makeNode({ cordoned: true, annotations: stamped }), object: makeNode({ cordoned: true, annotations: stamped, labels: { a: 'b' } }) }],
    ['a label change of a schedulable node with a stale stamp', { oldObject: makeNode({ cordoned: false, annotations: stamped }), object: makeNode({ cordoned: false, annotations: stamped, labels: { a: 'b' } }) }],
  ];
  for (const [name, review] of untouched) {
    it(`does not patch ${name}`, () => {
      assert.deepEqual(cordonStampMutation(requestOf(review), NOW), { change: 'none', patch: [] });
    });
  }

  it('gives the whole annotations map to a cordoned node whose annotations are null, a string or a list', () => {
    for (const annotations of [null, 'x', ['x']]) {
      const object = { metadata: { name: 'worker-3', annotations }, spec: { unschedulable: true } };
      const { patch } = cordonStampMutation(requestOf({ oldObject: makeNode({ cordoned: false }), object }), NOW);
      assert.deepEqual(patch, [{ op: 'add', path: '/metadata/annotations', value: { [CORDON_STAMP_ANNOTATION]: STAMP } }], JSON.stringify(annotations));
    }
  });

  it('answers a cordon of a hostile node without metadata, or with null metadata, instead of throwing', () => {
    for (const object of [{ spec: { unschedulable: true } }, { metadata: null, spec: { unschedulable: true } }]) {
      assert.equal(cordonStampMutation(requestOf({ oldObject: makeNode({ cordoned: false }), object }), NOW).change, 'stamp');
    }
  });
});
