// `kubectl cordon-guard who-can-uncordon`: every subject that RBAC allows to update or patch Nodes,
// with the bindings and roles that grant it and whether the policy in force allowlists it.
// Pure: the RBAC objects and the policy come in as data (src/kube/rbacClient.ts reads them).
// - Nodes are cluster-scoped: only a ClusterRoleBinding can grant them. A RoleBinding, even to a
//   ClusterRole, grants only namespaced resources in its namespace, so none is read.
// - A rule grants the write when its apiGroups hold "" or "*", its resources "nodes" or "*", and
//   its verbs "update", "patch" or "*" (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac,
//   RuleAllows; "nodes/status" is another resource). A rule with resourceNames grants it for
//   those nodes: the subject is listed all the same.
// - Aggregated ClusterRoles: the controller manager copies into an aggregated role the rules of
//   every ClusterRole its aggregationRule selects. The rules are read as stored, and the selected
//   roles' rules are added as that controller would, so the answer is the same whether or not it
//   has caught up.
// - system:masters is always allowed (the API server's authorizer lets it do anything, RBAC or not).
import { isAllowlisted } from '../policy/allowlist.ts';
import type { Policy } from '../policy/types.ts';

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface ClusterRoleView {
  name: string;
  labels: Record<string, string>;
  rules: PolicyRule[];
  aggregationRule?: { clusterRoleSelectors?: LabelSelector[] } | undefined;
}

interface SubjectRef {
  kind: string;
  name: string;
  namespace?: string | undefined;
}

export interface ClusterRoleBindingView {
  name: string;
  roleRef: { kind: string; name: string };
  subjects: SubjectRef[];
}

type SubjectKind = 'User' | 'Group' | 'ServiceAccount';

/** One row; the JSON keys are a contract. A key without a value is null. */
export interface Uncordoner {
  kind: SubjectKind;
  name: string;
  namespace: string | null;
  bindings: { binding: string; role: string }[];
  /** Whether the policy's allowlist names it; null when the policy could not be read. */
  allowlisted: boolean | null;
}

const MASTERS = 'system:masters';
const WRITE_VERBS = new Set(['update', 'patch', '*']);

function ruleGrantsNodeWrite(rule: PolicyRule): boolean {
  const groups = rule.apiGroups ?? [];
  const resources = rule.resources ?? [];
  return (groups.includes('') || groups.includes('*')) && (resources.includes('nodes') || resources.includes('*')) && rule.verbs.some((v) => WRITE_VERBS.has(v));
}

/** metav1.LabelSelector semantics; an empty selector selects everything. */
function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const value = labels[key];
    const ok =
      operator === 'In' ? has && value !== undefined && values.includes(value)
      : operator === 'NotIn' ? !has || value === undefined || !values.includes(value)
      : operator === 'Exists' ? has
      : operator === 'DoesNotExist' ? !has
      : false;
    if (!ok) return false;
  }
  return true;
}

/** The rules of a ClusterRole: as stored, plus those its aggregationRule selects. */
function effectiveRules(role: ClusterRoleView, roles: readonly ClusterRoleView[]): PolicyRule[] {
  const selectors = role.aggregationRule?.clusterRoleSelectors;
  if (selectors === undefined || selectors.length === 0) return role.rules;
  const aggregated = roles.filter((other) => other.name !== role.name && selectors.some((s) => selects(s, other.labels)));
  return [...role.rules, ...aggregated.flatMap((other) => other.rules)];
}

function subjectKind(kind: string): SubjectKind | undefined {
  return kind === 'User' || kind === 'Group' || kind === 'ServiceAccount' ? kind : undefined;
}

function allowlistedBy(policy: Policy | undefined, kind: SubjectKind, name: string, namespace: string | null): boolean | null {
  if (policy === undefined) return null;
  if (kind === 'Group') return policy.matchers.groups(name);
  // The groups every request of such a subject carries (k8s.io/apiserver authentication).
  const user =
    kind === 'ServiceAccount'
      ? { username: `system:serviceaccount:${namespace ?? ''}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace ?? ''}`, 'system:authenticated'] }
      : { username: name, groups: ['system:authenticated'] };
  return isAllowlisted({ ...user, uid: '', extra: {} }, policy);
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Every subject that may update or patch Nodes; `policy` undefined: it could not be read. */
export function whoCanUncordon(roles: readonly ClusterRoleView[], bindings: readonly ClusterRoleBindingView[], policy: Policy | undefined): Uncordoner[] {
  const writingRoles = new Set(roles.filter((role) => effectiveRules(role, roles).some(ruleGrantsNodeWrite)).map((role) => role.name));
  const found = new Map<string, Uncordoner>();
  const add = (kind: SubjectKind, name: string, namespace: string | null, grant: { binding: string; role: string } | undefined): void => {
    const id = JSON.stringify([kind, namespace, name]);
    const writer = found.get(id) ?? { kind, name, namespace, bindings: [], allowlisted: allowlistedBy(policy, kind, name, namespace) };
    if (grant !== undefined && !writer.bindings.some((b) => b.binding === grant.binding && b.role === grant.role)) writer.bindings.push(grant);
    found.set(id, writer);
  };
  for (const binding of bindings) {
    if (binding.roleRef.kind !== 'ClusterRole' || !writingRoles.has(binding.roleRef.name)) continue;
    for (const subject of binding.subjects) {
      const kind = subjectKind(subject.kind);
      if (kind === undefined) continue;
      const namespace = kind === 'ServiceAccount' ? (subject.namespace ?? '') : null;
      add(kind, subject.name, namespace, { binding: binding.name, role: binding.roleRef.name });
    }
  }
  add('Group', MASTERS, null, undefined);
  const order: Record<SubjectKind, number> = { Group: 0, User: 1, ServiceAccount: 2 };
  return [...found.values()]
    .map((w) => ({ ...w, bindings: [...w.bindings].sort((a, b) => compare(a.binding, b.binding) || compare(a.role, b.role)) }))
    .sort((a, b) => order[a.kind] - order[b.kind] || compare(a.namespace ?? '', b.namespace ?? '') || compare(a.name, b.name));
}
