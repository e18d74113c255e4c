// The chart (charts/cordon-guard) installed with `helm install`, as docs/operations.md says, on a
// control plane of its own, with a custom allowlist and maintenance key, then run as the
// Deployment helm created says: two simulated pods (testkit/e2e/pod.ts) called by the API server
// through the Service. The values must guard as the one-file install does (./inPod.test.ts).
// Needs root (namespaces) and helm (CORDON_GUARD_HELM, set by make e2e); fails without them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validatingExpression } from '../../src/webhooks/matchConditions.ts';
import { CHART, helm } from '../../testkit/helm.ts';
import { waitFor } from '../../testkit/wait.ts';
import { assertUncordonRefused } from '../../testkit/e2e/assertions.ts';
import { IDENTITIES, startControlPlane, type ControlPlane } from '../../testkit/e2e/controlPlane.ts';
import { createNode, getNode } from '../../testkit/e2e/cordonGuard.ts';
import { serviceEndpoints } from '../../testkit/e2e/endpoints.ts';
import { localImage } from '../../testkit/e2e/image.ts';
import { readDeployment, startPod, type SimulatedPod } from '../../testkit/e2e/pod.ts';
import { createPodNetwork, requirePodSupport, type PodNetwork } from '../../testkit/e2e/podNetwork.ts';

const NAMESPACE = 'cordon-guard';
const KEY = 'example.com/maintenance';
const ALLOWLISTED = IDENTITIES.alice.user;
const UPGRADER = IDENTITIES.upgrader.user;
const DENIAL = `cordon-guard denied uncordon of node "maintenance-1" by "${UPGRADER}"`;
const VALUES = ['--set-json', `policy.allow.users=${JSON.stringify([ALLOWLISTED])}`, '--set', `policy.maintenanceAnnotation=${KEY}`, '--set', 'policy.guardAnnotationRemoval=true'];

interface Configuration {
  webhooks: { matchConditions?: { name: string; expression: string }[] }[];
}

describe(`helm install charts/cordon-guard with users ["${ALLOWLISTED}"] allowlisted and ${KEY} as the maintenance key: two simulated pods of the Deployment helm created, called through its Service`, { timeout: 180_000 }, () => {
  let network: PodNetwork | undefined;
  let cp: ControlPlane | undefined;
  const pods: SimulatedPod[] = [];

  const controlPlane = (): ControlPlane => {
    assert.ok(cp !== undefined, 'the control plane started');
    return cp;
  };
  const helmOk = (args: string[]): string => {
    const result = helm([...args, '--kubeconfig', controlPlane().kubeconfig, '--kube-context', 'admin']);
    assert.equal(result.code, 0, `helm ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const rogueUncordon = (dryRun: boolean) => controlPlane().kubectl(['uncordon', 'maintenance-1', ...(dryRun ? ['--dry-run=server'] : [])], { as: 'upgrader' });

  before(async () => {
    requirePodSupport();
    network = createPodNetwork();
    cp = await startControlPlane({ podNetwork: network });
  });

  // Each step runs whatever the one before it threw, so that no pod, namespace or bridge is left.
  after(async () => {
    try {
      await Promise.all(pods.map((p) => p.destroy()));
    } finally {
      try {
        await cp?.stop();
      } finally {
        network?.destroy();
      }
    }
  });

  it('refuses a rogue uncordon by the system-upgrade ServiceAccount of a node under the custom key, once the release is installed and its pods are ready', async () => {
    const cp = controlPlane();
    createNode(cp, 'maintenance-1', { cordoned: true, annotations: { [KEY]: 'kernel upgrade, OPS-19' } });

    const installed = Date.now();
    helmOk(['install', 'cordon-guard', CHART, '--namespace', NAMESPACE, '--create-namespace', '--take-ownership', ...VALUES]);
    const helmMs = Date.now() - installed;
    const releases = JSON.parse(helmOk(['list', '--namespace', NAMESPACE, '--output', 'json'])) as { name: string; status: string }[];
    assert.deepEqual(releases.map((r) => [r.name, r.status]), [['cordon-guard', 'deployed']]);

    const deployment = readDeployment(cp, NAMESPACE, 'cordon-guard');
    const image = localImage();
    for (let i = 0; i < (deployment.spec?.replicas ?? 1); i += 1) pods.push(startPod({ cp, network: network as PodNetwork, image, deployment }));
    assert.equal(pods.length, 2, 'the chart asks for two replicas');
    const endpoints = serviceEndpoints(cp, NAMESPACE, 'cordon-guard');
    for (const pod of pods) endpoints.add(pod);
    await Promise.all(pods.map((p) => p.waitReady(45_000)));
    const readyMs = Date.now() - installed;

    // Dry runs while waiting: until the endpoints are ready and the caBundle is in, the API server
    // fails closed on its own, which is not cordon-guard's refusal.
    await waitFor('the first refusal by cordon-guard', () => (rogueUncordon(true).stderr.includes(DENIAL) ? true : undefined), 60_000, 200);
    const refusedMs = Date.now() - installed;
    console.log(`# from helm install: the release deployed after ${helmMs} ms, both pods ready after ${readyMs} ms, the first refused uncordon after ${refusedMs} ms`);

    assertUncordonRefused(rogueUncordon(false), 'maintenance-1', `admission webhook "uncordon.cordon-guard.io" denied the request: ${DENIAL}`);
    assert.equal(getNode(cp, 'maintenance-1').spec.unschedulable, true);
    assert.deepEqual(endpoints.readyIps().sort(), pods.map((p) => p.ip).sort());
    const configuration = JSON.parse(cp.kubectlOk(['get', 'validatingwebhookconfiguration', 'cordon-guard', '-o', 'json'])) as Configuration;
    assert.equal(configuration.webhooks[0]?.matchConditions?.[0]?.expression, validatingExpression(KEY), 'the webhook is called for the custom key');
  });

  it(`allows the uncordon of a node under the custom key by ${ALLOWLISTED}, whom the release allowlists, and a pod logs the override`, async () => {
    const cp = controlPlane();
    createNode(cp, 'maintenance-2', { cordoned: true, annotations: { [KEY]: 'firmware, OPS-23' } });
    const result = cp.kubectl(['uncordon', 'maintenance-2'], { as: 'alice' });
    assert.equal(result.stderr, '');
    assert.equal(getNode(cp, 'maintenance-2').spec.unschedulable, undefined);
    const override = await waitFor('the allowlisted uncordon logged by a pod', () => pods.flatMap((p) => p.logs).find((l) => l.node === 'maintenance-2' && l.decision === 'allowed'), 10_000, 100);
    assert.equal(override.user, ALLOWLISTED);
    assert.equal(override.reason, 'allowlisted');
    assert.deepEqual(override.maintenance, { key: KEY, value: 'firmware, OPS-23' });
  });

  it(`refuses the removal of ${KEY} by mallory, who is not allowlisted (guardAnnotationRemoval: true), and allows it to ${ALLOWLISTED}`, () => {
    const cp = controlPlane();
    createNode(cp, 'maintenance-3', { cordoned: true, annotations: { [KEY]: 'disk swap, OPS-31' } });
    const remove = (as: 'mallory' | 'alice', dryRun: boolean) => cp.kubectl(['annotate', 'node', 'maintenance-3', `${KEY}-`, ...(dryRun ? ['--dry-run=server'] : [])], { as });

    const refused = remove('mallory', false);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /admission webhook "uncordon\.cordon-guard\.io" denied the request: cordon-guard denied .*"mallory".*example\.com\/maintenance/);
    assert.equal(getNode(cp, 'maintenance-3').metadata.annotations?.[KEY], 'disk swap, OPS-31');
    // The same removal by the allowlisted requester passes: the refusal is mallory's, not the write's.
    assert.deepEqual(remove('alice', true), { code: 0, stdout: 'node/maintenance-3 annotated (server dry run)\n', stderr: '' });
  });
});
