// Every way of writing spec.unschedulable, played against the real API server so that its audit
// log records them: the fixtures of src/plugin/auditLog.test.ts come from here
// (testkit/e2e/recordAuditFixtures.ts writes them). Each scenario works on a node of its own
// name; cordon-guard must be registered, in enforce mode, with `alice` allowlisted.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { ControlPlane, Identity } from './controlPlane.ts';
import { createNode } from './cordonGuard.ts';

export const FIXTURE_POLICY = `mode: enforce
allow:
  users: [alice]
`;

const MAINTENANCE = { 'cordon-guard.io/maintenance': 'firmware, OPS-7' };

interface Scenario {
  /** Also the node's name and the fixture file's. */
  name: string;
  /** How it was played, for the fixtures' README. */
  description: string;
  play(cp: ControlPlane): Promise<void> | void;
}

function ok(cp: ControlPlane, args: string[], as: Identity = 'admin', input?: string): void {
  const result = cp.kubectl(args, { as, input });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} as ${as} failed: ${result.stderr}`);
}

/** A request the API server must refuse with `code`; kubectl uncordon exits 0 even then, so read stderr. */
function refused(cp: ControlPlane, args: string[], as: Identity, pattern: RegExp): void {
  const result = cp.kubectl(args, { as });
  if (!pattern.test(result.stderr)) throw new Error(`kubectl ${args.join(' ')} as ${as} was not refused: ${result.code} ${result.stderr}`);
}

/** A PUT of the node as `as` read it, with `edit` applied. */
function put(cp: ControlPlane, name: string, as: Identity, edit: (node: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> }) => void): { code: number | null; stderr: string } {
  const node = JSON.parse(cp.kubectlOk(['get', 'node', name, '-o', 'json'], { as })) as { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> };
  edit(node);
  return cp.kubectl(['replace', '-f', '-'], { as, input: JSON.stringify(node) });
}

function tokenOf(cp: ControlPlane, identity: Identity): string {
  const config = JSON.parse(readFileSync(cp.kubeconfig, 'utf8')) as { users: { name: string; user: { token: string } }[] };
  const token = config.users.find((u) => u.name === identity)?.user.token;
  if (token === undefined) throw new Error(`no token for ${identity}`);
  return token;
}

/** A raw PATCH, for what kubectl cannot send: a server-side apply body in YAML. */
function rawPatch(cp: ControlPlane, path: string, contentType: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${cp.server}${path}`, {
      method: 'PATCH',
      ca: readFileSync(join(cp.dir, 'pki', 'apiserver.crt')),
      headers: { authorization: `Bearer ${tokenOf(cp, 'admin')}`, 'content-type': contentType, 'user-agent': 'curl/8.5.0' },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function applied(name: string, spec: Record<string, unknown> | undefined): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name }, ...(spec === undefined ? {} : { spec }) });
}

export const AUDIT_SCENARIOS: readonly Scenario[] = [
  {
    name: 'strategic-merge-patch',
    description: 'admin `kubectl cordon`; the upgrade controller `kubectl uncordon` (both strategic merge patches)',
    play(cp) {
      createNode(cp, this.name);
      ok(cp, ['cordon', this.name]);
      ok(cp, ['uncordon', this.name], 'upgrader');
    },
  },
  {
    name: 'merge-patch-null',
    description: 'admin creates the node cordoned; the autoscaler `kubectl patch --type=merge` with `"unschedulable": null`, then again (a no-op)',
    play(cp) {
      createNode(cp, this.name, { cordoned: true });
      ok(cp, ['patch', 'node', this.name, '--type=merge', '-p', '{"spec":{"unschedulable":null}}'], 'autoscaler');
      ok(cp, ['patch', 'node', this.name, '--type=merge', '-p', '{"spec":{"unschedulable":null}}'], 'autoscaler');
    },
  },
  {
    name: 'json-patch',
    description: 'admin JSON patch `add /spec/unschedulable true`; the upgrade controller `test` + `remove`; mallory `add ... false` on the uncordoned node (a no-op)',
    play(cp) {
      createNode(cp, this.name);
      ok(cp, ['patch', 'node', this.name, '--type=json', '-p', '[{"op":"add","path":"/spec/unschedulable","value":true}]']);
      ok(cp, ['patch', 'node', this.name, '--type=json', '-p', '[{"op":"test","path":"/spec/unschedulable","value":true},{"op":"remove","path":"/spec/unschedulable"}]'], 'upgrader');
      ok(cp, ['patch', 'node', this.name, '--type=json', '-p', '[{"op":"add","path":"/spec/unschedulable","value":false}]'], 'mallory');
    },
  },
  {
    name: 'put',
    description: 'admin `kubectl cordon`; the autoscaler PUTs the node with a new label and `unschedulable: true` (no change), then PUTs it without `unschedulable` (an uncordon)',
    play(cp) {
      createNode(cp, this.name);
      ok(cp, ['cordon', this.name]);
      const label = put(cp, this.name, 'autoscaler', (n) => (n.metadata.labels.pool = 'batch'));
      if (label.code !== 0) throw new Error(label.stderr);
      const uncordon = put(cp, this.name, 'autoscaler', (n) => delete n.spec.unschedulable);
      if (uncordon.code !== 0) throw new Error(uncordon.stderr);
    },
  },
  {
    name: 'server-side-apply',
    description:
      'admin applies `unschedulable: true` as field manager `ops` (`kubectl apply --server-side`, JSON); the upgrade controller applies `false` as `upgrader` (409 conflict), then with `--force-conflicts`; `ops` applies `true` with `--force-conflicts`, then applies without the field, which removes it',
    play(cp) {
      createNode(cp, this.name);
      const apply = (as: Identity, manager: string, spec: Record<string, unknown> | undefined, force = false) =>
        cp.kubectl(['apply', '--server-side', `--field-manager=${manager}`, ...(force ? ['--force-conflicts'] : []), '-f', '-'], { as, input: applied(this.name, spec) });
      const steps = [
        apply('admin', 'ops', { unschedulable: true }),
        apply('upgrader', 'upgrader', { unschedulable: false }),
        apply('upgrader', 'upgrader', { unschedulable: false }, true),
        apply('admin', 'ops', { unschedulable: true }, true),
        apply('admin', 'ops', undefined),
      ];
      const codes = steps.map((s) => (s.code === 0 ? 'ok' : /conflict/i.test(s.stderr) ? 'conflict' : s.stderr));
      if (codes.join(',') !== 'ok,conflict,ok,ok,ok') throw new Error(`server-side apply steps: ${codes.join(', ')}`);
      if (cp.kubectlOk(['get', 'node', this.name, '-o', 'jsonpath={.spec.unschedulable}']) !== '') throw new Error('the last apply did not remove the field');
    },
  },
  {
    name: 'server-side-apply-yaml',
    description:
      'admin sends a server-side apply of `unschedulable: true` as YAML (a raw PATCH, content type application/apply-patch+yaml): the API server cannot write it to its JSON audit log (`Error in audit plugin \'log\'` in its own log); then admin `kubectl uncordon`',
    async play(cp) {
      createNode(cp, this.name);
      const code = await rawPatch(cp, `/api/v1/nodes/${this.name}?fieldManager=ops`, 'application/apply-patch+yaml', `apiVersion: v1\nkind: Node\nmetadata:\n  name: ${this.name}\nspec:\n  unschedulable: true\n`);
      if (code !== 200) throw new Error(`YAML apply answered ${code}`);
      ok(cp, ['uncordon', this.name]);
    },
  },
  {
    name: 'dry-run',
    description: 'a node under maintenance; mallory `kubectl uncordon --dry-run=server` (refused by cordon-guard), alice (allowlisted) the same (allowed), and a merge patch with `--dry-run=server`',
    play(cp) {
      createNode(cp, this.name, { cordoned: true, annotations: MAINTENANCE });
      refused(cp, ['uncordon', this.name, '--dry-run=server'], 'mallory', /cordon-guard denied/);
      ok(cp, ['uncordon', this.name, '--dry-run=server'], 'alice');
      ok(cp, ['patch', 'node', this.name, '--type=merge', '--dry-run=server', '-p', '{"spec":{"unschedulable":false}}'], 'alice');
    },
  },
  {
    name: 'refused',
    description:
      'admin `kubectl cordon` and annotates the node for maintenance; the upgrade controller `kubectl uncordon` and the autoscaler a PUT without `unschedulable` are refused by cordon-guard (403); alice (allowlisted) `kubectl uncordon`',
    play(cp) {
      createNode(cp, this.name);
      ok(cp, ['cordon', this.name]);
      ok(cp, ['annotate', 'node', this.name, 'cordon-guard.io/maintenance=firmware, OPS-7']);
      refused(cp, ['uncordon', this.name], 'upgrader', /cordon-guard denied/);
      const rogue = put(cp, this.name, 'autoscaler', (n) => delete n.spec.unschedulable);
      if (!/cordon-guard denied/.test(rogue.stderr)) throw new Error(`the PUT was not refused: ${rogue.stderr}`);
      ok(cp, ['uncordon', this.name], 'alice');
    },
  },
];

/** Plays every scenario and returns, for each, the audit log's lines about its node. */
export async function recordAuditScenarios(cp: ControlPlane): Promise<Map<string, string[]>> {
  for (const scenario of AUDIT_SCENARIOS) await scenario.play(cp);
  const byNode = new Map<string, string[]>(AUDIT_SCENARIOS.map((s) => [s.name, []]));
  for (const line of readFileSync(cp.auditLog, 'utf8').split('\n')) {
    if (line === '') continue;
    const event = JSON.parse(line) as { objectRef?: { resource?: string; name?: string } };
    if (event.objectRef?.resource !== 'nodes') continue;
    byNode.get(event.objectRef.name ?? '')?.push(line);
  }
  return byNode;
}
