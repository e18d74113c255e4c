// `cordon-guard culprits` as operators run it: a child process on a file, offline.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeAuditLog } from '../../testkit/auditLogGenerator.ts';
import { MAIN_TS } from '../../testkit/serveProcess.ts';

const FIXTURES = new URL('../../testkit/audit/fixtures/request/', import.meta.url).pathname;
/** Fails the process if anything imports the API client. */
const NO_CLIENT_NODE =
  'data:text/javascript,import{registerHooks}from"node:module";registerHooks({resolve(s,c,n){if(s.startsWith("@kubernetes/client-node"))throw new Error("culprits loaded "+s);return n(s,c);}});';

function culprits(args: string[], options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {}) {
  const result = spawnSync(process.execPath, [...(options.nodeArgs ?? []), MAIN_TS, 'culprits', ...args], { encoding: 'utf8', env: options.env ?? process.env, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('cordon-guard culprits', () => {
  it('prints one JSON object with exactly the keys of the contract', () => {
    const result = culprits(['--audit-log', join(FIXTURES, 'refused.jsonl'), '-o', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(Object.keys(report), ['changes', 'suspects']);
    assert.deepEqual(Object.keys(report.changes[0]), ['time', 'node', 'user', 'userAgent', 'verb', 'unschedulable', 'code']);
    assert.deepEqual(report.suspects, [
      { user: 'alice', nodes: ['refused'], uncordons: 1, refused: 0 },
      { user: 'system:serviceaccount:kube-system:cluster-autoscaler', nodes: ['refused'], uncordons: 0, refused: 1 },
      { user: 'system:serviceaccount:system-upgrade:system-upgrade', nodes: ['refused'], uncordons: 0, refused: 1 },
    ]);
  });

  it('prints aligned tables by default', () => {
    const result = culprits(['--audit-log', join(FIXTURES, 'put.jsonl')]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split('\n');
    assert.match(lines[1] ?? '', /^AGE {3,}NODE {3,}USER {3,}USER-AGENT {3,}VERB {3,}UNSCHEDULABLE {3}CODE$/);
    // The fixtures were recorded in the past: each change's age, in kubectl's short form.
    assert.match(lines[2] ?? '', /^\d+[smhdy] +put +/);
    assert.match(result.stdout, /system:serviceaccount:kube-system:cluster-autoscaler +kubectl\/v1\.35\.4 \(linux\/amd64\) kubernetes\/unknown +update +false +200/);
    const header = lines.findIndex((l) => l.startsWith('USER '));
    assert.match(lines[header + 1] ?? '', /^system:serviceaccount:kube-system:cluster-autoscaler +put +1 +0$/);
  });

  it('needs no cluster: works without a kubeconfig and never loads @kubernetes/client-node', () => {
    const home = mkdtempSync(join(tmpdir(), 'cg-home-'));
    const env = { PATH: process.env.PATH, HOME: home, KUBECONFIG: join(home, 'missing') };
    const guarded = culprits(['--audit-log', join(FIXTURES, 'strategic-merge-patch.jsonl'), '-o', 'json'], { env, nodeArgs: ['--import', NO_CLIENT_NODE] });
    assert.equal(guarded.code, 0, guarded.stderr);
    assert.equal(JSON.parse(guarded.stdout).suspects.length, 1);
    // The guard itself works: list, which needs the client, is stopped by it.
    const list = spawnSync(process.execPath, ['--import', NO_CLIENT_NODE, MAIN_TS, 'list'], { encoding: 'utf8', env });
    assert.match(list.stderr, /loaded @kubernetes\/client-node/);
  });

  it('counts and skips malformed lines, naming each line number on stderr, and exits 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-culprits-'));
    const lines = readFileSync(join(FIXTURES, 'strategic-merge-patch.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
    const file = join(dir, 'audit.log');
    writeFileSync(file, [lines[0], 'not json', ...lines.slice(1, 4), '{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":', ...lines.slice(4)].join('\n'));
    const result = culprits(['--audit-log', file, '-o', 'json']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`${file}:2: skipped, not JSON`));
    assert.match(result.stderr, new RegExp(`${file}:6: skipped, not JSON`));
    assert.match(result.stderr, /skipped 2 malformed line\(s\) of \d+/);
    assert.equal(JSON.parse(result.stdout).changes.length, 2);
  });

  it('says what the log never shows, in the table and on stderr with -o json', () => {
    const lines = readFileSync(join(FIXTURES, 'strategic-merge-patch.jsonl'), 'utf8').split('\n');
    const dir = mkdtempSync(join(tmpdir(), 'cg-culprits-'));
    const file = join(dir, 'audit.log');
    writeFileSync(file, lines.filter((l) => l.includes('system-upgrade') && l.includes('"verb":"patch"')).join('\n'));
    assert.match(culprits(['--audit-log', file]).stdout, /Notes:\n- node "strategic-merge-patch": the log never shows who cordoned it/);
    assert.match(culprits(['--audit-log', file, '-o', 'json']).stderr, /^note: node "strategic-merge-patch": the log never shows who cordoned it/m);
  });

  const failures: { says: string; args: string[]; code: number; stderr: RegExp }[] = [
    { says: '2 (bad usage) without --audit-log', args: [], code: 2, stderr: /culprits needs --audit-log FILE/ },
    { says: '2 (bad usage) for an output format other than table or json', args: ['--audit-log', 'x', '-o', 'yaml'], code: 2, stderr: /-o must be table or json/ },
    { says: '6 (unreadable file) for a file that does not exist', args: ['--audit-log', '/nonexistent/audit.log'], code: 6, stderr: /cannot read audit log \/nonexistent\/audit\.log: ENOENT/ },
    { says: '6 (unreadable file) for a directory', args: ['--audit-log', tmpdir()], code: 6, stderr: /cannot read audit log .*EISDIR/ },
  ];
  for (const row of failures) {
    it(`exits ${row.says}`, () => {
      const result = culprits(row.args);
      assert.equal(result.code, row.code, result.stderr);
      assert.match(result.stderr, row.stderr);
      assert.equal(result.stdout, '');
    });
  }

  // 24 MB: a readline loop that keeps the lines of this log runs out at 24 MB (needs about 32),
  // and culprits needs about 12, so the bound holds on a loaded machine too (GC marking slowed).
  it('streams a 20 MB log in a 24 MB heap (a reader that kept the lines would run out), and finds the planted story in it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-culprits-'));
    const file = join(dir, 'audit.log');
    const log = writeAuditLog(file, 20_000_000);
    assert.ok(log.bytes >= 20_000_000 && log.malformed >= 1, JSON.stringify(log));
    const started = performance.now();
    const result = culprits(['--audit-log', file, '-o', 'json'], { nodeArgs: ['--max-old-space-size=24'] });
    const ms = Math.round(performance.now() - started);
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.changes.map((c: Record<string, unknown>) => [c.node, c.user, c.verb, c.unschedulable, c.code]), log.expected.changes);
    assert.deepEqual(report.suspects, log.expected.suspects);
    assert.match(result.stderr, new RegExp(`skipped ${log.malformed} malformed line\\(s\\) of ${log.lines}`));
    console.log(`# culprits read ${(log.bytes / 1e6).toFixed(1)} MB (${log.lines} lines) in ${ms} ms with a 16 MB heap`);
  });
});
