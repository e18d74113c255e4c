// One server's headline figures, from the phase results: what the targets judge. Where both
// mixes were measured, a headline is the worse of the two.
import type { E2eResult } from './e2e.ts';
import type { InClusterBuild } from './inCluster.ts';
import type { FixedRateResult, SaturationResult } from './load.ts';
import type { Drift } from './phases/memory.ts';
import type { PhaseResults } from './phases/results.ts';
import { keyOf, type Guard, type Key, type Plan } from './plan.ts';
import { median, pairedRatio } from './stats.ts';

export interface Figures {
  name: Guard;
  /** The 50-image p99 at 1000 rps (ms), and over the baseline's (paired). */
  p99at1000: { key: Key; p99: number; ratio: number } | undefined;
  /** The 500-image p99 at 200 rps (ms). */
  p99at200big: { key: Key; p99: number } | undefined;
  peakMb: number | undefined;
  /** Peak RSS over the baseline's; NaN when either is missing. */
  rssRatio: number;
  drift: Drift | undefined;
  baselineDrift: Drift | undefined;
  /** Median start-up (ms). */
  readyMs: number;
  /** Uncordon p50 through the API server, webhook over VAP. */
  e2eRatio: number | undefined;
  /** Why there is no e2e ratio: skipped, or the failure's first line. */
  e2eMissing: string;
  /** The end-to-end results as measured (cordon-guard's and the candidate's side by side). */
  e2e: E2eResult | undefined;
  /** This server's in-cluster footprint. */
  inCluster: InClusterBuild | undefined;
  /** Why there is none: skipped, or the failure's first line. */
  inClusterMissing: string;
  /** This server's paired ratio to the baseline at saturation, for a row that reads one mix. */
  satRatio(key: Key, figure: (x: SaturationResult) => number): number | undefined;
  /** This server's paired p99 ratio to the baseline at a fixed rate, and its median-p99 run. */
  fixRatio(key: Key, rate: number): number | undefined;
  fixed(key: Key, rate: number): FixedRateResult | undefined;
}

type Results = Pick<PhaseResults, 'saturation' | 'saturationMedian' | 'fixed' | 'fixedMedian'>;

/** The median saturation run of a mix and server. */
export const sat = (r: Results, key: Key, name: string): SaturationResult | undefined => r.saturationMedian.find((x) => keyOf(x) === key && x.target === name);
/** The median-p99 fixed-rate run of a mix, rate and server. */
export const fix = (r: Results, key: Key, rate: number, name: string): FixedRateResult | undefined => r.fixedMedian.find((x) => keyOf(x) === key && x.rate === rate && x.target === name);
export const satRatio = (r: Results, key: Key, name: string, figure: (x: SaturationResult) => number): number | undefined =>
  pairedRatio(r.saturation, (x) => keyOf(x) === key, name, figure);
export const fixRatio = (r: Results, key: Key, rate: number, name: string): number | undefined =>
  pairedRatio(r.fixed, (x) => keyOf(x) === key && x.rate === rate, name, (x) => x.latency.p99);

/** The item with the highest score. */
const worst = <T>(items: readonly (T | undefined)[], score: (t: T) => number): T | undefined =>
  items.filter((t): t is T => t !== undefined).sort((a, b) => score(b) - score(a))[0];

/** Why a part of the run has no figures: the flag that skipped it, or its failure's first line. */
function missing(planned: boolean, quick: boolean, flag: string, error: string | undefined): string {
  if (planned) return `failed: ${error?.split('\n')[0] ?? '-'}`;
  return quick ? 'skipped (--quick)' : `skipped (${flag})`;
}

export function figuresOf(results: PhaseResults, plan: Pick<Plan, 'quick' | 'e2e' | 'inCluster'>, name: Guard): Figures {
  const p99at1000 = worst(
    (['all-updates/50', 'uncordons/50'] as const).map((key) => {
      const c = fix(results, key, 1000, name);
      const p99Ratio = fixRatio(results, key, 1000, name);
      return c && fix(results, key, 1000, 'baseline') && p99Ratio !== undefined ? { key, p99: c.latency.p99, ratio: p99Ratio } : undefined;
    }),
    (r) => r.p99,
  );
  const p99at200big = worst(
    (['all-updates/500', 'uncordons/500'] as const).map((key) => {
      const c = fix(results, key, 200, name);
      return c ? { key, p99: c.latency.p99 } : undefined;
    }),
    (r) => r.p99,
  );
  const peakMb = results.peak[name]?.hwmMb;
  const e2e = results.e2e;
  const e2eRatio = e2e === undefined ? undefined : name === 'candidate' ? e2e.candidateRatioVsVap : e2e.ratioVsVap;
  const e2eMissing = missing(plan.e2e !== undefined, plan.quick, '--no-e2e', results.e2eError);
  return {
    name,
    p99at1000,
    p99at200big,
    peakMb,
    rssRatio: (peakMb ?? Number.NaN) / (results.peak.baseline?.hwmMb ?? Number.NaN),
    drift: results.drift[name],
    baselineDrift: results.drift.baseline,
    readyMs: median(results.ready[name] ?? []),
    e2eRatio,
    e2eMissing,
    e2e,
    inCluster: results.inCluster?.builds[name],
    inClusterMissing: missing(plan.inCluster !== undefined, plan.quick, '--no-in-cluster', results.inClusterError),
    satRatio: (key, figure) => satRatio(results, key, name, figure),
    fixRatio: (key, rate) => fixRatio(results, key, rate, name),
    fixed: (key, rate) => fix(results, key, rate, name),
  };
}
