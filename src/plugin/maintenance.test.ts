// start and end against a fake API server that enforces the resourceVersion precondition.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeMaintenanceApi, capturedIo } from '../../testkit/fakeMaintenanceApi.ts';
import { INSTALLED_POLICY_CONFIGMAP } from '../install.ts';
import { ApiError } from './api.ts';
import { runWithApi } from './clusterCommand.ts';
import { CONFLICT_TRIES } from './maintenance.ts';
import { START_RECORD_ANNOTATION } from '../policy/annotations.ts';

const KEY = 'cordon-guard.io/maintenance';
const REASON = 'kernel 6.8 upgrade, OPS-4411';
const cluster = { kubeconfig: undefined, context: undefined, policyConfigMap: INSTALLED_POLICY_CONFIGMAP };
const start = (node = 'worker-3', extra: { annotation?: string } = {}) => ({ command: 'start' as const, node, reason: REASON, annotation: extra.annotation, ...cluster });
const end = (node = 'worker-3', extra: { annotation?: string } = {}) => ({ command: 'end' as const, node, annotation: extra.annotation, ...cluster });
const FORBIDDEN = new ApiError(403, 'Forbidden', 'admission webhook "uncordon.cordon-guard.io" denied the request: cordon-guard denied removal of the maintenance annotation from node "worker-3" by "mallory"');

function record(api: FakeMaintenanceApi, name = 'worker-3'): Record<string, unknown> {
  return JSON.parse(api.nodes.get(name)?.annotations[START_RECORD_ANNOTATION] ?? 'null') as Record<string, unknown>;
}

describe('cordon-guard start', () => {
  it('cordons, annotates and records in one patch conditional on the resourceVersion it read', async () => {
    const api = new FakeMaintenanceApi();
    api.addNode('worker-3');
    const { io, stdout } = capturedIo();
    assert.equal(await runWithApi(start(), api, io), 0);
    assert.equal(api.patches.length, 1);
    assert.deepEqual(api.patches[0]?.patch.metadata?.resourceVersion, '100');
    assert.deepEqual(api.patches[0]?.patch.spec, { unschedulable: true });
    const node = api.nodes.get('worker-3');
    assert.equal(node?.cordoned, true);
    assert.equal(node?.annotations[KEY], REASON);
    const written = record(api);
    assert.deepEqual(Object.keys(written), ['by', 'at', 'wasCordoned', 'annotation']);
    assert.equal(written.by, 'admin');
    assert.equal(written.wasCordoned, false);
    assert.equal(written.annotation, KEY);
    assert.match(String(written.at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(stdout, [`node/worker-3 cordoned and under maintenance: ${KEY}="${REASON}"\n`]);
  });

  it('records that a node was already cordoned, and says end will leave it so', async () => {
    const api = new FakeMaintenanceApi();
    api.addNode('worker-3', { cordoned: true });
    const { io, stdout } = capturedIo();
    assert.equal(await runWithApi(start(), api, io), 0);
    assert.equal(record(api).wasCordoned, true);
    assert.match(stdout.join(''), /was already cordoned; now under maintenance: .* \(end will leave it cordoned\)/);
  });

  it('changes nothing on a node already under maintenance, prints its reason, and exits 0', async () => {
    const api = new FakeMaintenanceApi();
    api.addNode('worker-3', { cordoned: true, annotations: { [KEY]: 'firmware, OPS-7', [START_RECORD_ANNOTATION]: '{"by":"alice","at":"2026-11-28T06:00:00Z","wasCordoned":false}' } });
    const { io, stdout } = capturedIo();
    assert.equal(await runWithApi(start(), api, io), 0);
    assert.equal(api.patches.length, 0);
    assert.deepEqual(stdout, [`node/worker-3 is already under maintenance: ${KEY}="firmware, OPS-7", started by "alice" at 2026-11-28T06:00:00Z; nothing changed\n`]);
  });

  it('retries a conflict with a fresh read, keeping what the other writer wrote', async () => {
    const api = new FakeMaintenanceApi();
    api.addNode('worker-3');
    // Between the read and the patch, a controller writes the node once.
    api.beforePatch = (name, _patch, index) => {
      if (index === 0) api.touch(name, (n) => (n.annotations['other.io/seen'] = 'yes'));
    };
    const { io } = capturedIo();
    assert.equal(await runWithApi(start(), api, io), 0);
    assert.deepEqual(api.patches.map((p) => p.patch.metadata?.resourceVersion), ['100', '101']);
    assert.equal(api.nodes.get('worker-3')?.annotations['other.io/seen'], 'yes');
    assert.equal(api.nodes.get('worker-3')?.cordoned, true);
  });

  it('finds, after a conflict, that someone else started maintenance meanwhile, and changes nothing', async () => {
    const api = new FakeMaintenanceApi();
    api.addNode('worker-3');
    api.beforePatch = (name, _patch, index) => {
      if (index === 0) api.touch(name, (n) => ((n.annotations[KEY] = 'theirs'), (n.cordoned = true)));
    };
    const { io, stdout } = capturedIo();
    assert.equal(await runWithApi(start(), api, io), 0);
    assert.equal(api.nodes.get('worker-3')?.annotations[KEY], 'theirs');
    assert.match(stdout.join(''), /already under maintenance: cordon-guard\.io\/maintenance="theirs"/);
  });

  it(`gives up after ${CONFLICT_TRIES} conflicts in a row, printing the API server's message, exit 1`, async () => {
    const api = new FakeMaintenanceApi();
    api.addNode('worker-3');
    api.beforePatch = (name) => api.touch(name);
    const { io, stderr } = capturedIo();
    assert.equal(await runWithApi(start(), api, io), 1);
    assert.equal(api.patches.length, CONFLICT_TRIES);
    assert.match(stderr.join(''), /^Error from server \(Conflict\): Operation cannot be fulfilled on nodes "worker-3"/);
    assert.equal(api.nodes.get('worker-3')?.cordoned, false);
  });

  it('prints a refusal as kubectl does and exits 1, the node untouched', async () => {
    const api = new FakeMaintenanceApi();
    api.addNode('worker-3');
    api.beforePatch = () => {
      throw new ApiError(403, 'Forbidden', 'nodes "worker-3" is forbidden: User "mallory" cannot patch resource "nodes" in API group "" at the cluster scope');
    };
    const { io, stderr } = capturedIo();
    assert.equal(await runWithApi(start(), api, io), 1);
    assert.deepEqual(stderr, ['Error from server (Forbidden): nodes "worker-3" is forbidden: User "mallory" cannot patch resource "nodes" in API group "" at the cluster scope\n']);
    assert.equal(api.nodes.get('worker-3')?.annotations[KEY], undefined);
  });

  it('exits 4 for a node that does not exist, as kubectl words it', async () => {
    const { io, stderr } = capturedIo();
    assert.equal(await runWithApi(start('nope'), new FakeMaintenanceApi(), io), 4);
    assert.deepEqual(stderr, ['Error from server (NotFound): nodes "nope" not found\n']);
  });

  const keys: { says: string; policy: FakeMaintenanceApi['policy']; flag?: string; key: string; note?: RegExp }[] = [
    { says: 'the policy ConfigMap\'s maintenanceAnnotation', policy: { kind: 'text', text: 'maintenanceAnnotation: example.com/maintenance\n', origin: 'cordon-guard/cordon-guard-policy' }, key: 'example.com/maintenance' },
    { says: '--annotation over the policy\'s', policy: { kind: 'text', text: 'maintenanceAnnotation: example.com/maintenance\n', origin: 'p' }, flag: 'ops.example/down', key: 'ops.example/down' },
    {
      says: 'the default, with a note naming the ConfigMap and the way out, when there is no policy ConfigMap',
      policy: { kind: 'missing', origin: 'ops/policy' },
      key: KEY,
      note: /^note: cannot use the policy ConfigMap ops\/policy: it does not exist; using the default annotation cordon-guard\.io\/maintenance\. Give --annotation KEY, or --policy-configmap NAMESPACE\/NAME \(CORDON_GUARD_POLICY_CONFIGMAP\) where cordon-guard reads its policy\n$/,
    },
    {
      says: 'the default, with a note, when the caller may not read the policy',
      policy: { kind: 'unreadable', origin: 'cordon-guard/cordon-guard-policy', why: 'Error from server (Forbidden): configmaps is forbidden' },
      key: KEY,
      note: /^note: cannot use the policy ConfigMap cordon-guard\/cordon-guard-policy: Error from server \(Forbidden\): configmaps is forbidden; using the default annotation cordon-guard\.io\/maintenance\. Give --annotation KEY/,
    },
    { says: 'the default, with a note, when the policy is invalid', policy: { kind: 'text', text: 'mode: block\n', origin: 'p' }, key: KEY, note: /^note: cannot use the policy ConfigMap p: its policy is invalid \(mode: Invalid option.*using the default annotation cordon-guard\.io\/maintenance/ },
    { says: '--annotation, without a note, when the policy cannot be read', policy: { kind: 'missing', origin: 'p' }, flag: 'ops.example/down', key: 'ops.example/down' },
  ];
  for (const row of keys) {
    it(`uses ${row.says}`, async () => {
      const api = new FakeMaintenanceApi();
      api.addNode('worker-3');
      api.policy = row.policy;
      const { io, stderr } = capturedIo();
      assert.equal(await runWithApi(start('worker-3', { annotation: row.flag }), api, io), 0);
      assert.equal(api.nodes.get('worker-3')?.annotations[row.key], REASON);
      assert.equal(record(api).annotation, row.key);
      if (row.note === undefined) assert.deepEqual(stderr, []);
      else assert.match(stderr.join(''), row.note);
    });
  }

  it('writes a record that names nobody, with a note, when the API server will not say who the caller is', async () => {
    const api = new FakeMaintenanceApi();
    api.addNode('worker-3');
    api.user = new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const { io, stderr } = capturedIo();
    assert.equal(await runWithApi(start(), api, io), 0);
    assert.equal(record(api).by, null);
    assert.match(stderr.join(''), /would not say who you are \(Error from server \(NotFound\)/);
  });
});

describe('cordon-guard end', () => {
  async function started(api: FakeMaintenanceApi, node: { cordoned?: boolean } = {}): Promise<void> {
    api.addNode('worker-3', node);
    assert.equal(await runWithApi(start(), api, capturedIo().io), 0);
    api.patches.length = 0;
  }

  it('removes the annotation and the record in one request, then uncordons in another', async () => {
    const api = new FakeMaintenanceApi();
    await started(api);
    const { io, stdout } = capturedIo();
    assert.equal(await runWithApi(end(), api, io), 0);
    assert.deepEqual(api.patches.map((p) => p.patch), [
      { metadata: { resourceVersion: '101', annotations: { [KEY]: null, [START_RECORD_ANNOTATION]: null } } },
      { metadata: { resourceVersion: '102' }, spec: { unschedulable: null } },
    ]);
    assert.deepEqual(api.nodes.get('worker-3'), { resourceVersion: 103, cordoned: false, annotations: {} });
    assert.match(stdout[0] ?? '', /^node\/worker-3 maintenance ended \(cordon-guard\.io\/maintenance removed, started by "admin" at .*\)\n$/);
    assert.equal(stdout[1], 'node/worker-3 uncordoned\n');
  });

  it('leaves a node cordoned that was cordoned before start, and says so', async () => {
    const api = new FakeMaintenanceApi();
    await started(api, { cordoned: true });
    const { io, stdout } = capturedIo();
    assert.equal(await runWithApi(end(), api, io), 0);
    assert.equal(api.patches.length, 1);
    assert.equal(api.nodes.get('worker-3')?.cordoned, true);
    assert.equal(api.nodes.get('worker-3')?.annotations[KEY], undefined);
    assert.equal(stdout.at(-1), 'node/worker-3 left cordoned: it was cordoned before the maintenance started\n');
  });

  it('changes nothing on a node that is not under maintenance, says so, and exits 0', async () => {
    const api = new FakeMaintenanceApi();
    api.addNode('worker-3', { cordoned: true });
    const { io, stdout } = capturedIo();
    assert.equal(await runWithApi(end(), api, io), 0);
    assert.equal(api.patches.length, 0);
    assert.deepEqual(stdout, ['node/worker-3 is not under maintenance (no cordon-guard.io/maintenance annotation); nothing changed\n']);
  });

  it('prints a refused annotation removal as kubectl does, exits 1, and leaves the node as it was', async () => {
    const api = new FakeMaintenanceApi();
    await started(api);
    const before = structuredClone(api.nodes.get('worker-3'));
    api.beforePatch = () => {
      throw FORBIDDEN;
    };
    const { io, stderr } = capturedIo();
    assert.equal(await runWithApi(end(), api, io), 1);
    assert.deepEqual(stderr, [`Error from server (Forbidden): ${FORBIDDEN.message}\n`]);
    assert.deepEqual(api.nodes.get('worker-3'), before);
  });

  it('prints a refused uncordon, exits 1, and says the annotation is gone but the node still cordoned', async () => {
    const api = new FakeMaintenanceApi();
    await started(api);
    const refusal = new ApiError(403, 'Forbidden', 'admission webhook "uncordon.cordon-guard.io" denied the request: cordon-guard denied uncordon of node "worker-3" by "mallory": node is cordoned and guardAllCordons is on');
    api.beforePatch = (_name, patch) => {
      if (patch.spec !== undefined) throw refusal;
    };
    const { io, stderr } = capturedIo();
    assert.equal(await runWithApi(end(), api, io), 1);
    assert.deepEqual(stderr, [`Error from server (Forbidden): ${refusal.message}\n`, 'node/worker-3: the maintenance annotation was removed, but the node is still cordoned\n']);
    assert.equal(api.nodes.get('worker-3')?.cordoned, true);
    assert.equal(api.nodes.get('worker-3')?.annotations[KEY], undefined);
  });

  it('uncordons a node put under maintenance by hand (no start record), and says why', async () => {
    const api = new FakeMaintenanceApi();
    api.addNode('worker-3', { cordoned: true, annotations: { [KEY]: 'by hand' } });
    const { io, stdout } = capturedIo();
    assert.equal(await runWithApi(end(), api, io), 0);
    assert.deepEqual(api.patches.map((p) => p.patch.metadata?.annotations), [{ [KEY]: null }, undefined]);
    assert.equal(api.nodes.get('worker-3')?.cordoned, false);
    assert.match(stdout.join(''), /has no start record .*: uncordoning it/);
  });

  it('removes the key that start recorded, even when the policy now names another', async () => {
    const api = new FakeMaintenanceApi();
    api.addNode('worker-3');
    assert.equal(await runWithApi(start('worker-3', { annotation: 'ops.example/down' }), api, capturedIo().io), 0);
    api.policy = { kind: 'text', text: 'maintenanceAnnotation: example.com/other\n', origin: 'p' };
    assert.equal(await runWithApi(end(), api, capturedIo().io), 0);
    assert.deepEqual(api.nodes.get('worker-3')?.annotations, {});
    assert.equal(api.nodes.get('worker-3')?.cordoned, false);
  });

  it('retries a conflict on either step with a fresh read', async () => {
    const api = new FakeMaintenanceApi();
    await started(api);
    api.beforePatch = (name, _patch, index) => {
      if (index === 0 || index === 2) api.touch(name);
    };
    assert.equal(await runWithApi(end(), api, capturedIo().io), 0);
    assert.equal(api.patches.length, 4);
    assert.deepEqual(api.nodes.get('worker-3')?.cordoned, false);
  });

  it('stops at an uncordon someone else already made', async () => {
    const api = new FakeMaintenanceApi();
    await started(api);
    api.beforePatch = (name, patch) => {
      if (patch.spec !== undefined && api.patches.length === 2) api.touch(name, (n) => (n.cordoned = false));
    };
    const { io, stdout } = capturedIo();
    assert.equal(await runWithApi(end(), api, io), 0);
    assert.equal(stdout.at(-1), 'node/worker-3 is already schedulable\n');
  });

  it('prints the API server\'s warnings as kubectl does', async () => {
    const api = new FakeMaintenanceApi();
    await started(api);
    api.warnings = ['node "worker-3" maintenance annotation removal by "mallory" would be denied by cordon-guard in enforce mode: guardAnnotationRemoval is on'];
    const { io, stderr } = capturedIo();
    assert.equal(await runWithApi(end(), api, io), 0);
    assert.match(stderr[0] ?? '', /^Warning: node "worker-3" maintenance annotation removal by "mallory" would be denied/);
  });
});
