import assert from 'node:assert/strict';
import { watch } from 'node:fs';
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

/** Resolves once a directory watch of this process has been handed the change named `name`. */
function seen(dir: string, name: string): { done: Promise<void>; close: () => void } {
  let resolve = (): void => undefined;
  const done = new Promise<void>((r) => (resolve = r));
  const watcher = watch(dir, { persistent: false }, (_event, changed) => {
    if (changed === name) resolve();
  });
  return { done, close: () => watcher.close() };
}

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
    assert.throws(() => new KeyPairWatcher({ certPath: cert, keyPath: key, logger: createLogger('silent') }));
  });

  it('re-reads nothing for changes of other files in the directory, once all their events were handed out', async () => {
    const { dir, cert, key } = files(issue());
    const watcher = new KeyPairWatcher({ certPath: cert, keyPath: key, logger: createLogger('silent'), pollIntervalMs: 60_000 });
    watcher.start();
    // The process's directory watches share one event stream, in order: once this watch has the
    // barrier's event, the watcher under test has had every event of the log writes before it.
    const barrier = seen(dir, 'barrier.log');
    try {
      for (let i = 0; i < 50; i++) writeFileSync(join(dir, 'webhook.log'), `line ${i}\n`, { flag: 'a' });
      writeFileSync(join(dir, 'barrier.log'), 'x');
      await barrier.done;
      // A re-read is queued on a promise: let every queued one start.
      await new Promise((r) => setImmediate(r));
      assert.equal(watcher.reads, 0, 'a log file next to the certificate is not the certificate');
    } finally {
      barrier.close();
      await watcher.stop();
    }
  });

  it('re-reads once for a burst of checks, and after the certificate is written', async () => {
    const pair = issue();
    const { cert, key } = files(pair);
    const watcher = new KeyPairWatcher({ certPath: cert, keyPath: key, logger: createLogger('silent'), pollIntervalMs: 60_000 });
    watcher.start();
    try {
      await Promise.all(Array.from({ length: 20 }, () => watcher.check()));
      assert.ok(watcher.reads <= 2, `20 checks in a burst made ${watcher.reads} reads`);
      const before = watcher.reads;
      writeFileSync(cert, pair.certPem);
      await waitFor('a read after the certificate was written', () => (watcher.reads > before ? true : undefined), 10_000);
    } finally {
      await watcher.stop();
    }
  });

  it('fails fast at start when a file is missing', () => {
    assert.throws(() => new KeyPairWatcher({ certPath: '/nonexistent/tls.crt', keyPath: '/nonexistent/tls.key', logger: createLogger('silent') }), /ENOENT/);
  });

  it('swaps in a rotated pair, and keeps the last good pair when the new one is bad', async () => {
    const first = issue();
    const { cert, key } = files(first);
    const logs = new LogCapture();
    const seenPairs: PemKeyPair[] = [];
    const watcher = new KeyPairWatcher({ certPath: cert, keyPath: key, logger: createLogger('debug', logs), pollIntervalMs: 60_000 });
    watcher.onChange((p) => seenPairs.push(p));
    try {
      const second = issue();
      writeFileSync(cert, second.certPem);
      writeFileSync(key, second.keyPem);
      await watcher.check();
      assert.equal(watcher.current().certPem, second.certPem);
      assert.deepEqual(seenPairs, [second]);
      assert.ok(logs.find((l) => l.level === 'info' && l.msg === 'serving certificate reloaded'));

      writeFileSync(cert, issue().certPem); // a cert without its key
      await watcher.check();
      assert.ok(logs.find((l) => l.level === 'error' && /^serving certificate not reloaded, keeping the last good one: unusable: /.test(l.msg)));
      assert.equal(watcher.current().certPem, second.certPem);
      assert.equal(seenPairs.length, 1, 'a bad pair reaches no listener');
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
    const watcher = new KeyPairWatcher({ certPath: join(root, 'tls.crt'), keyPath: join(root, 'tls.key'), logger: createLogger('silent'), pollIntervalMs: 600_000 });
    const changed = new Promise<PemKeyPair>((resolve) => watcher.onChange(resolve));
    watcher.start();
    try {
      const second = issue();
      writeVersion('..v2', second);
      symlinkSync('..v2', join(root, '..data_tmp'));
      renameSync(join(root, '..data_tmp'), join(root, '..data'));
      // No poll comes for ten minutes: the directory watch saw the swap.
      assert.equal((await changed).certPem, second.certPem);
      assert.equal(watcher.current().certPem, second.certPem);
    } finally {
      await watcher.stop();
    }
  });
});
