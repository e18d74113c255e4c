// Latency at fixed rates (open loop, undici and our scheduler), the servers in turn, a try
// repeated when the generator itself stalled; then the latency-against-rate sweep for the chart.
import { fixedRate, type Client, type FixedRateResult } from '../load.ts';
import type { Mix } from '../payloads.ts';
import type { Plan } from '../plan.ts';
import type { Fleet, Rig } from '../rig.ts';
import { NoiseMeter, type Server } from '../servers.ts';
import { saturated } from '../stats.ts';
import { ms } from '../table.ts';

export interface LatencyResult {
  /** Every counted run (stalled tries are dropped, and counted in discardedTries). */
  fixed: FixedRateResult[];
  /** Per mix, rate and server: the run with the median p99. */
  fixedMedian: FixedRateResult[];
  /** The sweep's points, server after server; empty without a sweep. */
  sweep: FixedRateResult[];
}

/** A sweep stops at the first rate a server cannot keep up with, or whose p99 passes this (ms): the chart has its knee by then. */
const SWEEP_STOP_P99_MS = 250;

async function measured(server: Server, client: Client, mix: Mix, rate: number, seconds: number): Promise<FixedRateResult> {
  const noise = new NoiseMeter(server.pid);
  noise.start();
  const result = await fixedRate(client, mix, rate, seconds * 1000);
  result.otherCores = noise.stop();
  return result;
}

export async function runLatency(input: {
  fleet: Pick<Fleet, 'servers' | 'clients'>;
  rig: Pick<Rig, 'mixOf' | 'inTurn'>;
  plan: Pick<Plan, 'fixed' | 'fixedReps' | 'stallLagMs' | 'stallRetries' | 'sweep'>;
  log: (line: string) => void;
}): Promise<LatencyResult> {
  const { fleet, rig, plan, log } = input;
  const indices = fleet.servers.map((_, i) => i);
  const out: LatencyResult = { fixed: [], fixedMedian: [], sweep: [] };

  for (const { key, rate, seconds } of plan.fixed) {
    const runs: FixedRateResult[][] = fleet.servers.map(() => []);
    for (let rep = 0; rep < plan.fixedReps; rep++) {
      for (const i of rig.inTurn(indices)) {
        let result: FixedRateResult;
        let discarded = 0;
        for (;;) {
          result = await measured(fleet.servers[i]!, fleet.clients[i]!, rig.mixOf(key), rate, seconds);
          if (result.scheduleLagP99 <= plan.stallLagMs || discarded >= plan.stallRetries) break;
          discarded++;
          log(`fixed ${key} @${rate} ${result.target}: the generator stalled (sched lag p99 ${ms(result.scheduleLagP99)} ms, p99 ${ms(result.latency.p99)} ms); again`);
        }
        result.discardedTries = discarded;
        out.fixed.push(result);
        runs[i]!.push(result);
        log(`fixed ${key} @${rate} ${result.target}: p50 ${ms(result.latency.p50)} p99 ${ms(result.latency.p99)} p99.9 ${ms(result.latency.p999)} ms, other load ${result.otherCores!.toFixed(2)}${saturated(result) ? ' SATURATED' : ''}`);
      }
    }
    for (const results of runs) {
      const sorted = [...results].sort((a, b) => a.latency.p99 - b.latency.p99);
      out.fixedMedian.push(sorted[Math.floor(sorted.length / 2)]!);
    }
  }

  if (plan.sweep !== undefined) out.sweep = await sweep(fleet, rig.mixOf, plan.sweep, log);
  return out;
}

async function sweep(
  fleet: Pick<Fleet, 'servers' | 'clients'>,
  mixOf: Rig['mixOf'],
  { key, rates, seconds }: NonNullable<Plan['sweep']>,
  log: (line: string) => void,
): Promise<FixedRateResult[]> {
  const points: FixedRateResult[] = [];
  for (const [i, server] of fleet.servers.entries()) {
    for (const rate of rates) {
      const result = await measured(server, fleet.clients[i]!, mixOf(key), rate, seconds);
      points.push(result);
      log(`sweep ${key} @${rate} ${result.target}: p50 ${ms(result.latency.p50)} p99 ${ms(result.latency.p99)} ms${saturated(result) ? ' SATURATED' : ''}`);
      if (saturated(result) || result.latency.p99 > SWEEP_STOP_P99_MS) break;
    }
  }
  return points;
}
