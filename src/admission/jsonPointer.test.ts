import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pointerToken } from './jsonPointer.ts';

describe('RFC 6901 reference tokens', () => {
  const cases: [string, string, string][] = [
    ['a plain key is written as it is', 'unschedulable', 'unschedulable'],
    ['a slash is written ~1', 'cordon-guard.io/cordoned-by', 'cordon-guard.io~1cordoned-by'],
    ['a tilde is written ~0', 'a~b', 'a~0b'],
    ['~ is escaped before /, so "~1" stays two characters of data', '~1/', '~01~1'],
    ['the empty key is the empty token', '', ''],
  ];
  for (const [name, key, token] of cases) it(name, () => assert.equal(pointerToken(key), token));
});
