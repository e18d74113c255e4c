// cordon-guard run as its Deployment says, as near to a pod as this machine allows (no kubelet,
// no container engine): two pods of the Deployment the API server stores, each in its own network
// and mount namespace, and the API server calling them through the Service, verifying TLS
// against cordon-guard.cordon-guard.svc. Needs root (namespaces); fails without it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../../testkit/wait.ts';
import { assertUncordonRefused } from '../../testkit/e2e/assertions.ts';
import { IDENTITIES, startControlPlane, type ControlPlane } from '../../testkit/e2e/controlPlane.ts';
import { createNode, getNode } from '../../testkit/e2e/cordonGuard.ts';
import { serviceEndpoints, type ServiceEndpoints } from '../../testkit/e2e/endpoints.ts';
import { localImage } from '../../testkit/e2e/image.ts';
import { readDeployment, startPod, type SimulatedPod } from '../../testkit/e2e/pod.ts';
import { createPodNetwork, requirePodSupport, type PodNetwork } from '../../testkit/e2e/podNetwork.ts';

const REPO = new URL('../../', import.meta.url).pathname;
const NAMESPACE = 'cordon-guard';
const KEY = 'cordon-guard.io/maintenance';
const UPGRADER = IDENTITIES.upgrader.user;
const DENIAL = `cordon-guard denied uncordon of node "maintenance-1" by "${UPGRADER}"`;

/**
 * A copy of manifests/ with the TLS material `make certs` writes into manifests/certs (the
 * Service's names, no IP): what `make deploy` applies with kubectl apply -k.
 */
function manifestsAsMakeDeploy(cp: ControlPlane): string {
  const copy = join(mkdtempSync(join(cp.dir, 'manifests-')), 'manifests');
  cpSync(join(REPO, 'manifests'), copy, { recursive: true, filter: (src) => !src.includes(join('manifests', 'certs')) });
  const made = spawnSync(process.execPath, [join(REPO, 'certs-scripts', 'make-certs.ts'), '--out', join(copy, 'certs')], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`make-certs failed: ${made.stderr}${made.stdout}`);
  return copy;
}

/** The denials a pod logged for the node, as pino wrote them. */
function denials(pod: SimulatedPod): number {
  return pod.logs.filter((l) => l.decision === 'denied' && l.node === 'maintenance-1').length;
}

describe('cordon-guard in two simulated pods of its Deployment, called through its Service', { timeout: 300_000 }, () => {
  let network: PodNetwork | undefined;
  let cp: ControlPlane;
  let endpoints: ServiceEndpoints;
  const pods: SimulatedPod[] = [];

  const rogueUncordon = (dryRun: boolean) => cp.kubectl(['uncordon', 'maintenance-1', ...(dryRun ? ['--dry-run=server'] : [])], { as: 'upgrader' });

  before(async () => {
    requirePodSupport();
    network = createPodNetwork();
    cp = await startControlPlane({ podNetwork: network });
  });

  after(async () => {
    for (const pod of pods) await pod.destroy();
    await cp?.stop();
    network?.destroy();
  });

  it('refuses a rogue uncordon by the system-upgrade ServiceAccount once the pods are ready, from applying the manifests', async () => {
    createNode(cp, 'maintenance-1', { cordoned: true, annotations: { [KEY]: 'kernel upgrade, OPS-19' } });
    const manifests = manifestsAsMakeDeploy(cp);

    const applied = Date.now();
    cp.kubectlOk(['apply', '-k', manifests]);
    const deployment = readDeployment(cp, NAMESPACE, 'cordon-guard');
    const image = localImage();
    for (let i = 0; i < (deployment.spec?.replicas ?? 1); i += 1) pods.push(startPod({ cp, network: network as PodNetwork, image, deployment }));
    assert.equal(pods.length, 2, 'the Deployment asks for two replicas');
    // Not ready at first; each endpoint turns ready with its pod's readiness probe.
    endpoints = serviceEndpoints(cp, NAMESPACE, 'cordon-guard');
    for (const pod of pods) endpoints.add(pod);
    // Fails early with the pod's output if one cannot start (a mount, its certificate, its policy).
    await Promise.all(pods.map((p) => p.waitReady(45_000)));
    const readyAfterMs = Date.now() - applied;

    // Dry runs while waiting (the webhook is called, nothing is written): before the endpoints are
    // ready the API server fails closed ("no endpoints available"), which is not cordon-guard.
    await waitFor('the first refusal by cordon-guard', () => (rogueUncordon(true).stderr.includes(DENIAL) ? true : undefined), 60_000, 200);
    const refusedAfterMs = Date.now() - applied;
    console.log(`# from kubectl apply -k: both pods ready after ${readyAfterMs} ms, the first refused uncordon after ${refusedAfterMs} ms`);

    assertUncordonRefused(rogueUncordon(false), 'maintenance-1', `admission webhook "uncordon.cordon-guard.io" denied the request: ${DENIAL}`);
    assert.equal(getNode(cp, 'maintenance-1').spec.unschedulable, true);
    assert.deepEqual(endpoints.readyIps().sort(), pods.map((p) => p.ip).sort());
  });

  it('was reached by the Service name: its certificate names only the Service, no IP', () => {
    const secret = JSON.parse(cp.kubectlOk(['get', 'secret', 'cordon-guard-tls', '-n', NAMESPACE, '-o', 'json'])) as { data: Record<string, string> };
    const certificate = new X509Certificate(Buffer.from(secret.data['tls.crt'] ?? '', 'base64'));
    const names = (certificate.subjectAltName ?? '').split(', ');
    assert.ok(names.includes('DNS:cordon-guard.cordon-guard.svc'), certificate.subjectAltName);
    assert.deepEqual(names.filter((n) => !n.startsWith('DNS:')), [], 'an IP SAN would let the API server verify the pod by its address');
  });

  it('runs each pod with the in-cluster identity: the policy ConfigMap read and the Event written with the mounted ServiceAccount token', async () => {
    for (const pod of pods) {
      const loaded = await waitFor(`${pod.name}'s policy line`, () => pod.logs.find((l) => l.source === 'configmap' && /in force/.test(l.msg)));
      assert.equal(loaded.origin, 'cordon-guard/cordon-guard-policy');
    }
    const event = await waitFor('the UncordonDenied Event', () => {
      const list = JSON.parse(cp.kubectlOk(['get', 'events.events.k8s.io', '-n', 'default', '-o', 'json'])) as { items: { reason: string; regarding?: { name: string }; reportingInstance?: string }[] };
      return list.items.find((e) => e.reason === 'UncordonDenied' && e.regarding?.name === 'maintenance-1');
    });
    // cordon-guard names itself after its hostname: the pod's name, as in a cluster.
    assert.ok(pods.some((p) => event.reportingInstance === `cordon-guard-${p.name}`), event.reportingInstance);
  });

  it('runs each container as its securityContext says: its user and fsGroup, no_new_privs, no capabilities, a read-only root, its volumes where the pod spec mounts them', () => {
    for (const pod of pods) {
      const status = readFileSync(`/proc/${pod.pid}/status`, 'utf8');
      const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim().split(/\s+/);
      assert.deepEqual(field('Uid'), ['65532', '65532', '65532', '65532']);
      assert.deepEqual(field('Gid'), ['65532', '65532', '65532', '65532']);
      assert.deepEqual(field('Groups'), ['65532'], 'the fsGroup');
      assert.deepEqual(field('NoNewPrivs'), ['1'], 'allowPrivilegeEscalation: false');
      for (const set of ['CapEff', 'CapPrm', 'CapBnd', 'CapAmb']) assert.deepEqual(field(set), ['0000000000000000'], `${set}: capabilities drop ALL`);
      // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ...
      const mounts = new Map(readFileSync(`/proc/${pod.pid}/mountinfo`, 'utf8').trim().split('\n').map((l) => l.split(' ')).map((f) => [f[4], (f[5] ?? '').split(',')]));
      for (const [path, mode] of [['/', 'ro'], ['/etc/cordon-guard/tls', 'ro'], ['/run/secrets/kubernetes.io/serviceaccount', 'ro'], ['/tmp', 'rw']] as const) {
        assert.ok(mounts.get(path)?.includes(mode), `${path} is mounted ${mode}: ${mounts.get(path)?.join(',')}`);
      }
      // The key as the kubelet writes a Secret volume with defaultMode 0440 and the fsGroup.
      const key = statSync(`/proc/${pod.pid}/root/etc/cordon-guard/tls/tls.key`);
      assert.equal(key.mode & 0o777, 0o440);
      assert.equal(key.gid, 65532);
      // (/var/run is a symlink to /run, which /proc/PID/root would resolve on the host.)
      assert.equal(readFileSync(`/proc/${pod.pid}/root/run/secrets/kubernetes.io/serviceaccount/namespace`, 'utf8'), NAMESPACE);
    }
    // Nothing of it on the host.
    assert.equal(existsSync('/etc/cordon-guard'), false);
    assert.equal(existsSync('/var/run/secrets/kubernetes.io'), false);
  });

  it('answers from the other pod once the pod that answered is killed and its endpoint removed', async () => {
    const answered = await waitFor('the pod that logged the refusal', () => pods.find((p) => denials(p) > 0), 10_000, 100);
    const survivor = pods.find((p) => p !== answered) as SimulatedPod;
    const before = denials(survivor);

    await answered.kill('SIGKILL');
    assert.equal(answered.ready, false, 'a dead container is not ready');
    endpoints.remove(answered);
    assert.deepEqual(endpoints.readyIps(), [survivor.ip]);

    // The API server sees the endpoint change through its informer: wait for the first answer,
    // then every request must be answered.
    await waitFor('a refusal by the surviving pod', () => (rogueUncordon(true).stderr.includes(DENIAL) ? true : undefined), 10_000, 100);
    const results = Array.from({ length: 10 }, () => rogueUncordon(true));
    for (const result of results) assertUncordonRefused(result, 'maintenance-1', DENIAL);
    await waitFor('the survivor to log all 11 refusals', () => (denials(survivor) >= before + 11 ? true : undefined), 5000, 100);
    console.log(`# after ${answered.name} was killed: ${denials(survivor) - before} refusals logged by ${survivor.name}`);

    await answered.destroy();
    assert.ok(!spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').some((l) => l.split(' ')[0] === answered.netns), 'the dead pod\'s network namespace is gone');
  });
});
