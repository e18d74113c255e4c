// The in-cluster phase's figures and table, from its result: what bench/targets.ts judges (each
// figure read once, here) and what the report, and the phase run alone, print.
import type { InClusterBuild, InClusterResult } from './inCluster.ts';
import type { Counts } from './nodes.ts';
import type { Guard } from './plan.ts';
import { int, ms, type Table } from './table.ts';

export interface InClusterFigures {
  /** RSS (MiB) of the process with the few nodes, idleS after ready. */
  idleRssMbInCluster: number;
  /** RSS (MiB) the node watch of all the nodes adds: at rest with them minus at rest with the few. */
  nodeWatchRssMb5000: number;
  /** spawn() to the `node watch: listed N nodes` line (s). */
  nodeWatchListS5000: number;
  /** RSS (MiB) afterChurnS after the heartbeats were caught up minus before them. */
  nodeWatchChurnRssDeltaMb: number;
  /** States whose gauge differed from the truth, before and after the heartbeats. */
  nodeWatchGaugesWrong: number;
}

export function inClusterFigures(build: InClusterBuild): InClusterFigures {
  const { atRest, withFleet } = build;
  return {
    idleRssMbInCluster: atRest.rssMb,
    nodeWatchRssMb5000: withFleet.addedMb,
    nodeWatchListS5000: withFleet.listedS,
    nodeWatchChurnRssDeltaMb: withFleet.churnDeltaMb,
    nodeWatchGaugesWrong: withFleet.gaugeErrors.length,
  };
}

const mb = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '-');
const signed = (v: number): string => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(1)}` : '-');
const counts = (c: Counts | undefined): string => (c === undefined ? 'no samples' : Object.entries(c).map(([state, n]) => `${state} ${n}`).join(', '));

export function inClusterTables(result: InClusterResult): Table[] {
  const { plan } = result;
  const names = Object.keys(result.builds) as Guard[];
  const each = (cell: (b: InClusterBuild) => string): string[] => names.map((n) => cell(result.builds[n]!));
  const gauge = (b: InClusterBuild, when: 'before' | 'after'): string => {
    const wrong = b.withFleet.gaugeErrors.filter((e) => e.startsWith(`${when}: `));
    return wrong.length === 0 ? 'right' : `WRONG: ${wrong.map((e) => e.slice(when.length + 2)).join('; ')}`;
  };
  const all = plan.nodes + plan.fewNodes;
  return [
    {
      title: `In a cluster (kube-apiserver ${result.kubernetesVersion}; serve --tls-secret --policy-configmap as the Deployment runs it, the Deployment's environment ${Object.entries(result.env).map(([name, value]) => `${name}=${value}`).join(' ')}; RSS in MiB)`,
      head: ['figure', ...names],
      rows: [
        [`${plan.fewNodes} nodes: spawn to ready (ms)`, ...each((b) => ms(b.atRest.readyMs))],
        [`... RSS ${plan.idleS} s after ready`, ...each((b) => mb(b.atRest.rssMb))],
        [`... max RSS over those ${plan.idleS} s`, ...each((b) => mb(b.atRest.maxRssMb))],
        [`${int(all)} nodes: spawn to "node watch: listed N nodes" (s)`, ...each((b) => `${b.withFleet.listedS.toFixed(1)} (${int(b.withFleet.listedNodes)} listed)`)],
        ['... the list alone, from "node watch and leader election starting" (s)', ...each((b) => b.withFleet.listS.toFixed(1))],
        ['... spawn to ready (s)', ...each((b) => b.withFleet.readyS.toFixed(1))],
        ['... RSS when listed', ...each((b) => mb(b.withFleet.rssMb.listed))],
        [`... RSS ${plan.idleS} s after ready`, ...each((b) => mb(b.withFleet.rssMb.atRest))],
        [`... added by the node watch (over ${plan.fewNodes} nodes)`, ...each((b) => signed(b.withFleet.addedMb))],
        [`heartbeats (a status PATCH of every node): peak RSS until caught up`, ...each((b) => mb(b.withFleet.rssMb.churnPeak))],
        ['... RSS when caught up', ...each((b) => mb(b.withFleet.rssMb.caughtUp))],
        [`... RSS ${plan.afterChurnS} s later`, ...each((b) => mb(b.withFleet.rssMb.after))],
        ['... RSS change over the heartbeats (later minus before)', ...each((b) => signed(b.withFleet.churnDeltaMb))],
        ['... caught up, after the last heartbeat (s)', ...each((b) => b.withFleet.catchUpS.toFixed(1))],
        ['gauge cordon_guard_nodes before the heartbeats', ...each((b) => gauge(b, 'before'))],
        ['... after', ...each((b) => gauge(b, 'after'))],
        ['VmHWM at the end', ...each((b) => mb(b.withFleet.hwmMb))],
      ],
      note:
        `${int(plan.nodes)} Nodes of ${(result.nodeObjectBytes / 1024).toFixed(1)} KiB (50 images) created in ${result.createS.toFixed(1)} s by concurrent POSTs. ` +
        `The truth (the API server's objects): before ${counts(result.truth.before)}; after ${counts(result.truth.after)} (one more node under maintenance: the sentinel written after the last heartbeat, whose count shows the watch caught up). ` +
        `Heartbeats: ${int(result.churn.patches)} status PATCHes in ${result.churn.seconds.toFixed(1)} s${result.churn.seconds > 60 ? ' (OVER a minute)' : ''}, p99 ${ms(result.churn.p99Ms)} ms. ` +
        `"Added": RSS at rest with ${int(all)} nodes minus the same build's at rest with ${plan.fewNodes}, each ${plan.idleS} s after ready. Phase: ${result.wallS.toFixed(0)} s.`,
    },
  ];
}
