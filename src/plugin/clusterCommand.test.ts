// The exit codes of a cluster command that cannot use the cluster, against real sockets: nothing
// listening, an API server whose certificate is not trusted, one that refuses the credentials.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from '../../testkit/e2e/process.ts';
import { capturedIo } from '../../testkit/fakeMaintenanceApi.ts';
import { INSTALLED_POLICY_CONFIGMAP } from '../install.ts';
import { createCertificateAuthority, issueServingCertificate } from '../tls/certificates.ts';
import { runClusterCommand } from './clusterCommand.ts';

function kubeconfig(server: string, cluster: Record<string, unknown> = {}): string {
  const path = join(mkdtempSync(join(tmpdir(), 'cg-kubeconfig-')), 'config');
  writeFileSync(path, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server, ...cluster } }],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: 'a', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'a',
  }));
  return path;
}

const flags = (kubeconfigPath: string | undefined, context?: string) => ({ kubeconfig: kubeconfigPath, context, policyConfigMap: INSTALLED_POLICY_CONFIGMAP });
const whoCanUncordon = (kubeconfigPath: string | undefined) => ({ command: 'who-can-uncordon' as const, output: 'json' as const, ...flags(kubeconfigPath) });
const list = (kubeconfigPath: string | undefined, context?: string) => ({ command: 'list' as const, output: 'table' as const, annotation: 'cordon-guard.io/maintenance', ...flags(kubeconfigPath, context) });

/** An HTTPS server on loopback that answers every request with `status`. */
async function apiServer(status: number, body: unknown): Promise<{ url: string; ca: string; server: Server }> {
  const ca = createCertificateAuthority('test API server CA', 1);
  const pair = issueServingCertificate(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays: 1 });
  const server = createServer({ cert: pair.certPem, key: pair.keyPem }, (_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, ca: ca.certPem, server };
}

describe('a cluster command that cannot use the cluster exits 5, with one line on stderr', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  it('when nothing listens at the API server\'s address', async () => {
    const { io, stdout, stderr } = capturedIo();
    const port = await freePort();
    assert.equal(await runClusterCommand(list(kubeconfig(`https://127.0.0.1:${port}`)), io), 5);
    assert.deepEqual(stdout, []);
    assert.equal(stderr.length, 1);
    assert.match(stderr[0] ?? '', new RegExp(`^cordon-guard list: .*ECONNREFUSED 127\\.0\\.0\\.1:${port}\\n$`));
  });

  it('when the API server\'s certificate is not signed by the kubeconfig\'s CA', async () => {
    const api = await apiServer(200, {});
    servers.push(api.server);
    const other = createCertificateAuthority('another CA', 1).certPem;
    const { io, stderr } = capturedIo();
    const code = await runClusterCommand(list(kubeconfig(api.url, { 'certificate-authority-data': Buffer.from(other).toString('base64') })), io);
    assert.equal(code, 5, stderr.join(''));
    assert.equal(stderr.length, 1);
    assert.match(stderr[0] ?? '', /^cordon-guard list: /);
  });

  it('when the API server does not accept the credentials (401), as kubectl words it', async () => {
    const api = await apiServer(401, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    servers.push(api.server);
    const { io, stderr } = capturedIo();
    const code = await runClusterCommand(list(kubeconfig(api.url, { 'certificate-authority-data': Buffer.from(api.ca).toString('base64') })), io);
    assert.equal(code, 5, stderr.join(''));
    assert.equal(stderr.length, 1);
    assert.match(stderr[0] ?? '', /^Error from server \(Unauthorized\): /);
  });

  it('when the kubeconfig names no such context', async () => {
    const { io, stderr } = capturedIo();
    const code = await runClusterCommand({ command: 'end', node: 'n', annotation: undefined, ...flags(kubeconfig('https://127.0.0.1:1'), 'prod') }, io);
    assert.equal(code, 5);
    assert.deepEqual(stderr, ['cordon-guard end: context "prod" does not exist in the kubeconfig\n']);
  });

  it('when the kubeconfig file does not exist', async () => {
    const { io, stderr } = capturedIo();
    const code = await runClusterCommand(list('/nonexistent/kubeconfig'), io);
    assert.equal(code, 5);
    assert.equal(stderr.length, 1);
    assert.match(stderr[0] ?? '', /^cordon-guard list: cannot load the kubeconfig \/nonexistent\/kubeconfig: .*ENOENT/);
  });
});

describe('who-can-uncordon against an API server: exit 1 for a missing permission, 5 for a cluster it cannot use', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));
  const trusted = (api: { url: string; ca: string }) => kubeconfig(api.url, { 'certificate-authority-data': Buffer.from(api.ca).toString('base64') });

  it('exits 1 and names the permission when the caller may not list ClusterRoles', async () => {
    const api = await apiServer(403, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: 'clusterroles.rbac.authorization.k8s.io is forbidden: User "bob" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope' });
    servers.push(api.server);
    const { io, stdout, stderr } = capturedIo();
    assert.equal(await runClusterCommand(whoCanUncordon(trusted(api)), io), 1, stderr.join(''));
    assert.deepEqual(stdout, []);
    assert.match(stderr.join(''), /^error: who-can-uncordon needs permission to list clusterroles\.rbac\.authorization\.k8s\.io \(cluster-wide\): Error from server \(Forbidden\): .*User "bob" cannot list/);
  });

  it('exits 5 when the API server does not accept the credentials (401)', async () => {
    const api = await apiServer(401, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    servers.push(api.server);
    const { io, stderr } = capturedIo();
    assert.equal(await runClusterCommand(whoCanUncordon(trusted(api)), io), 5, stderr.join(''));
    assert.equal(stderr.length, 1);
    assert.match(stderr[0] ?? '', /^Error from server \(Unauthorized\): /);
  });

  it('exits 5 when nothing listens at the API server\'s address', async () => {
    const { io, stderr } = capturedIo();
    const port = await freePort();
    assert.equal(await runClusterCommand(whoCanUncordon(kubeconfig(`https://127.0.0.1:${port}`)), io), 5);
    assert.equal(stderr.length, 1);
    assert.match(stderr[0] ?? '', new RegExp(`^cordon-guard who-can-uncordon: .*ECONNREFUSED 127\\.0\\.0\\.1:${port}\\n$`));
  });

  it('exits 5 when the kubeconfig file does not exist', async () => {
    const { io, stderr } = capturedIo();
    assert.equal(await runClusterCommand(whoCanUncordon('/nonexistent/kubeconfig'), io), 5);
    assert.match(stderr.join(''), /^cordon-guard who-can-uncordon: cannot load the kubeconfig \/nonexistent\/kubeconfig: .*ENOENT/);
  });
});
