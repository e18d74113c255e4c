// cordon-guard's footprint in a cluster (bench/inCluster.ts). A failure there is reported in the
// tables, not fatal, as the end-to-end phase's.
//
// Alone, for iterating on it: `node bench/phases/inCluster.ts [--main X] [--compare Y] [--nodes N]
// [--idle-s S]` prints its tables and, as the last line, its figures as JSON (the keys of the
// full run's JSON line; with --nodes, the "5000" figures are of that many nodes).
import { IN_CLUSTER_USAGE, parseInClusterArgs } from '../args.ts';
import type { InClusterBuild, InClusterResult } from '../inCluster.ts';
import { inClusterFigures, inClusterTables } from '../inClusterReport.ts';
import { IN_CLUSTER_PLAN, type InClusterPlan } from '../plan.ts';
import { textTable } from '../table.ts';

export interface InClusterPhaseResult {
  inCluster: InClusterResult | undefined;
  /** The failure's stack, when the control plane or a measurement failed. */
  inClusterError: string | undefined;
}

export async function runInClusterPhase(input: {
  plan: InClusterPlan;
  main: string | undefined;
  candidate: string | undefined;
  log: (line: string) => void;
}): Promise<InClusterPhaseResult> {
  const { plan, main, candidate, log } = input;
  try {
    // Imported only when the part runs: it loads the control-plane harness.
    const { runInCluster } = await import('../inCluster.ts');
    const builds = [{ name: 'cordon-guard' as const, main }, ...(candidate === undefined ? [] : [{ name: 'candidate' as const, main: candidate }])];
    return { inCluster: await runInCluster({ plan, builds, log }), inClusterError: undefined };
  } catch (err) {
    const inClusterError = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`in-cluster failed: ${inClusterError}`);
    return { inCluster: undefined, inClusterError };
  }
}

if (import.meta.main) {
  let args;
  try {
    args = parseInClusterArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${IN_CLUSTER_USAGE}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${IN_CLUSTER_USAGE}\n`);
    process.exit(0);
  }
  const started = performance.now();
  const plan: InClusterPlan = { ...IN_CLUSTER_PLAN, ...(args.nodes === undefined ? {} : { nodes: args.nodes }), ...(args.idleS === undefined ? {} : { idleS: args.idleS }) };
  const { inCluster } = await runInClusterPhase({
    plan,
    main: args.main,
    candidate: args.compare,
    log: (line) => void process.stderr.write(`[in-cluster ${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}\n`),
  });
  if (inCluster === undefined) {
    process.exitCode = 1;
  } else {
    process.stdout.write(`${inClusterTables(inCluster).map(textTable).join('\n\n')}\n\n`);
    const figures = (build: InClusterBuild | undefined): Record<string, number | null> =>
      build === undefined ? {} : Object.fromEntries(Object.entries<number>({ ...inClusterFigures(build) }).map(([key, v]) => [key, Number.isFinite(v) ? Number(v.toFixed(1)) : null]));
    const candidate = inCluster.builds.candidate === undefined ? {} : { candidate: figures(inCluster.builds.candidate) };
    process.stdout.write(`${JSON.stringify({ ...figures(inCluster.builds['cordon-guard']), ...candidate })}\n`);
  }
}
