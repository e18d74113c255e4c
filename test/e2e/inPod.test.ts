// The one-file install (deploy/cordon-guard.yaml) applied to a control plane with nothing else
// installed, run as its Deployment says, as near to a pod as this machine allows (no kubelet, no
// container engine): two pods of the Deployment the API server stores, each in its own network
// and mount namespace, making their own certificates in the cluster, and the API server calling
// them through the Service, verifying TLS against cordon-guard.cordon-guard.svc. No certificate
// step runs anywhere. Needs root (namespaces); fails without it.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { canonicalSans, issueServing, serviceDnsNames } from '../../src/tls/authority.ts';
import { certificateNotAfter } from '../../src/tls/certificates.ts';
import { validatingExpression } from '../../src/webhooks/matchConditions.ts';
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
const CUSTOM_KEY = 'example.com/maintenance';
const SERVICE_NAME = 'cordon-guard.cordon-guard.svc';
const INSTALL = join(REPO, 'deploy', 'cordon-guard.yaml');
const UPGRADER = IDENTITIES.upgrader.user;
const DENIAL = `cordon-guard denied uncordon of node "maintenance-1" by "${UPGRADER}"`;

interface Configuration {
  webhooks: { name: string; clientConfig: { caBundle?: string }; matchConditions?: { name: string; expression: string }[] }[];
}

/** A TLS handshake from the host with the pod's IP, verified against `ca` for `servername`, as the API server dials the Service's endpoint. */
function podHandshake(pod: SimulatedPod, ca: string, servername: string): Promise<{ authorized: boolean; error: string | undefined; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: pod.ip, port: pod.containerPorts.https ?? 9443, ca, servername, rejectUnauthorized: false }, () => {
      resolve({ authorized: socket.authorized, error: socket.authorizationError?.message, fingerprint: socket.getPeerX509Certificate()?.fingerprint256 ?? '' });
      socket.end();
    });
    socket.on('error', reject);
  });
}

/** The denials a pod logged for the node, as pino wrote them. */
function denials(pod: SimulatedPod): number {
  return pod.logs.filter((l) => l.decision === 'denied' && l.node === 'maintenance-1').length;
}

describe('deploy/cordon-guard.yaml applied to a bare control plane: two simulated pods of its Deployment, called through its Service', { timeout: 300_000 }, () => {
  let network: PodNetwork | undefined;
  let cp: ControlPlane;
  let endpoints: ServiceEndpoints;
  const pods: SimulatedPod[] = [];

  const json = <T>(args: string[]): T => JSON.parse(cp.kubectlOk([...args, '-o', 'json'])) as T;
  const configuration = (kind: string): Configuration => json<Configuration>(['get', kind, 'cordon-guard']);
  const secretData = (name: string): Record<string, string> =>
    Object.fromEntries(Object.entries(json<{ data?: Record<string, string> }>(['get', 'secret', name, '-n', NAMESPACE]).data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  /** kubectl without blocking the event loop (the readiness probes run in this process). */
  const kubectlAsync = (args: string[], as: 'admin' | 'upgrader'): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(join(cp.binDir, 'kubectl'), ['--kubeconfig', cp.kubeconfig, '--context', as, ...args], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr }),
      );
    });
  const servedFingerprints = async (ca: string): Promise<string[]> => Promise.all(pods.map(async (p) => (await podHandshake(p, ca, SERVICE_NAME)).fingerprint));
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

  it('refuses a rogue uncordon by the system-upgrade ServiceAccount within 60 s of kubectl apply -f deploy/cordon-guard.yaml', async () => {
    createNode(cp, 'maintenance-1', { cordoned: true, annotations: { [KEY]: 'kernel upgrade, OPS-19' } });

    const applied = Date.now();
    cp.kubectlOk(['apply', '-f', INSTALL]);
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
    console.log(`# from kubectl apply -f deploy/cordon-guard.yaml: both pods ready after ${readyAfterMs} ms, the first refused uncordon after ${refusedAfterMs} ms`);
    assert.ok(refusedAfterMs < 60_000, `refused ${refusedAfterMs} ms after the apply`);

    assertUncordonRefused(rogueUncordon(false), 'maintenance-1', `admission webhook "uncordon.cordon-guard.io" denied the request: ${DENIAL}`);
    assert.equal(getNode(cp, 'maintenance-1').spec.unschedulable, true);
    assert.deepEqual(endpoints.readyIps().sort(), pods.map((p) => p.ip).sort());
  });

  it('both pods serve the certificate in Secret cordon-guard-tls, verified by the caBundle of both webhook configurations for the Service name, which it alone names (no IP)', async () => {
    const bundles = ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration'].flatMap((kind) => configuration(kind).webhooks.map((w) => w.clientConfig.caBundle ?? ''));
    assert.ok(bundles.length >= 2 && bundles.every((b) => b !== '' && b === bundles[0]), 'one caBundle in every webhook');
    const caBundle = Buffer.from(bundles[0] ?? '', 'base64').toString('utf8');
    assert.equal(caBundle.match(/BEGIN CERTIFICATE/g)?.length, 1, 'one CA');
    const certificate = new X509Certificate(secretData('cordon-guard-tls')['tls.crt'] ?? '');
    for (const pod of pods) assert.deepEqual(await podHandshake(pod, caBundle, SERVICE_NAME), { authorized: true, error: undefined, fingerprint: certificate.fingerprint256 }, pod.name);
    const names = (certificate.subjectAltName ?? '').split(', ');
    assert.ok(names.includes(`DNS:${SERVICE_NAME}`), certificate.subjectAltName);
    assert.deepEqual(names.filter((n) => !n.startsWith('DNS:')), [], 'an IP SAN would let the API server verify the pod by its address');
  });

  it(`refuses the removal of a maintenance key set in the ConfigMap alone (${CUSTOM_KEY}, guardAnnotationRemoval: true) by a requester who is not allowlisted`, async () => {
    createNode(cp, 'custom-1', { cordoned: true, annotations: { [CUSTOM_KEY]: 'firmware, OPS-23' } });
    const remove = (dryRun: boolean) => cp.kubectl(['annotate', 'node', 'custom-1', `${CUSTOM_KEY}-`, ...(dryRun ? ['--dry-run=server'] : [])], { as: 'mallory' });
    // Under the default key, its removal is not even sent to cordon-guard.
    assert.equal(remove(true).code, 0);
    const policy = `maintenanceAnnotation: ${CUSTOM_KEY}\nguardAnnotationRemoval: true\n`;
    cp.kubectlOk(['patch', 'configmap', 'cordon-guard-policy', '-n', NAMESPACE, '--type=merge', '-p', JSON.stringify({ data: { 'policy.yaml': policy } })]);
    const patched = Date.now();
    const refused = await waitFor('the removal to be refused', () => {
      const result = remove(true);
      return result.code !== 0 ? result : undefined;
    }, 30_000, 200);
    console.log(`# removal of ${CUSTOM_KEY} refused ${Date.now() - patched} ms after the ConfigMap was patched`);
    assert.match(refused.stderr, /admission webhook "uncordon\.cordon-guard\.io" denied the request: cordon-guard denied .*example\.com\/maintenance/);
    assert.equal(configuration('validatingwebhookconfiguration').webhooks[0]?.matchConditions?.[0]?.expression, validatingExpression(CUSTOM_KEY), 'the pods wrote the key into the matchConditions');
    assert.notEqual(remove(false).code, 0);
    assert.equal(getNode(cp, 'custom-1').metadata.annotations?.[CUSTOM_KEY], 'firmware, OPS-23');
    assertUncordonRefused(cp.kubectl(['uncordon', 'custom-1'], { as: 'upgrader' }), 'custom-1', 'cordon-guard denied uncordon of node "custom-1"');
    // Back to the shipped policy for the cases after this one.
    cp.kubectlOk(['apply', '-f', INSTALL]);
    await waitFor('the default key back in the matchConditions', () => (configuration('validatingwebhookconfiguration').webhooks[0]?.matchConditions?.[0]?.expression === validatingExpression(KEY) ? true : undefined), 30_000, 200);
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
      for (const [path, mode] of [['/', 'ro'], ['/run/secrets/kubernetes.io/serviceaccount', 'ro'], ['/tmp', 'rw']] as const) {
        assert.ok(mounts.get(path)?.includes(mode), `${path} is mounted ${mode}: ${mounts.get(path)?.join(',')}`);
      }
      // Self-managed: the serving key lives in the Secret and the process, never in a volume.
      assert.equal(mounts.has('/etc/cordon-guard/tls'), false);
      // (/var/run is a symlink to /run, which /proc/PID/root would resolve on the host.)
      assert.equal(readFileSync(`/proc/${pod.pid}/root/run/secrets/kubernetes.io/serviceaccount/namespace`, 'utf8'), NAMESPACE);
    }
    // Nothing of it on the host.
    assert.equal(existsSync('/etc/cordon-guard'), false);
    assert.equal(existsSync('/var/run/secrets/kubernetes.io'), false);
  });

  it('replaces a serving certificate put into its renewal window while admission requests flow through the API server, with none failed', async () => {
    createNode(cp, 'free-1');
    const caSecret = secretData('cordon-guard-tls-ca');
    const ca = caSecret['ca.crt'] ?? '';
    const before = secretData('cordon-guard-tls')['tls.crt'] ?? '';
    assert.deepEqual(await servedFingerprints(ca), pods.map(() => new X509Certificate(before).fingerprint256));

    // Requests that reach each webhook: a rogue uncordon /validate must refuse (failurePolicy
    // Fail), and a cordon /mutate must stamp (failurePolicy Ignore: the stamp shows it answered).
    let sent = 0;
    const failures: string[] = [];
    let flowing = true;
    const refusal = async () => {
      const result = await kubectlAsync(['uncordon', 'maintenance-1', '--dry-run=server'], 'upgrader');
      if (!result.stderr.includes(DENIAL)) failures.push(`uncordon: ${result.code} ${result.stderr}`);
    };
    const stampedCordon = async () => {
      const result = await kubectlAsync(['patch', 'node', 'free-1', '-p', '{"spec":{"unschedulable":true}}', '--dry-run=server', '-o', 'json'], 'admin');
      const stamped = result.code === 0 && (JSON.parse(result.stdout) as { metadata: { annotations?: Record<string, string> } }).metadata.annotations?.['cordon-guard.io/cordoned-by'] !== undefined;
      if (!stamped) failures.push(`cordon: ${result.code} ${result.stderr}`);
    };
    const loop = async (request: () => Promise<void>) => {
      while (flowing) {
        sent += 1;
        await request();
      }
    };
    const load = Promise.all([loop(refusal), loop(stampedCordon)]);

    // A certificate of the same CA that ends in 20 days: inside the 30-day renewal window.
    const authority = { certPem: caSecret['tls.crt'] ?? '', keyPem: caSecret['tls.key'] ?? '' };
    const due = issueServing(authority, { commonName: SERVICE_NAME, names: canonicalSans({ dnsNames: serviceDnsNames('cordon-guard', NAMESPACE), ipAddresses: [] }), validityDays: 20 }, new Date()).pair;
    const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const written = Date.now();
    cp.kubectlOk(['patch', 'secret', 'cordon-guard-tls', '-n', NAMESPACE, '--type=merge', '-p', JSON.stringify({ data: { 'tls.crt': encode(due.certPem), 'tls.key': encode(due.keyPem) } })]);
    const renewed = await waitFor('a renewed certificate in the Secret and served by both pods', async () => {
      const current = secretData('cordon-guard-tls')['tls.crt'] ?? '';
      if (current === due.certPem || current === before) return undefined;
      const fingerprint = new X509Certificate(current).fingerprint256;
      return (await servedFingerprints(ca)).every((f) => f === fingerprint) ? current : undefined;
    }, 60_000, 200);
    const renewedAfterMs = Date.now() - written;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    flowing = false;
    await load;

    console.log(`# renewal: served by both pods ${renewedAfterMs} ms after the due certificate was written; ${sent} admission requests sent meanwhile, ${failures.length} failed`);
    assert.deepEqual(failures, []);
    assert.ok(sent >= 10, `${sent} requests`);
    assert.ok(certificateNotAfter(renewed).getTime() - Date.now() > 300 * 24 * 3600_000, 'a full-length certificate');
    assert.ok(new X509Certificate(renewed).checkIssued(new X509Certificate(authority.certPem)), 'issued by the same CA');
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
