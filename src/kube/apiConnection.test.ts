import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ClusterAccessError } from '../cli/exitCodes.ts';
import { inClusterConnection, kubeconfigConnection, loadApiConnection } from './apiConnection.ts';

const dir = mkdtempSync(join(tmpdir(), 'cordon-guard-connection-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CA = '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n';
writeFileSync(join(dir, 'ca.crt'), CA);
writeFileSync(join(dir, 'token'), 'sa-token\n');

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = { server: 'https://10.0.0.1:6443', 'certificate-authority': 'ca.crt' }): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'ctx',
  };
}

describe('the API connection of a kubeconfig', () => {
  it('reads the server, the CA file relative to the kubeconfig and a bearer token', async () => {
    const connection = kubeconfigConnection(join(dir, 'config'), kubeconfig({ token: 'abc' }));
    assert.ok(connection !== undefined);
    assert.equal(connection.server.href, 'https://10.0.0.1:6443/');
    const options = await connection.requestOptions();
    assert.equal(String(options.ca), CA);
    assert.deepEqual(options.headers, { authorization: 'Bearer abc' });
    assert.equal(options.rejectUnauthorized, true);
  });

  it('reads a client certificate and key given as base64 data, and a token file', async () => {
    const user = { 'client-certificate-data': Buffer.from('CERT').toString('base64'), 'client-key-data': Buffer.from('KEY').toString('base64'), tokenFile: 'token' };
    const connection = kubeconfigConnection(join(dir, 'config'), kubeconfig(user, { server: 'https://api:6443', 'insecure-skip-tls-verify': true }));
    const options = await connection!.requestOptions();
    assert.equal(String(options.cert), 'CERT');
    assert.equal(String(options.key), 'KEY');
    assert.equal(options.rejectUnauthorized, false);
    assert.deepEqual(options.headers, { authorization: 'Bearer sa-token' });
  });

  it('leaves exec plugins, auth providers, impersonation and proxies to client-node', () => {
    for (const user of [{ exec: { command: 'aws' } }, { 'auth-provider': { name: 'oidc' } }, { token: 't', as: 'alice' }]) {
      assert.equal(kubeconfigConnection(join(dir, 'config'), kubeconfig(user)), undefined, JSON.stringify(user));
    }
    assert.equal(kubeconfigConnection(join(dir, 'config'), kubeconfig({ token: 't' }, { server: 'https://a', 'proxy-url': 'http://proxy:3128' })), undefined);
  });

  it('says which part is missing: no current-context, no such context or cluster, no server', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...kubeconfig({}), 'current-context': undefined }, /no current-context/],
      [{ ...kubeconfig({}), 'current-context': 'other' }, /no context named "other"/],
      [{ ...kubeconfig({}), clusters: [] }, /no cluster named "c"/],
      [kubeconfig({ token: 't' }, {}), /has no server/],
      ['just text', /not a mapping/],
    ];
    for (const [document, message] of cases) {
      assert.throws(() => kubeconfigConnection('/k', document), (err: unknown) => err instanceof ClusterAccessError && message.test(err.message));
    }
  });

  it('loads through client-node what it does not read itself, with that user\'s headers', async () => {
    const file = join(dir, 'impersonating');
    writeFileSync(file, JSON.stringify(kubeconfig({ token: 't', as: 'alice' })));
    const connection = await loadApiConnection(file, {});
    assert.equal(connection.server.host, '10.0.0.1:6443');
    const options = await connection.requestOptions();
    assert.equal((options.headers as Record<string, string>)['Impersonate-User'], 'alice');
  });

  it('refuses a kubeconfig that is not YAML, naming the file', async () => {
    const file = join(dir, 'broken');
    writeFileSync(file, 'clusters: [unclosed');
    await assert.rejects(loadApiConnection(file, {}), (err: unknown) => err instanceof ClusterAccessError && err.message.includes(file));
  });
});

describe('the API connection of a pod', () => {
  it('is KUBERNETES_SERVICE_HOST/PORT with the ServiceAccount\'s CA and token', async () => {
    const connection = inClusterConnection({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, dir);
    assert.equal(connection.server.href, 'https://10.96.0.1/');
    const options = await connection.requestOptions();
    assert.equal(String(options.ca), CA);
    assert.deepEqual(options.headers, { authorization: 'Bearer sa-token' });
  });

  it('puts an IPv6 service address in brackets', () => {
    assert.equal(inClusterConnection({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, dir).server.host, '[fd00::1]:6443');
  });

  it('outside a pod and without a kubeconfig, says what to give', async () => {
    await assert.rejects(loadApiConnection(undefined, { HOME: dir }), /give --kubeconfig, set KUBECONFIG, or run in a pod/);
  });

  it('without a readable ServiceAccount, says where it looked', () => {
    assert.throws(() => inClusterConnection({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, join(dir, 'absent')), /cannot read the pod's ServiceAccount in .*absent/);
  });
});
