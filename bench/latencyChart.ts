// The latency-against-rate chart (latency-vs-rate.svg): p50 and p99 per server over the fixed
// rates and the sweep, with the p99 target as a line.
import { lineChart, type Series } from './chart.ts';
import type { Host } from './host.ts';
import type { PhaseResults } from './phases/results.ts';
import { keyOf, type Key, type Name } from './plan.ts';
import { saturated } from './stats.ts';
import { rowOf, withUnit } from './targets.ts';

const COLORS: Record<Name, string> = { baseline: '#2c3e50', 'cordon-guard': '#d35400', candidate: '#27ae60' };

export function latencyChart(results: Pick<PhaseResults, 'fixedMedian' | 'sweep'>, key: Key, subjects: readonly Name[], host: Pick<Host, 'cores' | 'cpu' | 'node'>): string {
  const points = (name: string, q: 'p50' | 'p99') =>
    [...results.fixedMedian, ...results.sweep]
      .filter((r) => keyOf(r) === key && r.target === name)
      .map((r) => ({ x: r.rate, y: r.latency[q], overloaded: saturated(r) }));
  const series: Series[] = [
    ...subjects.map((n) => ({ label: `${n} p99`, color: COLORS[n], points: points(n, 'p99') })),
    ...subjects.map((n) => ({ label: `${n} p50`, color: COLORS[n], dashed: true, points: points(n, 'p50') })),
  ];
  const p99 = rowOf('p99Ms50img');
  return lineChart(series, {
    title: `Admission latency against offered rate (${key.replace('/', ', ')}-image reviews)`,
    subtitle: `open-loop fixed rate over keep-alive TLS; ${host.cores} cores, ${host.cpu}, Node ${host.node}`,
    xLabel: 'offered rate (requests per second)',
    yLabel: 'latency (ms, log scale)',
    hLines: p99.target === undefined ? [] : [{ y: p99.target.limit, label: `target ${p99.target.label}: ${withUnit(String(p99.target.limit), p99.unit)}` }],
  });
}
