import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeMaintenanceApi, capturedIo } from '../../testkit/fakeMaintenanceApi.ts';
import { ApiError, type RefusalEvent } from './api.ts';
import { INSTALLED_POLICY_CONFIGMAP } from '../install.ts';
import { runWithApi } from './clusterCommand.ts';
import { listRows, requesterFromNote, runList } from './list.ts';
import { START_RECORD_ANNOTATION } from '../policy/annotations.ts';

const KEY = 'cordon-guard.io/maintenance';
const INSTALLED_ORIGIN = `${INSTALLED_POLICY_CONFIGMAP.namespace}/${INSTALLED_POLICY_CONFIGMAP.name}`;
const UPGRADER = 'system:serviceaccount:system-upgrade:system-upgrade';
const list = (output: 'table' | 'json' = 'table') => ({ command: 'list' as const, output, annotation: undefined, kubeconfig: undefined, context: undefined, policyConfigMap: INSTALLED_POLICY_CONFIGMAP });
/** Two hours and a half after worker-3's maintenance started. */
const NOW = () => new Date('2026-11-28T08:30:00Z');
const note = (node: string, user: string) => `cordon-guard denied uncordon of node ${JSON.stringify(node)} by ${JSON.stringify(user)}: node is under maintenance (${KEY}="fw"); ...`;

function refusal(node: string, user: string, count: number, lastSeen: string, withAnnotation = true): RefusalEvent {
  return { node, count, lastSeen, requester: withAnnotation ? user : undefined, note: note(node, user) };
}

function cluster(): FakeMaintenanceApi {
  const api = new FakeMaintenanceApi();
  api.addNode('worker-1');
  api.addNode('worker-3', {
    cordoned: true,
    annotations: {
      [KEY]: 'kernel 6.8 upgrade, OPS-4411',
      [START_RECORD_ANNOTATION]: '{"by":"admin","at":"2026-11-28T06:00:00Z","wasCordoned":false,"annotation":"cordon-guard.io/maintenance"}',
      'cordon-guard.io/cordoned-by': '{"user":"admin","at":"2026-11-28T06:00:00Z","v":2}',
    },
  });
  api.addNode('worker-2', { cordoned: true });
  api.addNode('worker-4', { annotations: { [KEY]: 'by hand' } });
  api.refusals = [
    refusal('worker-3', UPGRADER, 3, '2026-11-28T06:10:00.000Z'),
    refusal('worker-3', 'mallory', 1, '2026-11-28T06:20:00.000Z', false),
    refusal('worker-2', UPGRADER, 1, '2026-11-28T06:05:00.000Z'),
  ];
  return api;
}

describe('cordon-guard list', () => {
  it('lists every node that is cordoned or under maintenance, with the JSON keys of the contract, null where nothing is known', async () => {
    const { io, stdout } = capturedIo();
    assert.equal(await runWithApi(list('json'), cluster(), io), 0);
    assert.deepEqual(JSON.parse(stdout.join('')), [
      { name: 'worker-2', cordoned: true, reason: null, since: null, startedBy: null, cordonedBy: null, refusedUncordons: 1, lastRefusedBy: UPGRADER, drifted: false, overdue: false },
      { name: 'worker-3', cordoned: true, reason: 'kernel 6.8 upgrade, OPS-4411', since: '2026-11-28T06:00:00Z', startedBy: 'admin', cordonedBy: 'admin', refusedUncordons: 4, lastRefusedBy: 'mallory', drifted: false, overdue: false },
      { name: 'worker-4', cordoned: false, reason: 'by hand', since: null, startedBy: null, cordonedBy: null, refusedUncordons: 0, lastRefusedBy: null, drifted: true, overdue: false },
    ]);
  });

  it('prints aligned columns by default, with the maintenance\'s AGE as kubectl prints ages', async () => {
    const { io, stdout } = capturedIo();
    assert.equal(await runList(list(), cluster(), io, NOW), 0);
    const lines = stdout.join('').split('\n');
    assert.match(lines[0] ?? '', /^NAME {5,}CORDONED {3}REASON {3,}AGE {3,}STARTED-BY {3}CORDONED-BY {3}REFUSED {3}LAST-REFUSED-BY {3,}DRIFT$/);
    assert.match(lines[2] ?? '', /^worker-3 +true +kernel 6\.8 upgrade, OPS-4411 +2h +admin +admin +4 +mallory +<none>$/);
    assert.match(lines[3] ?? '', /^worker-4 +false +by hand +<none> +<none> +<none> +0 +<none> +DRIFTED$/);
    const column = (lines[0] ?? '').indexOf('REFUSED');
    assert.ok(lines.slice(1, 4).every((l) => l.slice(column).match(/^\d/)), 'the columns line up');
  });

  it('marks a maintenance older than the policy\'s maintenanceMaxAge as overdue, and one without a start record as undatable (null)', async () => {
    const api = cluster();
    api.policy = { kind: 'text', text: 'maintenanceMaxAge: 2h\n', origin: INSTALLED_ORIGIN };
    const json = capturedIo();
    assert.equal(await runList(list('json'), api, json.io, NOW), 0);
    assert.deepEqual(
      JSON.parse(json.stdout.join('')).map((r: { name: string; drifted: unknown; overdue: unknown }) => [r.name, r.drifted, r.overdue]),
      [['worker-2', false, false], ['worker-3', false, true], ['worker-4', true, null]],
    );
    const table = capturedIo();
    assert.equal(await runList(list(), api, table.io, NOW), 0);
    const lines = table.stdout.join('').split('\n');
    assert.match(lines[2] ?? '', /^worker-3 .* OVERDUE$/);
    assert.match(lines[3] ?? '', /^worker-4 .* DRIFTED$/);
  });

  it('with --annotation, still reads maintenanceMaxAge from the policy; when it cannot, says that nothing is marked overdue', async () => {
    const api = cluster();
    api.policy = { kind: 'text', text: 'maintenanceMaxAge: 2h\n', origin: INSTALLED_ORIGIN };
    const read = capturedIo();
    assert.equal(await runList({ ...list('json'), annotation: KEY }, api, read.io, NOW), 0);
    assert.equal((JSON.parse(read.stdout.join('')) as { overdue: unknown }[])[1]?.overdue, true);
    api.policy = { kind: 'missing', origin: INSTALLED_ORIGIN };
    const missing = capturedIo();
    assert.equal(await runList({ ...list('json'), annotation: KEY }, api, missing.io, NOW), 0);
    assert.ok((JSON.parse(missing.stdout.join('')) as { overdue: unknown }[]).every((r) => r.overdue === false));
    assert.deepEqual(missing.stderr, [`note: cannot use the policy ConfigMap ${INSTALLED_ORIGIN}: it does not exist; its maintenanceMaxAge is unknown, so no node is marked overdue\n`]);
  });

  it('shows the refused count as unknown, with a note, when the caller may not list Events', async () => {
    const api = cluster();
    api.refusals = new ApiError(403, 'Forbidden', 'events.events.k8s.io is forbidden: User "bob" cannot list resource "events"');
    const { io, stdout, stderr } = capturedIo();
    assert.equal(await runWithApi(list('json'), api, io), 0);
    assert.deepEqual(JSON.parse(stdout.join('')).map((r: { refusedUncordons: unknown }) => r.refusedUncordons), [null, null, null]);
    assert.match(stderr.join(''), /^note: cannot list Events in namespace default \(Error from server \(Forbidden\)/);
  });

  it('says so when nothing is cordoned or under maintenance', async () => {
    const api = new FakeMaintenanceApi();
    api.addNode('worker-1');
    const { io, stdout } = capturedIo();
    assert.equal(await runWithApi(list(), api, io), 0);
    assert.deepEqual(stdout, ['No nodes are cordoned or under maintenance.\n']);
    const json = capturedIo();
    assert.equal(await runWithApi(list('json'), api, json.io), 0);
    assert.deepEqual(JSON.parse(json.stdout.join('')), []);
  });

  it('reads the maintenance annotation named by the policy', () => {
    const rows = listRows([{ name: 'n', resourceVersion: '1', cordoned: false, annotations: { 'example.com/maintenance': 'x', [KEY]: 'not this one' } }], [], 'example.com/maintenance');
    assert.equal(rows[0]?.reason, 'x');
  });

  it('reads the reason under the key that start recorded, when the policy now names another', () => {
    const annotations = { 'ops.example/down': 'fw', [START_RECORD_ANNOTATION]: '{"by":"admin","at":"2026-11-28T06:00:00Z","wasCordoned":true,"annotation":"ops.example/down"}' };
    const rows = listRows([{ name: 'n', resourceVersion: '1', cordoned: false, annotations }], [], KEY);
    assert.equal(rows[0]?.reason, 'fw');
  });

  const notes: { says: string; note: string; requester: string | undefined }[] = [
    { says: 'a denial', note: note('worker-3', UPGRADER), requester: UPGRADER },
    { says: 'a warn-mode note', note: 'cordon-guard would deny uncordon of node "n" by "bob": ...', requester: 'bob' },
    { says: 'a quoted name with escapes', note: note('n', 'we\\ird"name'), requester: 'we\\ird"name' },
    { says: 'an InvalidPolicy note', note: 'cordon-guard kept the last good policy: policy.yaml is invalid: mode', requester: undefined },
    { says: 'a preserve-mode note (UncordonPrevented)', note: 'cordon-guard kept node "n" cordoned: "bob" may not uncordon it, and the rest of the write was applied; ...', requester: 'bob' },
    { says: 'a preserve-mode note that kept the maintenance too', note: 'cordon-guard kept node "n" cordoned and under maintenance: "bob" may not uncordon it, and ...', requester: 'bob' },
    { says: 'an annotation-removal denial', note: 'cordon-guard denied removal of the maintenance annotation from node "n" by "bob": ...', requester: undefined },
  ];
  for (const row of notes) {
    it(`reads the requester from ${row.says}`, () => assert.equal(requesterFromNote(row.note), row.requester));
  }
});
