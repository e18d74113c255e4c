import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPlainObject, jsonEqual, ownField } from './json.ts';

describe('isPlainObject', () => {
  const cases: [string, unknown, boolean][] = [
    ['an object is one', { a: 1 }, true],
    ['an empty object is one', {}, true],
    ['null is not', null, false],
    ['an array is not', [], false],
    ['a string is not', 'x', false],
    ['a number is not', 1, false],
    ['undefined is not', undefined, false],
  ];
  for (const [name, value, expected] of cases) it(name, () => assert.equal(isPlainObject(value), expected));
});

describe('ownField', () => {
  it('reads an own property', () => assert.equal(ownField({ a: 1 }, 'a'), 1));
  it('does not read an inherited property such as toString or __proto__', () => {
    assert.equal(ownField({}, 'toString'), undefined);
    assert.equal(ownField({}, '__proto__'), undefined);
  });
  it('reads a key named __proto__ that is plain data (as JSON.parse makes it)', () => {
    assert.deepEqual(ownField(JSON.parse('{"__proto__": {"x": 1}}'), '__proto__'), { x: 1 });
  });
  it('reads nothing from an array, null or a string', () => {
    assert.equal(ownField(['a'], '0'), undefined);
    assert.equal(ownField(null, 'a'), undefined);
    assert.equal(ownField('abc', 'length'), undefined);
  });
});

describe('jsonEqual', () => {
  const cases: [string, unknown, unknown, boolean][] = [
    ['equal scalars are equal', 'a', 'a', true],
    ['different scalars are not', 1, '1', false],
    ['objects with the same keys and values in another order are equal', { a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 }, true],
    ['a missing key makes a difference', { a: 1 }, { a: 1, b: 2 }, false],
    ['a key with another name makes a difference', { a: 1 }, { b: 1 }, false],
    ['arrays differ by order', [1, 2], [2, 1], false],
    ['arrays differ by length', [1], [1, 1], false],
    ['an array is not an object', [], {}, false],
    ['null is not an empty object', null, {}, false],
  ];
  for (const [name, a, b, expected] of cases) it(name, () => assert.equal(jsonEqual(a, b), expected));

  it('compares values nested 100,000 levels deep without running out of stack', () => {
    const deep = (leaf: number) => JSON.parse(`${'['.repeat(100_000)}${leaf}${']'.repeat(100_000)}`) as unknown;
    assert.equal(jsonEqual(deep(1), deep(1)), true);
    assert.equal(jsonEqual(deep(1), deep(2)), false);
  });
});
