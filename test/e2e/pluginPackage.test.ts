// The kubectl plugin as users install it, against a real kube-apiserver: the `npm pack` tarball
// installed into an empty prefix (npm install -g), found by kubectl on the PATH, run with Node 24
// and nothing of the checkout. start, list and end as an administrator would run them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '../../testkit/e2e/controlPlane.ts';
import { createNode, getNode } from '../../testkit/e2e/cordonGuard.ts';
import { installIdentityAndPolicy } from '../../testkit/e2e/inCluster.ts';
import { ROOT } from '../../testkit/manifests.ts';
import { packAndInstall, type InstalledPackage } from '../../testkit/npmPackage.ts';

const KEY = 'cordon-guard.io/maintenance';
const REASON = 'firmware update, OPS-5120';

describe('the kubectl plugin installed from its npm package, against a real kube-apiserver', { timeout: 600_000 }, () => {
  let cp: ControlPlane;
  let installed: InstalledPackage;

  /** `kubectl cordon-guard ARGS` with a PATH of the installed package's bin and Node 24 only. */
  function plugin(args: string[]): { code: number | null; stdout: string; stderr: string } {
    const result = spawnSync(join(cp.binDir, 'kubectl'), ['cordon-guard', ...args, '--context', 'admin'], {
      cwd: installed.prefix,
      encoding: 'utf8',
      env: { PATH: installed.path, HOME: installed.prefix, KUBECONFIG: cp.kubeconfig },
      timeout: 60_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  before(async () => {
    installed = packAndInstall({ build: false });
    cp = await startControlPlane();
    installIdentityAndPolicy(cp);
  });

  after(async () => {
    await cp?.stop();
  });

  it('kubectl plugin list finds the installed kubectl-cordon_guard, which lives in the prefix, not in the checkout', () => {
    const result = spawnSync(join(cp.binDir, 'kubectl'), ['plugin', 'list'], { encoding: 'utf8', env: { PATH: installed.path, HOME: installed.prefix } });
    assert.match(result.stdout, new RegExp(`^${installed.executable}$`, 'm'), result.stdout + result.stderr);
    assert.ok(!realpathSync(installed.executable).startsWith(realpathSync(ROOT)));
  });

  it('start cordons the node and puts it under maintenance, list shows it, end lifts both', () => {
    createNode(cp, 'packaged-1');

    const start = plugin(['start', 'packaged-1', '--reason', REASON]);
    assert.equal(start.code, 0, start.stderr);
    assert.equal(start.stdout, `node/packaged-1 cordoned and under maintenance: ${KEY}="${REASON}"\n`);
    const node = getNode(cp, 'packaged-1');
    assert.equal(node.spec.unschedulable, true);
    assert.equal(node.metadata.annotations?.[KEY], REASON);

    const list = plugin(['list', '-o', 'json']);
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as { name: string; cordoned: boolean; reason: string; startedBy: string }[];
    assert.deepEqual(rows.filter((r) => r.name === 'packaged-1').map((r) => [r.cordoned, r.reason, r.startedBy]), [[true, REASON, 'admin']]);

    const end = plugin(['end', 'packaged-1']);
    assert.equal(end.code, 0, end.stderr);
    assert.match(end.stdout, /^node\/packaged-1 maintenance ended \(cordon-guard\.io\/maintenance removed, started by "admin" at \S+Z\)\nnode\/packaged-1 uncordoned\n$/);
    const after = getNode(cp, 'packaged-1');
    assert.equal(after.spec.unschedulable, undefined);
    assert.equal(after.metadata.annotations?.[KEY], undefined);
  });
});
