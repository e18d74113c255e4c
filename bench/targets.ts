// The targets (issues 5, 14 and 23) and the headline figures, one row each, defined once: the report's
// Targets table, the verdicts, the final JSON line and the chart's target line all read this
// table. A new figure or target is a new row.
import type { E2eResult } from './e2e.ts';
import type { Figures } from './figures.ts';
import { inClusterFigures, type InClusterFigures } from './inClusterReport.ts';
import type { SaturationResult } from './load.ts';
import type { Key } from './plan.ts';
import { int, ms, ratio } from './table.ts';

type Comparison = '<=' | '>=';
export type Verdict = 'met' | 'MISSED' | 'n/a';

export interface Row {
  /** The figure's key in the final JSON line and in results.json's summary; unique. */
  key: string;
  /** As written after the limit: "x baseline" (0.9x baseline), "ms" (3 ms), "%" (10%). */
  unit: string;
  /** Decimals in the JSON line. */
  digits: number;
  value: (f: Figures) => number | undefined;
  /** The limit; without one the row is a figure the JSON line reports, and nothing is judged. */
  target?: { label: string; comparison: Comparison; limit: number };
  /** The Targets table's cell; by default the value and its unit. */
  cell?: (f: Figures) => string;
}

export type Target = Row & { target: NonNullable<Row['target']> };

const pct = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : `${v.toFixed(1)}%`);

const ALL_UPDATES: Key = 'all-updates/50';
const UNCORDONS: Key = 'uncordons/50';
const rpsOf = (x: SaturationResult): number => x.rps;
const cpuOf = (x: SaturationResult): number => x.cpuUsPerRequest ?? Number.NaN;
/** The end-to-end figure of this server: cordon-guard's, or the candidate's. */
const e2eOf = (f: Figures, main: (e: E2eResult) => number, candidate: (e: E2eResult) => number | undefined): number | undefined =>
  f.e2e === undefined ? undefined : f.name === 'candidate' ? candidate(f.e2e) : main(f.e2e);

/** Saturation req/s over the baseline's on one mix, with the CPU per request beside it. */
function throughputRow(key: string, mix: Key, label: string, limit: number): Row {
  return {
    key,
    unit: 'x baseline',
    digits: 2,
    value: (f) => f.satRatio(mix, rpsOf),
    target: { label, comparison: '>=', limit },
    cell: (f) => `${ratio(f.satRatio(mix, rpsOf))} (CPU/req ${ratio(f.satRatio(mix, cpuOf))})`,
  };
}

/** The p99 at 1000 rps over the baseline's on one mix, against 1.2x. */
function p99RatioRow(key: string, mix: Key, label: string): Row {
  return { key, unit: 'x baseline p99', digits: 2, value: (f) => f.fixRatio(mix, 1000), target: { label, comparison: '<=', limit: 1.2 } };
}

/** A figure of the in-cluster phase (bench/inClusterReport.ts reads it), in MiB, s or a count. */
function inClusterRow(key: keyof InClusterFigures, unit: string, target?: Row['target'], cell?: (v: number, f: Figures) => string): Row {
  const value = (f: Figures): number | undefined => (f.inCluster === undefined ? undefined : inClusterFigures(f.inCluster)[key]);
  return {
    key,
    unit,
    digits: unit === 'states' ? 0 : 1,
    value,
    ...(target === undefined ? {} : { target }),
    cell: (f) => {
      const v = value(f);
      if (v === undefined) return f.inClusterMissing;
      return cell === undefined ? withUnit(v.toFixed(unit === 'states' ? 0 : 1), unit) : cell(v, f);
    },
  };
}

export const ROWS: readonly Row[] = [
  throughputRow('throughputRatio', ALL_UPDATES, 'throughput, all node updates', 0.95),
  throughputRow('throughputRatioUncordons', UNCORDONS, '... uncordons', 0.9),
  {
    key: 'p99Ms50img',
    unit: 'ms',
    digits: 2,
    value: (f) => f.p99at1000?.p99,
    target: { label: '50-image p99 at 1000 rps', comparison: '<=', limit: 3 },
    cell: (f) => `${ms(f.p99at1000?.p99)} ms (${f.p99at1000?.key ?? '-'})`,
  },
  p99RatioRow('p99RatioVsBaseline', ALL_UPDATES, '... and, all node updates'),
  p99RatioRow('p99RatioVsBaselineUncordons', UNCORDONS, '... uncordons'),
  {
    key: 'p99Ms500img',
    unit: 'ms',
    digits: 2,
    value: (f) => f.p99at200big?.p99,
    target: { label: '500-image p99 at 200 rps', comparison: '<=', limit: 20 },
    cell: (f) => `${ms(f.p99at200big?.p99)} ms (${f.p99at200big?.key ?? '-'})`,
  },
  { key: 'rssMb', unit: 'MB', digits: 1, value: (f) => f.peakMb },
  {
    key: 'rssRatio',
    unit: 'x baseline',
    digits: 2,
    value: (f) => f.rssRatio,
    target: { label: 'peak RSS', comparison: '<=', limit: 1.25 },
    cell: (f) => `${ms(f.peakMb)} MB, ${ratio(f.rssRatio)}`,
  },
  {
    key: 'rssDriftPct',
    unit: '%',
    digits: 1,
    value: (f) => f.drift?.pct,
    target: { label: 'RSS drift', comparison: '<=', limit: 10 },
    cell: (f) =>
      f.drift === undefined
        ? '-'
        : `${pct(f.drift.pct)} (${int(f.drift.at[0])} -> ${int(f.drift.at[1])}; baseline ${pct(f.baselineDrift?.pct)}; live heap ${pct(f.drift.livePct)})`,
  },
  {
    key: 'readyMs',
    unit: 'ms',
    digits: 0,
    value: (f) => f.readyMs,
    target: { label: 'ready', comparison: '<=', limit: 1000 },
    cell: (f) => `${ms(f.readyMs)} ms`,
  },
  {
    key: 'e2eRatioVsVap',
    unit: 'x VAP',
    digits: 2,
    value: (f) => f.e2eRatio,
    target: { label: 'e2e uncordon', comparison: '<=', limit: 1.25 },
    cell: (f) => (f.e2eRatio === undefined ? f.e2eMissing : ratio(f.e2eRatio)),
  },
  {
    key: 'e2eOwnershipRatioVsVap',
    unit: 'x VAP',
    digits: 2,
    value: (f) => e2eOf(f, (e) => e.shippedRatioVsVap, (e) => e.candidateShippedRatioVsVap),
    target: { label: '... with /mutate (the ownership profile, as shipped)', comparison: '<=', limit: 1.25 },
    cell: (f) => (f.e2e === undefined ? f.e2eMissing : ratio(e2eOf(f, (e) => e.shippedRatioVsVap, (e) => e.candidateShippedRatioVsVap))),
  },
  {
    key: 'cordonAddedMs',
    unit: 'ms',
    digits: 2,
    value: (f) => e2eOf(f, (e) => e.cordonAddedMs, (e) => e.candidateCordonAddedMs),
    target: { label: 'cordon p50 added, as shipped', comparison: '<=', limit: 1 },
    cell: (f) => (f.e2e === undefined ? f.e2eMissing : `${ms(e2eOf(f, (e) => e.cordonAddedMs, (e) => e.candidateCordonAddedMs))} ms`),
  },
  inClusterRow('idleRssMbInCluster', 'MiB', { label: 'RSS at rest in a cluster (ConfigMap policy, Events, node watch)', comparison: '<=', limit: 96 }, (v, f) =>
    `${v.toFixed(1)} MiB (max ${f.inCluster?.atRest.maxRssMb.toFixed(1)})`,
  ),
  inClusterRow('nodeWatchRssMb5000', 'MiB', { label: 'RSS added by the node watch of 5,000 nodes', comparison: '<=', limit: 30 }, (v, f) =>
    `${v.toFixed(1)} MiB (${f.inCluster?.withFleet.rssMb.atRest.toFixed(1)} MiB at rest)`,
  ),
  inClusterRow('nodeWatchListS5000', 's', { label: '... its first list, spawn to listed', comparison: '<=', limit: 30 }, (v, f) =>
    `${v.toFixed(1)} s (ready ${f.inCluster?.withFleet.readyS.toFixed(1)} s)`,
  ),
  inClusterRow('nodeWatchChurnRssDeltaMb', 'MiB'),
  inClusterRow('nodeWatchGaugesWrong', 'states', { label: '... gauges wrong, before and after a heartbeat of every node', comparison: '<=', limit: 0 }, (v, f) =>
    v === 0 ? '0' : `${v}: ${f.inCluster?.withFleet.gaugeErrors.join('; ')}`,
  ),
];

export const TARGETS: readonly Target[] = ROWS.filter((r): r is Target => r.target !== undefined);

export function rowOf(key: string): Row {
  const row = ROWS.find((r) => r.key === key);
  if (row === undefined) throw new Error(`no row ${key} in bench/targets.ts`);
  return row;
}

/** A number with its unit as the table writes it: "0.9x baseline", "3 ms", "10%". */
export const withUnit = (v: string, unit: string): string => (unit.startsWith('x') || unit === '%' ? `${v}${unit}` : `${v} ${unit}`);

/** "throughput >= 0.9x baseline". */
export const targetText = (row: Target): string => `${row.target.label} ${row.target.comparison} ${withUnit(String(row.target.limit), row.unit)}`;

export const cellOf = (row: Row, f: Figures): string => {
  if (row.cell !== undefined) return row.cell(f);
  const v = row.value(f);
  return v === undefined || !Number.isFinite(v) ? '-' : withUnit(v.toFixed(row.digits), row.unit);
};

/** Judged on the unrounded figure; a figure not measured (or not finite) is n/a. */
export function verdictOf(row: Target, f: Figures): Verdict {
  const v = row.value(f);
  if (v === undefined || !Number.isFinite(v)) return 'n/a';
  const { comparison, limit } = row.target;
  return (comparison === '<=' ? v <= limit : v >= limit) ? 'met' : 'MISSED';
}

export type Headline = Record<string, number | null>;

/** The JSON line's figures of one server, in the table's order; null where not measured. */
export function headlineOf(f: Figures): Headline {
  const out: Headline = {};
  for (const row of ROWS) {
    const v = row.value(f);
    out[row.key] = v === undefined || !Number.isFinite(v) ? null : Number(v.toFixed(row.digits));
  }
  return out;
}
