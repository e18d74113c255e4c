// The servers under test as child processes, and what /proc says about them.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { get } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

import { freePort } from '../testkit/e2e/process.ts';
import { deploymentEnv } from '../testkit/manifests.ts';

const BASELINE_TS = new URL('./baseline.ts', import.meta.url).pathname;

const DIST_MAIN = new URL('../dist/main.js', import.meta.url).pathname;

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caPem: string;
}

export interface Server {
  /** With `inspect`: the inspector's WebSocket URL, for liveHeapMb(). */
  inspectorUrl?: string;
  name: string;
  child: ChildProcess;
  pid: number;
  port: number;
  metricsPort?: number;
  /** cordon-guard's stdout (its log), as a container runtime would keep it. */
  logFile?: string;
  /** ms from spawn() to /readyz 200 (cordon-guard) or to the first answered HTTPS request (baseline). */
  readyMs: number;
  stderr: string[];
  stop(): Promise<void>;
}

function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
}

function collect(child: ChildProcess, stderr: string[]): void {
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (stderr.length < 200) stderr.push(line);
  });
}

/**
 * cordon-guard as the README starts it (`node dist/main.js serve`), on fixed loopback ports so that
 * readiness can be polled from the first millisecond. Default log level (info): violations
 * are logged as in production, to a file next to the policy file. Not to a pipe read by this
 * process: that reading is the container runtime's work, and here it would take CPU from the
 * load generator, on the same 2 cores, and show up as the webhook's lost throughput.
 */
export async function startCordonGuard(
  tls: TlsFiles,
  policyFile: string,
  options: { main?: string; nodeArgs?: string[]; logLevel?: string; name?: string; inspect?: boolean } = {},
): Promise<Server> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const logFile = join(dirname(policyFile), `${options.name ?? 'cordon-guard'}-${port}.log`);
  const logFd = openSync(logFile, 'w');
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...(options.inspect === true ? ['--inspect=127.0.0.1:0'] : []),
      ...(options.nodeArgs ?? []),
      options.main ?? DIST_MAIN,
      'serve',
      '--host', '127.0.0.1',
      '--port', String(port),
      '--metrics-port', String(metricsPort),
      '--tls-cert', tls.certFile,
      '--tls-key', tls.keyFile,
      '--policy-file', policyFile,
      '--log-level', options.logLevel ?? 'info',
      '--drain-seconds', '0',
    ],
    // The V8 flags the Deployment runs it with, and no others.
    { stdio: ['ignore', logFd, 'pipe'], env: { ...process.env, NODE_OPTIONS: '', ...deploymentEnv() } },
  );
  closeSync(logFd);
  const stderr: string[] = [];
  collect(child, stderr);
  const inspectorUrl = options.inspect === true ? await inspectorUrlOf(stderr) : undefined;
  let readyMs: number;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`cordon-guard exited with ${child.exitCode}: ${stderr.join('\n')}`);
    if ((await httpStatus(metricsPort, '/readyz')) === 200) {
      readyMs = performance.now() - started;
      break;
    }
    if (performance.now() - started > 20_000) throw new Error(`cordon-guard not ready after 20 s: ${stderr.join('\n')}`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return { name: options.name ?? 'cordon-guard', child, pid: child.pid!, port, metricsPort, logFile, readyMs, stderr, stop: stopper(child), ...(inspectorUrl === undefined ? {} : { inspectorUrl }) };
}

/** The floor: bench/baseline.ts. Ready = its port printed (it listens before printing). */
export async function startBaseline(tls: TlsFiles, options: { inspect?: boolean } = {}): Promise<Server> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [...(options.inspect === true ? ['--inspect=127.0.0.1:0'] : []), BASELINE_TS, '--tls-cert', tls.certFile, '--tls-key', tls.keyFile, '--port', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stderr: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  const inspectorUrl = options.inspect === true ? await inspectorUrlOf(stderr) : undefined;
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`baseline exited with ${code}: ${stderr.join('\n')}`)));
  });
  const readyMs = performance.now() - started;
  return { name: 'baseline', child, pid: child.pid!, port, readyMs, stderr, stop: stopper(child), ...(inspectorUrl === undefined ? {} : { inspectorUrl }) };
}

export interface Memory {
  rssMb: number;
  hwmMb: number;
}

/** VmRSS and VmHWM (peak resident set) of a process, in MiB. */
export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/** CPU seconds (user + system) a process has used, from /proc/PID/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Samples VmRSS every `everyMs` while running; tags each sample with a caller-provided counter. */
export class RssSampler {
  readonly samples: { t: number; count: number; rssMb: number }[] = [];
  #timer: NodeJS.Timeout | undefined;
  start(pid: number, counter: () => number, everyMs = 50): void {
    const t0 = performance.now();
    this.#timer = setInterval(() => {
      try {
        this.samples.push({ t: performance.now() - t0, count: counter(), rssMb: memoryOf(pid).rssMb });
      } catch {
        /* the process is gone */
      }
    }, everyMs);
  }
  stop(): void {
    clearInterval(this.#timer);
  }
  /** Median VmRSS over the samples whose counter is in [from, to]. */
  medianBetween(from: number, to: number): number {
    const values = this.samples.filter((s) => s.count >= from && s.count <= to).map((s) => s.rssMb).sort((a, b) => a - b);
    return values.length === 0 ? Number.NaN : values[Math.floor(values.length / 2)]!;
  }
}

/** Compilers running on this machine right now (measurements taken meanwhile are noise). */
export function busyCompilers(): string[] {
  const names = new Set(['go', 'compile', 'link', 'cgo', 'cc1', 'cc1plus', 'rustc', 'javac', 'tsc']);
  const found: string[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return found;
  }
  for (const pid of pids) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (names.has(comm)) found.push(`${comm}[${pid}]`);
    } catch {
      /* gone */
    }
  }
  return found;
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat. */
function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line;
  return (user + nice + system + irq + softirq + steal) / 100;
}

/**
 * CPU used during a measurement by everything except the server under test and this process
 * (the load generator), in cores: other sessions, compilers, ... A clean run keeps it near 0.
 */
export class NoiseMeter {
  #machine = 0;
  #self = 0;
  #server = 0;
  #t = 0;
  readonly #pid: number;
  constructor(serverPid: number) {
    this.#pid = serverPid;
  }
  start(): void {
    this.#machine = machineBusySeconds();
    const self = process.cpuUsage();
    this.#self = (self.user + self.system) / 1e6;
    this.#server = cpuSecondsOf(this.#pid);
    this.#t = performance.now();
  }
  /** Other processes' CPU, in cores (0..nproc), averaged over the interval. */
  stop(): number {
    const self = process.cpuUsage();
    const others = machineBusySeconds() - this.#machine - ((self.user + self.system) / 1e6 - this.#self) - (cpuSecondsOf(this.#pid) - this.#server);
    return Math.max(0, others / ((performance.now() - this.#t) / 1000));
  }
}

async function inspectorUrlOf(stderr: string[]): Promise<string> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const line = stderr.find((l) => l.includes('Debugger listening on ws://'));
    if (line !== undefined) return line.slice(line.indexOf('ws://')).trim();
    if (performance.now() > deadline) throw new Error(`no inspector URL: ${stderr.join('\n')}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * The live JS heap (MiB) right after a full garbage collection, through the inspector
 * (HeapProfiler.collectGarbage, then Runtime.getHeapUsage): what a leak would grow, unlike RSS,
 * which moves in steps as V8 sizes its heap.
 */
export async function liveHeapMb(server: Server): Promise<number> {
  if (server.inspectorUrl === undefined) throw new Error(`${server.name} was not started with inspect`);
  const ws = new WebSocket(server.inspectorUrl);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error('inspector connection failed')), { once: true });
  });
  let id = 0;
  const call = (method: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const mine = ++id;
      const onMessage = (event: MessageEvent): void => {
        const message = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, unknown>; error?: unknown };
        if (message.id !== mine) return;
        ws.removeEventListener('message', onMessage);
        if (message.error !== undefined) reject(new Error(JSON.stringify(message.error)));
        else resolve(message.result ?? {});
      };
      ws.addEventListener('message', onMessage);
      ws.send(JSON.stringify({ id: mine, method }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    const usage = await call('Runtime.getHeapUsage');
    return Number(usage.usedSize) / 2 ** 20;
  } finally {
    ws.close();
  }
}
