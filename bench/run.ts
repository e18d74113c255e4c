// `make bench` / `node bench/run.ts [--quick] [--no-e2e] [--no-in-cluster] [--main dist/main.js] [--compare OTHER/main.js] [--out DIR]`
//
// cordon-guard against the floor of any Node webhook (bench/baseline.ts), in the same run,
// with the same certificate and payloads, each server a separate child process, the load
// generator in this process; then (unless --quick) end to end against a real kube-apiserver,
// cordon-guard's webhook against the same rule as a ValidatingAdmissionPolicy, and its
// footprint in a cluster: at rest, and its node watch of 5,000 nodes.
// --compare adds a candidate build (a patched copy) to every phase, interleaved with the others,
// so that a before/after comparison sees the same machine conditions.
//
// stdout: readable tables, then ONE JSON line (the last). Progress goes to stderr.
// Files: bench/results/results[-quick].md, results[-quick].json, latency-vs-rate[-quick].svg.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseBenchArgs, USAGE, type BenchArgs } from './args.ts';
import { describeHost } from './host.ts';
import { runE2ePhase, type E2ePhaseResult } from './phases/e2e.ts';
import { runInClusterPhase, type InClusterPhaseResult } from './phases/inCluster.ts';
import { runLatency, type LatencyResult } from './phases/latency.ts';
import { peakMemory, runDrift, type PeakMemory } from './phases/memory.ts';
import type { PhaseResults } from './phases/results.ts';
import { runStartup } from './phases/startup.ts';
import { runThroughput, type ThroughputResult } from './phases/throughput.ts';
import { warmUp } from './phases/warmup.ts';
import { KEYS, planFor, type Plan } from './plan.ts';
import { renderReport, resultFiles } from './report.ts';
import { openRig, type Rig } from './rig.ts';
import { busyCompilers } from './servers.ts';

function argsOrExit(argv: readonly string[]): BenchArgs {
  try {
    const args = parseBenchArgs(argv);
    if (args.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    return args;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    process.exit(2);
  }
}

/** The phases that share long-lived servers (all started, the load going to one at a time). */
async function underLoad(rig: Rig, plan: Plan, log: (line: string) => void): Promise<ThroughputResult & LatencyResult & { peak: PeakMemory }> {
  const fleet = await rig.startAll(plan.subjects);
  try {
    await warmUp({ fleet, mixOf: (key) => rig.mixOf(key), connections: plan.connections, seconds: plan.warmS });
    log('warmed up');
    const throughput = await runThroughput({ fleet, rig, keys: plan.saturation, reps: plan.saturationReps, connections: plan.connections, seconds: plan.saturationS, log });
    const latency = await runLatency({ fleet, rig, plan, log });
    return { ...throughput, ...latency, peak: peakMemory(fleet.servers, log) };
  } finally {
    await fleet.close();
  }
}

async function main(): Promise<void> {
  const args = argsOrExit(process.argv.slice(2));
  const plan = planFor(args);
  const started = performance.now();
  const log = (line: string): void => void process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);

  const busy = busyCompilers();
  if (busy.length > 0) log(`WARNING: compilers running (${busy.slice(0, 5).join(', ')}): the figures will be noise`);
  const host = describeHost();
  log(`${plan.quick ? 'quick' : 'full'} run on ${host.text}${args.main ? `; cordon-guard from ${args.main}` : ''}${args.compare ? `; candidate ${args.compare}` : ''}`);

  const rig = openRig(args);
  let micro: Omit<PhaseResults, keyof E2ePhaseResult | keyof InClusterPhaseResult>;
  try {
    const ready = await runStartup({ rig, subjects: plan.subjects, runs: plan.readyRuns, log });
    const loaded = await underLoad(rig, plan, log);
    // After the long-lived servers are gone: a fresh process each, alone on the machine.
    const drift = await runDrift({ rig, servers: plan.drift.servers, marks: plan.drift.marks, connections: plan.connections, log });
    micro = { ...loaded, drift, ready };
  } finally {
    rig.close();
  }
  const e2e = plan.e2e === undefined ? { e2e: undefined, e2eError: undefined } : await runE2ePhase({ ...plan.e2e, main: args.main, candidate: args.compare, log });
  const inCluster =
    plan.inCluster === undefined ? { inCluster: undefined, inClusterError: undefined } : await runInClusterPhase({ plan: plan.inCluster, main: args.main, candidate: args.compare, log });

  const report = renderReport({
    results: { ...micro, ...e2e, ...inCluster },
    plan,
    host,
    builds: args,
    payloads: new Map(KEYS.map((key) => [key, rig.mixOf(key)])),
    date: new Date(),
    wallS: (performance.now() - started) / 1000,
  });
  const out = args.out ?? new URL('./results/', import.meta.url).pathname;
  const files = resultFiles(plan.quick);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, files.svg), report.svg);
  writeFileSync(join(out, files.markdown), report.markdown);
  writeFileSync(join(out, files.json), report.resultsJson);
  process.stdout.write(`${report.text}\n\nfiles: ${join(out, files.markdown)}, ${join(out, files.svg)}\n`);
  process.stdout.write(`${report.jsonLine}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
