// One hostile client, bounded in time and count, against `node dist/main.js serve`: any pod can
// reach the Service on 443 unless --client-ca is set. The attack has three parts at once:
//   64 concurrent valid reviews of about 3 MB (the largest a Node that etcd can store makes),
//   10,000 connection attempts (TLS handshakes, then idle),
//   64 concurrent 15 MB bodies (half with a Content-Length, half chunked).
// Meanwhile 8 keep-alive connections, as the API server holds them, keep sending reviews.
// Under it the process must stay under the Deployment's memory limit and never die, the
// keep-alive reviews must be answered throughout, without stalls of seconds, and some big
// reviews must be answered and the rest refused at once. Memory after the attack is reported.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { type Agent, request } from 'node:https';
import { describe, it } from 'node:test';
import { connect } from 'node:tls';
import { MAINTENANCE, makeNode, makeReview } from '../../testkit/fixtures.ts';
import { deploymentEnv, deploymentMemoryLimitMiB } from '../../testkit/manifests.ts';
import { startServe } from '../../testkit/serveProcess.ts';

const DIST_MAIN = new URL('../../dist/main.js', import.meta.url).pathname;
const KEEP_ALIVE_CLIENT = new URL('./keepAliveClient.ts', import.meta.url).pathname;
const DEPLOYMENT_LIMIT_MIB = deploymentMemoryLimitMiB();
const P99_LIMIT_MS = 500;
const rogue = readFileSync(new URL('../../examples/reviews/rogue-uncordon.json', import.meta.url), 'utf8');
const bigReview = JSON.stringify(
  makeReview({
    uid: 'big',
    oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE, images: 6600 }),
    object: makeNode({ cordoned: false, annotations: MAINTENANCE, images: 6600 }),
  }),
);

function rssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? Number.NaN) / 1024;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

type Outcome = { status: number } | { error: string };

/** POSTs a body; the outcome is the status as soon as the response starts, or the socket error. */
function postOnce(port: number, ca: string, body: string | Buffer, options: { agent?: Agent | false; chunked?: boolean; timeoutMs?: number } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (options.chunked !== true) headers['content-length'] = Buffer.byteLength(body);
    let settled = false;
    const settle = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const req = request({ host: '127.0.0.1', port, path: '/validate', method: 'POST', ca, servername: 'localhost', headers, agent: options.agent ?? false }, (res) => {
      settle({ status: res.statusCode ?? 0 });
      res.resume();
    });
    req.setTimeout(options.timeoutMs ?? 30_000, () => {
      settle({ error: 'no answer in time' });
      req.destroy();
    });
    req.on('error', (err) => settle({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end(body);
  });
}

/** The keep-alive traffic of an API server, from its own process (keepAliveClient.ts). */
function steadyTraffic(port: number, ca: string, connections: number, pauseMs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'cg-hostile-'));
  writeFileSync(join(dir, 'ca.crt'), ca);
  writeFileSync(join(dir, 'review.json'), rogue);
  const child = spawn(process.execPath, [KEEP_ALIVE_CLIENT, String(port), join(dir, 'ca.crt'), join(dir, 'review.json'), String(connections), String(pauseMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const output = text(child.stdout);
  return {
    async stop(): Promise<{ latencies: number[]; failures: string[] }> {
      child.stdin.end();
      return JSON.parse(await output) as { latencies: number[]; failures: string[] };
    },
  };
}

/** Opens `total` TLS connections, `concurrency` at a time, each held until the server drops it or `holdMs`. */
async function connectionFlood(port: number, ca: string, total: number, concurrency: number, holdMs: number): Promise<{ handshakes: number; refused: number }> {
  let handshakes = 0;
  let refused = 0;
  let next = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
      let done = false;
      const finish = (handshook: boolean): void => {
        if (done) return;
        done = true;
        if (handshook) handshakes++;
        else refused++;
        socket.destroy();
        resolve();
      };
      socket.once('secureConnect', () => setTimeout(() => finish(true), holdMs));
      socket.once('error', () => finish(false));
      socket.once('close', () => finish(false));
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        await one();
      }
    }),
  );
  return { handshakes, refused };
}

describe('a hostile client, bounded in time and count', { timeout: 240_000 }, () => {
  it('cannot take the process past its memory limit, nor stop it answering the API server', async () => {
    // The process the Deployment runs: its NODE_OPTIONS and malloc settings.
    const serve = await startServe(['--self-signed', '--log-level', 'info'], { main: DIST_MAIN, timeoutMs: 60_000, env: deploymentEnv() });
    const pid = serve.child.pid ?? 0;
    try {
      for (let i = 0; i < 200; i++) await postOnce(serve.port, serve.ca, rogue);
      await new Promise((r) => setTimeout(r, 1000));
      const baselineMiB = rssMiB(pid);

      let peakMiB = baselineMiB;
      const sampler = setInterval(() => {
        if (serve.child.exitCode === null) peakMiB = Math.max(peakMiB, rssMiB(pid));
      }, 20);
      const steady = steadyTraffic(serve.port, serve.ca, 8, 10);
      await new Promise((r) => setTimeout(r, 500));

      const started = performance.now();
      const fifteenMB = Buffer.alloc(15 * 1024 * 1024, 0x20);
      const [bigOutcomes, flood, hugeOutcomes] = await Promise.all([
        Promise.all(Array.from({ length: 64 }, () => postOnce(serve.port, serve.ca, bigReview))),
        connectionFlood(serve.port, serve.ca, 10_000, 400, 200),
        Promise.all(Array.from({ length: 64 }, (_, i) => postOnce(serve.port, serve.ca, fifteenMB, { chunked: i % 2 === 1 }))),
      ]);
      const attackMs = performance.now() - started;
      await new Promise((r) => setTimeout(r, 500));
      const steadyResult = await steady.stop();
      clearInterval(sampler);

      const count = (outcomes: Outcome[], test: (o: Outcome) => boolean): number => outcomes.filter(test).length;
      const big = {
        answered: count(bigOutcomes, (o) => 'status' in o && o.status === 200),
        refused503: count(bigOutcomes, (o) => 'status' in o && o.status === 503),
        reset: count(bigOutcomes, (o) => 'error' in o && o.error !== 'no answer in time'),
        hanging: count(bigOutcomes, (o) => 'error' in o && o.error === 'no answer in time'),
      };
      const huge = {
        refused413: count(hugeOutcomes, (o) => 'status' in o && o.status === 413),
        refused503: count(hugeOutcomes, (o) => 'status' in o && o.status === 503),
        reset: count(hugeOutcomes, (o) => 'error' in o && o.error !== 'no answer in time'),
        hanging: count(hugeOutcomes, (o) => 'error' in o && o.error === 'no answer in time'),
      };
      const p99 = percentile(steadyResult.latencies, 99);

      // Memory after the attack, with ordinary traffic for 10 s. Reported, not asserted: V8
      // and the allocator keep much of what the attack made them take (README, Reliability).
      for (let waited = 0; waited < 10_000; waited += 500) {
        await postOnce(serve.port, serve.ca, rogue);
        await new Promise((r) => setTimeout(r, 500));
      }
      const afterMiB = rssMiB(pid);
      const metrics = await (await fetch(`http://127.0.0.1:${serve.metricsPort}/metrics`)).text();
      const gauge = (name: string): string => (Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]) / 1048576).toFixed(1);
      console.log(
        `# hostile load, after: V8 heap total ${gauge('nodejs_heap_size_total_bytes')} MiB, used ${gauge('nodejs_heap_size_used_bytes')} MiB, external ${gauge('nodejs_external_memory_bytes')} MiB`,
      );
      console.log(
        `# hostile load: ${Math.round(attackMs)} ms; RSS baseline ${baselineMiB.toFixed(1)} MiB, peak ${peakMiB.toFixed(1)} MiB, after ${afterMiB.toFixed(1)} MiB; ` +
          `keep-alive reviews ${steadyResult.latencies.length}, failed ${steadyResult.failures.length}, p50 ${percentile(steadyResult.latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; ` +
          `3 MB reviews ${JSON.stringify(big)}; 15 MB bodies ${JSON.stringify(huge)}; connections ${JSON.stringify(flood)}`,
      );

      assert.equal(serve.child.exitCode, null, 'the process is alive');
      assert.ok(peakMiB < DEPLOYMENT_LIMIT_MIB, `peak RSS ${peakMiB.toFixed(1)} MiB, limit ${DEPLOYMENT_LIMIT_MIB} MiB`);
      assert.deepEqual(steadyResult.failures, [], 'every keep-alive review answered 200');
      assert.ok(steadyResult.latencies.length > 100, `only ${steadyResult.latencies.length} keep-alive reviews during the attack`);
      // The goal is 100 ms; measured 98-199 ms here with the two cores also busy with other work
      // (README, Reliability). This bound catches what the handshake cap and the body budget
      // fixed: without them the same attack gave a p99 of 1.5-5 s.
      assert.ok(p99 < P99_LIMIT_MS, `keep-alive p99 ${p99.toFixed(1)} ms`);
      assert.ok(big.answered > 0, 'some of the big valid reviews are answered');
      assert.equal(big.hanging + huge.hanging, 0, 'nothing is left hanging');
      assert.equal(big.answered + big.refused503 + big.reset, 64);
      // Every 15 MB body is refused: with its 413 or 503, or, when the client is still writing as
      // the server closes the connection after that status, with the connection reset.
      assert.equal(huge.refused413 + huge.refused503 + huge.reset, 64, 'every 15 MB body is refused');
      assert.ok(flood.refused > 0, 'past the connection cap, connections are refused');
    } finally {
      await serve.stop();
    }
  });
});
