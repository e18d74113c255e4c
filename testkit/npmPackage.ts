// The plugin as its users get it: `npm pack` of this repository (prepack builds dist/), then
// `npm install -g ./cordon-guard-VERSION.tgz` into an empty prefix. For the package's own test
// and the end-to-end test of the installed plugin.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './manifests.ts';

export interface InstalledPackage {
  tarball: string;
  /** The files in the tarball, as npm pack lists them. */
  files: string[];
  prefix: string;
  /** PREFIX/bin/kubectl-cordon_guard, as npm linked it. */
  executable: string;
  /** A PATH with only the installed bin directory and the directory of this Node 24. */
  path: string;
}

function npm(args: string[], cwd: string): string {
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
  assert.equal(result.error, undefined, `npm runs: ${String(result.error)}`);
  assert.equal(result.status, 0, `npm ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/**
 * Packs the repository into a fresh directory and installs the tarball into an empty prefix.
 * `build: false` packs the dist/ already built (npm pack --ignore-scripts: no prepack), for the
 * end-to-end suites, which must not rebuild dist/ under a running cordon-guard.
 */
export function packAndInstall(options: { build: boolean } = { build: true }): InstalledPackage {
  const dir = mkdtempSync(join(tmpdir(), 'cg-package-'));
  const packed: unknown = JSON.parse(npm(['pack', '--json', '--pack-destination', dir, ...(options.build ? [] : ['--ignore-scripts'])], ROOT));
  assert.ok(Array.isArray(packed) && packed.length === 1, 'npm pack made one tarball');
  const entry = packed[0] as { filename: string; files: { path: string }[] };
  const tarball = join(dir, entry.filename);
  const prefix = join(dir, 'prefix');
  mkdirSync(prefix);
  // From the tarball's own directory: nothing of the checkout is in reach.
  npm(['install', '--global', '--prefix', prefix, '--prefer-offline', tarball], dir);
  return {
    tarball,
    files: entry.files.map((f) => f.path).sort(),
    prefix,
    executable: join(prefix, 'bin', 'kubectl-cordon_guard'),
    path: [join(prefix, 'bin'), dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
  };
}
