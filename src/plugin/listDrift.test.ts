import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { driftCell, withDrift } from './listDrift.ts';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const HOUR = 3_600_000;
const row = (cordoned: boolean, reason: string | null, since: string | null) => ({ name: 'n', cordoned, reason, since });

describe('list marks drift', () => {
  const cases: [string, ReturnType<typeof row>, number | null, { drifted: boolean; overdue: boolean | null }, string | null][] = [
    ['a node under maintenance that is cordoned is neither drifted nor overdue', row(true, 'r', '2026-11-30T11:00:00Z'), 72 * HOUR, { drifted: false, overdue: false }, null],
    ['a node under maintenance that is schedulable is drifted', row(false, 'r', '2026-11-30T11:00:00Z'), null, { drifted: true, overdue: false }, 'DRIFTED'],
    ['a maintenance started longer ago than the limit is overdue', row(true, 'r', '2026-11-26T00:00:00Z'), 72 * HOUR, { drifted: false, overdue: true }, 'OVERDUE'],
    ['a drifted and overdue node is marked both', row(false, 'r', '2026-11-26T00:00:00Z'), 72 * HOUR, { drifted: true, overdue: true }, 'DRIFTED,OVERDUE'],
    ['without a limit nothing is overdue', row(true, 'r', '2020-01-01T00:00:00Z'), null, { drifted: false, overdue: false }, null],
    ['a maintenance without a start record cannot be dated: overdue is unknown', row(true, 'r', null), 72 * HOUR, { drifted: false, overdue: null }, null],
    ['a cordoned node not under maintenance is neither', row(true, null, null), 72 * HOUR, { drifted: false, overdue: false }, null],
  ];
  for (const [name, input, maxAge, marks, cell] of cases) {
    it(name, () => {
      const [marked] = withDrift([input], maxAge, NOW);
      assert.deepEqual(marked, { ...input, ...marks });
      assert.equal(driftCell(marks), cell);
    });
  }
});
