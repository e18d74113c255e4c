import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { createLogger } from '../observability/logger.ts';
import { LogCapture } from '../../testkit/logCapture.ts';
import { createCertificateAuthority, issueServingCertificate, type PemKeyPair } from '../tls/certificates.ts';
import { createAdmissionServer } from './admissionServer.ts';

function get(port: number, options: { ca: string; client?: PemKeyPair }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', ca: options.ca, servername: 'localhost', cert: options.client?.certPem, key: options.client?.keyPem }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('client certificates (--client-ca)', () => {
  it('requires a client certificate signed by the client CA, as the API server presents with kubeConfigFile', async () => {
    const servingCa = createCertificateAuthority('serving CA', 1);
    const serving = issueServingCertificate(servingCa, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays: 1 });
    const clientCa = createCertificateAuthority('API server client CA', 1);
    const apiServer = issueServingCertificate(clientCa, { commonName: 'kube-apiserver', dnsNames: ['kube-apiserver'], ipAddresses: [], validityDays: 1, usages: ['clientAuth'] });
    const stranger = issueServingCertificate(createCertificateAuthority('other CA', 1), { commonName: 'x', dnsNames: ['x'], ipAddresses: [], validityDays: 1, usages: ['clientAuth'] });
    const server = createAdmissionServer((_req, res) => res.end('ok'), { keyPair: serving, clientCaPem: clientCa.certPem });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      assert.equal(await get(port, { ca: servingCa.certPem, client: apiServer }), 200);
      await assert.rejects(get(port, { ca: servingCa.certPem }));
      await assert.rejects(get(port, { ca: servingCa.certPem, client: stranger }));
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('the logger', () => {
  it('redacts tokens, authorization headers, keys and userInfo.extra', () => {
    const logs = new LogCapture();
    const logger = createLogger('info', logs);
    logger.info({ token: 's3cr3t', headers: { authorization: 'Bearer s3cr3t' }, tls: { key: '-----BEGIN PRIVATE KEY-----' }, userInfo: { username: 'u', extra: { 'authentication.kubernetes.io/credential-id': ['JTI=s3cr3t'] } } }, 'x');
    const text = JSON.stringify(logs.lines);
    assert.doesNotMatch(text, /s3cr3t|PRIVATE KEY/);
    assert.equal(logs.lines[0]?.token, '[redacted]');
    assert.equal((logs.lines[0]?.userInfo as { username: string }).username, 'u');
  });
});

describe('the connection cap', () => {
  it('past maxConnections a new connection is closed at once, and new connections are taken again once others close', async () => {
    const ca = createCertificateAuthority('serving CA', 1);
    const serving = issueServingCertificate(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays: 1 });
    const server = createAdmissionServer((_req, res) => res.end('ok'), { keyPair: serving, maxConnections: 3 });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const socket = connect(port, '127.0.0.1');
        await once(socket, 'connect');
        held.push(socket);
      }
      const started = performance.now();
      const extra = connect(port, '127.0.0.1');
      extra.on('error', () => undefined);
      await once(extra, 'close');
      assert.ok(performance.now() - started < 1000, 'the fourth connection is closed at once, not left hanging');
      // Once two of them go, a new connection is served again.
      for (const socket of held.slice(1)) socket.destroy();
      held.splice(1);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(await get(port, { ca: ca.certPem }), 200);
    } finally {
      for (const socket of held) socket.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
