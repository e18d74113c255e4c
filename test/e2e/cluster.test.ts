// cordon-guard as deployed: policy from the ConfigMap, Events, metrics, certificate rotation and
// the manifests, against a real kube-apiserver and with the ServiceAccount's own RBAC.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ServeProcess } from '../../testkit/serveProcess.ts';
import { servedFingerprint } from '../../testkit/tlsProbe.ts';
import { waitFor } from '../../testkit/wait.ts';
import { startControlPlane, type ControlPlane } from '../../testkit/e2e/controlPlane.ts';
import { createNode, makeCertificates, registerWebhooks, startCordonGuard, type Certificates } from '../../testkit/e2e/cordonGuard.ts';
import { assertUncordonRefused } from '../../testkit/e2e/assertions.ts';
import { installIdentityAndPolicy, serviceAccountKubeconfig } from '../../testkit/e2e/inCluster.ts';

const KEY = 'cordon-guard.io/maintenance';
/**
 * How long an edit may take to reach cordon-guard before its watch counts as broken: the watch
 * delivers it in well under a second, and a watch that broke is listed again within 30 s (the
 * backoff's cap); only one that is never mended takes this long, however loaded the machine.
 */
const WATCH_BROKEN_MS = 45_000;
/** Likewise for an Event: recording never waits, and a healthy API server creates one at once. */
const EVENT_BROKEN_MS = 30_000;
const REPO = new URL('../../', import.meta.url).pathname;

interface KubeEvent {
  reason: string;
  note?: string;
  message?: string;
  regarding?: { kind: string; name: string };
  series?: { count: number };
}

describe('cordon-guard deployed with its manifests', { timeout: 600_000 }, () => {
  let cp: ControlPlane;
  let guard: ServeProcess;
  let certs: Certificates;

  function setPolicy(text: string): number {
    const started = Date.now();
    cp.kubectlOk(['-n', 'cordon-guard', 'patch', 'configmap', 'cordon-guard-policy', '--type=merge', '-p', JSON.stringify({ data: { 'policy.yaml': text } })]);
    return started;
  }

  function maintenanceNode(name: string): void {
    createNode(cp, name, { cordoned: true, annotations: { [KEY]: 'firmware, OPS-7' } });
  }

  function events(namespace: string): KubeEvent[] {
    return (JSON.parse(cp.kubectlOk(['get', 'events.events.k8s.io', '-n', namespace, '-o', 'json'])) as { items: KubeEvent[] }).items;
  }

  async function metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${guard.metricsPort}/metrics`)).text();
  }

  before(async () => {
    cp = await startControlPlane();
    installIdentityAndPolicy(cp);
    certs = makeCertificates(join(cp.dir, 'certs'));
    guard = await startCordonGuard(certs, ['--policy-configmap', 'cordon-guard/cordon-guard-policy', '--kubeconfig', serviceAccountKubeconfig(cp)]);
    await waitFor('readiness after the first list', async () => ((await fetch(`http://127.0.0.1:${guard.metricsPort}/readyz`)).status === 200 ? true : undefined), 15_000);
    await registerWebhooks(cp, guard.port, certs.caPem);
  });

  after(async () => {
    await guard?.stop();
    await cp?.stop();
  });

  // The log reaches stdout in batches, at most LOG_FLUSH_INTERVAL_MS after the line: wait for it.
  it('reads the ConfigMap with the ServiceAccount of manifests/ and is ready after the first list', async () => {
    const loaded = await waitFor('the policy line', () => guard.logs.find((l) => l.source === 'configmap' && /in force/.test(l.msg)));
    assert.equal(loaded.origin, 'cordon-guard/cordon-guard-policy');
    await waitFor('the ready line', () => guard.logs.find((l) => l.msg === 'ready'));
  });

  it('the real webhook configuration from manifests/ refuses a rogue uncordon', () => {
    maintenanceNode('node-a');
    const result = cp.kubectl(['uncordon', 'node-a'], { as: 'autoscaler' });
    assertUncordonRefused(result, 'node-a', /admission webhook "uncordon\.cordon-guard\.io" denied the request: cordon-guard denied uncordon of node "node-a" by "system:serviceaccount:kube-system:cluster-autoscaler".*\(policy cordon-guard\/cordon-guard-policy\)/);
  });

  it('records the denial as an Event that kubectl get events and kubectl describe node show, folding repeats', async () => {
    const event = await waitFor('the UncordonDenied event', () => events('default').find((e) => e.reason === 'UncordonDenied' && e.regarding?.name === 'node-a'));
    assert.match(event.note ?? '', /^cordon-guard denied uncordon of node "node-a"/);
    const listed = cp.kubectlOk(['get', 'events', '-n', 'default']);
    assert.match(listed, /UncordonDenied/);
    const described = cp.kubectlOk(['describe', 'node', 'node-a']);
    assert.match(described, /Warning\s+UncordonDenied/);
    assertUncordonRefused(cp.kubectl(['uncordon', 'node-a'], { as: 'autoscaler' }), 'node-a', 'cordon-guard denied');
    const folded = await waitFor('the series count', () => events('default').find((e) => e.reason === 'UncordonDenied' && e.regarding?.name === 'node-a' && (e.series?.count ?? 0) >= 2));
    assert.equal(folded.series?.count, 2);
    assert.equal(events('default').filter((e) => e.reason === 'UncordonDenied' && e.regarding?.name === 'node-a').length, 1);
  });

  it('creates no Event for a dry run', async () => {
    maintenanceNode('node-dry');
    assertUncordonRefused(cp.kubectl(['uncordon', 'node-dry', '--dry-run=server'], { as: 'autoscaler' }), 'node-dry', 'cordon-guard denied');
    // A real refusal after it, by another requester (its own Event, not a series): Events are
    // sent one at a time in the order they were recorded, so once this one is there, an Event
    // for the dry run would be there too.
    assertUncordonRefused(cp.kubectl(['uncordon', 'node-dry'], { as: 'upgrader' }), 'node-dry', 'cordon-guard denied');
    await waitFor('the Event of the real refusal', () => events('default').find((e) => e.regarding?.name === 'node-dry' && /by "system:serviceaccount:system-upgrade:system-upgrade"/.test(e.note ?? '')), EVENT_BROKEN_MS);
    const forNode = events('default').filter((e) => e.regarding?.name === 'node-dry');
    assert.deepEqual(forNode.map((e) => [e.reason, e.series?.count ?? 1]), [['UncordonDenied', 1]], JSON.stringify(forNode));
    assert.ok(!forNode.some((e) => /cluster-autoscaler/.test(e.note ?? '')), 'nothing names the requester of the dry run');
  });

  it('counts the denial in its metrics', async () => {
    const text = await metrics();
    assert.match(text, /cordon_guard_admission_requests_total\{operation="UPDATE",decision="denied",reason="maintenance-active",mode="enforce",endpoint="\/validate"\} [1-9]/);
    assert.match(text, /cordon_guard_violations_total\{reason="maintenance-active",requester="system:serviceaccount:kube-system:cluster-autoscaler",decision="denied"\} [1-9]/);
    assert.match(text, /cordon_guard_policy_generation 1/);
  });

  it('puts a ConfigMap edit in force through its watch, without a restart', async () => {
    maintenanceNode('node-b');
    const started = setPolicy('mode: warn\n');
    await waitFor('warn mode', () => (/^Warning: node "node-b"/m.test(cp.kubectl(['uncordon', 'node-b', '--dry-run=server'], { as: 'autoscaler' }).stderr) ? true : undefined), WATCH_BROKEN_MS, 50);
    console.log(`# ConfigMap edit in force after ${Date.now() - started} ms`);
    const loaded = await waitFor('the policy line', () => guard.logs.find((l) => l.source === 'configmap' && l.mode === 'warn' && /in force/.test(l.msg)));
    assert.equal(loaded.generation, 2);
    const failures = guard.logs.filter((l) => Date.parse(String(l.time)) >= started && /^watching policy .* failed/.test(l.msg));
    assert.deepEqual(failures, [], 'the watch did not fail meanwhile: the edit came through it');
  });

  it('keeps the last good policy after a bad edit, and raises a Warning Event on the ConfigMap naming the key', async () => {
    setPolicy('mode: block\nguardAllCordons: yes-please\n');
    const event = await waitFor('the InvalidPolicy event', () => events('cordon-guard').find((e) => e.reason === 'InvalidPolicy'));
    assert.equal(event.regarding?.kind, 'ConfigMap');
    assert.equal(event.regarding?.name, 'cordon-guard-policy');
    assert.match(event.note ?? '', /mode: Invalid option/);
    assert.match(event.note ?? '', /guardAllCordons: Invalid input: expected boolean/);
    assert.match(cp.kubectl(['uncordon', 'node-b', '--dry-run=server'], { as: 'autoscaler' }).stderr, /^Warning: node "node-b"/m);
    assert.match(await metrics(), /cordon_guard_policy_reloads_total\{source="configmap",result="invalid"\} 1/);
    assert.equal((await fetch(`http://127.0.0.1:${guard.metricsPort}/readyz`)).status, 200);
    setPolicy('mode: enforce\n');
    await waitFor('enforce again', () => (/cordon-guard denied/.test(cp.kubectl(['uncordon', 'node-b', '--dry-run=server'], { as: 'autoscaler' }).stderr) ? true : undefined), 5000, 100);
  });

  it('rotates its serving certificate with no failed request, and serves the new one within 10 s', async () => {
    maintenanceNode('node-c');
    const served = () => servedFingerprint(guard.port, certs.caPem);
    const before = await served();
    assert.equal(before, new X509Certificate(readFileSync(certs.certFile)).fingerprint256);

    // Load through the API server while the files are replaced: every answer must be the denial.
    let stop = false;
    let sent = 0;
    const failures: string[] = [];
    const load = (async () => {
      while (!stop) {
        const { code, stderr } = await kubectlAsync(cp, ['uncordon', 'node-c', '--dry-run=server'], 'autoscaler');
        sent += 1;
        // kubectl uncordon exits 0 on a refused patch; the answer is on stderr (see harness/assertions.ts).
        if (code !== 0 || !/denied the request: cordon-guard denied uncordon/.test(stderr)) failures.push(stderr.trim());
      }
    })();
    await waitFor('requests through the API server before the rotation', () => (sent >= 3 ? true : undefined), 60_000, 50);
    const sentBefore = sent;
    const rotated = Date.now();
    makeCertificates(certs.dir, ['--dns', 'rotated.cordon-guard.test']); // a SAN change re-issues the serving certificate under the same CA
    const after = new X509Certificate(readFileSync(certs.certFile)).fingerprint256;
    assert.notEqual(after, before, 'the script issued a new serving certificate');
    await waitFor('the new certificate on new connections', async () => ((await served()) === after ? true : undefined), 10_000, 100);
    const servedAfterMs = Date.now() - rotated;
    const sentAtNewCertificate = sent;
    await waitFor('requests through the API server after the rotation', () => (sent >= sentAtNewCertificate + 3 ? true : undefined), 60_000, 50);
    stop = true;
    await load;
    console.log(`# rotation: new certificate served after ${servedAfterMs} ms; ${sent} requests through the API server (${sentBefore} before the files changed), ${failures.length} failed`);
    assert.deepEqual(failures, []);
    assert.ok(guard.logs.some((l) => l.msg === 'serving certificate reloaded'));
  });

  it('with a missing ConfigMap, is ready with the defaults in force and says so', async () => {
    const other = await startCordonGuard(certs, ['--policy-configmap', 'cordon-guard/no-such-policy', '--kubeconfig', cp.kubeconfig, '--no-events']);
    try {
      await waitFor('readiness', async () => ((await fetch(`http://127.0.0.1:${other.metricsPort}/readyz`)).status === 200 ? true : undefined), 15_000);
      const warning = await waitFor('the missing-ConfigMap warning', () => other.logs.find((l) => l.level === 'warn' && /not found; the defaults are in force/.test(l.msg)));
      assert.equal(warning.origin, 'cordon-guard/no-such-policy');
      assert.match(await (await fetch(`http://127.0.0.1:${other.metricsPort}/metrics`)).text(), /cordon_guard_policy_reloads_total\{source="configmap",result="missing"\} 1/);
    } finally {
      await other.stop();
    }
  });

  it('has every object of deploy/cordon-guard.yaml accepted by kubectl apply -f --dry-run=server', () => {
    const result = cp.kubectl(['apply', '-f', join(REPO, 'deploy', 'cordon-guard.yaml'), '--dry-run=server']);
    assert.equal(result.code, 0, result.stderr);
    for (const kind of ['namespace/cordon-guard', 'deployment.apps/cordon-guard', 'validatingwebhookconfiguration.admissionregistration.k8s.io/cordon-guard', 'mutatingwebhookconfiguration.admissionregistration.k8s.io/cordon-guard', 'configmap/cordon-guard-policy']) {
      assert.match(result.stdout, new RegExp(`${kind.replaceAll('.', '\\.').replaceAll('/', '\\/')} .*\\(server dry run\\)`), result.stdout);
    }
  });

  it('has every manifest of the own-pki overlay accepted by kubectl apply -k manifests/own-pki/ --dry-run=server', () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'cg-manifests-')), 'manifests');
    cpSync(join(REPO, 'manifests'), copy, { recursive: true, filter: (src) => !src.includes(join('own-pki', 'certs')) });
    makeCertificates(join(copy, 'own-pki', 'certs'));
    const result = cp.kubectl(['apply', '-k', join(copy, 'own-pki'), '--dry-run=server']);
    assert.equal(result.code, 0, result.stderr);
    for (const kind of ['namespace/cordon-guard', 'serviceaccount/cordon-guard', 'deployment.apps/cordon-guard', 'service/cordon-guard', 'poddisruptionbudget.policy/cordon-guard', 'validatingwebhookconfiguration.admissionregistration.k8s.io/cordon-guard', 'mutatingwebhookconfiguration.admissionregistration.k8s.io/cordon-guard', 'secret/cordon-guard-tls', 'configmap/cordon-guard-policy']) {
      assert.match(result.stdout, new RegExp(`${kind.replaceAll('.', '\\.').replaceAll('/', '\\/')} .*\\(server dry run\\)`), result.stdout);
    }
    // The cert-manager overlay needs cert-manager's CRDs; here it must at least render.
    assert.equal(cp.kubectl(['kustomize', join(REPO, 'manifests', 'cert-manager')]).code, 0);
  });
});

function kubectlAsync(cp: ControlPlane, args: string[], as: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(cp.binDir, 'kubectl'), ['--kubeconfig', cp.kubeconfig, '--context', as, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}
