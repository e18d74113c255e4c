// What a run measures, how long and how often: the full plan and the quick one.
import type { BenchArgs } from './args.ts';
import type { ImageCount, MixName } from './payloads.ts';

/** A mix and its Node size, as the tables name it: "all-updates/50". */
export type Key = `${MixName}/${ImageCount}`;
export const KEYS: readonly Key[] = ['all-updates/50', 'uncordons/50', 'all-updates/500', 'uncordons/500'];
export const keyOf = (r: { mix: string; images: number }): Key => `${r.mix}/${r.images}` as Key;

export type Name = 'baseline' | 'cordon-guard' | 'candidate';
/** The servers judged against the targets: everything but the baseline. */
export type Guard = Exclude<Name, 'baseline'>;

export interface Plan {
  quick: boolean;
  subjects: Name[];
  guards: Guard[];
  readyRuns: number;
  warmS: number;
  saturationS: number;
  /** Saturation runs per server and mix, servers in turn; the median counts. */
  saturationReps: number;
  saturation: Key[];
  connections: number;
  fixed: { key: Key; rate: number; seconds: number }[];
  /** Runs per server and fixed rate, servers in turn; the run with the median p99 counts. */
  fixedReps: number;
  /**
   * A fixed-rate try whose own scheduler fell more than this far behind (p99, ms) measured the
   * host, not the server: with the machine otherwise idle, such stalls (the VM's vCPUs not
   * running) hit the baseline as often as cordon-guard. It is repeated, at most stallRetries times.
   */
  stallLagMs: number;
  stallRetries: number;
  sweep: { key: Key; rates: number[]; seconds: number } | undefined;
  drift: { marks: [number, number]; servers: Name[] };
  e2e: { iterations: number; rounds: number } | undefined;
  inCluster: InClusterPlan | undefined;
}

/** The in-cluster footprint (bench/inCluster.ts). */
export interface InClusterPlan {
  /** Nodes for the node watch at scale. */
  nodes: number;
  /** Nodes already there for the process at rest (and still there with the others). */
  fewNodes: number;
  /** Seconds at rest after ready: the process with the few nodes, and the one with all of them before the heartbeats. */
  idleS: number;
  /** Seconds after the heartbeats were caught up before the last RSS reading. */
  afterChurnS: number;
}

export const IN_CLUSTER_PLAN: InClusterPlan = { nodes: 5000, fewNodes: 10, idleS: 60, afterChurnS: 30 };

export function planFor(args: Pick<BenchArgs, 'quick' | 'noE2e' | 'noInCluster' | 'compare'>): Plan {
  const subjects: Name[] = ['baseline', 'cordon-guard', ...(args.compare === undefined ? [] : (['candidate'] as const))];
  const guards = subjects.filter((n): n is Guard => n !== 'baseline');
  if (args.quick) {
    return {
      quick: true,
      subjects,
      guards,
      readyRuns: 2,
      warmS: 1,
      saturationS: 2.5,
      saturationReps: 1,
      saturation: ['all-updates/50', 'uncordons/50'],
      connections: 16,
      fixed: [
        { key: 'all-updates/50', rate: 200, seconds: 2 },
        { key: 'all-updates/50', rate: 1000, seconds: 3 },
        { key: 'uncordons/50', rate: 1000, seconds: 3 },
        { key: 'all-updates/500', rate: 200, seconds: 3 },
      ],
      fixedReps: 1,
      stallLagMs: 3,
      stallRetries: 1,
      sweep: undefined,
      drift: { marks: [10_000, 25_000], servers: guards },
      e2e: undefined,
      inCluster: undefined,
    };
  }
  return {
    quick: false,
    subjects,
    guards,
    readyRuns: 7,
    warmS: 3,
    saturationS: 4,
    saturationReps: 5,
    saturation: ['all-updates/50', 'uncordons/50', 'all-updates/500', 'uncordons/500'],
    connections: 16,
    fixed: [
      ...(['all-updates/50', 'uncordons/50'] as const).flatMap((key) => [
        { key, rate: 200, seconds: 6 },
        { key, rate: 1000, seconds: 6 },
      ]),
      // 1000 rps of 500-image reviews is past saturation of both servers on 2 cores (see the saturation table).
      { key: 'all-updates/500', rate: 200, seconds: 6 },
      { key: 'uncordons/500', rate: 200, seconds: 6 },
    ],
    fixedReps: 5,
    stallLagMs: 3,
    stallRetries: 2,
    sweep: { key: 'all-updates/50', rates: [100, 500, 1500, 2000, 2500, 3000, 4000], seconds: 6 },
    drift: { marks: [10_000, 100_000], servers: subjects },
    e2e: args.noE2e ? undefined : { iterations: 150, rounds: 2 },
    inCluster: args.noInCluster ? undefined : IN_CLUSTER_PLAN,
  };
}
