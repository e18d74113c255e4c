// Cordon ownership against a real kube-apiserver: /mutate stamps who cordoned, and with
// guardAllCordons only that requester (or an allowlisted one) may uncordon.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ServeProcess } from '../../testkit/serveProcess.ts';
import { waitFor } from '../../testkit/wait.ts';
import { IDENTITIES, startControlPlane, type ControlPlane } from '../../testkit/e2e/controlPlane.ts';
import { assertUncordonRefused } from '../../testkit/e2e/assertions.ts';
import { createNode, getNode, makeCertificates, registerWebhooks, setMutateReachable, startCordonGuard, type WebhookConfiguration } from '../../testkit/e2e/cordonGuard.ts';

const STAMP = 'cordon-guard.io/cordoned-by';
const KEY = 'cordon-guard.io/maintenance';

describe('cordon ownership in front of a real kube-apiserver', { timeout: 600_000 }, () => {
  let cp: ControlPlane;
  let guard: ServeProcess;
  let configurations: WebhookConfiguration[];

  const stampOf = (name: string): { user: string; at: string } | undefined => {
    const value = getNode(cp, name).metadata.annotations?.[STAMP];
    return value === undefined ? undefined : (JSON.parse(value) as { user: string; at: string });
  };

  before(async () => {
    cp = await startControlPlane();
    const certs = makeCertificates(join(cp.dir, 'certs'));
    const policyFile = join(cp.dir, 'policy.yaml');
    writeFileSync(policyFile, 'guardAllCordons: true\nallowCordonOwner: true\nallow:\n  users: [alice]\n');
    guard = await startCordonGuard(certs, ['--policy-file', policyFile]);
    configurations = await registerWebhooks(cp, guard.port, certs.caPem);
    assert.ok(configurations.some((c) => c.kind === 'MutatingWebhookConfiguration'), 'manifests/ has the mutating webhook');
    // The mutating webhook registers asynchronously too: wait until a cordon is stamped.
    await waitFor('the first stamped cordon', () => {
      createNode(cp, 'stamp-probe');
      cp.kubectlOk(['cordon', 'stamp-probe']);
      return stampOf('stamp-probe') === undefined ? undefined : true;
    }, 30_000, 500);
  });

  after(async () => {
    await guard?.stop();
    await cp?.stop();
  });

  it('the system-upgrade-controller may undo its own cordon', () => {
    createNode(cp, 'own-1', { annotations: { 'example.com/pool': 'a' } });
    assert.equal(cp.kubectl(['cordon', 'own-1'], { as: 'upgrader' }).code, 0);
    const stamp = stampOf('own-1');
    assert.equal(stamp?.user, IDENTITIES.upgrader.user);
    assert.match(stamp?.at ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const result = cp.kubectl(['uncordon', 'own-1'], { as: 'upgrader' });
    assert.equal(result.code, 0, result.stderr);
    const node = getNode(cp, 'own-1');
    assert.equal(node.spec.unschedulable, undefined);
    assert.equal(node.metadata.annotations?.[STAMP], undefined, 'the uncordon removed the stamp');
    assert.equal(node.metadata.annotations?.['example.com/pool'], 'a');
  });

  it("the system-upgrade-controller may not undo the admin's cordon, and the denial names the owner", () => {
    createNode(cp, 'own-2');
    cp.kubectlOk(['cordon', 'own-2']);
    assert.equal(stampOf('own-2')?.user, 'admin');
    const result = cp.kubectl(['uncordon', 'own-2'], { as: 'upgrader' });
    assertUncordonRefused(result, 'own-2', /denied the request: cordon-guard denied uncordon of node "own-2" by "system:serviceaccount:system-upgrade:system-upgrade": node is cordoned and guardAllCordons is on \(no cordon-guard\.io\/maintenance annotation; cordoned by "admin" at "[^"]+"\)/);
    assert.equal(getNode(cp, 'own-2').spec.unschedulable, true);
  });

  it('the admin may undo their own cordon', () => {
    const result = cp.kubectl(['uncordon', 'own-2']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(getNode(cp, 'own-2').spec.unschedulable, undefined);
  });

  it('the maintenance annotation wins over ownership', () => {
    createNode(cp, 'own-3');
    cp.kubectlOk(['cordon', 'own-3'], { as: 'upgrader' });
    cp.kubectlOk(['annotate', 'node', 'own-3', `${KEY}=disk swap`]);
    const result = cp.kubectl(['uncordon', 'own-3'], { as: 'upgrader' });
    assertUncordonRefused(result, 'own-3', /node is under maintenance \(cordon-guard\.io\/maintenance="disk swap"\)/);
  });

  it('forging or editing the stamp is refused unless allowlisted', () => {
    createNode(cp, 'own-4');
    cp.kubectlOk(['cordon', 'own-4']);
    const forged = JSON.stringify({ user: IDENTITIES.upgrader.user, at: '2026-01-01T00:00:00Z' });
    const result = cp.kubectl(['annotate', 'node', 'own-4', '--overwrite', `${STAMP}=${forged}`], { as: 'upgrader' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cordon-guard denied change of the cordon-guard\.io\/cordoned-by stamp on node "own-4"/);
    assert.equal(stampOf('own-4')?.user, 'admin');
    const removal = cp.kubectl(['annotate', 'node', 'own-4', `${STAMP}-`], { as: 'mallory' });
    assert.equal(removal.code, 1);
    const forgedOnFresh = cp.kubectl(['annotate', 'node', 'own-1', `${STAMP}=${forged}`], { as: 'mallory' });
    assert.equal(forgedOnFresh.code, 1, 'adding a stamp to a schedulable node is tampering too');
    assert.equal(cp.kubectl(['annotate', 'node', 'own-4', `${STAMP}-`], { as: 'alice' }).code, 0, 'an allowlisted user may fix a stamp');
  });

  it('kubectl cordon of a node with no annotations at all gets a stamp (the patch adds the whole map)', async () => {
    createNode(cp, 'own-5');
    assert.equal(getNode(cp, 'own-5').metadata.annotations, undefined, 'the node starts without annotations');
    cp.kubectlOk(['cordon', 'own-5'], { as: 'autoscaler' });
    assert.equal(stampOf('own-5')?.user, IDENTITIES.autoscaler.user);
    const logged = await waitFor('the mutation log line', () => guard.logs.find((l) => l.reason === 'cordon-stamped' && l.node === 'own-5'));
    assert.deepEqual((logged.patch as { op: string; path: string }[]).map((p) => [p.op, p.path]), [['add', '/metadata/annotations']]);
    const withMap = guard.logs.find((l) => l.reason === 'cordon-stamped' && l.node === 'own-1');
    assert.deepEqual((withMap?.patch as { op: string; path: string }[]).map((p) => [p.op, p.path]), [['add', '/metadata/annotations/cordon-guard.io~1cordoned-by']]);
  });

  it('with /mutate down, an uncordon that would keep the stamp is refused, even for the owner and allowlisted users; a cordon missed too is unowned, and the earlier owner may not undo it', async () => {
    createNode(cp, 'stale-1');
    cp.kubectlOk(['cordon', 'stale-1'], { as: 'upgrader' });
    assert.equal(stampOf('stale-1')?.user, IDENTITIES.upgrader.user);
    await setMutateReachable(cp, configurations, false);
    try {
      // Step 1: an uncordon that /mutate misses would keep the upgrader's stamp on a schedulable node.
      for (const as of ['upgrader', 'alice'] as const) {
        const result = cp.kubectl(['uncordon', 'stale-1'], { as });
        assertUncordonRefused(result, 'stale-1', new RegExp(`denied the request: cordon-guard denied uncordon of node "stale-1" by "${IDENTITIES[as].user}": the node would not be cordoned and still carry the cordon-guard\\.io/cordoned-by stamp`));
        assert.match(result.stderr, /retry, or remove the stamp in the same request/);
      }
      assert.equal(getNode(cp, 'stale-1').spec.unschedulable, true);
      assert.equal(stampOf('stale-1')?.user, IDENTITIES.upgrader.user);
      // The way out, during the outage: the uncordon removes the stamp itself.
      const patch = JSON.stringify([{ op: 'remove', path: '/metadata/annotations/cordon-guard.io~1cordoned-by' }, { op: 'remove', path: '/spec/unschedulable' }]);
      const wayOut = cp.kubectl(['patch', 'node', 'stale-1', '--type=json', '-p', patch], { as: 'alice' });
      assert.equal(wayOut.code, 0, wayOut.stderr);
      assert.equal(getNode(cp, 'stale-1').spec.unschedulable, undefined);
      assert.equal(stampOf('stale-1'), undefined);
      // Step 2: the admin's cordon, missed by /mutate too, leaves the node unstamped.
      assert.equal(cp.kubectl(['cordon', 'stale-1']).code, 0);
      assert.equal(getNode(cp, 'stale-1').spec.unschedulable, true);
      assert.equal(stampOf('stale-1'), undefined);
      // Step 3: the earlier owner may not undo it.
      const earlierOwner = cp.kubectl(['uncordon', 'stale-1'], { as: 'upgrader' });
      assertUncordonRefused(earlierOwner, 'stale-1', /node is cordoned and guardAllCordons is on \(no cordon-guard\.io\/maintenance annotation\); only allowlisted requesters may uncordon it/);
    } finally {
      await setMutateReachable(cp, configurations, true);
    }
    const stillRefused = cp.kubectl(['uncordon', 'stale-1'], { as: 'upgrader' });
    assertUncordonRefused(stillRefused, 'stale-1', /node is cordoned and guardAllCordons is on/);
    assert.equal(getNode(cp, 'stale-1').spec.unschedulable, true);
  });

  it('a stamp left on a schedulable node by cordon-guard 0.1 names nobody: its user may not undo a later cordon that /mutate missed', async () => {
    // What 0.1 could leave behind: an uncordon during a /mutate outage kept the stamp ({user, at}, no "v").
    const legacy = JSON.stringify({ user: IDENTITIES.upgrader.user, at: '2026-11-20T08:00:00Z' });
    createNode(cp, 'stale-2', { annotations: { [STAMP]: legacy } });
    await setMutateReachable(cp, configurations, false);
    try {
      assert.equal(cp.kubectl(['cordon', 'stale-2']).code, 0);
    } finally {
      await setMutateReachable(cp, configurations, true);
    }
    const node = getNode(cp, 'stale-2');
    assert.equal(node.spec.unschedulable, true);
    assert.equal(node.metadata.annotations?.[STAMP], legacy, 'the missed cordon kept the stamp that names the earlier owner');
    const result = cp.kubectl(['uncordon', 'stale-2'], { as: 'upgrader' });
    assertUncordonRefused(result, 'stale-2', /node is cordoned and guardAllCordons is on \(no cordon-guard\.io\/maintenance annotation\); only allowlisted requesters may uncordon it/);
    assert.equal(getNode(cp, 'stale-2').spec.unschedulable, true);
  });
});
