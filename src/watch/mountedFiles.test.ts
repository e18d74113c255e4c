import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../observability/logger.ts';
import { waitFor } from '../../testkit/wait.ts';
import { MountedFiles, concernsMountedFile } from './mountedFiles.ts';

describe('concernsMountedFile', () => {
  const events: [string | null, boolean][] = [
    ['tls.crt', true],
    ['tls.key', true],
    ['..data', true],
    ['..2026_11_28_09_00_00.123456789', true],
    [null, true],
    ['webhook.log', false],
    ['tls.crt.tmp', false],
    ['certs', false],
  ];
  for (const [name, expected] of events) {
    it(`${expected ? 'takes' : 'ignores'} a change named ${JSON.stringify(name)}`, () => assert.equal(concernsMountedFile(name, '/certs/tls.crt', '/certs/tls.key'), expected));
  }
});

describe('MountedFiles', () => {
  const setup = (pollIntervalMs = 60_000) => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-mounted-'));
    const path = join(dir, 'policy.yaml');
    writeFileSync(path, 'mode: warn\n');
    const seen: string[][] = [];
    const errors: unknown[] = [];
    const files = new MountedFiles({ paths: [path], what: 'test file', logger: createLogger('silent'), pollIntervalMs, onChange: (c) => seen.push(c), onReadError: (e) => errors.push(e) });
    return { dir, path, seen, errors, files };
  };

  it('delivers the contents once, and not again while they are unchanged', async () => {
    const { seen, files } = setup();
    await files.check();
    await files.check();
    assert.deepEqual(seen, [['mode: warn\n']]);
  });

  it('a burst of events costs one read, for a policy file as for a key pair', async () => {
    const { files } = setup();
    await files.check();
    const before = files.reads;
    await Promise.all(Array.from({ length: 50 }, () => files.check()));
    assert.ok(files.reads - before <= 2, `50 checks in a burst made ${files.reads - before} reads`);
  });

  it('never delivers a file caught mid-write: it reads until two reads agree', async () => {
    const { path, seen, files } = setup();
    await files.check();
    writeFileSync(path, '');
    const reading = files.check();
    // The writer finishes within the stable-read window.
    setTimeout(() => writeFileSync(path, 'mode: enforce\n'), 5);
    await reading;
    assert.deepEqual(seen.at(-1), ['mode: enforce\n']);
    assert.ok(!seen.some(([text]) => text === ''), `delivered ${JSON.stringify(seen)}`);
  });

  it('a missing file is a read error, and the file coming back is delivered again', async () => {
    const { path, seen, errors, files } = setup();
    await files.check();
    rmSync(path);
    await files.check();
    assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOENT');
    writeFileSync(path, 'mode: warn\n');
    await files.check();
    assert.deepEqual(seen, [['mode: warn\n'], ['mode: warn\n']]);
  });

  it('sees an edit through the directory watch, long before the poll', async () => {
    const { path, seen, files } = setup(60_000);
    await files.check();
    files.start();
    try {
      writeFileSync(path, 'mode: audit\n');
      await waitFor('the edit delivered', () => (seen.length === 2 ? true : undefined), 2000);
      assert.deepEqual(seen[1], ['mode: audit\n']);
    } finally {
      await files.stop();
    }
  });
});
