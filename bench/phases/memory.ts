// Memory: the long-lived servers' peak RSS after all the load, and drift in a fresh process.
import { performance } from 'node:perf_hooks';
import { saturate } from '../load.ts';
import type { Name } from '../plan.ts';
import type { Rig } from '../rig.ts';
import { liveHeapMb, memoryOf, RssSampler, type Memory, type Server } from '../servers.ts';

export type PeakMemory = Partial<Record<Name, Memory>>;

export interface Drift {
  /** The two request counts RSS and the live heap are compared at. */
  at: [number, number];
  rssMb: [number, number];
  pct: number;
  liveHeapMb: [number, number];
  livePct: number;
  hwmMb: number;
  seconds: number;
}

export type DriftResult = Partial<Record<Name, Drift>>;

/** VmHWM (and VmRSS) of each server now, i.e. its peak over everything it served. */
export function peakMemory(servers: readonly Server[], log: (line: string) => void): PeakMemory {
  const peak: PeakMemory = {};
  for (const s of servers) peak[s.name as Name] = memoryOf(s.pid);
  log(`peak RSS: ${servers.map((s) => `${s.name} ${peak[s.name as Name]!.hwmMb.toFixed(0)} MB`).join(', ')}`);
  return peak;
}

/**
 * A fresh process of each server (with the inspector), the 50-image "all node updates" mix at
 * saturation up to the second mark. RSS as the issue defines it (the median of the samples just
 * before each mark), and the live JS heap after a forced full GC at both marks: RSS moves in
 * steps as V8 sizes its heap, the live heap is what a leak would grow.
 */
export async function runDrift(input: {
  rig: Pick<Rig, 'start' | 'targetOf' | 'mixOf'>;
  servers: readonly Name[];
  marks: [number, number];
  connections: number;
  log: (line: string) => void;
}): Promise<DriftResult> {
  const { rig, marks, connections, log } = input;
  const [m1, m2] = marks;
  const drift: DriftResult = {};
  for (const name of input.servers) {
    const server = await rig.start(name, true);
    try {
      let count = 0;
      let live1: Promise<number> | undefined;
      const sampler = new RssSampler();
      sampler.start(server.pid, () => count, 50);
      const started = performance.now();
      await saturate(rig.targetOf(server), rig.mixOf('all-updates/50'), {
        connections,
        amount: m2,
        onResponse: (n) => {
          count = n;
          if (n === m1) live1 = liveHeapMb(server);
        },
      });
      sampler.stop();
      const live: [number, number] = [await (live1 ?? Promise.resolve(Number.NaN)), await liveHeapMb(server)];
      const rss: [number, number] = [sampler.medianBetween(m1 * 0.9, m1), sampler.medianBetween(m2 * 0.95, m2)];
      const d: Drift = {
        at: [m1, m2],
        rssMb: rss,
        pct: ((rss[1] - rss[0]) / rss[0]) * 100,
        liveHeapMb: live,
        livePct: ((live[1] - live[0]) / live[0]) * 100,
        hwmMb: memoryOf(server.pid).hwmMb,
        seconds: (performance.now() - started) / 1000,
      };
      drift[name] = d;
      log(`drift ${name}: RSS ${rss[0].toFixed(1)} MB at ${m1} -> ${rss[1].toFixed(1)} MB at ${m2} (${d.pct.toFixed(1)}%); live heap ${live[0].toFixed(1)} -> ${live[1].toFixed(1)} MB`);
    } finally {
      await server.stop();
    }
  }
  return drift;
}
