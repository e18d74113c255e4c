// The monitoring files and what is derived from them. The alerting rules and the Grafana
// dashboard have one source, in the Helm chart (charts/cordon-guard/files/, which Helm's
// .Files.Get can read); the kustomize component manifests/monitoring/ holds copies made from it,
// since kustomize reads no file outside its own directory.
//
//   node testkit/monitoring.ts          exits 1 if manifests/monitoring/ is out of date
//   node testkit/monitoring.ts --write  brings it up to date (make monitoring-manifests)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CHART_FILES = join(ROOT, 'charts', 'cordon-guard', 'files');
export const RULES_FILE = join(CHART_FILES, 'prometheus-rules.yaml');
export const DASHBOARD_FILE = join(CHART_FILES, 'grafana-dashboard.json');
export const RELABELINGS_FILE = join(CHART_FILES, 'servicemonitor-relabelings.yaml');
export const COMPONENT_DIR = join(ROOT, 'manifests', 'monitoring');
export const RUNBOOKS_FILE = join(ROOT, 'docs', 'runbooks.md');

/** The job label the rules and the dashboard select (the ServiceMonitor's relabelings set it). */
export const JOB = 'cordon-guard';

/**
 * promtool and prometheus: Debian's prometheus package unpacked by `make promtool` into the
 * project's tool cache, or CORDON_GUARD_PROMETHEUS_BIN_DIR.
 */
export function prometheusBinary(name: 'promtool' | 'prometheus'): string {
  const dir = process.env.CORDON_GUARD_PROMETHEUS_BIN_DIR || join(homedir(), '.cache', 'cordon-guard', 'bin', 'prometheus-debian');
  const path = join(dir, name);
  if (!existsSync(path)) throw new Error(`${path} not found: run \`make promtool\` (it unpacks Debian's prometheus package there)`);
  return path;
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}

/**
 * manifests/monitoring/prometheusrule.yaml: the rules file under `spec:`, indented as the Helm
 * template's `nindent` does, so the two render the same rules.
 */
function prometheusRule(): string {
  const source = relative(ROOT, RULES_FILE);
  return `# Generated from ${source} by \`make monitoring-manifests\`: edit that file, not this one.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: cordon-guard
  namespace: cordon-guard
  labels:
    app.kubernetes.io/name: cordon-guard
    app.kubernetes.io/part-of: cordon-guard
spec:
${indent(readFileSync(RULES_FILE, 'utf8'), 2)}`;
}

/** Each generated file of manifests/monitoring/ and the text it must have. */
export function generatedFiles(): { path: string; text: string }[] {
  return [
    { path: join(COMPONENT_DIR, 'prometheusrule.yaml'), text: prometheusRule() },
    { path: join(COMPONENT_DIR, 'dashboard.json'), text: readFileSync(DASHBOARD_FILE, 'utf8') },
  ];
}

if (import.meta.main) {
  const write = process.argv.includes('--write');
  let stale = 0;
  for (const { path, text } of generatedFiles()) {
    if (existsSync(path) && readFileSync(path, 'utf8') === text) continue;
    if (write) {
      writeFileSync(path, text);
      console.log(`wrote ${relative(ROOT, path)}`);
    } else {
      stale += 1;
      console.error(`${relative(ROOT, path)} is out of date: run make monitoring-manifests`);
    }
  }
  process.exitCode = stale === 0 ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// PromQL: the expressions of the rules and the dashboard, and the selectors in them

export interface Expression {
  where: string;
  expr: string;
}

/** Grafana's interval variables, replaced as Grafana does before the query reaches Prometheus. */
const GRAFANA_VARIABLES: Record<string, string> = { $__rate_interval: '5m', $__interval: '1m', $__range: '1h' };

export function dashboardExpressions(dashboard: unknown): Expression[] {
  const out: Expression[] = [];
  const panels = (dashboard as { panels?: { title?: string; targets?: { expr?: string; refId?: string }[] }[] }).panels ?? [];
  for (const panel of panels) {
    for (const target of panel.targets ?? []) {
      if (target.expr === undefined) continue;
      const expr = Object.entries(GRAFANA_VARIABLES).reduce((e, [variable, value]) => e.replaceAll(variable, value), target.expr);
      out.push({ where: `dashboard panel "${panel.title}" ${target.refId}`, expr });
    }
  }
  return out;
}

export function ruleExpressions(rules: unknown): Expression[] {
  const groups = (rules as { groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[] }).groups;
  return groups.flatMap((group) => group.rules.map((rule) => ({ where: `rule ${rule.alert ?? rule.record}`, expr: rule.expr })));
}

/** A rule file of one recording rule per expression, for `promtool check rules` to parse them. */
export function recordingRulesOf(expressions: Expression[]): string {
  return JSON.stringify({ groups: [{ name: 'expressions', rules: expressions.map((e, i) => ({ record: `expression:${i}`, expr: e.expr })) }] });
}

const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set([...GROUPING, 'offset', 'bool', 'and', 'or', 'unless', 'atan2', 'Inf', 'NaN']);
/** Aggregation operators, whose `by (...)`/`without (...)` may come before their parentheses. */
const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);

export interface Selector {
  metric: string;
  /** The label names its matchers use. */
  labels: string[];
}

/**
 * The vector selectors of a PromQL expression (one Prometheus' parser accepted): each metric
 * name and the label names of its matchers. Skips strings, durations, numbers, function and
 * aggregation names, keywords and grouping label lists.
 */
export function selectorsOf(expr: string): Selector[] {
  const out: Selector[] = [];
  let i = 0;
  const skipSpace = (): void => {
    while (i < expr.length && /\s/.test(expr[i]!)) i += 1;
  };
  const skipString = (): void => {
    const quote = expr[i];
    i += 1;
    while (i < expr.length && expr[i] !== quote) i += expr[i] === '\\' ? 2 : 1;
    i += 1;
  };
  const skipBalanced = (open: string, close: string): void => {
    let depth = 0;
    do {
      if (expr[i] === '"' || expr[i] === "'" || expr[i] === '`') {
        skipString();
        continue;
      }
      if (expr[i] === open) depth += 1;
      if (expr[i] === close) depth -= 1;
      i += 1;
    } while (depth > 0 && i < expr.length);
  };
  const identifier = (): string => {
    const match = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i));
    i += match?.[0].length ?? 0;
    return match?.[0] ?? '';
  };
  const matcherLabels = (): string[] => {
    const labels: string[] = [];
    i += 1; // {
    for (;;) {
      skipSpace();
      if (i >= expr.length || expr[i] === '}') break;
      if (expr[i] === ',') {
        i += 1;
        continue;
      }
      labels.push(identifier());
      skipSpace();
      i += /^(=~|!~|!=|=)/.exec(expr.slice(i))?.[0].length ?? 0;
      skipSpace();
      skipString();
    }
    i += 1;
    return labels;
  };
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === '"' || c === "'" || c === '`') skipString();
    else if (c === '[') skipBalanced('[', ']');
    else if (c === '{') out.push({ metric: '', labels: matcherLabels() });
    else if (/[0-9.]/.test(c)) {
      const number = /^(0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(e[+-]?[0-9]+)?)([smhdwy]|ms)*/i.exec(expr.slice(i));
      i += Math.max(1, number?.[0].length ?? 1);
    } else if (/[a-zA-Z_:]/.test(c)) {
      const name = identifier();
      skipSpace();
      if (GROUPING.has(name)) {
        if (expr[i] === '(') skipBalanced('(', ')');
      } else if (KEYWORDS.has(name) || expr[i] === '(' || (AGGREGATIONS.has(name) && /^(by|without)\b/.test(expr.slice(i)))) {
        // a keyword, or a function or aggregation's name
      } else {
        out.push({ metric: name, labels: expr[i] === '{' ? matcherLabels() : [] });
      }
    } else i += 1;
  }
  return out;
}
