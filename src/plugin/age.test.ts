import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { age } from './age.ts';

const NOW = new Date('2026-11-28T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('the AGE column', () => {
  const rows: [string, string, string][] = [
    ['a time just now is 0s', ago(0), '0s'],
    ['a second ahead (clock skew) is 0s', ago(-999), '0s'],
    ['59.9 seconds are 59s', ago(59_900), '59s'],
    ['a minute is 1m', ago(M), '1m'],
    ['59 minutes 59 seconds are 59m', ago(H - S), '59m'],
    ['two and a half hours are 2h', ago(2.5 * H), '2h'],
    ['23 hours 59 minutes are 23h', ago(D - M), '23h'],
    ['4 days 23 hours are 4d', ago(5 * D - H), '4d'],
    ['364 days are 364d', ago(364 * D), '364d'],
    ['two years are 2y', ago(2 * 365 * D), '2y'],
    ['a time two seconds in the future is <invalid>', ago(-2 * S), '<invalid>'],
    ['a time that does not parse is <invalid>', 'yesterday', '<invalid>'],
    ['a time with microseconds (an audit log) reads as any other', '2026-11-28T11:57:00.123456Z', '2m'],
  ];
  for (const [says, time, expected] of rows) {
    it(`says that ${says}`, () => assert.equal(age(time, NOW), expected));
  }
});
