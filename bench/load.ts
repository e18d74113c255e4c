// The two load shapes.
//
// - Saturation (closed loop): autocannon, N keep-alive HTTP/1.1 connections over TLS, each sends
//   its next request as soon as the previous answer arrives. Only throughput is read from it.
// - Fixed rate (open loop): an undici Pool driven by our own scheduler. Request i is due at
//   start + i/rate whatever happened to the previous ones; a request that finds every
//   connection busy waits in the client's queue and that wait counts in its latency, so a slow
//   answer cannot hide the requests queued behind it (no coordinated omission). autocannon's
//   overallRate is not that: it gives each connection rate/connections requests per
//   one-second window, sends them back to back (each after the previous answer), then idles
//   until the next window, and its "correction" calls recordValueWithExpectedInterval with
//   ceil(1/rate) = 1 ms.
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { pick, type Mix } from './payloads.ts';

export interface Target {
  name: string;
  port: number;
  caPem: string;
  /** cordon-guard answers per policy; the baseline allows everything. */
  checkDecisions: boolean;
}

export interface Percentiles {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export function percentiles(values: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const at = (q: number): number => (n === 0 ? Number.NaN : sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!);
  let sum = 0;
  for (const v of sorted) sum += v;
  return { n, p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: n === 0 ? Number.NaN : sorted[n - 1]!, mean: n === 0 ? Number.NaN : sum / n };
}

const HEADERS = { 'content-type': 'application/json' };

/** One keep-alive pool per server, reused across runs (the API server keeps its connections too). */
export class Client {
  readonly target: Target;
  readonly pool: Pool;
  constructor(target: Target, connections = 32) {
    this.target = target;
    this.pool = new Pool(`https://127.0.0.1:${target.port}`, {
      connections,
      pipelining: 1,
      connect: { ca: target.caPem, servername: 'localhost' },
      keepAliveTimeout: 120_000,
      keepAliveMaxTimeout: 120_000,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
  }
  close(): Promise<void> {
    return this.pool.close();
  }
}

export interface FixedRateResult {
  target: string;
  mix: string;
  images: number;
  rate: number;
  durationS: number;
  sent: number;
  ok: number;
  errors: number;
  wrongAnswers: number;
  achievedRps: number;
  /** Milliseconds from dispatch (request handed to the pool, on schedule) to the last byte of the answer. */
  latency: Percentiles;
  /** How late the scheduler dispatched (ms): the generator's own jitter, not counted above. */
  scheduleLagP99: number;
  overloaded: boolean;
  /** Filled in by the caller: other processes' CPU during the run, in cores (noise). */
  otherCores?: number;
  /** Filled in by the caller: earlier tries of this run thrown away because the generator itself stalled. */
  discardedTries?: number;
}

/**
 * Sends `rate` requests per second for `durationMs`, open loop. Stops early (overloaded) when
 * more than `maxOutstanding` requests are unanswered: the latency would only grow from there.
 */
export async function fixedRate(client: Client, mix: Mix, rate: number, durationMs: number, maxOutstanding = Math.max(200, rate)): Promise<FixedRateResult> {
  const total = Math.round((rate * durationMs) / 1000);
  const latencies = new Float64Array(total);
  const lags = new Float64Array(total);
  let sent = 0;
  let done = 0;
  let timed = 0;
  let ok = 0;
  let errors = 0;
  let wrong = 0;
  let outstanding = 0;
  let overloaded = false;
  const firstError: string[] = [];
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const send = (i: number, intended: number): void => {
    const { template, uid, body } = pick(mix, i);
    const t0 = performance.now();
    lags[i] = t0 - intended;
    outstanding++;
    client.pool
      .request({ path: '/validate', method: 'POST', headers: HEADERS, body })
      .then(async ({ statusCode, body: answer }) => {
        const text = await answer.text();
        latencies[timed++] = performance.now() - t0;
        if (statusCode !== 200) {
          errors++;
          if (firstError.length === 0) firstError.push(`HTTP ${statusCode}: ${text.slice(0, 200)}`);
          return;
        }
        let response: { uid?: string; allowed?: boolean } | undefined;
        try {
          response = (JSON.parse(text) as { response?: { uid?: string; allowed?: boolean } }).response;
        } catch {
          response = undefined;
        }
        const expected = client.target.checkDecisions ? template.allowed : true;
        if (response?.uid !== uid || response.allowed !== expected) {
          wrong++;
          if (firstError.length === 0) firstError.push(`wrong answer for ${template.kind}: ${text.slice(0, 200)}`);
        } else ok++;
      })
      .catch((err: unknown) => {
        latencies[timed++] = performance.now() - t0;
        errors++;
        if (firstError.length === 0) firstError.push(String(err));
      })
      .finally(() => {
        outstanding--;
        done++;
        if (done === sent && (sent === total || overloaded)) finish();
      });
  };

  const start = performance.now();
  const interval = 1000 / rate;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
      while (sent < due) {
        if (outstanding > maxOutstanding) {
          overloaded = true;
          break;
        }
        send(sent, start + sent * interval);
        sent++;
      }
      if (sent >= total || overloaded) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const drainTimer = setTimeout(() => finish(), 30_000);
  if (done === sent) finish();
  await finished;
  clearTimeout(drainTimer);
  const elapsedS = (performance.now() - start) / 1000;
  if (firstError.length > 0) process.stderr.write(`  [${client.target.name} ${mix.name}/${mix.images} @${rate}] first problem: ${firstError[0]}\n`);
  return {
    target: client.target.name,
    mix: mix.name,
    images: mix.images,
    rate,
    durationS: elapsedS,
    sent,
    ok,
    errors,
    wrongAnswers: wrong,
    achievedRps: done / elapsedS,
    latency: percentiles(latencies.subarray(0, timed)),
    scheduleLagP99: percentiles(lags.subarray(0, sent)).p99,
    overloaded,
  };
}

export interface SaturationResult {
  target: string;
  mix: string;
  images: number;
  connections: number;
  durationS: number;
  requests: number;
  rps: number;
  non2xx: number;
  errors: number;
  wrongAnswers: number;
  /** autocannon's closed-loop latency (ms, whole-millisecond histogram): for context only. */
  p50: number;
  p99: number;
  otherCores?: number;
  /** Filled in by the caller: the server's CPU time per request (us). */
  cpuUsPerRequest?: number;
}

/**
 * Closed loop with autocannon: `connections` keep-alive connections, no pipelining (as the API
 * server sends), for `durationS` seconds or `amount` requests. `onProgress` sees every answer.
 */
export async function saturate(
  target: Target,
  mix: Mix,
  options: { connections: number; durationS?: number; amount?: number; onResponse?: (count: number) => void },
): Promise<SaturationResult> {
  let wrong = 0;
  let count = 0;
  const requests = mix.templates.flatMap((template, t) =>
    template.bodies.slice(0, 1).map(({ uid, body }) => ({
      method: 'POST' as const,
      path: '/validate',
      headers: HEADERS,
      body,
      onResponse: (status: number, text: string) => {
        count++;
        options.onResponse?.(count);
        if (status !== 200) return;
        const response = (JSON.parse(text) as { response?: { uid?: string; allowed?: boolean } }).response;
        const expected = target.checkDecisions ? template.allowed : true;
        if (response?.uid !== uid || response.allowed !== expected) {
          if (wrong++ === 0) process.stderr.write(`  [${target.name}] wrong answer for template ${t} (${template.kind}): ${text.slice(0, 200)}\n`);
        }
      },
    })),
  );
  const result = await autocannon({
    url: `https://127.0.0.1:${target.port}`,
    connections: options.connections,
    pipelining: 1,
    ...(options.amount === undefined ? { duration: options.durationS ?? 5 } : { amount: options.amount }),
    timeout: 30,
    requests,
    servername: 'localhost',
    tlsOptions: { ca: target.caPem },
  });
  return {
    target: target.name,
    mix: mix.name,
    images: mix.images,
    connections: options.connections,
    durationS: result.duration,
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    wrongAnswers: wrong,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}
