import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorMessage } from './errors.ts';

describe('errorMessage', () => {
  it('an Error gives its message', () => assert.equal(errorMessage(new TypeError('bad type')), 'bad type'));
  it('a thrown string is itself', () => assert.equal(errorMessage('plain text'), 'plain text'));
  it('any other thrown value is rendered, never crashes', () => {
    assert.equal(errorMessage(undefined), 'undefined');
    assert.equal(errorMessage(42), '42');
  });
});
