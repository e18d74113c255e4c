// cordon-guard under steady load (300 requests per second, 20 s each) while it drains on
// SIGTERM, while its certificate files are replaced, and while its policy is rewritten 100
// times. Every request is counted; none may fail.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startServe } from '../../testkit/serveProcess.ts';
import { servedFingerprint } from '../../testkit/tlsProbe.ts';
import { waitFor } from '../../testkit/wait.ts';
import { createCertificateAuthority, issueServingCertificate, type PemKeyPair } from '../../src/tls/certificates.ts';
import { runLoad } from './load.ts';

const RATE = Number(process.env.CORDON_GUARD_SOAK_RATE ?? 300);
const DURATION_MS = Number(process.env.CORDON_GUARD_SOAK_SECONDS ?? 20) * 1000;
const rogue = readFileSync(new URL('../../examples/reviews/rogue-uncordon.json', import.meta.url), 'utf8');
const ca = createCertificateAuthority('soak CA', 1);
const issue = (): PemKeyPair => issueServingCertificate(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays: 1 });

function tlsFiles(dir: string, pair: PemKeyPair): string[] {
  writeFileSync(join(dir, 'tls.crt'), pair.certPem);
  writeFileSync(join(dir, 'tls.key'), pair.keyPem);
  return ['--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key')];
}

function report(name: string, result: { sent: number; ok: number; failures: string[] }, extra = ''): void {
  console.log(`# ${name}: ${result.sent} requests at ${RATE}/s, ${result.ok} answered, ${result.failures.length} failed${extra}`);
}

describe(`under ${RATE} requests per second for ${DURATION_MS / 1000} s`, { timeout: 180_000 }, () => {
  it('drains on SIGTERM without failing a request sent before the endpoints moved, and tells keep-alive clients to reconnect', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-soak-'));
    const serve = await startServe([...tlsFiles(dir, issue()), '--drain-seconds', '3', '--log-level', 'info'], { ca: ca.certPem });
    let endpointsMoved = false;
    // The kubelet sees /readyz fail and the endpoints controller drops the pod about a second later.
    const watchReadiness = (async () => {
      await waitFor('not ready', async () => ((await fetch(`http://127.0.0.1:${serve.metricsPort}/readyz`)).status === 503 ? true : undefined), DURATION_MS + 10_000, 100);
      await new Promise((r) => setTimeout(r, 1000));
      endpointsMoved = true;
    })();
    setTimeout(() => serve.child.kill('SIGTERM'), DURATION_MS - 3000);
    const result = await runLoad({ url: `https://127.0.0.1:${serve.port}/validate`, ca: ca.certPem, servername: 'localhost', body: () => rogue, ratePerSecond: RATE, durationMs: DURATION_MS, stopSending: () => endpointsMoved });
    await watchReadiness;
    assert.equal(await serve.stop(), 0);
    report('drain', result, `, ${result.closeRequested} answers asked the client to reconnect`);
    assert.deepEqual(result.failures, []);
    assert.ok(result.sent >= RATE * (DURATION_MS / 1000 - 3) * 0.9, `only ${result.sent} requests`);
    assert.ok(result.closeRequested > 0, 'answers during the drain carry Connection: close');
  });

  it('serves a replaced certificate within 10 s without a failed handshake or request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-soak-'));
    const serve = await startServe([...tlsFiles(dir, issue()), '--log-level', 'info'], { ca: ca.certPem });
    const fingerprint = () => servedFingerprint(serve.port, ca.certPem);
    let servedAfterMs = -1;
    const rotate = (async () => {
      await new Promise((r) => setTimeout(r, DURATION_MS / 4));
      const next = issue();
      const rotatedAt = Date.now();
      tlsFiles(dir, next);
      const expected = new X509Certificate(next.certPem).fingerprint256;
      await waitFor('the new certificate', async () => ((await fingerprint()) === expected ? true : undefined), 10_000, 100);
      servedAfterMs = Date.now() - rotatedAt;
    })();
    const result = await runLoad({ url: `https://127.0.0.1:${serve.port}/validate`, ca: ca.certPem, servername: 'localhost', body: () => rogue, ratePerSecond: RATE, durationMs: DURATION_MS, freshConnectionShare: 0.25 });
    await rotate;
    assert.equal(await serve.stop(), 0);
    report('rotation', result, `, new certificate served after ${servedAfterMs} ms`);
    assert.deepEqual(result.failures, []);
    assert.ok(servedAfterMs >= 0 && servedAfterMs <= 10_000);
  });

  it('answers every request from exactly one policy version while the policy is rewritten 100 times', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-soak-'));
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, 'mode: enforce\n');
    const serve = await startServe([...tlsFiles(dir, issue()), '--policy-file', policyFile, '--log-level', 'info'], { ca: ca.certPem });
    const rewrites = (async () => {
      for (let i = 1; i <= 100; i++) {
        await new Promise((r) => setTimeout(r, (DURATION_MS * 0.9) / 100));
        // Plain writeFileSync (truncate, then write), as an editor might: a half-written file must not count.
        writeFileSync(policyFile, i % 2 === 1 ? `mode: warn\n# rewrite ${i}\n` : `mode: enforce\n# rewrite ${i}\n`);
      }
    })();
    const result = await runLoad({ url: `https://127.0.0.1:${serve.port}/validate`, ca: ca.certPem, servername: 'localhost', body: () => rogue, ratePerSecond: RATE, durationMs: DURATION_MS, keepBodies: true });
    await rewrites;
    await new Promise((r) => setTimeout(r, 1500));
    const generations = serve.logs.filter((l) => /in force \(generation/.test(l.msg)).length;
    assert.equal(await serve.stop(), 0);
    type Response = { response: { allowed: boolean; status?: { code: number; message: string }; warnings?: string[] } };
    const shapes = new Map<string, number>();
    for (const body of result.bodies as Response[]) {
      const { allowed, status, warnings } = body.response;
      const enforce = !allowed && status?.code === 403 && status.message.startsWith('cordon-guard denied uncordon') && warnings === undefined;
      const warn = allowed && status === undefined && warnings?.length === 1 && (warnings[0] ?? '').includes('would be denied by cordon-guard in enforce mode');
      const shape = enforce ? 'enforce' : warn ? 'warn' : `MIXED ${JSON.stringify(body.response)}`;
      shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
    }
    report('policy churn', result, `; ${generations} policy versions put in force; answers by version: ${JSON.stringify(Object.fromEntries(shapes))}`);
    assert.deepEqual(result.failures, []);
    assert.deepEqual([...shapes.keys()].filter((k) => k.startsWith('MIXED')), []);
    assert.ok((shapes.get('enforce') ?? 0) > 0 && (shapes.get('warn') ?? 0) > 0);
    assert.ok(generations >= 90, `only ${generations} of 100 rewrites were seen as versions`);
    assert.equal(serve.logs.filter((l) => l.level === 'error').length, 0, 'no half-written file was read as a bad document');
  });
});
