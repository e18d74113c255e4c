// The CEL library the matchConditions tests rely on, @bufbuild/cel: that it turns a missing
// field into an error, so the checks of the expressions can fail.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isCelError } from '@bufbuild/cel';
import { evalCel, show } from './matchConditions.ts';

describe('the CEL library (@bufbuild/cel)', () => {
  test('it treats an unguarded absent field or key as an error, so the checks of the expressions can fail', () => {
    const unguarded = `oldObject.spec.unschedulable == true && !(object.spec.unschedulable == true)`;
    assert.ok(isCelError(evalCel(unguarded, { oldObject: { spec: {} }, object: { spec: {} } })));
    assert.equal(evalCel(unguarded, { oldObject: { spec: { unschedulable: false } }, object: { spec: {} } }), false, 'false && error is false');
    assert.equal(evalCel(`'a/b' in x.m || has(x.n)`, { x: { m: { 'a/b': '' } } }), true);
    const index = `x.m['a/b'] != x.n['a/b']`;
    assert.equal(evalCel(index, { x: { m: { 'a/b': '1' }, n: { 'a/b': '2' } } }), true);
    assert.equal(evalCel(index, { x: { m: { 'a/b': '1' }, n: { 'a/b': '1' } } }), false);
    assert.ok(isCelError(evalCel(index, { x: { m: { 'a/b': '1' }, n: {} } })), 'an absent key is an error');
    assert.equal(evalCel(`false == false && false`, {}), false, '== binds tighter than &&');
    assert.equal(evalCel(`false == true || true`, {}), true, '== binds tighter than ||');
    assert.equal(evalCel(`(x == null) != (y == null)`, { x: null, y: 'a' }), true);
    // And an unbound variable is an error, not null (a misspelt variable would not go unseen).
    const unbound = evalCel(`objekt == null`, { object: null });
    assert.ok(isCelError(unbound), show(unbound));
  });
});
