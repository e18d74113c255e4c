// The audit-log reader over every way of writing spec.unschedulable. The fixtures are the real
// API server's own lines (testkit/audit/fixtures/README.md says how they were recorded); the
// shapes kubectl cannot send are the recorded lines with only their request body changed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AuditLogReader, type AuditReport } from './auditLog.ts';

const FIXTURES = new URL('../../testkit/audit/fixtures/', import.meta.url).pathname;
const LEVELS = ['request', 'request-response'] as const;
type Level = (typeof LEVELS)[number];

const ADMIN = 'admin';
const UPGRADER = 'system:serviceaccount:system-upgrade:system-upgrade';
const AUTOSCALER = 'system:serviceaccount:kube-system:cluster-autoscaler';

function fixture(level: Level, name: string): string[] {
  return readFileSync(`${FIXTURES}${level}/${name}.jsonl`, 'utf8').split('\n').filter((l) => l !== '');
}

function read(lines: readonly string[], options: { node?: string } = {}): AuditReport {
  const reader = new AuditLogReader(options);
  for (const line of lines) reader.feed(line);
  return reader.report();
}

/** The changes as [user, verb, value written, code]. */
function changes(report: AuditReport): [string, string, boolean | null, number][] {
  return report.changes.map((c) => [c.user, c.verb, c.unschedulable, c.code]);
}

function suspects(report: AuditReport): [string, number, number][] {
  return report.suspects.map((s) => [s.user, s.uncordons, s.refused]);
}

interface Row {
  says: string;
  fixture: string;
  changes: [string, string, boolean | null, number][];
  suspects: [string, number, number][];
}

const ROWS: Row[] = [
  {
    says: 'a strategic merge patch cordon, then an uncordon by the upgrade controller, who is the suspect',
    fixture: 'strategic-merge-patch',
    changes: [[ADMIN, 'patch', true, 200], [UPGRADER, 'patch', null, 200]],
    suspects: [[UPGRADER, 1, 0]],
  },
  {
    says: 'a node created cordoned, then a merge patch with null clears it; the same patch again changes nothing',
    fixture: 'merge-patch-null',
    changes: [[ADMIN, 'create', true, 201], [AUTOSCALER, 'patch', null, 200]],
    suspects: [[AUTOSCALER, 1, 0]],
  },
  {
    says: 'a JSON patch add, then test and remove; an add of false on an uncordoned node changes nothing',
    fixture: 'json-patch',
    changes: [[ADMIN, 'patch', true, 200], [UPGRADER, 'patch', null, 200]],
    suspects: [[UPGRADER, 1, 0]],
  },
  {
    says: 'a PUT that carries true on a cordoned node is no change, and a PUT without the field is an uncordon written as false',
    fixture: 'put',
    changes: [[ADMIN, 'patch', true, 200], [AUTOSCALER, 'update', false, 200]],
    suspects: [[AUTOSCALER, 1, 0]],
  },
  {
    says: 'server-side applies: a conflict is a refused try, a forced apply an uncordon, and a manager that drops the field it owned alone clears it',
    fixture: 'server-side-apply',
    changes: [[ADMIN, 'patch', true, 200], [UPGRADER, 'patch', false, 409], [UPGRADER, 'patch', false, 200], [ADMIN, 'patch', true, 200], [ADMIN, 'patch', null, 200]],
    suspects: [[UPGRADER, 1, 1]],
  },
  {
    says: 'dry runs are neither changes nor tries, refused or allowed',
    fixture: 'dry-run',
    changes: [[ADMIN, 'create', true, 201]],
    suspects: [],
  },
  {
    says: 'refused uncordons (a patch and a PUT, 403 from cordon-guard) count as tries, and an allowlisted uncordon as an uncordon',
    fixture: 'refused',
    changes: [[ADMIN, 'patch', true, 200], [UPGRADER, 'patch', null, 403], [AUTOSCALER, 'update', false, 403], ['alice', 'patch', null, 200]],
    suspects: [['alice', 1, 0], [AUTOSCALER, 0, 1], [UPGRADER, 0, 1]],
  },
];

describe('the audit-log reader on the real API server\'s lines', () => {
  for (const level of LEVELS) {
    for (const row of ROWS) {
      it(`reads ${row.says} (level ${level})`, () => {
        const report = read(fixture(level, row.fixture));
        assert.deepEqual(changes(report), row.changes);
        assert.deepEqual(suspects(report), row.suspects);
        assert.deepEqual(report.notes, []);
        assert.equal(report.malformed, 0);
      });
    }
  }

  it('cannot see a server-side apply sent as YAML: the log does not hold it, so the uncordon after it looks like no change (level Request)', () => {
    const lines = fixture('request', 'server-side-apply-yaml');
    assert.equal(lines.filter((l) => l.includes('"verb":"patch"') && l.includes('fieldManager=ops')).length, 0);
    const report = read(lines);
    assert.deepEqual(changes(report), []);
  });

  it('at level RequestResponse, learns the unlogged cordon from a response, and says it never saw who cordoned', () => {
    const report = read(fixture('request-response', 'server-side-apply-yaml'));
    assert.deepEqual(changes(report), [[ADMIN, 'patch', null, 200]]);
    assert.deepEqual(suspects(report), [[ADMIN, 1, 0]]);
    assert.deepEqual(report.notes, ['node "server-side-apply-yaml": the log never shows who cordoned it, so its uncordons count as undoing somebody else\'s cordon']);
  });

  it('reports time, node, user, user agent, verb, value and code of each change', () => {
    const [first] = read(fixture('request', 'strategic-merge-patch')).changes;
    assert.deepEqual(Object.keys(first ?? {}), ['time', 'node', 'user', 'userAgent', 'verb', 'unschedulable', 'code']);
    assert.equal(first?.node, 'strategic-merge-patch');
    assert.equal(first?.userAgent, 'kubectl/v1.35.4 (linux/amd64) kubernetes/unknown');
    assert.match(first?.time ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('with --node, reads only that node', () => {
    const lines = ['put', 'refused'].flatMap((f) => fixture('request', f));
    const report = read(lines, { node: 'put' });
    assert.deepEqual(new Set(report.changes.map((c) => c.node)), new Set(['put']));
    assert.deepEqual(suspects(report), [[AUTOSCALER, 1, 0]]);
  });
});

/** The recorded uncordon patch of `strategic-merge-patch.jsonl`, with another request body and user. */
function uncordonWith(body: unknown, edit: (event: Record<string, unknown>) => void = () => undefined): string {
  const lines = fixture('request', 'strategic-merge-patch');
  const patch = lines.filter((l) => l.includes('"verb":"patch"'))[1] ?? '';
  const event = JSON.parse(patch) as Record<string, unknown>;
  event.requestObject = body;
  edit(event);
  return JSON.stringify(event);
}

/** The fixture's lines up to and including the admin's cordon. */
function cordoned(): string[] {
  const lines = fixture('request', 'strategic-merge-patch');
  const cordon = lines.findIndex((l) => l.includes('"verb":"patch"'));
  return lines.slice(0, cordon + 1);
}

describe('the audit-log reader on the shapes kubectl does not send', () => {
  const shapes: { says: string; body: unknown; value: boolean | null }[] = [
    { says: 'a merge patch that deletes the whole spec clears the field', body: { spec: null }, value: null },
    { says: 'a strategic merge patch replacing the spec without the field clears it', body: { spec: { $patch: 'replace', taints: [] } }, value: null },
    { says: 'a strategic merge patch deleting the spec clears the field', body: { spec: { $patch: 'delete' } }, value: null },
    { says: 'a strategic merge patch with $retainKeys that leaves the field out clears it', body: { spec: { $retainKeys: ['taints'], taints: [] } }, value: null },
    { says: 'a strategic merge patch replacing the whole object clears the field it leaves out', body: { $patch: 'replace', metadata: { name: 'x' }, spec: {} }, value: null },
    { says: 'a merge patch writing false is an uncordon written as false', body: { spec: { unschedulable: false } }, value: false },
    { says: 'a JSON patch replacing the spec without the field clears it', body: [{ op: 'replace', path: '/spec', value: { taints: [] } }], value: null },
    { says: 'a JSON patch moving the field away clears it', body: [{ op: 'move', from: '/spec/unschedulable', path: '/metadata/annotations/x' }], value: null },
    { says: 'a JSON patch replacing the whole object without the field clears it', body: [{ op: 'replace', path: '', value: { metadata: { name: 'x' }, spec: {} } }], value: null },
    { says: 'the last JSON patch operation on the field wins', body: [{ op: 'remove', path: '/spec/unschedulable' }, { op: 'add', path: '/spec/unschedulable', value: false }], value: false },
  ];
  for (const shape of shapes) {
    it(`reads that ${shape.says}`, () => {
      const report = read([...cordoned(), uncordonWith(shape.body)]);
      assert.deepEqual(changes(report).at(-1), [UPGRADER, 'patch', shape.value, 200]);
      assert.deepEqual(suspects(report), [[UPGRADER, 1, 0]]);
    });
  }

  const untouched: { says: string; body: unknown }[] = [
    { says: 'a label patch', body: { metadata: { labels: { pool: 'batch' } } } },
    { says: 'a JSON patch that only tests the field', body: [{ op: 'test', path: '/spec/unschedulable', value: true }] },
    { says: 'a string where a boolean belongs (the API server refuses it)', body: { spec: { unschedulable: 'false' } } },
    { says: 'a re-cordon of a cordoned node', body: { spec: { unschedulable: true } } },
  ];
  for (const shape of untouched) {
    it(`counts no change for ${shape.says}`, () => {
      assert.deepEqual(changes(read([...cordoned(), uncordonWith(shape.body)])), [[ADMIN, 'patch', true, 200]]);
    });
  }

  it('names the impersonated user, not the one who impersonated', () => {
    const line = uncordonWith({ spec: { unschedulable: null } }, (e) => (e.impersonatedUser = { username: 'mallory', groups: ['system:authenticated'] }));
    assert.deepEqual(suspects(read([...cordoned(), line])), [['mallory', 1, 0]]);
  });

  it('counts no change for an uncordon by whoever cordoned: undoing one\'s own cordon is no suspect', () => {
    const line = uncordonWith({ spec: { unschedulable: null } }, (e) => (e.user = { username: ADMIN, groups: [] }));
    const report = read([...cordoned(), line]);
    assert.deepEqual(changes(report).at(-1), [ADMIN, 'patch', null, 200]);
    assert.deepEqual(suspects(report), []);
  });

  it('reads a request that panicked as a refused try with code 500', () => {
    const line = uncordonWith({ spec: { unschedulable: null } }, (e) => {
      e.stage = 'Panic';
      delete e.responseStatus;
    });
    assert.deepEqual(suspects(read([...cordoned(), line])), [[UPGRADER, 0, 1]]);
    assert.equal(read([...cordoned(), line]).changes.at(-1)?.code, 500);
  });

  it('reads each request once: a RequestReceived entry is not a second request', () => {
    const line = uncordonWith({ spec: { unschedulable: null } });
    const received = JSON.stringify({ ...(JSON.parse(line) as object), stage: 'RequestReceived', responseStatus: undefined });
    assert.deepEqual(suspects(read([...cordoned(), received, line])), [[UPGRADER, 1, 0]]);
  });

  it('ignores writes to nodes/status: the status subresource cannot change the spec', () => {
    const line = uncordonWith({ spec: { unschedulable: null } }, (e) => ((e.objectRef as Record<string, unknown>).subresource = 'status'));
    assert.deepEqual(suspects(read([...cordoned(), line])), []);
  });

  it('judges a node the log never shows being cordoned from what it shows, and says so', () => {
    const report = read([uncordonWith({ spec: { unschedulable: null } })]);
    assert.deepEqual(suspects(report), [[UPGRADER, 1, 0]]);
    assert.deepEqual(report.notes, [
      'node "strategic-merge-patch": the log never shows who cordoned it, so its uncordons count as undoing somebody else\'s cordon',
      'node "strategic-merge-patch": a write is counted as a change although the log had not shown the node\'s state before it',
    ]);
  });

  it('counts no change for a PUT on a node whose state the log has not shown, but learns the state from it', () => {
    const put = fixture('request', 'put').filter((l) => l.includes('"verb":"update"'));
    const [first, second] = put;
    // The first PUT (cordoned, a label) shows the state; the second (no field) is the uncordon.
    const report = read([first ?? '', second ?? '']);
    assert.deepEqual(changes(report), [[AUTOSCALER, 'update', false, 200]]);
    assert.match(report.notes.join('\n'), /never shows who cordoned it/);
  });

  it('forgets a deleted node: the node created again under the same name starts afresh', () => {
    const lines = fixture('request', 'strategic-merge-patch');
    const report = read([...cordoned(), ...lines.slice(0, 2), uncordonWith({ spec: { unschedulable: null } })]);
    assert.deepEqual(changes(report), [[ADMIN, 'patch', true, 200]]);
  });

  it('says when writes carry no request body (audit level Metadata)', () => {
    const line = uncordonWith(undefined);
    const report = read([...cordoned(), line]);
    assert.deepEqual(changes(report), [[ADMIN, 'patch', true, 200]]);
    assert.deepEqual(report.notes, ['1 write(s) to nodes carry no request body (audit level Metadata?): culprits needs level Request for nodes']);
  });

  it('counts and skips malformed lines, naming their line numbers, and reads on', () => {
    const reader = new AuditLogReader();
    const bad: number[] = [];
    const lines = [...cordoned().slice(0, 2), '{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":"ResponseComp', '', '[1,2]', '{"kind":"Pod"}', ...cordoned().slice(2), uncordonWith({ spec: { unschedulable: null } })];
    for (const line of lines) {
      const problem = reader.feed(line);
      if (problem !== undefined) bad.push(problem.line);
    }
    const report = reader.report();
    assert.deepEqual(bad, [3, 5, 6]);
    assert.equal(report.malformed, 3);
    assert.equal(report.lines, lines.length);
    assert.deepEqual(suspects(report), [[UPGRADER, 1, 0]]);
  });

  it('learns every node\'s state from a list at level RequestResponse', () => {
    const get = fixture('request-response', 'put').find((l) => l.includes('"verb":"get"') && l.includes('"unschedulable":true')) ?? '';
    const event = JSON.parse(get) as Record<string, unknown>;
    const list = JSON.stringify({ ...event, verb: 'list', requestURI: '/api/v1/nodes', objectRef: { resource: 'nodes', apiVersion: 'v1' }, responseObject: { kind: 'NodeList', apiVersion: 'v1', items: [event.responseObject] } });
    const putUncordon = fixture('request', 'put').filter((l) => l.includes('"verb":"update"'))[1] ?? '';
    const report = read([list, putUncordon]);
    assert.deepEqual(changes(report), [[AUTOSCALER, 'update', false, 200]]);
  });
});
