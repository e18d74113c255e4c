// The validating webhook against a real kube-apiserver, driven with kubectl as users drive it.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ServeProcess } from '../../testkit/serveProcess.ts';
import { waitFor } from '../../testkit/wait.ts';
import { assertUncordonRefused } from '../../testkit/e2e/assertions.ts';
import { IDENTITIES, startControlPlane, type ControlPlane } from '../../testkit/e2e/controlPlane.ts';
import { createNode, getNode, makeCertificates, registerWebhooks, startCordonGuard } from '../../testkit/e2e/cordonGuard.ts';

const KEY = 'cordon-guard.io/maintenance';
const BASE_POLICY = `mode: enforce
allow:
  users: [alice]
  groups: [sre-oncall]
`;
const DENIED_PREFIX = 'admission webhook "uncordon.cordon-guard.io" denied the request: cordon-guard denied uncordon of node';


describe('cordon-guard in front of a real kube-apiserver', { timeout: 600_000 }, () => {
  let cp: ControlPlane;
  let guard: ServeProcess;
  let policyFile: string;

  /** Writes the policy file and waits until cordon-guard logs the new generation. */
  async function setPolicy(text: string): Promise<void> {
    const generations = () => guard.logs.filter((l) => typeof l.generation === 'number' && /in force/.test(l.msg)).length;
    const before = generations();
    writeFileSync(policyFile, text);
    await waitFor('the policy reload', () => (generations() > before ? true : undefined), 5000);
  }

  function maintenanceNode(name: string, reason = 'kernel 6.8 upgrade, OPS-4411'): void {
    createNode(cp, name);
    cp.kubectlOk(['cordon', name]);
    cp.kubectlOk(['annotate', 'node', name, `${KEY}=${reason}`]);
  }

  before(async () => {
    cp = await startControlPlane();
    const certs = makeCertificates(join(cp.dir, 'certs'));
    policyFile = join(cp.dir, 'policy.yaml');
    writeFileSync(policyFile, BASE_POLICY);
    guard = await startCordonGuard(certs, ['--policy-file', policyFile]);
    await registerWebhooks(cp, guard.port, certs.caPem);
  });

  after(async () => {
    await guard?.stop();
    await cp?.stop();
  });

  it('refuses the system-upgrade-controller uncordoning a node under maintenance, and nothing is persisted', () => {
    maintenanceNode('worker-1');
    const result = cp.kubectl(['uncordon', 'worker-1', '--as', IDENTITIES.upgrader.user]);
    assertUncordonRefused(result, 'worker-1', `${DENIED_PREFIX} "worker-1" by "system:serviceaccount:system-upgrade:system-upgrade": node is under maintenance (${KEY}="kernel 6.8 upgrade, OPS-4411")`);
    assert.equal(getNode(cp, 'worker-1').spec.unschedulable, true);
  });

  it('lets an allowlisted user uncordon it', () => {
    maintenanceNode('worker-2');
    const result = cp.kubectl(['uncordon', 'worker-2'], { as: 'alice' });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.equal(getNode(cp, 'worker-2').spec.unschedulable, undefined);
  });

  it('lets a member of an allowlisted group uncordon it', () => {
    maintenanceNode('worker-3');
    const result = cp.kubectl(['uncordon', 'worker-3'], { as: 'bob' });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(getNode(cp, 'worker-3').spec.unschedulable, undefined);
  });

  it('lets anyone uncordon once the annotation was removed in its own request', () => {
    maintenanceNode('worker-4');
    cp.kubectlOk(['annotate', 'node', 'worker-4', `${KEY}-`], { as: 'upgrader' });
    const result = cp.kubectl(['uncordon', 'worker-4'], { as: 'upgrader' });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(getNode(cp, 'worker-4').spec.unschedulable, undefined);
  });

  it('refuses removing the annotation and uncordoning in one patch', () => {
    maintenanceNode('worker-5');
    const patch = JSON.stringify({ metadata: { annotations: { [KEY]: null } }, spec: { unschedulable: false } });
    const result = cp.kubectl(['patch', 'node', 'worker-5', '--type=merge', '-p', patch], { as: 'autoscaler' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^Error from server \(Forbidden\): /);
    assert.ok(result.stderr.includes(`${DENIED_PREFIX} "worker-5" by "system:serviceaccount:kube-system:cluster-autoscaler"`), result.stderr);
    const node = getNode(cp, 'worker-5');
    assert.equal(node.spec.unschedulable, true);
    assert.equal(node.metadata.annotations?.[KEY], 'kernel 6.8 upgrade, OPS-4411');
  });

  it('refuses a rogue uncordon with --dry-run=server too', () => {
    maintenanceNode('worker-6');
    const result = cp.kubectl(['uncordon', 'worker-6', '--dry-run=server'], { as: 'mallory' });
    assertUncordonRefused(result, 'worker-6', `${DENIED_PREFIX} "worker-6" by "mallory"`);
  });

  it('lets anyone change labels and taints of a cordoned node under maintenance, and update its status', () => {
    maintenanceNode('worker-7');
    assert.equal(cp.kubectl(['label', 'node', 'worker-7', 'pool=batch'], { as: 'mallory' }).code, 0);
    assert.equal(cp.kubectl(['taint', 'node', 'worker-7', 'gpu=reload:NoSchedule'], { as: 'autoscaler' }).code, 0);
    const status = JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }] } });
    const result = cp.kubectl(['patch', 'node', 'worker-7', '--subresource=status', '--type=merge', '-p', status], { as: 'mallory' });
    assert.equal(result.code, 0, result.stderr);
    const node = getNode(cp, 'worker-7');
    assert.equal(node.metadata.labels?.pool, 'batch');
    assert.equal(node.spec.unschedulable, true);
  });

  it('in warn mode, kubectl prints the warning and the uncordon goes through', async () => {
    await setPolicy(BASE_POLICY.replace('mode: enforce', 'mode: warn'));
    maintenanceNode('worker-8');
    const result = cp.kubectl(['uncordon', 'worker-8'], { as: 'upgrader' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^Warning: node "worker-8" uncordon by "system:serviceaccount:system-upgrade:system-upgrade" would be denied by cordon-guard in enforce mode/m);
    assert.equal(getNode(cp, 'worker-8').spec.unschedulable, undefined);
  });

  it('in audit mode, there is no warning, the uncordon goes through, and the audit log names the violation', async () => {
    await setPolicy(BASE_POLICY.replace('mode: enforce', 'mode: audit'));
    maintenanceNode('worker-9');
    const result = cp.kubectl(['uncordon', 'worker-9'], { as: 'upgrader' });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /Warning/);
    assert.equal(getNode(cp, 'worker-9').spec.unschedulable, undefined);
    const entry = await waitFor('the audit event', () =>
      readFileSync(cp.auditLog, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"worker-9"') && l.includes('uncordon.cordon-guard.io/violation'))
        .map((l) => JSON.parse(l) as { annotations: Record<string, string> })[0],
    );
    assert.match(entry.annotations['uncordon.cordon-guard.io/violation'] ?? '', /^cordon-guard would deny uncordon of node "worker-9"/);
  });

  it('with guardAllCordons, a plain cordon is guarded too, and allowlisted users may still uncordon', async () => {
    await setPolicy(`${BASE_POLICY}guardAllCordons: true\n`);
    createNode(cp, 'worker-10');
    cp.kubectlOk(['cordon', 'worker-10']);
    const rogue = cp.kubectl(['uncordon', 'worker-10'], { as: 'upgrader' });
    assertUncordonRefused(rogue, 'worker-10', /node is cordoned and guardAllCordons is on/);
    assert.equal(getNode(cp, 'worker-10').spec.unschedulable, true);
    assert.equal(cp.kubectl(['uncordon', 'worker-10'], { as: 'alice' }).code, 0);
  });

  it('with guardAnnotationRemoval, only allowlisted users may end maintenance', async () => {
    await setPolicy(`${BASE_POLICY}guardAnnotationRemoval: true\n`);
    maintenanceNode('worker-11');
    const rogue = cp.kubectl(['annotate', 'node', 'worker-11', `${KEY}-`], { as: 'upgrader' });
    assert.equal(rogue.code, 1);
    assert.match(rogue.stderr, /cordon-guard denied removal of the maintenance annotation from node "worker-11"/);
    assert.equal(getNode(cp, 'worker-11').metadata.annotations?.[KEY], 'kernel 6.8 upgrade, OPS-4411');
    assert.equal(cp.kubectl(['annotate', 'node', 'worker-11', `${KEY}-`], { as: 'bob' }).code, 0);
  });

  it('without guardAnnotationRemoval, the annotation may be removed by anyone', async () => {
    await setPolicy(BASE_POLICY);
    maintenanceNode('worker-12');
    assert.equal(cp.kubectl(['annotate', 'node', 'worker-12', `${KEY}-`], { as: 'mallory' }).code, 0);
  });

  it('with cordon-guard down, an uncordon fails closed but label changes still succeed', async () => {
    maintenanceNode('worker-13');
    assert.equal(await guard.stop(), 0);
    const uncordon = cp.kubectl(['uncordon', 'worker-13'], { as: 'upgrader' });
    assertUncordonRefused(uncordon, 'worker-13', /failed calling webhook "uncordon\.cordon-guard\.io"/);
    assert.equal(getNode(cp, 'worker-13').spec.unschedulable, true);
    const label = cp.kubectl(['label', 'node', 'worker-13', 'after=down'], { as: 'mallory' });
    assert.equal(label.code, 0, label.stderr);
    const stillCordons = cp.kubectl(['cordon', 'worker-2'], { as: 'autoscaler' });
    assert.equal(stillCordons.code, 0, stillCordons.stderr);
    assert.equal(getNode(cp, 'worker-2').spec.unschedulable, true);
  });
});
