// The node watch, self-healing and leader election against a real kube-apiserver (POLICY.md
// "Drift"), run with cordon-guard's own ServiceAccount and the RBAC and admission policies of
// manifests/. Every replica is `cordon-guard serve --policy-configmap` as it ships: it answers the
// webhooks and runs the node watch, the leader election and the recordon itself; two of them for
// the replica cases.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LEASE_DURATION_MS } from '../../src/kube/leaderElection.ts';
import type { ServeProcess } from '../../testkit/serveProcess.ts';
import { waitFor } from '../../testkit/wait.ts';
import { IDENTITIES, startControlPlane, type ControlPlane } from '../../testkit/e2e/controlPlane.ts';
import { DIST_MAIN, createNode, getNode, makeCertificates, registerWebhooks, startCordonGuard, type Certificates, type WebhookConfiguration } from '../../testkit/e2e/cordonGuard.ts';
import { installIdentityAndPolicy, serviceAccountKubeconfig } from '../../testkit/e2e/inCluster.ts';

const KEY = 'cordon-guard.io/maintenance';
const STAMP = 'cordon-guard.io/cordoned-by';
const SELF = 'system:serviceaccount:cordon-guard:cordon-guard';
const HEAL_WITHIN_MS = 10_000;

interface KubeEvent {
  reason: string;
  note?: string;
  regarding?: { kind: string; name: string };
  series?: { count: number };
  reportingController?: string;
}

interface AuditEntry {
  stage: string;
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; name?: string; subresource?: string };
  responseStatus?: { code: number };
}

/** One replica: serve, its /metrics on the ops port, and its leader election as its log lines tell it. */
interface Replica {
  guard: ServeProcess;
  logs: ServeProcess['logs'];
  metrics(): Promise<string>;
  /** One sample of cordon_guard_nodes, undefined when the gauge has none. */
  nodes(state: string): Promise<number | undefined>;
  isLeader(): boolean;
  isRunning(): boolean;
}

async function startReplica(certs: Certificates, kubeconfig: string): Promise<Replica> {
  const guard = await startCordonGuard(certs, ['--policy-configmap', 'cordon-guard/cordon-guard-policy', '--kubeconfig', kubeconfig]);
  const metricsUrl = `http://127.0.0.1:${guard.metricsPort}`;
  await waitFor('readiness', async () => ((await fetch(`${metricsUrl}/readyz`)).status === 200 ? true : undefined), 15_000);
  const metrics = async () => (await fetch(`${metricsUrl}/metrics`)).text();
  return {
    guard,
    logs: guard.logs,
    metrics,
    async nodes(state) {
      const match = new RegExp(`^cordon_guard_nodes\\{state="${state}"\\} (\\d+)$`, 'm').exec(await metrics());
      return match === null ? undefined : Number(match[1]);
    },
    isLeader() {
      const changes = guard.logs.filter((l) => /^leader election: (became the leader|stopped leading)/.test(l.msg));
      return changes.at(-1)?.msg === 'leader election: became the leader';
    },
    isRunning: () => guard.child.exitCode === null && guard.child.signalCode === null,
  };
}

describe('the node watch, self-healing and leader election', { timeout: 900_000 }, () => {
  let cp: ControlPlane;
  let certs: Certificates;
  let saKubeconfig: string;
  let configurations: WebhookConfiguration[];
  /** The replicas started, in order; the API server calls the one the webhooks point at. */
  const replicas: Replica[] = [];
  let webhookReplica: Replica;

  async function replica(): Promise<Replica> {
    const started = await startReplica(certs, saKubeconfig);
    replicas.push(started);
    return started;
  }

  /** The webhook configurations pointed at one replica (in a cluster, the Service routes to a live one). */
  async function serveWebhooksFrom(r: Replica): Promise<void> {
    configurations = await registerWebhooks(cp, r.guard.port, certs.caPem);
    webhookReplica = r;
  }

  /** Edits the policy ConfigMap and waits until every running replica has the edit in force. */
  async function setPolicy(text: string): Promise<void> {
    const running = replicas.filter((r) => r.isRunning());
    const inForce = (r: Replica) => r.logs.filter((l) => typeof l.generation === 'number' && /in force/.test(l.msg)).length;
    const before = running.map(inForce);
    cp.kubectlOk(['-n', 'cordon-guard', 'patch', 'configmap', 'cordon-guard-policy', '--type=merge', '-p', JSON.stringify({ data: { 'policy.yaml': text } })]);
    await waitFor('the policy edit in force', () => (running.every((r, i) => inForce(r) > (before[i] ?? 0)) ? true : undefined), 10_000);
  }

  function maintenanceNode(name: string, annotations: Record<string, string> = {}): void {
    createNode(cp, name, { cordoned: true, annotations: { [KEY]: 'firmware, OPS-7', ...annotations } });
  }

  function recordoned(name: string): KubeEvent[] {
    const items = (JSON.parse(cp.kubectlOk(['get', 'events.events.k8s.io', '-n', 'default', '-o', 'json'])) as { items: KubeEvent[] }).items;
    return items.filter((e) => e.reason === 'Recordoned' && e.regarding?.name === name);
  }

  /** The validating webhook configuration deleted (the break-glass way out), until the API server stops calling it. */
  async function deleteValidatingWebhook(): Promise<void> {
    cp.kubectlOk(['delete', 'validatingwebhookconfiguration', 'cordon-guard']);
    await waitFor('the webhook to be gone', () => (/denied/.test(cp.kubectl(['uncordon', 'probe', '--dry-run=server'], { as: 'mallory' }).stderr) ? undefined : true), 30_000, 100);
  }

  function restoreValidatingWebhook(): void {
    const file = join(cp.dir, 'validating-webhook.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: configurations.filter((c) => c.kind === 'ValidatingWebhookConfiguration') }));
    cp.kubectlOk(['create', '-f', file]);
  }

  /** The system-upgrade-controller's write after a plan: it uncordons and labels the node in one patch. */
  function upgraderUncordons(name: string): void {
    cp.kubectlOk(['patch', 'node', name, '--type=merge', '--field-manager=system-upgrade-controller', '-p', JSON.stringify({ metadata: { labels: { 'plan.upgrade.cattle.io/k3s': 'a1b2c3' } }, spec: { unschedulable: null } })], { as: 'upgrader' });
  }

  async function cordonedAgain(name: string, timeoutMs: number): Promise<number> {
    await waitFor(`node ${name} cordoned again`, () => (getNode(cp, name).spec.unschedulable === true ? true : undefined), timeoutMs, 100);
    return Date.now();
  }

  function patchesBySelf(name: string): AuditEntry[] {
    return readFileSync(cp.auditLog, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as AuditEntry)
      .filter((e) => e.stage === 'ResponseComplete' && e.verb === 'patch' && e.user.username === SELF && e.objectRef?.resource === 'nodes' && e.objectRef.name === name);
  }

  before(async () => {
    cp = await startControlPlane();
    installIdentityAndPolicy(cp);
    saKubeconfig = serviceAccountKubeconfig(cp);
    certs = makeCertificates(join(cp.dir, 'certs'));
    await serveWebhooksFrom(await replica());
  });

  after(async () => {
    for (const r of replicas) await r.guard.stop('SIGKILL');
    await cp?.stop();
  });

  it('bypass with recordon false: the drift is counted (drifted = 1) and the node is left alone', async () => {
    const [a] = replicas;
    assert.ok(a !== undefined);
    const before = (await a.nodes('cordoned')) ?? 0;
    maintenanceNode('bypass-off');
    await waitFor('the watch to see the node cordoned', async () => ((await a.nodes('cordoned')) === before + 1 ? true : undefined), 10_000, 100);
    await deleteValidatingWebhook();
    upgraderUncordons('bypass-off');
    restoreValidatingWebhook();
    assert.notEqual(getNode(cp, 'bypass-off').spec.unschedulable, true, 'the bypass uncordoned it');
    await waitFor('drifted = 1', async () => ((await a.nodes('drifted')) === 1 ? true : undefined), 10_000, 100);
    const line = await waitFor('the drift line', () => a.logs.find((l) => l.level === 'warn' && l.node === 'bypass-off' && /drifted/.test(l.msg)));
    assert.equal(line.uncordonedBy, 'system-upgrade-controller', 'the watch saw the cordoned version and then the one the upgrader wrote');
    // Two resync periods of the recordon: it would have written by now.
    await new Promise((r) => setTimeout(r, 11_000));
    assert.notEqual(getNode(cp, 'bypass-off').spec.unschedulable, true);
    assert.deepEqual(recordoned('bypass-off'), []);
    assert.deepEqual(patchesBySelf('bypass-off'), []);
    assert.match(await a.metrics(), /^cordon_guard_recordons_total 0$/m);
  });

  it('recordon true: a drift found earlier is healed at the next resync, and the Event names the uncordoner', async () => {
    const [a] = replicas;
    assert.ok(a !== undefined);
    await setPolicy('recordon: true\n');
    await cordonedAgain('bypass-off', 15_000);
    const [event] = await waitFor('the Recordoned event', () => (recordoned('bypass-off').length > 0 ? recordoned('bypass-off') : undefined), 10_000);
    assert.equal(event?.note, 'cordon-guard cordoned node "bypass-off" again: it is under maintenance (cordon-guard.io/maintenance="firmware, OPS-7") but was schedulable; field manager "system-upgrade-controller" uncordoned it');
    assert.equal(event?.reportingController, 'cordon-guard.io/cordon-guard');
    const stamp = JSON.parse(getNode(cp, 'bypass-off').metadata.annotations?.[STAMP] ?? '{}') as { user?: string };
    assert.equal(stamp.user, SELF, '/mutate stamped the recordon as any cordon');
    assert.match(await a.metrics(), /^cordon_guard_recordons_total 1$/m);
    // Log lines reach stdout in batches, up to LOG_FLUSH_INTERVAL_MS after they are written.
    await waitFor('the recordon\'s warning', () => a.logs.find((l) => l.level === 'warn' && l.msg === event?.note));
  });

  it('bypass with recordon true: the node is cordoned again within 10 s, with a Recordoned Event', async () => {
    const [a] = replicas;
    assert.ok(a !== undefined);
    const before = (await a.nodes('maintenance')) ?? 0;
    maintenanceNode('bypass-on');
    await waitFor('the watch to see it', async () => ((await a.nodes('maintenance')) === before + 1 ? true : undefined), 10_000, 100);
    await deleteValidatingWebhook();
    cp.kubectlOk(['uncordon', 'bypass-on'], { as: 'upgrader' });
    const uncordoned = Date.now();
    restoreValidatingWebhook();
    const healed = await cordonedAgain('bypass-on', HEAL_WITHIN_MS);
    console.log(`# bypass: the plain uncordon was healed ${healed - uncordoned} ms after it returned`);
    const events = await waitFor('the Recordoned event', () => (recordoned('bypass-on').length > 0 ? recordoned('bypass-on') : undefined), 10_000);
    assert.equal(events.length, 1);
    assert.match(events[0]?.note ?? '', /its managedFields do not name the writer that uncordoned it/, 'a plain uncordon leaves no managedFields entry of its writer');
    assert.equal(patchesBySelf('bypass-on').length, 1);
  });

  it('installed late: a node already drifted when cordon-guard starts is found and healed', async () => {
    // Uninstalled: no webhook configuration and no replica; then installed again.
    cp.kubectlOk(['delete', 'validatingwebhookconfiguration,mutatingwebhookconfiguration', 'cordon-guard']);
    for (const r of replicas.splice(0)) await r.guard.stop();
    createNode(cp, 'late', { annotations: { [KEY]: 'disk swap' } });
    const started = Date.now();
    const a = await replica();
    await serveWebhooksFrom(a);
    const healed = await cordonedAgain('late', HEAL_WITHIN_MS + (a.isLeader() ? 0 : LEASE_DURATION_MS));
    console.log(`# installed late: healed ${healed - started} ms after the replica started`);
    assert.equal((await waitFor('the event', () => (recordoned('late').length > 0 ? recordoned('late') : undefined), 10_000)).length, 1);
  });

  it('two replicas: exactly one writes each healing, one patch and one Event with one occurrence', async () => {
    await replica();
    const [a, b] = replicas;
    assert.ok(a !== undefined && b !== undefined);
    await waitFor('one leader', () => ([a, b].filter((r) => r.isLeader()).length === 1 ? true : undefined), 30_000, 100);
    maintenanceNode('two');
    await waitFor('both watches to see it cordoned', async () => ((await a.nodes('cordoned')) === (await b.nodes('cordoned')) ? true : undefined), 10_000, 100);
    await deleteValidatingWebhook();
    upgraderUncordons('two');
    restoreValidatingWebhook();
    await cordonedAgain('two', HEAL_WITHIN_MS);
    await new Promise((r) => setTimeout(r, 6000)); // a resync of both replicas
    assert.equal(patchesBySelf('two').length, 1, 'one patch');
    const events = recordoned('two');
    assert.equal(events.length, 1, 'one Event');
    assert.equal(events[0]?.series, undefined, 'with one occurrence');
    const healers = [a, b].filter((r) => r.logs.some((l) => l.node === 'two' && /cordoned node "two" again/.test(l.msg)));
    assert.equal(healers.length, 1);
    assert.ok(healers[0]?.isLeader());
    for (const r of [a, b]) assert.equal(await r.nodes('drifted'), 0);
  });

  it('after the leader is killed, the other heals a new drift within the lease duration plus 10 s', async () => {
    const leader = replicas.find((r) => r.isLeader());
    const other = replicas.find((r) => !r.isLeader());
    assert.ok(leader !== undefined && other !== undefined);
    const before = (await other.nodes('maintenance')) ?? 0;
    maintenanceNode('failover');
    await waitFor('the survivor to see it', async () => ((await other.nodes('maintenance')) === before + 1 ? true : undefined), 10_000, 100);
    await leader.guard.stop('SIGKILL');
    const killed = Date.now();
    if (webhookReplica === leader) await serveWebhooksFrom(other);
    await deleteValidatingWebhook();
    upgraderUncordons('failover');
    restoreValidatingWebhook();
    const healed = await cordonedAgain('failover', LEASE_DURATION_MS + HEAL_WITHIN_MS + 5000);
    // Log lines reach stdout in batches, up to LOG_FLUSH_INTERVAL_MS after they are written.
    const line = await waitFor('the survivor\'s leader line', () => other.logs.find((l) => l.msg === 'leader election: became the leader'));
    const tookOver = Date.parse(String(line.time));
    console.log(`# failover: the survivor led ${tookOver - killed} ms and healed ${healed - killed} ms after the leader was killed (lease ${LEASE_DURATION_MS} ms)`);
    assert.ok(healed - killed <= LEASE_DURATION_MS + HEAL_WITHIN_MS, `${healed - killed} ms`);
    assert.equal(patchesBySelf('failover').length, 1);
  });

  it('least power: cordon-guard\'s own identity is refused when it uncordons a node or changes its labels', () => {
    maintenanceNode('fenced');
    const kubectlAsSelf = (args: string[]) => {
      const result = spawnSync(join(cp.binDir, 'kubectl'), ['--kubeconfig', saKubeconfig, ...args], { encoding: 'utf8', timeout: 60_000 });
      return { code: result.status, stderr: result.stderr };
    };
    const uncordon = kubectlAsSelf(['patch', 'node', 'fenced', '-p', '{"spec":{"unschedulable":null}}']);
    assert.notEqual(uncordon.code, 0);
    assert.match(uncordon.stderr, /ValidatingAdmissionPolicy 'cordon-guard-node-writes' with binding 'cordon-guard-node-writes' denied request: cordon-guard-node-writes: UPDATE of node "fenced" by cordon-guard's own identity refused/);
    const label = kubectlAsSelf(['label', 'node', 'fenced', 'owner=cordon-guard']);
    assert.notEqual(label.code, 0);
    assert.match(label.stderr, /cordon-guard-node-writes: UPDATE of node "fenced" by cordon-guard's own identity refused/);
    assert.equal(getNode(cp, 'fenced').spec.unschedulable, true);
    assert.equal(getNode(cp, 'fenced').metadata.labels?.owner, undefined);
  });

  it('maintenanceMaxAge: a node whose start record is older than the limit is counted as overdue', async () => {
    await setPolicy('recordon: true\nmaintenanceMaxAge: 1h\n');
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    maintenanceNode('old', { 'cordon-guard.io/maintenance-started': JSON.stringify({ by: 'admin', at: twoHoursAgo, wasCordoned: false, annotation: KEY }) });
    const [survivor] = replicas.filter((r) => r.isRunning());
    assert.ok(survivor !== undefined);
    assert.equal(await waitFor('overdue = 1', async () => ((await survivor.nodes('overdue')) === 1 ? 1 : undefined), 10_000, 100), 1);
  });

  /** `kubectl cordon-guard who-can-uncordon` as it ships: dist/main.js, with the suite's kubeconfig and a context of it. */
  function whoCanUncordon(context: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
    const result = spawnSync(process.execPath, [DIST_MAIN, 'who-can-uncordon', ...args, '--kubeconfig', cp.kubeconfig, '--context', context], { encoding: 'utf8', timeout: 60_000 });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it('who-can-uncordon lists the suite\'s node writers with their bindings, and marks the allowlisted ones', async () => {
    await setPolicy('allow:\n  users: [alice]\n  groups: [sre-oncall]\n');
    const { code, stdout, stderr } = whoCanUncordon('admin', '-o', 'json');
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    const rows = JSON.parse(stdout) as { kind: string; name: string; namespace: string | null; bindings: { binding: string; role: string }[]; allowlisted: boolean | null }[];
    const row = (kind: string, name: string) => rows.find((r) => r.kind === kind && r.name === name);
    for (const { user } of Object.values(IDENTITIES).filter((i) => !(i.groups as readonly string[]).includes('system:masters'))) {
      assert.deepEqual(row('User', user)?.bindings, [{ binding: 'e2e-node-writer', role: 'e2e-node-writer' }], user);
      assert.equal(row('User', user)?.allowlisted, user === 'alice', user);
    }
    assert.deepEqual(row('ServiceAccount', 'cordon-guard'), { kind: 'ServiceAccount', name: 'cordon-guard', namespace: 'cordon-guard', bindings: [{ binding: 'cordon-guard-nodes', role: 'cordon-guard-nodes' }], allowlisted: false });
    assert.deepEqual(row('Group', 'system:masters')?.bindings, [{ binding: 'cluster-admin', role: 'cluster-admin' }]);
    assert.deepEqual(row('ServiceAccount', 'node-controller')?.bindings, [{ binding: 'system:controller:node-controller', role: 'system:controller:node-controller' }], 'the API server\'s bootstrap roles');
    const table = whoCanUncordon('admin');
    assert.equal(table.code, 0, table.stderr);
    console.log(table.stdout.trimEnd().split('\n').map((l) => `# ${l}`).join('\n'));
  });

  it('who-can-uncordon without the right to list RBAC objects says which permission is missing and exits 1', () => {
    const { code, stdout, stderr } = whoCanUncordon('mallory', '-o', 'json');
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, /^error: who-can-uncordon needs permission to list clusterroles\.rbac\.authorization\.k8s\.io \(cluster-wide\): Error from server \(Forbidden\): clusterroles\.rbac\.authorization\.k8s\.io is forbidden: User "mallory" cannot list resource "clusterroles"/);
  });
});
