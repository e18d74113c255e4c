import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from '../../testkit/e2e/process.ts';
import { capturedIo } from '../../testkit/fakeMaintenanceApi.ts';
import { runClusterCommand } from './clusterCommand.ts';

function kubeconfig(server: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'cg-kubeconfig-')), 'config');
  writeFileSync(path, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server } }],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: 'a', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'a',
  }));
  return path;
}

describe('a cluster command that cannot talk to the API server', () => {
  it('says in one line that the API server cannot be reached, and exits 1', async () => {
    const { io, stdout, stderr } = capturedIo();
    const port = await freePort();
    const code = await runClusterCommand({ command: 'list', output: 'table', annotation: undefined, kubeconfig: kubeconfig(`https://127.0.0.1:${port}`), context: undefined }, io);
    assert.equal(code, 1);
    assert.deepEqual(stdout, []);
    assert.equal(stderr.length, 1);
    assert.equal(stderr[0], `cordon-guard list: fetch failed: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });

  it('names a context that the kubeconfig does not have, and exits 1', async () => {
    const { io, stderr } = capturedIo();
    const code = await runClusterCommand({ command: 'end', node: 'n', annotation: undefined, kubeconfig: kubeconfig('https://127.0.0.1:1'), context: 'prod' }, io);
    assert.equal(code, 1);
    assert.deepEqual(stderr, ['cordon-guard end: context "prod" does not exist in the kubeconfig\n']);
  });
});
