// The alerting rules: their contract (names, labels, annotations, runbooks), and `promtool test
// rules` on rules.test.yaml, which covers each alert firing and not firing on input series
// stored as the shipped ServiceMonitor stores them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { ROOT, RULES_FILE, RUNBOOKS_FILE, prometheusBinary } from '../../../testkit/monitoring.ts';

interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

function alerts(): AlertingRule[] {
  const file = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: AlertingRule[] }[] };
  return file.groups.flatMap((g) => g.rules);
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6} +(.+)$/gm)].map((m) =>
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  );
}

function promtool(args: string[]): { code: number | null; output: string } {
  const result = spawnSync(prometheusBinary('promtool'), args, { cwd: ROOT, encoding: 'utf8' });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('the alerting rules', () => {
  it('are exactly the five alerts of the contract', () => {
    assert.deepEqual(alerts().map((a) => a.alert).sort(), ['CordonGuardCertificateExpiring', 'CordonGuardDown', 'CordonGuardPolicyRejected', 'CordonGuardSlow', 'CordonGuardUncordonRefused']);
  });

  it('each has a severity, a summary, a description and a runbook_url that is a section of docs/runbooks.md', () => {
    const sections = anchors(readFileSync(RUNBOOKS_FILE, 'utf8'));
    for (const rule of alerts()) {
      assert.match(rule.labels.severity ?? '', /^(critical|warning)$/, rule.alert);
      assert.ok((rule.annotations.summary ?? '').length > 20, `${rule.alert} summary`);
      assert.ok((rule.annotations.description ?? '').length > 40, `${rule.alert} description`);
      const url = /^docs\/runbooks\.md#([a-z0-9-]+)$/.exec(rule.annotations.runbook_url ?? '');
      assert.ok(url !== null, `${rule.alert} runbook_url ${rule.annotations.runbook_url}`);
      assert.ok(sections.has(url[1]!), `${rule.alert}: docs/runbooks.md has no section #${url[1]} (it has ${[...sections].join(', ')})`);
    }
  });

  it('CordonGuardUncordonRefused keeps the requester and reason labels, and its summary names the requester and points at finding the culprit', () => {
    const rule = alerts().find((a) => a.alert === 'CordonGuardUncordonRefused')!;
    assert.match(rule.expr, /sum by \(requester, reason\)/);
    assert.match(rule.annotations.summary!, /\{\{ \$labels\.requester \}\}/);
    assert.match(rule.annotations.summary!, /Finding the culprit/);
    assert.ok(anchors(readFileSync(RUNBOOKS_FILE, 'utf8')).has('finding-the-culprit'));
  });

  it('the durations of the contract: down 5m, policy rejected 2m, slow 10m', () => {
    const byName = new Map(alerts().map((a) => [a.alert, a]));
    assert.equal(byName.get('CordonGuardDown')?.for, '5m');
    assert.equal(byName.get('CordonGuardPolicyRejected')?.for, '2m');
    assert.equal(byName.get('CordonGuardSlow')?.for, '10m');
    assert.equal(byName.get('CordonGuardUncordonRefused')?.for, undefined, 'fires at the third refusal');
  });

  it('pass promtool check rules', () => {
    const { code, output } = promtool(['check', 'rules', RULES_FILE]);
    assert.equal(code, 0, output);
    assert.match(output, /SUCCESS: 5 rules found/);
  });

  it('pass promtool test rules: each alert firing and not firing, a requester\'s first refusal included', () => {
    const { code, output } = promtool(['test', 'rules', join('test', 'unit', 'monitoring', 'rules.test.yaml')]);
    assert.equal(code, 0, output);
    assert.match(output, /SUCCESS/);
  });

  it('rules.test.yaml tests every alert, each both firing and not firing', () => {
    const tests = (parse(readFileSync(join(ROOT, 'test', 'unit', 'monitoring', 'rules.test.yaml'), 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] }).tests;
    const cases = tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const { alert } of alerts()) {
      assert.ok(cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0), `${alert} firing`);
      assert.ok(cases.some((c) => c.alertname === alert && c.exp_alerts.length === 0), `${alert} not firing`);
    }
  });
});
