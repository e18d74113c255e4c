import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { policyWith } from '../../testkit/policies.ts';
import type { Policy } from '../policy/types.ts';
import { whoCanUncordon, type ClusterRoleBindingView, type ClusterRoleView, type PolicyRule, type Uncordoner } from './whoCanUncordon.ts';

const role = (name: string, rules: PolicyRule[], extra: Partial<ClusterRoleView> = {}): ClusterRoleView => ({ name, labels: {}, rules, ...extra });
const binding = (name: string, roleName: string, subjects: ClusterRoleBindingView['subjects'], kind = 'ClusterRole'): ClusterRoleBindingView => ({ name, roleRef: { kind, name: roleName }, subjects });
const user = (name: string) => ({ kind: 'User', name });
const NODE_WRITE: PolicyRule = { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] };
const MASTERS: Uncordoner = { kind: 'Group', name: 'system:masters', namespace: null, bindings: [], allowlisted: false };

/** Names of the subjects found, system:masters left out. */
function names(roles: ClusterRoleView[], bindings: ClusterRoleBindingView[], policy: Policy | undefined = policyWith({})): string[] {
  return whoCanUncordon(roles, bindings, policy)
    .filter((w) => w.name !== 'system:masters')
    .map((w) => `${w.kind}:${w.namespace === null ? '' : `${w.namespace}/`}${w.name}`);
}

describe('who may update or patch nodes', () => {
  const cases: [string, ClusterRoleView[], ClusterRoleBindingView[], string[]][] = [
    ['a ClusterRole with patch on nodes grants it', [role('r', [NODE_WRITE])], [binding('b', 'r', [user('alice')])], ['User:alice']],
    ['update alone grants it', [role('r', [{ apiGroups: [''], resources: ['nodes'], verbs: ['update'] }])], [binding('b', 'r', [user('alice')])], ['User:alice']],
    ['read verbs alone do not', [role('r', [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }])], [binding('b', 'r', [user('alice')])], []],
    ['the verb wildcard grants it', [role('r', [{ apiGroups: [''], resources: ['nodes'], verbs: ['*'] }])], [binding('b', 'r', [user('alice')])], ['User:alice']],
    ['the resource wildcard grants it', [role('r', [{ apiGroups: [''], resources: ['*'], verbs: ['patch'] }])], [binding('b', 'r', [user('alice')])], ['User:alice']],
    ['the apiGroup wildcard grants it', [role('r', [{ apiGroups: ['*'], resources: ['nodes'], verbs: ['patch'] }])], [binding('b', 'r', [user('alice')])], ['User:alice']],
    ['nodes in another API group do not', [role('r', [{ apiGroups: ['metrics.k8s.io'], resources: ['nodes'], verbs: ['*'] }])], [binding('b', 'r', [user('alice')])], []],
    ['nodes/status is another resource: it cannot uncordon', [role('r', [{ apiGroups: [''], resources: ['nodes/status'], verbs: ['patch', 'update'] }])], [binding('b', 'r', [user('alice')])], []],
    ['a rule limited by resourceNames still grants it for those nodes', [role('r', [{ ...NODE_WRITE, resourceNames: ['worker-1'] }])], [binding('b', 'r', [user('alice')])], ['User:alice']],
    ['a binding to a role that does not exist grants nothing', [], [binding('b', 'missing', [user('alice')])], []],
    ['a binding whose roleRef is a Role (impossible for a ClusterRoleBinding) grants nothing', [role('r', [NODE_WRITE])], [binding('b', 'r', [user('alice')], 'Role')], []],
    [
      'an aggregated ClusterRole grants what the roles it selects grant, even before the controller filled its rules in',
      [role('agg', [], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'example.com/aggregate-to-nodes': 'true' } }] } }), role('part', [NODE_WRITE], { labels: { 'example.com/aggregate-to-nodes': 'true' } })],
      [binding('b', 'agg', [user('alice')])],
      ['User:alice'],
    ],
    [
      'an aggregated ClusterRole whose selector matches no writing role grants nothing',
      [role('agg', [], { aggregationRule: { clusterRoleSelectors: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['x'] }] }] } }), role('part', [NODE_WRITE], { labels: { tier: 'y' } })],
      [binding('b', 'agg', [user('alice')])],
      [],
    ],
    ['groups, users and service accounts are listed in that order, service accounts with their namespace', [role('r', [NODE_WRITE])], [binding('b', 'r', [{ kind: 'ServiceAccount', name: 'system-upgrade', namespace: 'system-upgrade' }, user('alice'), { kind: 'Group', name: 'sre' }])], ['Group:sre', 'User:alice', 'ServiceAccount:system-upgrade/system-upgrade']],
  ];
  for (const [name, roles, bindings, expected] of cases) it(name, () => assert.deepEqual(names(roles, bindings), expected));

  it('system:masters is always listed, allowed whatever RBAC says', () => {
    assert.deepEqual(whoCanUncordon([], [], policyWith({})), [MASTERS]);
  });

  it('system:masters bound by cluster-admin appears once, with that binding', () => {
    const rows = whoCanUncordon([role('cluster-admin', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }])], [binding('cluster-admin', 'cluster-admin', [{ kind: 'Group', name: 'system:masters' }])], policyWith({}));
    assert.deepEqual(rows, [{ ...MASTERS, bindings: [{ binding: 'cluster-admin', role: 'cluster-admin' }] }]);
  });

  it('a subject granted by two bindings lists both, once each', () => {
    const rows = whoCanUncordon([role('r1', [NODE_WRITE]), role('r2', [NODE_WRITE])], [binding('b2', 'r2', [user('alice')]), binding('b1', 'r1', [user('alice'), user('alice')])], policyWith({}));
    assert.deepEqual(rows.find((r) => r.name === 'alice')?.bindings, [{ binding: 'b1', role: 'r1' }, { binding: 'b2', role: 'r2' }]);
  });
});

describe('whether the policy allowlists each subject', () => {
  const roles = [role('r', [NODE_WRITE])];
  const bindings = [binding('b', 'r', [user('alice@example.com'), user('mallory'), { kind: 'Group', name: 'sre-oncall' }, { kind: 'ServiceAccount', name: 'node-maintenance', namespace: 'kube-system' }, { kind: 'ServiceAccount', name: 'system-upgrade', namespace: 'system-upgrade' }, { kind: 'ServiceAccount', name: 'deployer', namespace: 'ops' }])];
  const allowlisted = (policy: Policy | undefined) => Object.fromEntries(whoCanUncordon(roles, bindings, policy).map((w) => [w.name, w.allowlisted]));

  it('users, groups and service accounts are matched by their own patterns, and a service account also by its username', () => {
    assert.deepEqual(allowlisted(policyWith({ allow: { users: ['alice@example.com', 'system:serviceaccount:ops:*'], groups: ['sre-oncall'], serviceAccounts: ['kube-system/node-maintenance'] } })), {
      'system:masters': false,
      'sre-oncall': true,
      'alice@example.com': true,
      mallory: false,
      'node-maintenance': true,
      deployer: true,
      'system-upgrade': false,
    });
  });

  it('a service account is allowlisted through the groups its requests carry', () => {
    assert.equal(allowlisted(policyWith({ allow: { users: [], groups: ['system:serviceaccounts:system-upgrade'], serviceAccounts: [] } }))['system-upgrade'], true);
  });

  it('a users pattern of * does not make a group allowlisted: a group is not a user', () => {
    assert.equal(allowlisted(policyWith({ allow: { users: ['*'], groups: [], serviceAccounts: [] } }))['sre-oncall'], false);
  });

  it('without a readable policy, allowlisted is null', () => {
    assert.ok(Object.values(allowlisted(undefined)).every((v) => v === null));
  });
});
