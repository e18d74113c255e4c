import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from './duration.ts';

describe('policy durations', () => {
  const good: [string, string, number][] = [
    ['hours are read', '72h', 72 * 3_600_000],
    ['minutes are read', '90m', 90 * 60_000],
    ['seconds are read', '45s', 45_000],
    ['parts add up, as Go writes them', '1h30m15s', 5_415_000],
    ['a decimal fraction is read', '1.5h', 5_400_000],
  ];
  for (const [name, text, ms] of good) it(name, () => assert.deepEqual(parseDuration(text), { ok: true, ms }));

  const bad: [string, string, RegExp][] = [
    ['a number without a unit is refused', '72', /not a duration/],
    ['days are not a unit', '3d', /not a duration/],
    ['a negative duration is refused', '-1h', /not a duration/],
    ['spaces are refused', '1h 30m', /not a duration/],
    ['the empty string is refused', '', /not a duration/],
    ['zero is refused', '0s', /longer than zero/],
  ];
  for (const [name, text, problem] of bad) {
    it(name, () => {
      const result = parseDuration(text);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.problem, problem);
    });
  }
});
