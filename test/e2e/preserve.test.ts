// mode preserve against a real kube-apiserver: the cluster-autoscaler's CleanTaints (one
// full-object PUT that drops its taint and uncordons) loses its uncordon, not its taint.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ServeProcess } from '../../testkit/serveProcess.ts';
import { waitFor } from '../../testkit/wait.ts';
import { assertUncordonRefused } from '../../testkit/e2e/assertions.ts';
import { IDENTITIES, startControlPlane, type ControlPlane, type KubectlResult } from '../../testkit/e2e/controlPlane.ts';
import { createNode, getNode, makeCertificates, registerWebhooks, setMutateReachable, startCordonGuard, type WebhookConfiguration } from '../../testkit/e2e/cordonGuard.ts';

const KEY = 'cordon-guard.io/maintenance';
const STAMP = 'cordon-guard.io/cordoned-by';
const REASON = 'kernel 6.8 upgrade, OPS-4411';
const TAINT = 'ToBeDeletedByClusterAutoscaler';
const POLICY = 'allow:\n  users: [alice]\n';
const AUTOSCALER = IDENTITIES.autoscaler.user;

describe('mode preserve in front of a real kube-apiserver', { timeout: 600_000 }, () => {
  let cp: ControlPlane;
  let guard: ServeProcess;
  let policyFile: string;
  let configurations: WebhookConfiguration[];

  async function setPolicy(text: string): Promise<void> {
    const generations = () => guard.logs.filter((l) => typeof l.generation === 'number' && /in force/.test(l.msg)).length;
    const before = generations();
    writeFileSync(policyFile, text);
    await waitFor('the policy reload', () => (generations() > before ? true : undefined), 5000);
  }

  /** Cordoned by the admin (so stamped), under maintenance, and marked for deletion by the autoscaler. */
  function maintenanceNode(name: string): void {
    createNode(cp, name, { labels: { pool: 'a' } });
    cp.kubectlOk(['cordon', name]);
    cp.kubectlOk(['annotate', 'node', name, `${KEY}=${REASON}`]);
    cp.kubectlOk(['taint', 'node', name, `${TAINT}=1764583200:NoSchedule`], { as: 'autoscaler' });
  }

  /** CleanTaints: the autoscaler's own copy of the node, its taint removed and unschedulable false, PUT back whole. */
  function cleanTaints(name: string): KubectlResult {
    const node = JSON.parse(cp.kubectlOk(['get', 'node', name, '-o', 'json'], { as: 'autoscaler' })) as { spec: { taints?: { key: string }[]; unschedulable?: boolean } };
    node.spec.taints = (node.spec.taints ?? []).filter((t) => t.key !== TAINT);
    node.spec.unschedulable = false;
    const file = join(cp.dir, `${name}-clean-taints.json`);
    writeFileSync(file, JSON.stringify(node));
    return cp.kubectl(['replace', '-f', file], { as: 'autoscaler' });
  }

  const taintKeys = (name: string): string[] => (getNode(cp, name).spec.taints ?? []).map((t) => (t as { key: string }).key);

  before(async () => {
    cp = await startControlPlane();
    const certs = makeCertificates(join(cp.dir, 'certs'));
    policyFile = join(cp.dir, 'policy.yaml');
    writeFileSync(policyFile, `mode: enforce\n${POLICY}`);
    guard = await startCordonGuard(certs, ['--policy-file', policyFile, '--events', '--kubeconfig', cp.kubeconfig]);
    configurations = await registerWebhooks(cp, guard.port, certs.caPem);
    await setMutateReachable(cp, configurations, true);
  });

  after(async () => {
    await guard?.stop();
    await cp?.stop();
  });

  it('in enforce, the PUT is refused and nothing of it is persisted: the node is still cordoned and still tainted', (t) => {
    maintenanceNode('ca-1');
    const result = cleanTaints('ca-1');
    t.diagnostic(`kubectl replace (exit ${result.code}): ${result.stderr.trim()}`);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /admission webhook "uncordon\.cordon-guard\.io" denied the request: cordon-guard denied uncordon of node "ca-1" by "system:serviceaccount:kube-system:cluster-autoscaler": node is under maintenance/);
    const node = getNode(cp, 'ca-1');
    assert.equal(node.spec.unschedulable, true);
    assert.ok(taintKeys('ca-1').includes(TAINT), 'the taint nobody will remove');
    assert.equal(node.metadata.annotations?.[KEY], REASON);
  });

  it('in preserve, the PUT is accepted with the warning: the taint is gone, and the node is still cordoned, annotated and stamped', async (t) => {
    await setPolicy(`mode: preserve\n${POLICY}`);
    maintenanceNode('ca-2');
    const stampBefore = getNode(cp, 'ca-2').metadata.annotations?.[STAMP];
    const result = cleanTaints('ca-2');
    t.diagnostic(`kubectl replace (exit ${result.code}): ${result.stdout.trim()} / ${result.stderr.trim()}`);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'node/ca-2 replaced');
    assert.equal(
      result.stderr.trim(),
      'Warning: cordon-guard kept node "ca-2" cordoned: "system:serviceaccount:kube-system:cluster-autoscaler" may not uncordon it; ' +
        `the rest of the write was applied (node under maintenance (${KEY}="${REASON}"))`,
    );
    const node = getNode(cp, 'ca-2');
    assert.ok(!taintKeys('ca-2').includes(TAINT), 'the taint is gone');
    assert.equal(node.spec.unschedulable, true);
    assert.equal(node.metadata.annotations?.[KEY], REASON);
    assert.equal(node.metadata.annotations?.[STAMP], stampBefore);
    const logged = await waitFor('the repair log line', () => guard.logs.find((l) => l.decision === 'prevented' && l.node === 'ca-2'));
    assert.equal(logged.level, 'warn');
    assert.deepEqual(logged.kept, ['cordon']);
    assert.deepEqual(logged.repair, [{ op: 'add', path: '/spec/unschedulable', value: true }]);
    const events = await waitFor('the UncordonPrevented Event', () => {
      const list = JSON.parse(cp.kubectlOk(['get', 'events.v1.events.k8s.io', '-n', 'default', '-o', 'json'])) as { items: { reason: string; regarding: { name: string }; note: string }[] };
      const found = list.items.filter((e) => e.reason === 'UncordonPrevented' && e.regarding.name === 'ca-2');
      return found.length > 0 ? found : undefined;
    }, 10_000, 250);
    assert.match(events[0]?.note ?? '', /^cordon-guard kept node "ca-2" cordoned: "system:serviceaccount:kube-system:cluster-autoscaler" may not uncordon it, and the rest of the write was applied; node is under maintenance/);
  });

  it('in preserve, a plain kubectl uncordon is refused with the message on stderr, and no warning claims otherwise', (t) => {
    maintenanceNode('ca-3');
    const result = cp.kubectl(['uncordon', 'ca-3'], { as: 'autoscaler' });
    t.diagnostic(`kubectl uncordon (exit ${result.code}): ${result.stdout.trim()} / ${result.stderr.trim()}`);
    assertUncordonRefused(result, 'ca-3', `admission webhook "uncordon.cordon-guard.io" denied the request: cordon-guard denied uncordon of node "ca-3" by "${AUTOSCALER}": node is under maintenance (${KEY}="${REASON}")`);
    assert.doesNotMatch(result.stderr, /Warning|kept node/);
    assert.doesNotMatch(result.stdout, /uncordoned/);
    assert.equal(getNode(cp, 'ca-3').spec.unschedulable, true);
  });

  it('in preserve, an uncordon that also drops the annotation keeps both, and the label that came with them goes through', () => {
    maintenanceNode('ca-4');
    const patch = JSON.stringify({ metadata: { labels: { pool: 'b' }, annotations: { [KEY]: null } }, spec: { unschedulable: false } });
    const result = cp.kubectl(['patch', 'node', 'ca-4', '--type=merge', '-p', patch], { as: 'autoscaler' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^Warning: cordon-guard kept node "ca-4" cordoned and under maintenance: /);
    const node = getNode(cp, 'ca-4');
    assert.equal(node.spec.unschedulable, true);
    assert.equal(node.metadata.annotations?.[KEY], REASON);
    assert.equal(node.metadata.labels?.pool, 'b');
  });

  it('in preserve with guardAnnotationRemoval, a bundled removal of the annotation is undone and the rest applied; the removal alone is refused', async () => {
    await setPolicy(`mode: preserve\nguardAnnotationRemoval: true\n${POLICY}`);
    maintenanceNode('ca-5');
    const bundled = cp.kubectl(['patch', 'node', 'ca-5', '--type=merge', '-p', JSON.stringify({ metadata: { labels: { pool: 'c' }, annotations: { [KEY]: null } } })], { as: 'mallory' });
    assert.equal(bundled.code, 0, bundled.stderr);
    assert.match(bundled.stderr, /^Warning: cordon-guard kept the maintenance annotation on node "ca-5": "mallory" may not remove it; /);
    assert.equal(getNode(cp, 'ca-5').metadata.annotations?.[KEY], REASON);
    assert.equal(getNode(cp, 'ca-5').metadata.labels?.pool, 'c');
    const alone = cp.kubectl(['annotate', 'node', 'ca-5', `${KEY}-`], { as: 'mallory' });
    assert.equal(alone.code, 1);
    assert.match(alone.stderr, /denied the request: cordon-guard denied removal of the maintenance annotation from node "ca-5" by "mallory"/);
  });

  it('in preserve with /mutate down, the same PUT is refused: the guard fails closed', async (t) => {
    await setPolicy(`mode: preserve\n${POLICY}`);
    maintenanceNode('ca-6');
    await setMutateReachable(cp, configurations, false);
    try {
      const result = cleanTaints('ca-6');
      t.diagnostic(`kubectl replace (exit ${result.code}): ${result.stderr.trim()}`);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /admission webhook "uncordon\.cordon-guard\.io" denied the request: cordon-guard denied uncordon of node "ca-6" by "system:serviceaccount:kube-system:cluster-autoscaler"/);
      assert.doesNotMatch(result.stderr, /Warning/);
      const node = getNode(cp, 'ca-6');
      assert.equal(node.spec.unschedulable, true);
      assert.ok(taintKeys('ca-6').includes(TAINT));
    } finally {
      await setMutateReachable(cp, configurations, true);
    }
  });
});
