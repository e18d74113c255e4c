// cordon-guard's footprint in a cluster (issue 23), on the control-plane harness (real etcd +
// kube-apiserver): `serve` as the shipped Deployment runs it (--tls-secret, --policy-configmap,
// Events on, the node watch; the Deployment's NODE_OPTIONS; its ServiceAccount's token), with
// the base manifests' identity, RBAC, policy, self-protection and webhook configurations applied.
//
// 1. At rest: a few realistic Nodes, the process idle for idleS after ready; VmRSS every second.
//    Its RSS at the end is the figure "without" a fleet to watch.
// 2. The node watch at scale: `nodes` realistic Nodes created (concurrent POSTs), then a fresh
//    process of the same build with the same flags: spawn to its `node watch: listed N nodes`
//    line and to ready, its RSS idleS after ready (as in 1) and what that adds over 1's; then a
//    kubelet-like heartbeat (a status-only PATCH) of every node, concurrently; the gauge
//    cordon_guard_nodes checked against the API server's objects before and after; RSS before,
//    during and after, and afterChurnS later.
//
// `node bench/inCluster.ts [--main X] [--compare Y] [--nodes N] [--idle-s S]` runs it alone.
import { performance } from 'node:perf_hooks';
import type { ServeProcess } from '../testkit/serveProcess.ts';
import { waitFor } from '../testkit/wait.ts';
import { startControlPlane, type ControlPlane } from '../testkit/e2e/controlPlane.ts';
import { installIdentityAndPolicy, installWebhookConfigurations, serviceAccountKubeconfig } from '../testkit/e2e/inCluster.ts';
import { startSelfManaged } from '../testkit/e2e/selfManaged.ts';
import { deploymentEnv, maintenanceAnnotation, policyResult } from '../testkit/manifests.ts';
import { apiClient, concurrently, type Api } from './apiClient.ts';
import { gaugeErrors, heartbeatPatch, listedLine, nodeBody, nodeGauge, shapeOf, statesOf, watchStartingAt, type Counts } from './nodes.ts';
import type { Guard, InClusterPlan } from './plan.ts';
import { memoryOf, RssSampler } from './servers.ts';

/** Concurrent requests (and pool connections) for creating and patching the Nodes. */
const CONCURRENCY = 16;
/** How long the watch's first list may take before the phase gives up (the target is far below). */
const LIST_TIMEOUT_MS = 180_000;
/** The stages of the process with the fleet, as its RSS samples are tagged. */
const STAGES = ['listing', 'at rest', 'heartbeats', 'catching up', 'after'] as const;
type Stage = (typeof STAGES)[number];
/** The maintenance reason written on one schedulable node after the heartbeats. */
const SENTINEL_REASON = 'in-cluster bench: the watch has caught up';

interface AtRest {
  /** spawn() to the first 200 of /readyz. */
  readyMs: number;
  /** spawn() to the `node watch: listed N nodes` line (its own timestamp). */
  listedMs: number;
  listedNodes: number;
  /** VmRSS idleS after ready (MiB). */
  rssMb: number;
  maxRssMb: number;
  /** VmRSS every second from ready: [s after ready, MiB]. */
  samples: [number, number][];
}

interface WithFleet {
  listedNodes: number;
  /** spawn() to the `node watch: listed N nodes` line (its timestamp): the target's figure. */
  listedS: number;
  /** `node watch and leader election starting` to that line: the list itself. */
  listS: number;
  /** spawn() to the first 200 of /readyz (after the first list: serve waits for it). */
  readyS: number;
  rssMb: {
    /** When the listed line was seen. */
    listed: number;
    /** idleS after ready, before the heartbeats. */
    atRest: number;
    /** Peak of the samples from the first heartbeat to the gauge caught up. */
    churnPeak: number;
    /** When the gauge had caught up with the heartbeats. */
    caughtUp: number;
    /** afterChurnS later. */
    after: number;
  };
  /** VmHWM at the end. */
  hwmMb: number;
  /** rssMb.atRest minus the same build's at rest with only the few nodes (part 1). */
  addedMb: number;
  /** rssMb.after minus rssMb.atRest. */
  churnDeltaMb: number;
  /** From the last heartbeat's answer to this process's gauge counting the sentinel node. */
  catchUpS: number;
  gauge: { before: Counts | undefined; after: Counts | undefined };
  /** Each state whose gauge differed from the truth, before and after the heartbeats. */
  gaugeErrors: string[];
  /** VmRSS every 500 ms from spawn: [s after spawn, stage, MiB]. */
  samples: [number, Stage, number][];
}

export interface InClusterBuild {
  atRest: AtRest;
  withFleet: WithFleet;
}

export interface InClusterResult {
  kubernetesVersion: string;
  /** The Deployment's container environment, which every serve here ran with. */
  env: Record<string, string>;
  plan: InClusterPlan;
  /** The size of one Node object as the API server returns it (bytes of JSON). */
  nodeObjectBytes: number;
  createS: number;
  /** The heartbeats: one status PATCH per node. */
  churn: { patches: number; seconds: number; p99Ms: number };
  truth: { before: Counts; after: Counts };
  builds: Partial<Record<Guard, InClusterBuild>>;
  wallS: number;
}

export interface Build {
  name: Guard;
  main: string | undefined;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

interface Started {
  guard: ServeProcess;
  spawnedAt: number;
  spawnedPerf: number;
  readyMs: number;
  listed: { nodes: number; at: number };
  listS: number;
}

/** serve as the Deployment runs it, until ready and listed. */
async function startGuard(
  build: Build,
  kubeconfig: string,
  env: Record<string, string>,
  running: ServeProcess[],
  /** Called once the process listens (before its first list), with how long after spawn() that is. */
  onListening?: (pid: number, sinceSpawnMs: number) => void,
): Promise<Started> {
  // startServe spawns before its first await: these are the spawn's time.
  const spawnedAt = Date.now();
  const spawnedPerf = performance.now();
  const guard = await startSelfManaged(kubeconfig, [], { logLevel: 'info', env, ...(build.main === undefined ? {} : { main: build.main }) });
  running.push(guard);
  onListening?.(guard.child.pid!, performance.now() - spawnedPerf);
  await waitFor(`${build.name} /readyz`, async () => {
    if (guard.child.exitCode !== null) throw new Error(`${build.name} exited with ${guard.child.exitCode}: ${guard.stderr.join('\n')}`);
    const status = await fetch(`http://127.0.0.1:${guard.metricsPort}/readyz`).then((r) => r.status, () => 0);
    return status === 200 ? true : undefined;
  }, LIST_TIMEOUT_MS, 20);
  const readyMs = performance.now() - spawnedPerf;
  // Log lines reach stdout in batches: the line may come after /readyz says 200.
  const listed = await waitFor(`${build.name}'s node watch to list`, () => listedLine(guard.logs), 10_000, 20);
  const starting = watchStartingAt(guard.logs);
  return { guard, spawnedAt, spawnedPerf, readyMs, listed, listS: starting === undefined ? Number.NaN : (listed.at - starting) / 1000 };
}

/** Every Node as the API server has it, page by page; each page handed to `page` and dropped. */
async function eachNodePage(api: Api, page: (items: unknown[]) => void): Promise<void> {
  let next = '';
  do {
    const text = await api.get('admin', `/api/v1/nodes?limit=500${next === '' ? '' : `&continue=${encodeURIComponent(next)}`}`);
    const list = JSON.parse(text) as { items?: unknown[]; metadata?: { continue?: string } };
    if (list.items === undefined) throw new Error(`listing nodes: ${text.slice(0, 300)}`);
    page(list.items);
    next = list.metadata?.continue ?? '';
  } while (next !== '');
}

async function truthOf(api: Api, key: string): Promise<Counts> {
  const pages: Counts[] = [];
  await eachNodePage(api, (items) => pages.push(statesOf(items, key)));
  return pages.reduce((sum, c) => Object.fromEntries(Object.entries(sum).map(([s, n]) => [s, n + c[s as keyof Counts]])) as Counts);
}

async function gaugeOf(guard: ServeProcess): Promise<Counts | undefined> {
  return nodeGauge(await (await fetch(`http://127.0.0.1:${guard.metricsPort}/metrics`)).text());
}

/** Node i of `names` in the state shapeOf(i); resolves with the size of one as created. */
async function createNodes(api: Api, names: readonly string[], key: string): Promise<number> {
  let bytes = 0;
  await concurrently(names, CONCURRENCY, async (name, i) => {
    const created = await api.post('admin', '/api/v1/nodes', nodeBody(name, i, key));
    if (created.status !== 201) throw new Error(`creating node ${name}: ${created.status} ${created.text.slice(0, 300)}`);
    bytes = created.text.length;
  });
  return bytes;
}

/** VmRSS every second from ready until `seconds` after it. */
async function atRest(started: Started, seconds: number): Promise<AtRest> {
  const readyAt = started.spawnedPerf + started.readyMs;
  const samples: [number, number][] = [];
  for (let s = 0; ; s++) {
    await sleep(readyAt + s * 1000 - performance.now());
    samples.push([s, round1(memoryOf(started.guard.child.pid!).rssMb)]);
    if (s >= seconds) break;
  }
  return {
    readyMs: started.readyMs,
    listedMs: started.listed.at - started.spawnedAt,
    listedNodes: started.listed.nodes,
    rssMb: samples.at(-1)![1],
    maxRssMb: Math.max(...samples.map(([, mb]) => mb)),
    samples,
  };
}

export async function runInCluster(options: { plan: InClusterPlan; builds: readonly Build[]; log: (line: string) => void }): Promise<InClusterResult> {
  const { plan, builds, log } = options;
  const t0 = performance.now();
  const policy = policyResult();
  if (!policy.ok || policy.policy.maintenanceMaxAge !== null) throw new Error('the shipped policy must be valid and have no maintenanceMaxAge: the truth counts no node overdue');
  const key = maintenanceAnnotation();
  const env = deploymentEnv();
  log('in-cluster: starting etcd + kube-apiserver (harness)');
  const cp: ControlPlane = await startControlPlane();
  const api = apiClient(cp, CONCURRENCY);
  const running: ServeProcess[] = [];
  const samplers: RssSampler[] = [];
  try {
    installIdentityAndPolicy(cp);
    installWebhookConfigurations(cp);
    const kubeconfig = serviceAccountKubeconfig(cp);
    const few = Array.from({ length: plan.fewNodes }, (_, i) => `few-${String(i).padStart(2, '0')}`);
    const nodeObjectBytes = await createNodes(api, few, key);

    // 1. At rest, every build at once (idle processes do not compete), each from its own ready.
    const partOne: Started[] = [];
    for (const build of builds) partOne.push(await startGuard(build, kubeconfig, env, running));
    log(`in-cluster: ${builds.map((b, i) => `${b.name} ready in ${partOne[i]!.readyMs.toFixed(0)} ms`).join(', ')}; at rest for ${plan.idleS} s`);
    const rest = await Promise.all(partOne.map((s) => atRest(s, plan.idleS)));
    for (const [i, build] of builds.entries()) log(`in-cluster: ${build.name} at rest: ${rest[i]!.rssMb} MiB (max ${rest[i]!.maxRssMb})`);
    for (const s of partOne) await s.guard.stop();
    running.length = 0;

    // 2. The fleet.
    const created = performance.now();
    const fleet = Array.from({ length: plan.nodes }, (_, i) => `node-${String(i).padStart(5, '0')}`);
    await createNodes(api, fleet, key);
    const createS = (performance.now() - created) / 1000;
    log(`in-cluster: ${plan.nodes} nodes created in ${createS.toFixed(1)} s`);

    // Each process's stage, as its RSS samples are tagged: a process listed is at rest while the next lists.
    const stages: Stage[] = builds.map(() => 'listing');
    const setStage = (stage: Stage): void => void stages.fill(stage);
    const partTwo: Started[] = [];
    const listedRss: number[] = [];
    const sampledFromMs: number[] = [];
    for (const [i, build] of builds.entries()) {
      const sampler = new RssSampler();
      samplers.push(sampler);
      const started = await startGuard(build, kubeconfig, env, running, (pid, sinceSpawnMs) => {
        sampledFromMs.push(sinceSpawnMs);
        sampler.start(pid, () => STAGES.indexOf(stages[i]!), 500);
      });
      stages[i] = 'at rest';
      listedRss.push(memoryOf(started.guard.child.pid!).rssMb);
      partTwo.push(started);
      log(`in-cluster: ${build.name} listed ${started.listed.nodes} nodes ${((started.listed.at - started.spawnedAt) / 1000).toFixed(1)} s after spawn, ready after ${(started.readyMs / 1000).toFixed(1)} s`);
    }
    const rested = await Promise.all(partTwo.map(async (s) => (await atRest(s, plan.idleS)).rssMb));
    const truthBefore = await truthOf(api, key);
    const gaugeBefore = await Promise.all(partTwo.map((s) => gaugeOf(s.guard)));

    setStage('heartbeats');
    log(`in-cluster: a heartbeat of every node (${CONCURRENCY} at a time)`);
    const churnStarted = performance.now();
    const heartbeat = heartbeatPatch(new Date());
    const latencies: number[] = [];
    await concurrently([...few, ...fleet], CONCURRENCY, async (name) => {
      const patched = await api.patch('admin', `/api/v1/nodes/${name}/status`, heartbeat);
      if (patched.status !== 200) throw new Error(`heartbeat of ${name}: ${patched.status} ${patched.text.slice(0, 300)}`);
      latencies.push(patched.ms);
    });
    const churnS = (performance.now() - churnStarted) / 1000;
    // Watch events come in order: once a process counts a change made after the last heartbeat,
    // it has seen every heartbeat.
    setStage('catching up');
    const sentinel = [...fleet.entries(), ...few.entries()].find(([i]) => !shapeOf(i).maintenance)![1];
    const marked = await api.patch('admin', `/api/v1/nodes/${sentinel}`, { metadata: { annotations: { [key]: SENTINEL_REASON } } });
    if (marked.status !== 200) throw new Error(`annotating ${sentinel}: ${marked.status} ${marked.text.slice(0, 300)}`);
    const sentAt = performance.now();
    const caughtUp = await Promise.all(
      partTwo.map(async (s) => {
        await waitFor(`${s.guard.child.pid} to count ${sentinel}`, async () => ((await gaugeOf(s.guard))?.maintenance === truthBefore.maintenance + 1 ? true : undefined), 120_000, 50);
        return { s: (performance.now() - sentAt) / 1000, rssMb: memoryOf(s.guard.child.pid!).rssMb };
      }),
    );
    setStage('after');
    const truthAfter = await truthOf(api, key);
    const gaugeAfter = await Promise.all(partTwo.map((s) => gaugeOf(s.guard)));
    log(`in-cluster: ${plan.nodes + plan.fewNodes} heartbeats in ${churnS.toFixed(1)} s; caught up after ${caughtUp.map((c) => c.s.toFixed(1)).join(', ')} s; ${plan.afterChurnS} s more`);
    await sleep(plan.afterChurnS * 1000);

    const result: InClusterResult['builds'] = {};
    for (const [i, build] of builds.entries()) {
      const s = partTwo[i]!;
      const sampler = samplers[i]!;
      sampler.stop();
      const pid = s.guard.child.pid!;
      const memory = memoryOf(pid);
      const churnSamples = sampler.samples.filter((x) => x.count === STAGES.indexOf('heartbeats') || x.count === STAGES.indexOf('catching up')).map((x) => x.rssMb);
      const rss = { listed: listedRss[i]!, atRest: rested[i]!, churnPeak: Math.max(caughtUp[i]!.rssMb, ...churnSamples), caughtUp: caughtUp[i]!.rssMb, after: memory.rssMb };
      result[build.name] = {
        atRest: rest[i]!,
        withFleet: {
          listedNodes: s.listed.nodes,
          listedS: (s.listed.at - s.spawnedAt) / 1000,
          listS: s.listS,
          readyS: s.readyMs / 1000,
          rssMb: rss,
          hwmMb: memory.hwmMb,
          addedMb: rss.atRest - rest[i]!.rssMb,
          churnDeltaMb: rss.after - rss.atRest,
          catchUpS: caughtUp[i]!.s,
          gauge: { before: gaugeBefore[i], after: gaugeAfter[i] },
          gaugeErrors: [...gaugeErrors(gaugeBefore[i], truthBefore).map((e) => `before: ${e}`), ...gaugeErrors(gaugeAfter[i], truthAfter).map((e) => `after: ${e}`)],
          samples: sampler.samples.map((x) => [round1((sampledFromMs[i]! + x.t) / 1000), STAGES[x.count]!, round1(x.rssMb)]),
        },
      };
      log(`in-cluster: ${build.name} with ${s.listed.nodes} nodes: ${rss.atRest.toFixed(1)} MiB at rest (+${(rss.atRest - rest[i]!.rssMb).toFixed(1)}), peak ${rss.churnPeak.toFixed(1)} during the heartbeats, ${rss.after.toFixed(1)} after`);
    }
    return {
      kubernetesVersion: cp.kubernetesVersion,
      env,
      plan,
      nodeObjectBytes,
      createS,
      churn: { patches: latencies.length, seconds: churnS, p99Ms: latencies.sort((a, b) => a - b)[Math.ceil(latencies.length * 0.99) - 1] ?? Number.NaN },
      truth: { before: truthBefore, after: truthAfter },
      builds: result,
      wallS: (performance.now() - t0) / 1000,
    };
  } finally {
    for (const sampler of samplers) sampler.stop();
    for (const guard of running) await guard.stop('SIGKILL');
    await api.close().catch(() => undefined);
    await cp.stop();
  }
}
