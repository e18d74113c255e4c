// The few statistics the phases and the report share.
import type { FixedRateResult } from './load.ts';

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** The offered rate was not kept up with: the open loop's backlog hit its cap, or fewer than 95% were answered in time. */
export const saturated = (r: FixedRateResult): boolean => r.overloaded || r.achievedRps < 0.95 * r.rate;

/**
 * The median over repetitions of (a server's figure / the baseline's in the same repetition).
 * The two runs of a repetition are seconds apart, so the machine's speed, which drifts by tens
 * of percent over minutes here, cancels out of each ratio; a ratio of two medians taken from
 * different repetitions keeps it.
 */
export function pairedRatio<T extends { target: string }>(runs: readonly T[], match: (r: T) => boolean, name: string, figure: (r: T) => number): number | undefined {
  const mine = runs.filter((r) => match(r) && r.target === name);
  const base = runs.filter((r) => match(r) && r.target === 'baseline');
  const ratios = mine.flatMap((r, i) => (base[i] === undefined ? [] : [figure(r) / figure(base[i])])).filter(Number.isFinite);
  return ratios.length === 0 ? undefined : median(ratios);
}
