import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INSTALLED_POLICY_CONFIGMAP } from '../install.ts';
import { ApiError, type PolicyText } from './api.ts';
import { runWhoCanUncordon, type RbacApi } from './whoCanUncordonCommand.ts';

const ORIGIN = 'cordon-guard/cordon-guard-policy';

function io() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t) } };
}

const api = (overrides: Partial<RbacApi> = {}): RbacApi => ({
  listClusterRoles: () => Promise.resolve([{ name: 'node-writer', labels: {}, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['patch'] }] }]),
  listClusterRoleBindings: () => Promise.resolve([{ name: 'upgrader', roleRef: { kind: 'ClusterRole', name: 'node-writer' }, subjects: [{ kind: 'ServiceAccount', name: 'system-upgrade', namespace: 'system-upgrade' }, { kind: 'User', name: 'alice' }] }]),
  ...overrides,
});
const policy = (text: PolicyText) => () => Promise.resolve(text);
const options = (output: 'table' | 'json' = 'table') => ({ command: 'who-can-uncordon' as const, output, kubeconfig: undefined, context: undefined, policyConfigMap: INSTALLED_POLICY_CONFIGMAP });

describe('kubectl cordon-guard who-can-uncordon', () => {
  it('-o json prints the array with the contract\'s keys, null for a key without a value', async () => {
    const { out, io: pio } = io();
    const code = await runWhoCanUncordon(options('json'), api(), policy({ kind: 'text', origin: ORIGIN, text: 'allow:\n  users: [alice]\n' }), pio);
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(out.stdout), [
      { kind: 'Group', name: 'system:masters', namespace: null, bindings: [], allowlisted: false },
      { kind: 'User', name: 'alice', namespace: null, bindings: [{ binding: 'upgrader', role: 'node-writer' }], allowlisted: true },
      { kind: 'ServiceAccount', name: 'system-upgrade', namespace: 'system-upgrade', bindings: [{ binding: 'upgrader', role: 'node-writer' }], allowlisted: false },
    ]);
  });

  it('the table names each subject, its namespace, whether it is allowlisted and binding/role', async () => {
    const { out, io: pio } = io();
    assert.equal(await runWhoCanUncordon(options(), api(), policy({ kind: 'missing', origin: ORIGIN }), pio), 0);
    assert.deepEqual(out.stdout.trimEnd().split('\n').map((l) => l.split(/\s{3,}/)), [
      ['KIND', 'NAMESPACE', 'NAME', 'ALLOWLISTED', 'BINDINGS'],
      ['Group', '<none>', 'system:masters', 'false', '(always allowed)'],
      ['User', '<none>', 'alice', 'false', 'upgrader/node-writer'],
      ['ServiceAccount', 'system-upgrade', 'system-upgrade', 'false', 'upgrader/node-writer'],
    ]);
  });

  it('a caller that may not list ClusterRoleBindings is told which permission is missing, and it exits 1', async () => {
    const { out, io: pio } = io();
    const forbidden = new ApiError(403, 'Forbidden', 'clusterrolebindings.rbac.authorization.k8s.io is forbidden: User "bob" cannot list resource "clusterrolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope');
    const code = await runWhoCanUncordon(options(), api({ listClusterRoleBindings: () => Promise.reject(forbidden) }), policy({ kind: 'missing', origin: ORIGIN }), pio);
    assert.equal(code, 1);
    assert.equal(out.stdout, '');
    assert.match(out.stderr, /^error: who-can-uncordon needs permission to list clusterrolebindings\.rbac\.authorization\.k8s\.io \(cluster-wide\): Error from server \(Forbidden\): .*cannot list resource "clusterrolebindings"/);
  });

  it('an unreadable or invalid policy makes allowlisted null, with a note', async () => {
    for (const text of [{ kind: 'unreadable', origin: ORIGIN, why: 'Forbidden' } as const, { kind: 'text', origin: ORIGIN, text: 'mode: block' } as const]) {
      const { out, io: pio } = io();
      assert.equal(await runWhoCanUncordon(options('json'), api(), policy(text), pio), 0);
      assert.ok((JSON.parse(out.stdout) as { allowlisted: unknown }[]).every((r) => r.allowlisted === null));
      assert.match(out.stderr, /ALLOWLISTED is unknown/);
    }
  });
});
