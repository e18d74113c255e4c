// Certificates managed by cordon-guard itself (serve --tls-secret) and the maintenance key that
// follows the policy, against a real kube-apiserver, with the ServiceAccount, RBAC,
// self-protection policy and webhook configurations of manifests/base. cordon-guard runs as
// local processes: the API server's calls through the Service are another suite's; here the
// served certificate is checked with a TLS client for the name the API server dials.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mutatingExpression, validatingExpression } from '../../src/webhooks/matchConditions.ts';
import type { ServeProcess } from '../../testkit/serveProcess.ts';
import { waitFor } from '../../testkit/wait.ts';
import { startControlPlane, type ControlPlane } from '../../testkit/e2e/controlPlane.ts';
import { createNode, makeCertificates, registerWebhooks, startCordonGuard } from '../../testkit/e2e/cordonGuard.ts';
import { installIdentityAndPolicy, installWebhookConfigurations, serviceAccountKubeconfig } from '../../testkit/e2e/inCluster.ts';
import { handshake, startSelfManaged } from '../../testkit/e2e/selfManaged.ts';

const NS = ['-n', 'cordon-guard'];
const SERVICE_NAME = 'cordon-guard.cordon-guard.svc';
const NEW_KEY = 'example.com/maintenance';

interface Configuration {
  webhooks: { name: string; clientConfig: { caBundle?: string }; matchConditions: { name: string; expression: string }[] }[];
}

describe('certificates managed by cordon-guard, and a maintenance key that follows the policy', { timeout: 600_000 }, () => {
  let cp: ControlPlane;
  let kubeconfig: string;
  const replicas: ServeProcess[] = [];

  const json = <T>(args: string[]): T => JSON.parse(cp.kubectlOk([...args, '-o', 'json'])) as T;
  const secretData = (name: string): Record<string, string> | undefined => {
    const result = cp.kubectl([...NS, 'get', 'secret', name, '-o', 'json']);
    if (result.code !== 0) return undefined;
    const data = (JSON.parse(result.stdout) as { data?: Record<string, string> }).data ?? {};
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  };
  const configuration = (kind: string): Configuration => json<Configuration>(['get', kind, 'cordon-guard']);
  const ready = async (guard: ServeProcess): Promise<boolean> => (await fetch(`http://127.0.0.1:${guard.metricsPort}/readyz`)).status === 200;
  const setPolicy = (text: string): void => {
    cp.kubectlOk([...NS, 'patch', 'configmap', 'cordon-guard-policy', '--type=merge', '-p', JSON.stringify({ data: { 'policy.yaml': text } })]);
  };

  before(async () => {
    cp = await startControlPlane();
    installIdentityAndPolicy(cp);
    installWebhookConfigurations(cp);
    kubeconfig = serviceAccountKubeconfig(cp);
  });

  after(async () => {
    for (const guard of replicas) await guard.stop();
    await cp?.stop();
  });

  it('two replicas started at once create the Secrets, agree on one CA, inject it into every webhook, and become ready', async () => {
    const started = Date.now();
    replicas.push(...(await Promise.all([startSelfManaged(kubeconfig), startSelfManaged(kubeconfig)])));
    for (const guard of replicas) await waitFor('readiness', async () => ((await ready(guard)) ? true : undefined), 60_000, 100);
    console.log(`# both replicas ready ${Date.now() - started} ms after they were started`);
    const ca = secretData('cordon-guard-tls-ca');
    const serving = secretData('cordon-guard-tls');
    assert.ok(ca !== undefined && serving !== undefined, 'both Secrets exist');
    assert.equal(new X509Certificate(ca['tls.crt'] ?? '').ca, true);
    const bundle = ca['ca.crt'] ?? '';
    assert.equal(serving['ca.crt'], bundle);
    assert.equal(bundle.match(/BEGIN CERTIFICATE/g)?.length, 1, 'one CA');
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
      for (const webhook of configuration(kind).webhooks) assert.equal(Buffer.from(webhook.clientConfig.caBundle ?? '', 'base64').toString('utf8'), bundle, `${kind} ${webhook.name}`);
    }
    const creators = replicas.flatMap((g) => g.logs.filter((l) => /^(created a CA|issued a serving certificate)/.test(l.msg)));
    assert.equal(creators.length, 2, creators.map((l) => l.msg).join('\n'));
  });

  it('both serve the same certificate, which the injected caBundle verifies for the name the API server dials', async () => {
    const caBundle = Buffer.from(configuration('validatingwebhookconfiguration').webhooks[0]?.clientConfig.caBundle ?? '', 'base64').toString('utf8');
    const serving = new X509Certificate(secretData('cordon-guard-tls')?.['tls.crt'] ?? '');
    for (const guard of replicas) {
      const result = await handshake(guard.port, caBundle, SERVICE_NAME);
      assert.deepEqual(result, { authorized: true, error: undefined, fingerprint: serving.fingerprint256 });
      const wrongName = await handshake(guard.port, caBundle, 'cordon-guard.elsewhere.svc');
      assert.equal(wrongName.authorized, false);
    }
  });

  it('a caBundle changed behind its back is put back', async () => {
    cp.kubectlOk(['patch', 'mutatingwebhookconfiguration', 'cordon-guard', '--type=json', '-p', JSON.stringify([{ op: 'remove', path: '/webhooks/0/clientConfig/caBundle' }])]);
    const caBundle = Buffer.from(secretData('cordon-guard-tls-ca')?.['ca.crt'] ?? '').toString('base64');
    const started = Date.now();
    // Checked every minute.
    await waitFor('the caBundle to be put back', () => (configuration('mutatingwebhookconfiguration').webhooks[0]?.clientConfig.caBundle === caBundle ? true : undefined), 150_000, 500);
    console.log(`# caBundle put back ${Date.now() - started} ms after it was removed`);
  });

  it('a changed maintenanceAnnotation in the ConfigMap is written into both matchConditions within seconds', async () => {
    const started = Date.now();
    setPolicy(`maintenanceAnnotation: ${NEW_KEY}\nguardAnnotationRemoval: true\n`);
    await waitFor(
      'the new key in both configurations',
      () =>
        configuration('validatingwebhookconfiguration').webhooks[0]?.matchConditions[0]?.expression === validatingExpression(NEW_KEY) &&
        configuration('mutatingwebhookconfiguration').webhooks[0]?.matchConditions[0]?.expression === mutatingExpression(NEW_KEY)
          ? true
          : undefined,
      30_000,
      100,
    );
    console.log(`# matchConditions name ${NEW_KEY} ${Date.now() - started} ms after the ConfigMap was patched`);
    assert.equal(
      replicas.flatMap((g) => g.logs).filter((l) => l.level === 'error').length,
      0,
      'the ServiceAccount may do it: RBAC and the self-protection policy allow it',
    );
  });

  it('with the new key, a removal of it by a requester who is not allowlisted is refused by the real API server', async () => {
    for (const guard of replicas.splice(0)) await guard.stop();
    // The API server reaches a local process only through a URL: the same configurations, with a
    // URL and the certificate of the project's script. This process keeps the matchConditions in step.
    const certs = makeCertificates(join(cp.dir, 'url-certs'));
    const guard = await startCordonGuard(certs, ['--policy-configmap', 'cordon-guard/cordon-guard-policy', '--kubeconfig', kubeconfig]);
    replicas.push(guard);
    setPolicy('maintenanceAnnotation: cordon-guard.io/maintenance\nguardAnnotationRemoval: true\n');
    await registerWebhooks(cp, guard.port, certs.caPem);
    createNode(cp, 'node-k', { cordoned: true, annotations: { [NEW_KEY]: 'firmware, OPS-9' } });
    // Under the default key, the removal of example.com/maintenance is not sent to cordon-guard.
    assert.equal(cp.kubectl(['annotate', 'node', 'node-k', `${NEW_KEY}-`, '--dry-run=server'], { as: 'mallory' }).code, 0);
    setPolicy(`maintenanceAnnotation: ${NEW_KEY}\nguardAnnotationRemoval: true\n`);
    const started = Date.now();
    const refused = await waitFor('the removal to be refused', () => {
      const result = cp.kubectl(['annotate', 'node', 'node-k', `${NEW_KEY}-`, '--dry-run=server'], { as: 'mallory' });
      return result.code !== 0 ? result : undefined;
    }, 30_000, 200);
    console.log(`# removal of ${NEW_KEY} refused ${Date.now() - started} ms after the ConfigMap was patched`);
    assert.match(refused.stderr, /admission webhook "uncordon\.cordon-guard\.io" denied the request: cordon-guard denied .*example\.com\/maintenance/);
    assert.equal(cp.kubectl(['annotate', 'node', 'node-k', `${NEW_KEY}-`], { as: 'mallory' }).code, 1);
    assert.equal(json<{ metadata: { annotations: Record<string, string> } }>(['get', 'node', 'node-k']).metadata.annotations[NEW_KEY], 'firmware, OPS-9');
  });
});
