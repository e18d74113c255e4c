// The target table: complete rows, unique keys, the JSON line's documented keys, and how a
// figure is judged against its limit.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Figures } from './figures.ts';
import { headlineOf, ROWS, rowOf, TARGETS, targetText, verdictOf, type Target } from './targets.ts';

/** The JSON line's keys as tests, docs and scripts read them today (more may follow, never fewer). */
const CONTRACT = ['throughputRatio', 'p99Ms50img', 'p99RatioVsBaseline', 'p99Ms500img', 'rssMb', 'rssDriftPct', 'readyMs', 'e2eRatioVsVap'];
/** Issue 14's figures: in the line too. */
const ISSUE_14 = ['throughputRatioUncordons', 'p99RatioVsBaselineUncordons', 'rssRatio', 'e2eOwnershipRatioVsVap', 'cordonAddedMs'];
/** Issue 23's targets ("`make bench` reports two new fields in its last JSON line") and the list time. */
const ISSUE_23 = ['idleRssMbInCluster', 'nodeWatchRssMb5000', 'nodeWatchListS5000'];

const nothing: Figures = {
  name: 'cordon-guard',
  p99at1000: undefined,
  p99at200big: undefined,
  peakMb: undefined,
  rssRatio: Number.NaN,
  drift: undefined,
  baselineDrift: undefined,
  readyMs: Number.NaN,
  e2eRatio: undefined,
  e2eMissing: 'skipped (--quick)',
  e2e: undefined,
  inCluster: undefined,
  inClusterMissing: 'skipped (--quick)',
  satRatio: () => undefined,
  fixRatio: () => undefined,
  fixed: () => undefined,
};

describe('the target table', () => {
  it('gives every target a label, a comparison, a finite limit and a unit', () => {
    assert.ok(TARGETS.length >= 8);
    for (const row of TARGETS) {
      assert.ok(row.target.label.length > 0, row.key);
      assert.ok(row.target.comparison === '<=' || row.target.comparison === '>=', row.key);
      assert.ok(Number.isFinite(row.target.limit), row.key);
      assert.ok(row.unit.trim().length > 0, row.key);
    }
  });

  it('gives every row a unit and whole decimals', () => {
    for (const row of ROWS) {
      assert.ok(row.unit.trim().length > 0, row.key);
      assert.ok(Number.isInteger(row.digits) && row.digits >= 0, row.key);
    }
  });

  it('has unique keys', () => {
    const keys = ROWS.map((r) => r.key);
    assert.equal(new Set(keys).size, keys.length);
  });

  it('keeps the JSON line\'s documented keys, in order, null when not measured', () => {
    const headline = headlineOf(nothing);
    assert.deepEqual(Object.keys(headline).filter((k) => CONTRACT.includes(k)), CONTRACT);
    assert.ok(Object.values(headline).every((v) => v === null));
  });

  it('puts issue 14\'s figures in the JSON line, each judged against its target', () => {
    const headline = headlineOf(nothing);
    for (const key of ISSUE_14) {
      assert.ok(Object.hasOwn(headline, key), key);
      assert.ok(TARGETS.some((t) => t.key === key), key);
    }
  });

  it('puts issue 23\'s figures in the JSON line, each judged against its target', () => {
    const headline = headlineOf(nothing);
    for (const key of ISSUE_23) {
      assert.ok(Object.hasOwn(headline, key), key);
      assert.ok(TARGETS.some((t) => t.key === key), key);
    }
    assert.ok(Object.hasOwn(headline, 'nodeWatchChurnRssDeltaMb'), 'the churn\'s RSS change, a figure');
  });

  it('documents every key of the JSON line in bench/README.md', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    for (const key of Object.keys(headlineOf(nothing))) assert.ok(readme.includes(`\`${key}\``), key);
  });

  it('writes a target as label, comparison, limit and unit', () => {
    assert.deepEqual(
      TARGETS.map(targetText),
      [
        'throughput, all node updates >= 0.95x baseline',
        '... uncordons >= 0.9x baseline',
        '50-image p99 at 1000 rps <= 3 ms',
        '... and, all node updates <= 1.2x baseline p99',
        '... uncordons <= 1.2x baseline p99',
        '500-image p99 at 200 rps <= 20 ms',
        'peak RSS <= 1.25x baseline',
        'RSS drift <= 10%',
        'ready <= 1000 ms',
        'e2e uncordon <= 1.25x VAP',
        '... with /mutate (the ownership profile, as shipped) <= 1.25x VAP',
        'cordon p50 added, as shipped <= 1 ms',
        'RSS at rest in a cluster (ConfigMap policy, Events, node watch) <= 96 MiB',
        'RSS added by the node watch of 5,000 nodes <= 30 MiB',
        '... its first list, spawn to listed <= 30 s',
        '... gauges wrong, before and after a heartbeat of every node <= 0 states',
      ],
    );
  });
});

describe('verdictOf', () => {
  const throughput = rowOf('throughputRatio') as Target;
  const ready = rowOf('readyMs') as Target;
  const at = (ratio: number): Figures => ({ ...nothing, satRatio: (key) => (key === 'all-updates/50' ? ratio : undefined) });

  it('meets a ">=" target at the limit and misses it below, on the unrounded figure', () => {
    assert.equal(verdictOf(throughput, at(0.95)), 'met');
    assert.equal(verdictOf(throughput, at(0.9499)), 'MISSED');
    assert.equal(headlineOf(at(0.9499)).throughputRatio, 0.95);
  });

  it('meets a "<=" target at the limit and misses it above', () => {
    assert.equal(verdictOf(ready, { ...nothing, readyMs: 1000 }), 'met');
    assert.equal(verdictOf(ready, { ...nothing, readyMs: 1000.5 }), 'MISSED');
  });

  it('says n/a of a figure not measured', () => {
    for (const row of TARGETS) assert.equal(verdictOf(row, nothing), 'n/a', row.key);
  });
});
