import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLogger } from '../observability/logger.ts';
import { LogCapture } from '../../testkit/logCapture.ts';
import { FixedSource } from '../tls/certificateSource.ts';
import { createCertificateAuthority, issueServingCertificate, type PemKeyPair } from '../tls/certificates.ts';
import { ClientCaWatcher } from '../tls/clientCaWatcher.ts';
import { KeyPairWatcher } from '../tls/keyPairWatcher.ts';
import { createAdmissionServer } from './admissionServer.ts';

/** A GET on a new connection (no agent: every call is a new handshake). */
function get(port: number, options: { ca: string; client?: PemKeyPair }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, ca: options.ca, servername: 'localhost', cert: options.client?.certPem, key: options.client?.keyPem }, (res) => {
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
    const server = createAdmissionServer((_req, res) => res.end('ok'), { certificate: new FixedSource(serving), clientCa: new FixedSource(clientCa.certPem) });
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

describe('certificates rotated under a running server', () => {
  const clientOf = (ca: PemKeyPair, name: string): PemKeyPair => issueServingCertificate(ca, { commonName: name, dnsNames: [name], ipAddresses: [], validityDays: 1, usages: ['clientAuth'] });

  it('a client certificate from the new client CA is accepted after the CA file is rotated, and one from the old CA refused, without a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-client-ca-'));
    const servingCa = createCertificateAuthority('serving CA', 1);
    const serving = issueServingCertificate(servingCa, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays: 1 });
    const oldCa = createCertificateAuthority('API server client CA 2026', 1);
    const newCa = createCertificateAuthority('API server client CA 2027', 1);
    const [oldClient, newClient] = [clientOf(oldCa, 'kube-apiserver'), clientOf(newCa, 'kube-apiserver')];
    const caFile = join(dir, 'client-ca.crt');
    writeFileSync(caFile, oldCa.certPem);
    const logs = new LogCapture();
    const clientCa = new ClientCaWatcher({ path: caFile, logger: createLogger('info', logs), pollIntervalMs: 600_000 });
    const server = createAdmissionServer((_req, res) => res.end('ok'), { certificate: new FixedSource(serving), clientCa });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const ca = servingCa.certPem;
    try {
      assert.equal(await get(port, { ca, client: oldClient }), 200);
      await assert.rejects(get(port, { ca, client: newClient }));

      writeFileSync(caFile, newCa.certPem);
      await clientCa.check();
      assert.ok(logs.find((l) => l.msg === 'client CA reloaded'));
      assert.equal(await get(port, { ca, client: newClient }), 200);
      await assert.rejects(get(port, { ca, client: oldClient }));

      // A file that is not a CA bundle (a half-written rotation) keeps the last good CA.
      writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nnot base64\n');
      await clientCa.check();
      assert.ok(logs.find((l) => l.level === 'error' && /^client CA not reloaded, keeping the last good one: unusable: /.test(l.msg)));
      assert.equal(await get(port, { ca, client: newClient }), 200);
      await assert.rejects(get(port, { ca, client: oldClient }));
    } finally {
      await clientCa.stop();
      server.closeAllConnections();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a rotated serving certificate is presented on new connections, with the client CA still required', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-serving-'));
    const firstCa = createCertificateAuthority('serving CA 1', 1);
    const secondCa = createCertificateAuthority('serving CA 2', 1);
    const pairOf = (ca: PemKeyPair) => issueServingCertificate(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays: 1 });
    const first = pairOf(firstCa);
    writeFileSync(join(dir, 'tls.crt'), first.certPem);
    writeFileSync(join(dir, 'tls.key'), first.keyPem);
    const clientCa = createCertificateAuthority('client CA', 1);
    const client = clientOf(clientCa, 'kube-apiserver');
    const certificate = new KeyPairWatcher({ certPath: join(dir, 'tls.crt'), keyPath: join(dir, 'tls.key'), logger: createLogger('silent'), pollIntervalMs: 600_000 });
    const server = createAdmissionServer((_req, res) => res.end('ok'), { certificate, clientCa: new FixedSource(clientCa.certPem) });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      assert.equal(await get(port, { ca: firstCa.certPem, client }), 200);
      const second = pairOf(secondCa);
      writeFileSync(join(dir, 'tls.crt'), second.certPem);
      writeFileSync(join(dir, 'tls.key'), second.keyPem);
      await certificate.check();
      assert.equal(await get(port, { ca: secondCa.certPem, client }), 200);
      await assert.rejects(get(port, { ca: firstCa.certPem, client }), 'the old certificate is no longer presented');
      await assert.rejects(get(port, { ca: secondCa.certPem }), 'a client certificate is still required');
    } finally {
      await certificate.stop();
      server.closeAllConnections();
      server.close();
      rmSync(dir, { recursive: true, force: true });
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
    const server = createAdmissionServer((_req, res) => res.end('ok'), { certificate: new FixedSource(serving), maxConnections: 3 });
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
