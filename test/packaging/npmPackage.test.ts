// The plugin as a package: `npm pack` makes cordon-guard-VERSION.tgz, and
// `npm install -g ./cordon-guard-VERSION.tgz` into an empty prefix gives a working
// kubectl-cordon_guard on the PATH, run from outside any checkout, with Node 24 alone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, lstatSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { before, describe, test } from 'node:test';
import { packageVersion } from '../../packaging/release.ts';
import { ROOT } from '../../testkit/manifests.ts';
import { packAndInstall, type InstalledPackage } from '../../testkit/npmPackage.ts';

describe('the npm package of the plugin', { timeout: 300_000 }, () => {
  let installed: InstalledPackage;
  before(() => {
    installed = packAndInstall();
  });

  const run = (args: string[]) => {
    const cwd = mkdtempSync(join(tmpdir(), 'cg-plugin-cwd-'));
    return spawnSync('kubectl-cordon_guard', args, { cwd, encoding: 'utf8', env: { PATH: installed.path, HOME: cwd } });
  };

  test('is cordon-guard-VERSION.tgz, with dist/ and the wrapper, and no sources, tests, source maps or manifests', () => {
    assert.equal(basename(installed.tarball), `cordon-guard-${packageVersion()}.tgz`);
    assert.ok(installed.files.includes('dist/main.js'));
    assert.ok(installed.files.includes('bin/kubectl-cordon_guard'));
    assert.ok(installed.files.includes('package.json'));
    const unwanted = installed.files.filter((f) => /^(src|test|testkit|bench|certs-scripts|examples|manifests|charts|packaging|\.tools|node_modules)\/|\.map$|\.test\.js$/.test(f));
    assert.deepEqual(unwanted, []);
  });

  test('installs kubectl-cordon_guard into PREFIX/bin, linked to the installed package, not to this checkout', () => {
    assert.ok(lstatSync(installed.executable).isSymbolicLink());
    const target = realpathSync(installed.executable);
    assert.ok(target.startsWith(realpathSync(installed.prefix)), target);
    assert.ok(!target.startsWith(realpathSync(ROOT)), target);
  });

  test('runs from the PATH: kubectl cordon-guard culprits names the writer in an audit log', () => {
    const log = join(mkdtempSync(join(tmpdir(), 'cg-audit-')), 'audit.log');
    copyFileSync(join(ROOT, 'testkit', 'audit', 'fixtures', 'request-response', 'json-patch.jsonl'), log);
    const result = run(['culprits', '--audit-log', log, '-o', 'json']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /system:serviceaccount:system-upgrade:system-upgrade/);
  });

  test('says how to use it, and refuses an unknown command with status 2', () => {
    const help = run(['--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /cordon-guard culprits --audit-log FILE/);
    assert.equal(run(['no-such-command']).status, 2);
  });
});
