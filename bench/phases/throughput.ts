// Throughput at saturation (closed loop, autocannon), the servers in turn, with each server's
// CPU time per request and the other processes' load (noise) meanwhile.
import { saturate, type SaturationResult } from '../load.ts';
import type { Key } from '../plan.ts';
import type { Fleet, Rig } from '../rig.ts';
import { cpuSecondsOf, NoiseMeter } from '../servers.ts';
import { median } from '../stats.ts';

export interface ThroughputResult {
  /** Every run, in the order run. */
  saturation: SaturationResult[];
  /** Per mix and server: the median run by req/s, with the median CPU per request and noise. */
  saturationMedian: SaturationResult[];
}

export async function runThroughput(input: {
  fleet: Pick<Fleet, 'servers' | 'targets'>;
  rig: Pick<Rig, 'mixOf' | 'inTurn'>;
  keys: readonly Key[];
  reps: number;
  connections: number;
  seconds: number;
  log: (line: string) => void;
}): Promise<ThroughputResult> {
  const { fleet, rig, keys, reps, connections, seconds, log } = input;
  const indices = fleet.servers.map((_, i) => i);
  const out: ThroughputResult = { saturation: [], saturationMedian: [] };
  for (const key of keys) {
    const runs: SaturationResult[][] = fleet.servers.map(() => []);
    for (let rep = 0; rep < reps; rep++) {
      for (const i of rig.inTurn(indices)) {
        const { pid } = fleet.servers[i]!;
        const noise = new NoiseMeter(pid);
        const cpu0 = cpuSecondsOf(pid);
        noise.start();
        const result = await saturate(fleet.targets[i]!, rig.mixOf(key), { connections, durationS: seconds });
        result.otherCores = noise.stop();
        result.cpuUsPerRequest = ((cpuSecondsOf(pid) - cpu0) * 1e6) / result.requests;
        out.saturation.push(result);
        runs[i]!.push(result);
        log(`saturation ${key} ${result.target}: ${result.rps.toFixed(0)} req/s, server CPU ${result.cpuUsPerRequest.toFixed(0)} us/req, other load ${result.otherCores.toFixed(2)} cores`);
      }
    }
    for (const results of runs) {
      const sorted = [...results].sort((a, b) => a.rps - b.rps);
      const mid = sorted[Math.floor(sorted.length / 2)]!;
      out.saturationMedian.push({ ...mid, cpuUsPerRequest: median(results.map((r) => r.cpuUsPerRequest!)), otherCores: median(results.map((r) => r.otherCores!)) });
    }
  }
  return out;
}
