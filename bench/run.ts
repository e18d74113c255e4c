// `make bench` / `node bench/run.ts [--quick] [--no-e2e] [--main dist/main.js] [--compare OTHER/main.js] [--out DIR]`
//
// cordon-guard against the floor of any Node webhook (bench/baseline.ts), in the same run,
// with the same certificate and payloads, each server a separate child process, the load
// generator in this process; then (unless --quick) end to end against a real kube-apiserver,
// cordon-guard's webhook against the same rule as a ValidatingAdmissionPolicy.
// --compare adds a candidate build (a patched copy) to every phase, interleaved with the others,
// so that a before/after comparison sees the same machine conditions.
//
// stdout: readable tables, then ONE JSON line (the last). Progress goes to stderr.
// Files: bench/results/results[-quick].md, results[-quick].json, latency-vs-rate[-quick].svg.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createCertificateAuthority, issueServingCertificate } from '../src/tls/certificates.ts';
import { lineChart, type Series } from './chart.ts';
import type { Config, E2eResult } from './e2e.ts';
import { Client, fixedRate, saturate, type FixedRateResult, type SaturationResult, type Target } from './load.ts';
import { BENCH_POLICY, buildMix, type ImageCount, type Mix, type MixName } from './payloads.ts';
import { busyCompilers, cpuSecondsOf, liveHeapMb, memoryOf, NoiseMeter, RssSampler, startBaseline, startCordonGuard, type Server, type TlsFiles } from './servers.ts';
import { int, markdownTable, ms, ratio, textTable, type Table } from './table.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    main: { type: 'string' },
    compare: { type: 'string' },
    'no-e2e': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const QUICK = flags.quick === true;
const OUT_DIR = flags.out ?? new URL('./results/', import.meta.url).pathname;
const SUFFIX = QUICK ? '-quick' : '';

type Key = `${MixName}/${ImageCount}`;
type Name = 'baseline' | 'cordon-guard' | 'candidate';
const SUBJECTS: Name[] = ['baseline', 'cordon-guard', ...(flags.compare === undefined ? [] : (['candidate'] as const))];
const GUARDS = SUBJECTS.filter((n) => n !== 'baseline');

interface Plan {
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
  sweep: { key: Key; rates: number[]; seconds: number } | undefined;
  drift: { marks: [number, number]; servers: Name[] };
  e2e: { iterations: number; rounds: number } | undefined;
}

const FULL: Plan = {
  readyRuns: 7,
  warmS: 3,
  saturationS: 4,
  saturationReps: 5,
  saturation: ['all-updates/50', 'uncordons/50', 'all-updates/500', 'uncordons/500'],
  connections: 16,
  fixed: [
    ...(['all-updates/50', 'uncordons/50'] as Key[]).flatMap((key) => [
      { key, rate: 200, seconds: 6 },
      { key, rate: 1000, seconds: 6 },
    ]),
    // 1000 rps of 500-image reviews is past saturation of both servers on 2 cores (see the saturation table).
    { key: 'all-updates/500', rate: 200, seconds: 6 },
    { key: 'uncordons/500', rate: 200, seconds: 6 },
  ],
  fixedReps: 5,
  sweep: { key: 'all-updates/50', rates: [100, 500, 1500, 2000, 2500, 3000, 4000], seconds: 6 },
  drift: { marks: [10_000, 100_000], servers: SUBJECTS },
  e2e: flags['no-e2e'] === true ? undefined : { iterations: 150, rounds: 2 },
};

const QUICK_PLAN: Plan = {
  readyRuns: 2,
  warmS: 1,
  saturationS: 2.5,
  saturationReps: 1,
  saturation: ['all-updates/50'],
  connections: 16,
  fixed: [
    { key: 'all-updates/50', rate: 200, seconds: 2 },
    { key: 'all-updates/50', rate: 1000, seconds: 3 },
    { key: 'all-updates/500', rate: 200, seconds: 3 },
  ],
  fixedReps: 1,
  sweep: undefined,
  drift: { marks: [10_000, 25_000], servers: GUARDS },
  e2e: undefined,
};

const plan = QUICK ? QUICK_PLAN : FULL;

/**
 * A fixed-rate run whose own scheduler fell more than this far behind (p99) measured the host,
 * not the server: with the machine otherwise idle, such stalls (the VM's vCPUs not running)
 * hit the baseline as often as cordon-guard. The run is repeated, at most STALL_RETRIES times.
 */
const STALL_LAG_MS = 3;
const STALL_RETRIES = QUICK ? 1 : 2;
const wallStart = performance.now();
const log = (line: string): void => void process.stderr.write(`[bench ${((performance.now() - wallStart) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);

function machine(): { text: string; cpu: string; cores: number; memGiB: number; node: string } {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const cpu = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown CPU';
  const cores = availableParallelism();
  const memGiB = totalmem() / 2 ** 30;
  return { text: `${cores} cores, ${memGiB.toFixed(0)} GiB, ${cpu}, Node ${process.version}, ${process.platform}`, cpu, cores, memGiB, node: process.version };
}

function makeTls(dir: string): TlsFiles {
  const ca = createCertificateAuthority('cordon-guard-bench-ca', 1);
  const serving = issueServingCertificate(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays: 1 });
  writeFileSync(join(dir, 'tls.crt'), serving.certPem);
  writeFileSync(join(dir, 'tls.key'), serving.keyPem, { mode: 0o600 });
  return { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), caPem: ca.certPem };
}

/** The offered rate was not kept up with: the open loop's backlog hit its cap, or fewer than 95% were answered in time. */
const saturated = (r: FixedRateResult): boolean => r.overloaded || r.achievedRps < 0.95 * r.rate;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Opens the pool's keep-alive connections (TLS handshakes) before anything is timed. */
async function warmPool(client: Client, mix: Mix): Promise<void> {
  await fixedRate(client, mix, 2000, 250, 10_000);
}

interface Run {
  /** Every saturation run; `saturationMedian` has the median per mix and server. */
  saturation: SaturationResult[];
  saturationMedian: SaturationResult[];
  /** Every fixed-rate run; `fixedMedian` has, per mix, rate and server, the run with the median p99. */
  fixed: FixedRateResult[];
  fixedMedian: FixedRateResult[];
  sweep: FixedRateResult[];
  peak: Partial<Record<Name, { hwmMb: number; rssMb: number }>>;
  drift: Partial<
    Record<Name, { at: [number, number]; rssMb: [number, number]; pct: number; liveHeapMb: [number, number]; livePct: number; hwmMb: number; seconds: number }>
  >;
  ready: Partial<Record<Name, number[]>>;
  e2e: E2eResult | undefined;
  e2eError: string | undefined;
}

async function main(): Promise<void> {
  const busy = busyCompilers();
  if (busy.length > 0) log(`WARNING: compilers running (${busy.slice(0, 5).join(', ')}): the figures will be noise`);
  const host = machine();
  log(`${QUICK ? 'quick' : 'full'} run on ${host.text}${flags.main ? `; cordon-guard from ${flags.main}` : ''}${flags.compare ? `; candidate ${flags.compare}` : ''}`);
  const dir = mkdtempSync(join(tmpdir(), 'cordon-guard-bench-'));
  const tls = makeTls(dir);
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, BENCH_POLICY);
  const start = (name: Name, inspect = false): Promise<Server> => {
    if (name === 'baseline') return startBaseline(tls, { inspect });
    const main = name === 'candidate' ? flags.compare : flags.main;
    return startCordonGuard(tls, policyFile, { name, inspect, ...(main === undefined ? {} : { main }) });
  };
  const targetOf = (server: Server): Target => ({ name: server.name, port: server.port, caPem: tls.caPem, checkDecisions: server.name !== 'baseline' });

  const mixes = new Map<Key, Mix>();
  const mixOf = (key: Key): Mix => {
    let mix = mixes.get(key);
    if (mix === undefined) {
      const [name, images] = key.split('/') as [MixName, string];
      mix = buildMix(name, Number(images) as ImageCount);
      mixes.set(key, mix);
    }
    return mix;
  };
  for (const key of ['all-updates/50', 'uncordons/50', 'all-updates/500', 'uncordons/500'] as Key[]) mixOf(key);

  const run: Run = { saturation: [], saturationMedian: [], fixed: [], fixedMedian: [], sweep: [], peak: {}, drift: {}, ready: {}, e2e: undefined, e2eError: undefined };
  // Each call hands the servers over in the next rotation, so that none is always first.
  let turn = 0;
  const inTurn = <T>(xs: readonly T[]): T[] => {
    const k = turn++ % xs.length;
    return [...xs.slice(k), ...xs.slice(0, k)];
  };

  // 1. Start-up: spawn() to /readyz 200 (cordon-guard) or to listening (baseline), one at a time.
  for (let i = 0; i < plan.readyRuns; i++) {
    for (const name of inTurn(SUBJECTS)) {
      const server = await start(name);
      (run.ready[name] ??= []).push(server.readyMs);
      await server.stop();
    }
  }
  log(`ready: ${SUBJECTS.map((n) => `${n} ${run.ready[n]!.map((v) => v.toFixed(0)).join(', ')} ms`).join('; ')}`);

  // 2. All servers, long-lived; the load goes to one at a time.
  const servers: Server[] = [];
  for (const name of SUBJECTS) servers.push(await start(name));
  const targets = servers.map(targetOf);
  const clients = targets.map((t) => new Client(t));
  const indices = servers.map((_, i) => i);
  try {
    for (const [i, target] of targets.entries()) {
      await saturate(target, mixOf('all-updates/50'), { connections: plan.connections, durationS: plan.warmS });
      await saturate(target, mixOf('uncordons/500'), { connections: plan.connections, durationS: plan.warmS / 2 });
      await warmPool(clients[i]!, mixOf('all-updates/50'));
    }
    log('warmed up');

    // 3. Throughput at saturation (closed loop, autocannon), servers in turn.
    for (const key of plan.saturation) {
      const runs: SaturationResult[][] = servers.map(() => []);
      for (let rep = 0; rep < plan.saturationReps; rep++) {
        for (const i of inTurn(indices)) {
          const { pid } = servers[i]!;
          const noise = new NoiseMeter(pid);
          const cpu0 = cpuSecondsOf(pid);
          noise.start();
          const result = await saturate(targets[i]!, mixOf(key), { connections: plan.connections, durationS: plan.saturationS });
          result.otherCores = noise.stop();
          result.cpuUsPerRequest = ((cpuSecondsOf(pid) - cpu0) * 1e6) / result.requests;
          run.saturation.push(result);
          runs[i]!.push(result);
          log(`saturation ${key} ${result.target}: ${result.rps.toFixed(0)} req/s, server CPU ${result.cpuUsPerRequest.toFixed(0)} us/req, other load ${result.otherCores.toFixed(2)} cores`);
        }
      }
      for (const results of runs) {
        const sorted = [...results].sort((a, b) => a.rps - b.rps);
        const mid = sorted[Math.floor(sorted.length / 2)]!;
        run.saturationMedian.push({ ...mid, cpuUsPerRequest: median(results.map((r) => r.cpuUsPerRequest!)), otherCores: median(results.map((r) => r.otherCores!)) });
      }
    }

    // 4. Fixed rates (open loop, undici + our scheduler), servers in turn.
    for (const { key, rate, seconds } of plan.fixed) {
      const runs: FixedRateResult[][] = servers.map(() => []);
      for (let rep = 0; rep < plan.fixedReps; rep++) {
        for (const i of inTurn(indices)) {
          let result: FixedRateResult;
          let discarded = 0;
          for (;;) {
            const noise = new NoiseMeter(servers[i]!.pid);
            noise.start();
            result = await fixedRate(clients[i]!, mixOf(key), rate, seconds * 1000);
            result.otherCores = noise.stop();
            if (result.scheduleLagP99 <= STALL_LAG_MS || discarded >= STALL_RETRIES) break;
            discarded++;
            log(`fixed ${key} @${rate} ${result.target}: the generator stalled (sched lag p99 ${ms(result.scheduleLagP99)} ms, p99 ${ms(result.latency.p99)} ms); again`);
          }
          result.discardedTries = discarded;
          run.fixed.push(result);
          runs[i]!.push(result);
          log(`fixed ${key} @${rate} ${result.target}: p50 ${ms(result.latency.p50)} p99 ${ms(result.latency.p99)} p99.9 ${ms(result.latency.p999)} ms, other load ${result.otherCores.toFixed(2)}${saturated(result) ? ' SATURATED' : ''}`);
        }
      }
      for (const results of runs) {
        const sorted = [...results].sort((a, b) => a.latency.p99 - b.latency.p99);
        run.fixedMedian.push(sorted[Math.floor(sorted.length / 2)]!);
      }
    }

    // 5. The latency-against-rate sweep for the chart.
    if (plan.sweep !== undefined) {
      const { key, rates, seconds } = plan.sweep;
      for (const i of indices) {
        for (const rate of rates) {
          const noise = new NoiseMeter(servers[i]!.pid);
          noise.start();
          const result = await fixedRate(clients[i]!, mixOf(key), rate, seconds * 1000);
          result.otherCores = noise.stop();
          run.sweep.push(result);
          log(`sweep ${key} @${rate} ${result.target}: p50 ${ms(result.latency.p50)} p99 ${ms(result.latency.p99)} ms${saturated(result) ? ' SATURATED' : ''}`);
          if (saturated(result) || result.latency.p99 > 250) break;
        }
      }
    }

    for (const s of servers) run.peak[s.name as Name] = memoryOf(s.pid);
    log(`peak RSS: ${servers.map((s) => `${s.name} ${run.peak[s.name as Name]!.hwmMb.toFixed(0)} MB`).join(', ')}`);
  } finally {
    for (const c of clients) await c.close().catch(() => undefined);
    for (const s of servers) await s.stop();
  }

  // 6. Drift: a fresh process, the 50-image "all node updates" mix at saturation. RSS as the
  // issue defines it, and the live JS heap after a forced full GC (inspector) at both marks.
  for (const name of plan.drift.servers) {
    const server = await start(name, true);
    try {
      const [m1, m2] = plan.drift.marks;
      let count = 0;
      let live1: Promise<number> | undefined;
      const sampler = new RssSampler();
      sampler.start(server.pid, () => count, 50);
      const started = performance.now();
      await saturate(targetOf(server), mixOf('all-updates/50'), {
        connections: plan.connections,
        amount: m2,
        onResponse: (n) => {
          count = n;
          if (n === m1) live1 = liveHeapMb(server);
        },
      });
      sampler.stop();
      const live: [number, number] = [await (live1 ?? Promise.resolve(Number.NaN)), await liveHeapMb(server)];
      const rss: [number, number] = [sampler.medianBetween(m1 * 0.9, m1), sampler.medianBetween(m2 * 0.95, m2)];
      run.drift[name] = {
        at: [m1, m2],
        rssMb: rss,
        pct: ((rss[1] - rss[0]) / rss[0]) * 100,
        liveHeapMb: live,
        livePct: ((live[1] - live[0]) / live[0]) * 100,
        hwmMb: memoryOf(server.pid).hwmMb,
        seconds: (performance.now() - started) / 1000,
      };
      log(`drift ${name}: RSS ${rss[0].toFixed(1)} MB at ${m1} -> ${rss[1].toFixed(1)} MB at ${m2} (${run.drift[name]!.pct.toFixed(1)}%); live heap ${live[0].toFixed(1)} -> ${live[1].toFixed(1)} MB`);
    } finally {
      await server.stop();
    }
  }
  rmSync(dir, { recursive: true, force: true });

  // 7. End to end (not with --quick).
  if (plan.e2e !== undefined) {
    try {
      const { runE2e } = await import('./e2e.ts');
      run.e2e = await runE2e({
        ...plan.e2e,
        ...(flags.main === undefined ? {} : { main: flags.main }),
        ...(flags.compare === undefined ? {} : { candidate: flags.compare }),
        log,
      });
    } catch (err) {
      run.e2eError = err instanceof Error ? (err.stack ?? err.message) : String(err);
      log(`e2e failed: ${run.e2eError}`);
    }
  }

  report(run, host, mixOf);
}

const CONFIG_LABELS: Record<Config, string> = {
  none: 'no admission',
  webhook: 'cordon-guard validating webhook',
  'webhook+mutate': 'cordon-guard as shipped (+ /mutate)',
  vap: 'ValidatingAdmissionPolicy (CEL)',
  'candidate webhook': 'candidate validating webhook',
  'candidate webhook+mutate': 'candidate as shipped (+ /mutate)',
};

interface Headline {
  throughputRatio: number | null;
  p99Ms50img: number | null;
  p99RatioVsBaseline: number | null;
  p99Ms500img: number | null;
  rssMb: number | null;
  rssDriftPct: number | null;
  readyMs: number | null;
  e2eRatioVsVap: number | null;
}

/**
 * The median over repetitions of (a server's figure / the baseline's in the same repetition).
 * The two runs of a repetition are seconds apart, so the machine's speed, which drifts by tens
 * of percent over minutes here, cancels out of each ratio; a ratio of two medians taken from
 * different repetitions keeps it.
 */
function pairedRatio<T extends { mix: string; images: number; target: string }>(runs: T[], match: (r: T) => boolean, name: string, figure: (r: T) => number): number | undefined {
  const mine = runs.filter((r) => match(r) && r.target === name);
  const base = runs.filter((r) => match(r) && r.target === 'baseline');
  const ratios = mine.flatMap((r, i) => (base[i] === undefined ? [] : [figure(r) / figure(base[i])])).filter(Number.isFinite);
  return ratios.length === 0 ? undefined : median(ratios);
}

function report(run: Run, host: ReturnType<typeof machine>, mixOf: (key: Key) => Mix): void {
  const sat = (key: Key, name: string) => run.saturationMedian.find((r) => `${r.mix}/${r.images}` === key && r.target === name);
  const fix = (key: Key, rate: number, name: string) => run.fixedMedian.find((r) => `${r.mix}/${r.images}` === key && r.rate === rate && r.target === name);
  const satRatio = (key: Key, name: string, figure: (r: SaturationResult) => number) => pairedRatio(run.saturation, (r) => `${r.mix}/${r.images}` === key, name, figure);
  const fixRatio = (key: Key, rate: number, name: string) => pairedRatio(run.fixed, (r) => `${r.mix}/${r.images}` === key && r.rate === rate, name, (r) => r.latency.p99);
  const tables: Table[] = [];
  const pct = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : `${v.toFixed(1)}%`);

  tables.push({
    title: 'Payloads (AdmissionReviews from src/testing/fixtures.ts)',
    head: ['mix / images', 'Node object', 'avg review body', 'cycle'],
    rows: (['all-updates/50', 'uncordons/50', 'all-updates/500', 'uncordons/500'] as Key[]).map((key) => {
      const mix = mixOf(key);
      return [key, `${(mix.objectBytes / 1024).toFixed(1)} KiB`, `${(mix.avgBodyBytes / 1024).toFixed(1)} KiB`, mix.templates.map((t) => t.kind[0]).join('')];
    }),
    note: 'all-updates: 9 label (l) + 9 annotation (a) changes + 1 denied + 1 allowed uncordon (u) per 20; uncordons: 1 denied + 1 allowed.',
  });

  tables.push({
    title: `Throughput at saturation (autocannon, ${plan.connections} keep-alive TLS connections, closed loop, median of ${plan.saturationReps} x ${plan.saturationS} s)`,
    head: ['mix / images', 'server', 'req/s', 'vs baseline', 'server CPU us/req', 'vs baseline', 'other load', 'errors'],
    rows: plan.saturation.flatMap((key) =>
      SUBJECTS.map((name) => {
        const r = sat(key, name);
        const errors = run.saturation.filter((x) => `${x.mix}/${x.images}` === key && x.target === name).reduce((n, x) => n + x.errors + x.non2xx + x.wrongAnswers, 0);
        const vs = (f: (x: SaturationResult) => number): string => (name === 'baseline' ? '' : ratio(satRatio(key, name, f)));
        return [key, name, int(r?.rps), vs((x) => x.rps), int(r?.cpuUsPerRequest), vs((x) => x.cpuUsPerRequest!), `${(r?.otherCores ?? 0).toFixed(2)} cores`, String(errors)];
      }),
    ),
    note:
      '"vs baseline": the median over the repetitions of the ratio to the baseline\'s run in the same repetition (paired, seconds apart). ' +
      'The load generator shares the 2 cores with the server: throughput is that of the pair. Server CPU per request (/proc/PID/stat) is the cleaner cost figure. "other load": CPU used meanwhile by other processes on the machine (noise), in cores.',
  });

  tables.push({
    title: `Latency at fixed rates (open loop: undici pool of 32 keep-alive TLS connections, requests dispatched on schedule; ms from dispatch to last byte; the median-p99 run of ${plan.fixedReps})`,
    head: ['mix / images', 'rate', 'server', 'achieved/s', 'p50', 'p99', 'p99.9', 'max', 'p99 vs baseline', 'sched lag p99', 'stalled tries', 'other load', 'errors'],
    rows: plan.fixed.flatMap(({ key, rate }) =>
      SUBJECTS.map((name) => {
        const r = fix(key, rate, name);
        const b = fix(key, rate, 'baseline');
        return [
          key,
          String(rate),
          name + (r && saturated(r) ? ' (SATURATED)' : ''),
          int(r?.achievedRps),
          ms(r?.latency.p50),
          ms(r?.latency.p99),
          ms(r?.latency.p999),
          ms(r?.latency.max),
          name === 'baseline' ? '' : ratio(fixRatio(key, rate, name)),
          ms(r?.scheduleLagP99),
          String(run.fixed.filter((x) => `${x.mix}/${x.images}` === key && x.rate === rate && x.target === name).reduce((n, x) => n + (x.discardedTries ?? 0), 0)),
          r?.otherCores === undefined ? '-' : r.otherCores.toFixed(2),
          String(r ? r.errors + r.wrongAnswers : '-'),
        ];
      }),
    ),
    note:
      `"p99 vs baseline": the median over the ${plan.fixedReps} repetitions of the ratio to the baseline's p99 in the same repetition. ` +
      `"sched lag p99": how late the generator dispatched (its 1 ms timer included). A try with sched lag p99 over ${STALL_LAG_MS} ms measured a stalled host (the VM's vCPUs not running, ` +
      `hitting every server alike) and was repeated, up to ${STALL_RETRIES} times per run; "stalled tries" counts those thrown away over all ${plan.fixedReps} runs.`,
  });

  if (run.sweep.length > 0) {
    tables.push({
      title: `Latency against rate (${plan.sweep!.key}, ${plan.sweep!.seconds} s per point; 200 and 1000 rps are in the table above)`,
      head: ['server', 'rate', 'achieved/s', 'p50', 'p99', 'p99.9', 'other load'],
      rows: run.sweep.map((r) => [r.target + (saturated(r) ? ' (SATURATED)' : ''), String(r.rate), int(r.achievedRps), ms(r.latency.p50), ms(r.latency.p99), ms(r.latency.p999), (r.otherCores ?? 0).toFixed(2)]),
    });
  }

  const peak = (name: Name) => run.peak[name]?.hwmMb;
  const drift = (name: Name) => run.drift[name];
  tables.push({
    title: 'Memory (VmHWM / VmRSS from /proc/PID/status)',
    head: ['figure', ...SUBJECTS],
    rows: [
      ['peak RSS over all the load above (MB)', ...SUBJECTS.map((n) => ms(peak(n)))],
      ['peak RSS vs baseline', ...SUBJECTS.map((n) => (n === 'baseline' ? '' : ratio((peak(n) ?? Number.NaN) / (peak('baseline') ?? Number.NaN))))],
      [`RSS at ${int(plan.drift.marks[0])} -> ${int(plan.drift.marks[1])} requests (MB, fresh process)`, ...SUBJECTS.map((n) => (drift(n) ? `${ms(drift(n)!.rssMb[0])} -> ${ms(drift(n)!.rssMb[1])}` : '-'))],
      ['RSS drift', ...SUBJECTS.map((n) => pct(drift(n)?.pct))],
      ['live JS heap after a full GC at the two marks (MB)', ...SUBJECTS.map((n) => (drift(n) ? `${ms(drift(n)!.liveHeapMb[0])} -> ${ms(drift(n)!.liveHeapMb[1])}` : '-'))],
      ['live heap drift', ...SUBJECTS.map((n) => pct(drift(n)?.livePct))],
    ],
    note:
      'RSS moves in steps when V8 grows its heap (young generation, old-generation limit), and the allocator keeps freed pages: a step between the two marks counts as RSS drift ' +
      'even when the live heap (inspector: HeapProfiler.collectGarbage, then Runtime.getHeapUsage) stays flat. The live heap is what a leak would grow.',
  });

  const ready = (name: Name) => median(run.ready[name] ?? []);
  tables.push({
    title: `Start-up (median of ${plan.readyRuns}; spawn() to /readyz 200 for cordon-guard, to listening for the baseline)`,
    head: ['server', 'median ms', 'min', 'max'],
    rows: SUBJECTS.map((n) => [n, ms(ready(n)), ms(Math.min(...(run.ready[n] ?? []))), ms(Math.max(...(run.ready[n] ?? [])))]),
  });

  const e2e = run.e2e;
  if (e2e !== undefined) {
    const kinds = ['uncordon-denied', 'uncordon-allowed', 'label'] as const;
    tables.push({
      title: `End to end through kube-apiserver (direct HTTPS PATCH, one at a time, ${e2e.samplesPerKind} per kind, Node of ${(e2e.nodeObjectBytes / 1024).toFixed(1)} KiB)`,
      head: ['admission', 'PATCH', 'p50 ms', 'p90', 'p99', 'max'],
      rows: e2e.configs.flatMap((config) =>
        kinds
          .filter((kind) => e2e.latency[config]?.[kind] !== undefined)
          .map((kind) => {
            const p = e2e.latency[config]![kind]!;
            return [CONFIG_LABELS[config], kind, ms(p.p50), ms(p.p90), ms(p.p99), ms(p.max)];
          }),
      ),
      note:
        `uncordon p50 ratio, validating webhook / VAP: ${ratio(e2e.ratioVsVap)} (p99: ${ratio(e2e.ratioVsVapP99)}); ` +
        `as shipped (validating + mutating) / VAP: ${ratio(e2e.shippedRatioVsVap)}` +
        (e2e.candidateRatioVsVap === undefined ? '' : `; candidate: ${ratio(e2e.candidateRatioVsVap)}, as shipped ${ratio(e2e.candidateShippedRatioVsVap)}`) +
        `; label PATCH p50 added (vs no admission): validating webhook ${ms(e2e.labelAddedMsValidatingOnly)} ms, as shipped ${ms(e2e.labelAddedMs)} ms` +
        `; cordon-guard calls per label PATCH: ${e2e.configs.filter((c) => c !== 'none' && c !== 'vap').map((c) => `${c} ${e2e.webhookCallsPerLabelPatch[c]?.toFixed(2) ?? '-'}`).join(', ')}`,
    });
  }

  if (e2e !== undefined) {
    tables.push({
      title: "The API server's own view while each set-up was measured (its admission duration histograms, UPDATEs; mean ms per call)",
      head: ['admission', 'histogram', 'calls', 'mean ms'],
      rows: e2e.configs.flatMap((config) =>
        Object.entries(e2e.apiserverView[config] ?? {})
          .filter(([key]) => !key.startsWith('plugin ') || /ValidatingAdmissionPolicy|ValidatingAdmissionWebhook|MutatingAdmissionWebhook/.test(key))
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, v]) => [CONFIG_LABELS[config], key, int(v.calls), ms(v.meanMs)]),
      ),
      note: 'Includes the set-up probes, warm-up, re-cordons and label PATCHes of each set-up, not only the timed uncordons.',
    });
  }

  // The headline figures: the worse of the two mixes where both were measured.
  const round = (v: number | undefined, digits = 2): number | null => (v === undefined || !Number.isFinite(v) ? null : Number(v.toFixed(digits)));
  const worst = <T>(items: (T | undefined)[], score: (t: T) => number): T | undefined =>
    items.filter((t): t is T => t !== undefined).sort((a, b) => score(b) - score(a))[0];
  const headline = (name: Name) => {
    const throughput = worst(
      (['all-updates/50', 'uncordons/50'] as Key[]).map((key) => {
        const b = sat(key, 'baseline');
        const c = sat(key, name);
        const rpsRatio = satRatio(key, name, (x) => x.rps);
        const cpuRatio = satRatio(key, name, (x) => x.cpuUsPerRequest!);
        return b && c && rpsRatio !== undefined && cpuRatio !== undefined ? { key, ratio: rpsRatio, cpuRatio } : undefined;
      }),
      (r) => -r.ratio,
    );
    const p99at1000 = worst(
      (['all-updates/50', 'uncordons/50'] as Key[]).map((key) => {
        const c = fix(key, 1000, name);
        const b = fix(key, 1000, 'baseline');
        const p99Ratio = fixRatio(key, 1000, name);
        return c && b && p99Ratio !== undefined ? { key, p99: c.latency.p99, ratio: p99Ratio } : undefined;
      }),
      (r) => r.p99,
    );
    const p99at200big = worst(
      (['all-updates/500', 'uncordons/500'] as Key[]).map((key) => {
        const c = fix(key, 200, name);
        return c ? { key, p99: c.latency.p99 } : undefined;
      }),
      (r) => r.p99,
    );
    const rssRatio = (peak(name) ?? Number.NaN) / (peak('baseline') ?? Number.NaN);
    const e2eRatio = e2e === undefined ? undefined : name === 'candidate' ? e2e.candidateRatioVsVap : e2e.ratioVsVap;
    const json: Headline = {
      throughputRatio: round(throughput?.ratio),
      p99Ms50img: round(p99at1000?.p99),
      p99RatioVsBaseline: round(p99at1000?.ratio),
      p99Ms500img: round(p99at200big?.p99),
      rssMb: round(peak(name), 1),
      rssDriftPct: round(drift(name)?.pct, 1),
      readyMs: round(ready(name), 0),
      e2eRatioVsVap: round(e2eRatio),
    };
    return { throughput, p99at1000, p99at200big, rssRatio, e2eRatio, json };
  };

  const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'n/a' : ok ? 'met' : 'MISSED');
  const heads = GUARDS.map((name) => ({ name, ...headline(name) }));
  tables.push({
    title: 'Targets (issue 5; headline = the worse of the two mixes)',
    head: ['target', ...heads.flatMap((h) => [h.name, 'verdict'])],
    rows: [
      ['throughput >= 0.9x baseline', ...heads.flatMap((h) => [`${ratio(h.throughput?.ratio)} (${h.throughput?.key ?? '-'}; CPU/req ${ratio(h.throughput?.cpuRatio)})`, verdict(h.throughput && h.throughput.ratio >= 0.9)])],
      ['50-image p99 at 1000 rps <= 3 ms', ...heads.flatMap((h) => [`${ms(h.p99at1000?.p99)} ms (${h.p99at1000?.key ?? '-'})`, verdict(h.p99at1000 && h.p99at1000.p99 <= 3)])],
      ['... and <= 1.2x baseline p99', ...heads.flatMap((h) => [ratio(h.p99at1000?.ratio), verdict(h.p99at1000 && h.p99at1000.ratio <= 1.2)])],
      ['500-image p99 at 200 rps <= 20 ms', ...heads.flatMap((h) => [`${ms(h.p99at200big?.p99)} ms (${h.p99at200big?.key ?? '-'})`, verdict(h.p99at200big && h.p99at200big.p99 <= 20)])],
      ['peak RSS <= 1.25x baseline', ...heads.flatMap((h) => [`${ms(peak(h.name))} MB, ${ratio(h.rssRatio)}`, verdict(Number.isFinite(h.rssRatio) ? h.rssRatio <= 1.25 : undefined)])],
      [
        'RSS drift <= 10%',
        ...heads.flatMap((h) => [
          drift(h.name) ? `${pct(drift(h.name)!.pct)} (${int(plan.drift.marks[0])} -> ${int(plan.drift.marks[1])}; baseline ${pct(drift('baseline')?.pct)}; live heap ${pct(drift(h.name)!.livePct)})` : '-',
          verdict(drift(h.name) ? drift(h.name)!.pct <= 10 : undefined),
        ]),
      ],
      ['ready within 1 s', ...heads.flatMap((h) => [`${ms(ready(h.name))} ms`, verdict(ready(h.name) <= 1000)])],
      [
        'e2e uncordon <= 1.25x VAP',
        ...heads.flatMap((h) => [
          h.e2eRatio !== undefined ? ratio(h.e2eRatio) : QUICK ? 'skipped (--quick)' : `failed: ${run.e2eError?.split('\n')[0] ?? '-'}`,
          verdict(h.e2eRatio !== undefined ? h.e2eRatio <= 1.25 : undefined),
        ]),
      ],
    ],
  });

  const wallS = (performance.now() - wallStart) / 1000;
  const noise = Math.max(0, ...[...run.saturation, ...run.fixed, ...run.sweep].map((r) => r.otherCores ?? 0));
  const header = [
    `cordon-guard benchmark (${QUICK ? 'quick' : 'full'}), ${new Date().toISOString()}, ${wallS.toFixed(0)} s wall`,
    `machine: ${host.text}`,
    ...(flags.main === undefined ? [] : [`cordon-guard: ${flags.main}`]),
    ...(flags.compare === undefined ? [] : [`candidate: ${flags.compare}`]),
    ...(noise > 0.25 ? [`WARNING: other processes used up to ${noise.toFixed(2)} cores during a measurement; figures are noisy (see "other load")`] : []),
  ].join('\n');
  const json: Headline & { candidate?: Headline } = { ...heads[0]!.json, ...(heads[1] === undefined ? {} : { candidate: heads[1].json }) };

  // Files: the markdown tables, the raw figures and the chart.
  mkdirSync(OUT_DIR, { recursive: true });
  const chartFile = join(OUT_DIR, `latency-vs-rate${SUFFIX}.svg`);
  writeFileSync(chartFile, chart(run, QUICK ? 'all-updates/50' : plan.sweep!.key, host));
  const md = [
    `## ${header.split('\n')[0]}`,
    '',
    ...header.split('\n').slice(1).map((l) => `${l}  `),
    '',
    ...tables.flatMap((t) => [markdownTable(t), '']),
    `![latency against rate](latency-vs-rate${SUFFIX}.svg)`,
    '',
    '```json',
    JSON.stringify(json),
    '```',
    '',
  ].join('\n');
  writeFileSync(join(OUT_DIR, `results${SUFFIX}.md`), md);
  writeFileSync(
    join(OUT_DIR, `results${SUFFIX}.json`),
    `${JSON.stringify({ machine: host, quick: QUICK, wallS, main: flags.main ?? 'dist/main.js', candidate: flags.compare, run, summary: json }, null, 1)}\n`,
  );

  process.stdout.write(`${header}\n\n${tables.map(textTable).join('\n\n')}\n\nfiles: ${join(OUT_DIR, `results${SUFFIX}.md`)}, ${chartFile}\n`);
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

function chart(run: Run, key: Key, host: ReturnType<typeof machine>): string {
  const points = (name: string, q: 'p50' | 'p99') =>
    [...run.fixedMedian, ...run.sweep]
      .filter((r) => `${r.mix}/${r.images}` === key && r.target === name)
      .map((r) => ({ x: r.rate, y: r.latency[q], overloaded: saturated(r) }));
  const colors: Record<Name, string> = { baseline: '#2c3e50', 'cordon-guard': '#d35400', candidate: '#27ae60' };
  const series: Series[] = [
    ...SUBJECTS.map((n) => ({ label: `${n} p99`, color: colors[n], points: points(n, 'p99') })),
    ...SUBJECTS.map((n) => ({ label: `${n} p50`, color: colors[n], dashed: true, points: points(n, 'p50') })),
  ];
  return lineChart(series, {
    title: `Admission latency against offered rate (${key.replace('/', ', ')}-image reviews)`,
    subtitle: `open-loop fixed rate over keep-alive TLS; ${host.cores} cores, ${host.cpu}, Node ${host.node}`,
    xLabel: 'offered rate (requests per second)',
    yLabel: 'latency (ms, log scale)',
    hLines: [{ y: 3, label: 'target p99 at 1000 rps: 3 ms' }],
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
