// `serve --policy-configmap` started while the API server cannot be reached: it serves with the
// defaults (POLICY.md "Policy document": fail closed for nodes under maintenance), is not ready
// while no policy was read, logs each failure, retries, and puts the ConfigMap's policy in force
// once the API server answers. The API server is a fake over plain HTTP on a port where nothing
// listens until the test starts it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../testkit/e2e/process.ts';
import { post } from '../../testkit/httpsClient.ts';
import { startServe, type ServeProcess } from '../../testkit/serveProcess.ts';
import { waitFor } from '../../testkit/wait.ts';

const examples = new URL('../../examples/', import.meta.url);
const NAMESPACE = 'cordon-guard';
const NAME = 'cordon-guard-policy';
/**
 * How long a step may take before it counts as broken: retries start 0.5 s apart and double, so a
 * working process reaches the API server within a few seconds of its coming back, however
 * loaded the machine; only one that stopped retrying takes this long.
 */
const BROKEN_MS = 60_000;

/** The list and watch of one ConfigMap, as the API server answers them. */
function fakeApiServer(policy: string) {
  const requests: string[] = [];
  const watches = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}${url.searchParams.get('watch') === 'true' ? ' watch' : ''}`);
    if (req.method !== 'GET' || url.pathname !== `/api/v1/namespaces/${NAMESPACE}/configmaps` || url.searchParams.get('fieldSelector') !== `metadata.name=${NAME}`) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound' }));
      return;
    }
    if (url.searchParams.get('watch') === 'true') {
      // A watch with nothing to report stays open.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      watches.add(res);
      res.on('close', () => watches.delete(res));
      return;
    }
    const configMap = { metadata: { name: NAME, namespace: NAMESPACE, uid: 'u-1', resourceVersion: '7' }, data: { 'policy.yaml': policy } };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: [configMap] }));
  });
  return {
    requests,
    async listen(port: number): Promise<void> {
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
    async close(): Promise<void> {
      for (const res of watches) res.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

function kubeconfig(dir: string, server: string): string {
  const path = join(dir, 'kubeconfig');
  writeFileSync(path, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'c',
  }));
  return path;
}

describe('serve --policy-configmap while the API server is down', () => {
  const api = fakeApiServer('mode: warn\n');
  let serve: ServeProcess;
  /** Where the API server will be; nothing listens there until the last test. */
  let port: number;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-apiserver-down-'));
    port = await freePort();
    serve = await startServe([
      '--self-signed', '--self-signed-ca-file', join(dir, 'ca.crt'),
      '--policy-configmap', `${NAMESPACE}/${NAME}`, '--kubeconfig', kubeconfig(dir, `http://127.0.0.1:${port}`), '--no-events',
    ]);
    // Two failures logged: it has retried at least once before the API server is back.
    await waitFor('two failures logged', () => (serve.logs.filter((l) => l.level === 'warn' && /^watching policy /.test(l.msg)).length >= 2 ? true : undefined), BROKEN_MS);
  });
  after(async () => {
    await serve?.stop();
    await api.close();
  });

  const rogue = async () => {
    const res = await post(`https://127.0.0.1:${serve.port}/validate`, readFileSync(new URL('reviews/rogue-uncordon.json', examples)), { ca: serve.ca });
    return (res.json as { response: { allowed: boolean; warnings?: string[]; status?: { message: string } } }).response;
  };
  const readyz = async () => {
    const res = await fetch(`http://127.0.0.1:${serve.metricsPort}/readyz`);
    return { status: res.status, text: await res.text() };
  };

  it('logs each failure with the ConfigMap, the error and when it retries, the delay doubling', () => {
    const failures = serve.logs.filter((l) => l.level === 'warn' && /^watching policy /.test(l.msg));
    assert.equal(failures[0]?.msg, `watching policy ${NAMESPACE}/${NAME} failed; retrying in 500 ms`);
    assert.equal(failures[0]?.origin, `${NAMESPACE}/${NAME}`);
    assert.ok(typeof failures[0]?.err === 'string' && failures[0].err !== '', 'the error is named');
    assert.deepEqual(failures.slice(0, 2).map((l) => l.retryInMs), [500, 1000]);
  });

  it('answers with the defaults meanwhile: an uncordon of a node under maintenance is denied', async () => {
    const response = await rogue();
    assert.equal(response.allowed, false);
    assert.match(response.status?.message ?? '', /^cordon-guard denied uncordon of node "worker-3"/);
    assert.match(response.status?.message ?? '', /\(policy defaults\)/);
  });

  it('is not ready while no policy was read, and says why', async () => {
    assert.deepEqual(await readyz(), { status: 503, text: 'not ready: no policy loaded yet\n' });
    assert.equal(serve.logs.find((l) => l.msg === 'ready'), undefined);
  });

  it('once the API server is back, puts the ConfigMap\'s policy in force and becomes ready', async () => {
    await api.listen(port);
    const loaded = await waitFor('the policy line', () => serve.logs.find((l) => l.source === 'configmap' && /in force/.test(l.msg)), BROKEN_MS);
    assert.equal(loaded.origin, `${NAMESPACE}/${NAME}`);
    assert.equal(loaded.mode, 'warn');
    await waitFor('the ready line', () => serve.logs.find((l) => l.msg === 'ready'), BROKEN_MS);
    assert.equal((await readyz()).status, 200);
    const response = await rogue();
    assert.equal(response.allowed, true, 'mode warn, from the ConfigMap');
    assert.match(response.warnings?.[0] ?? '', /would be denied by cordon-guard in enforce mode/);
    assert.ok(api.requests.includes(`GET /api/v1/namespaces/${NAMESPACE}/configmaps watch`), `then it watches: ${api.requests.join(', ')}`);
  });
});
