import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPlainObject, ownField } from './json.ts';

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
