// What `serve` loads to talk to the API server: importing @kubernetes/client-node holds about
// 80 MB of RSS (docs/performance.md "Memory"), so serve makes its calls itself and loads
// client-node only for a kubeconfig that needs it. The API server here is a port where nothing
// listens: what serve imports, it imports before its first request.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLIENT_NODE_LOADED } from '../../testkit/reportClientNode.ts';
import { freePort } from '../../testkit/e2e/process.ts';
import { startServe } from '../../testkit/serveProcess.ts';
import { waitFor } from '../../testkit/wait.ts';

const HOOK = new URL('../../testkit/reportClientNode.ts', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'cordon-guard-imports-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function kubeconfig(name: string, user: Record<string, unknown>): Promise<string> {
  const path = join(dir, name);
  const server = `http://127.0.0.1:${await freePort()}`;
  writeFileSync(path, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server } }], users: [{ name: 'u', user }], contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }], 'current-context': 'c' }));
  return path;
}

/** Starts serve with a ConfigMap policy, Events and the node watch, and says whether it loaded client-node. */
async function loadsClientNode(kubeconfigPath: string): Promise<boolean> {
  const serve = await startServe(['--self-signed', '--self-signed-ca-file', join(dir, 'ca.pem'), '--policy-configmap', 'cordon-guard/cordon-guard-policy', '--kubeconfig', kubeconfigPath], {
    env: { NODE_OPTIONS: `--import ${HOOK}` },
  });
  try {
    // The first failed list comes after every module of the cluster parts is loaded.
    await waitFor('a failed policy list', () => serve.logs.find((l) => /watching policy .* failed/.test(String(l.msg))), 30_000);
    return serve.stderr.includes(CLIENT_NODE_LOADED);
  } finally {
    await serve.stop();
  }
}

describe('what serve loads to reach the API server', () => {
  it('with a token in the kubeconfig, serve does not load client-node', async () => {
    assert.equal(await loadsClientNode(await kubeconfig('token', { token: 't' })), false);
  });

  it('with an exec plugin in the kubeconfig, serve hands it to client-node', async () => {
    assert.equal(await loadsClientNode(await kubeconfig('exec', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'true' } })), true);
  });
});
