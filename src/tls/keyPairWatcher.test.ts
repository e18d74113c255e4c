import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLogger } from '../observability/logger.ts';
import { LogCapture } from '../../testkit/logCapture.ts';
import { waitFor } from '../../testkit/wait.ts';
import { createCertificateAuthority, issueServingCertificate, type PemKeyPair } from './certificates.ts';
import { KeyPairWatcher } from './keyPairWatcher.ts';

const ca = createCertificateAuthority('test CA', 1);
const issue = (): PemKeyPair => issueServingCertificate(ca, { commonName: 'x', dnsNames: ['localhost'], ipAddresses: [], validityDays: 1 });

describe('the serving certificate files are watched', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  function files(pair: PemKeyPair): { dir: string; cert: string; key: string } {
    const dir = mkdtempSync(join(tmpdir(), 'cg-tls-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'tls.crt'), pair.certPem);
    writeFileSync(join(dir, 'tls.key'), pair.keyPem);
    return { dir, cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
  }

  it('fails fast at start when the key does not match the certificate', () => {
    const { cert, key } = files({ certPem: issue().certPem, keyPem: issue().keyPem });
    assert.throws(() => new KeyPairWatcher({ certPath: cert, keyPath: key, logger: createLogger('silent'), onChange: () => undefined }));
  });

  it('re-reads nothing when other files in the directory change, and once for a burst of events', async () => {
    const pair = issue();
    const { dir, cert, key } = files(pair);
    const watcher = new KeyPairWatcher({ certPath: cert, keyPath: key, logger: createLogger('silent'), onChange: () => undefined, pollIntervalMs: 60_000 });
    watcher.start();
    try {
      for (let i = 0; i < 50; i++) writeFileSync(join(dir, 'webhook.log'), `line ${i}\n`, { flag: 'a' });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(watcher.reads, 0, 'a log file next to the certificate is not the certificate');
      await Promise.all(Array.from({ length: 20 }, () => watcher.check()));
      assert.ok(watcher.reads <= 2, `20 checks in a burst made ${watcher.reads} reads`);
      const before = watcher.reads;
      writeFileSync(cert, pair.certPem);
      await waitFor('a read after the certificate was written', () => (watcher.reads > before ? true : undefined), 3000);
    } finally {
      await watcher.stop();
    }
  });

  it('fails fast at start when a file is missing', () => {
    assert.throws(() => new KeyPairWatcher({ certPath: '/nonexistent/tls.crt', keyPath: '/nonexistent/tls.key', logger: createLogger('silent'), onChange: () => undefined }), /ENOENT/);
  });

  it('swaps in a rotated pair, and keeps the last good pair when the new one is bad', async () => {
    const first = issue();
    const { cert, key } = files(first);
    const logs = new LogCapture();
    const seen: PemKeyPair[] = [];
    const watcher = new KeyPairWatcher({ certPath: cert, keyPath: key, logger: createLogger('debug', logs), onChange: (p) => seen.push(p), pollIntervalMs: 200 });
    watcher.start();
    try {
      const second = issue();
      writeFileSync(cert, second.certPem);
      writeFileSync(key, second.keyPem);
      await waitFor('the rotation', () => (watcher.current.certPem === second.certPem ? true : undefined), 3000);
      assert.equal(seen.at(-1)?.keyPem, second.keyPem);

      writeFileSync(cert, issue().certPem); // a cert without its key
      await waitFor('the error line', () => logs.find((l) => l.level === 'error' && /keeping the last good pair/.test(l.msg)), 3000);
      assert.equal(watcher.current.certPem, second.certPem);
      assert.ok(!JSON.stringify(logs.lines).includes('PRIVATE KEY'), 'the key never reaches the log');
    } finally {
      await watcher.stop();
    }
  });

  it('follows a Secret volume that swaps its ..data symlink', async () => {
    // The kubelet's layout: tls.crt -> ..data/tls.crt, ..data -> ..2026_11_28_v1/
    const root = mkdtempSync(join(tmpdir(), 'cg-secret-'));
    dirs.push(root);
    const writeVersion = (name: string, pair: PemKeyPair) => {
      mkdirSync(join(root, name));
      writeFileSync(join(root, name, 'tls.crt'), pair.certPem);
      writeFileSync(join(root, name, 'tls.key'), pair.keyPem);
    };
    const first = issue();
    writeVersion('..v1', first);
    symlinkSync('..v1', join(root, '..data'));
    symlinkSync('..data/tls.crt', join(root, 'tls.crt'));
    symlinkSync('..data/tls.key', join(root, 'tls.key'));
    const watcher = new KeyPairWatcher({ certPath: join(root, 'tls.crt'), keyPath: join(root, 'tls.key'), logger: createLogger('silent'), onChange: () => undefined, pollIntervalMs: 10_000 });
    watcher.start();
    try {
      const second = issue();
      writeVersion('..v2', second);
      symlinkSync('..v2', join(root, '..data_tmp'));
      renameSync(join(root, '..data_tmp'), join(root, '..data'));
      // Well before the 10 s poll: the directory watch saw the swap.
      await waitFor('the swapped pair', () => (watcher.current.certPem === second.certPem ? true : undefined), 3000);
    } finally {
      await watcher.stop();
    }
  });
});
