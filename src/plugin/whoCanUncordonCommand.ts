// `kubectl cordon-guard who-can-uncordon [-o table|json]`: reads ClusterRoles, ClusterRoleBindings
// and the policy, and prints whoCanUncordon's answer. Read rights alone: list on both RBAC kinds,
// get on the policy ConfigMap (without it, ALLOWLISTED is unknown). A missing list right is exit 1
// with the permission named; any other failure (401, unreachable) is left to src/plugin/clusterCommand.ts.
import type { WhoCanUncordonOptions } from '../cli/pluginArgs.ts';
import { defaultPolicy, parsePolicyDocument } from '../policy/document.ts';
import type { Policy } from '../policy/types.ts';
import { ApiError, type PolicyText } from './api.ts';
import type { CommandIo } from '../cli/io.ts';
import { formatTable } from './table.ts';
import { whoCanUncordon, type ClusterRoleBindingView, type ClusterRoleView } from './whoCanUncordon.ts';

export interface RbacApi {
  listClusterRoles(): Promise<ClusterRoleView[]>;
  listClusterRoleBindings(): Promise<ClusterRoleBindingView[]>;
}

/** The policy in force as far as the ConfigMap tells, or undefined (with a note) when it cannot. */
function policyOf(text: PolicyText, io: CommandIo): Policy | undefined {
  if (text.kind === 'missing') return defaultPolicy(`defaults (no ConfigMap ${text.origin})`);
  if (text.kind === 'unreadable') {
    io.stderr(`note: cannot read the policy ${text.origin} (${text.why}); ALLOWLISTED is unknown\n`);
    return undefined;
  }
  const parsed = parsePolicyDocument(text.text, text.origin);
  if (parsed.ok) return parsed.policy;
  io.stderr(`note: the policy ${text.origin} is invalid (${parsed.errors.join('; ')}), so cordon-guard keeps an earlier one; ALLOWLISTED is unknown\n`);
  return undefined;
}

async function listed<T>(what: string, list: () => Promise<T[]>, io: CommandIo): Promise<T[] | undefined> {
  try {
    return await list();
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 403) throw err;
    io.stderr(`error: who-can-uncordon needs permission to list ${what} (cluster-wide): ${err.kubectlText()}\n`);
    return undefined;
  }
}

export async function runWhoCanUncordon(options: WhoCanUncordonOptions, api: RbacApi, policyText: () => Promise<PolicyText>, io: CommandIo): Promise<number> {
  const roles = await listed('clusterroles.rbac.authorization.k8s.io', () => api.listClusterRoles(), io);
  if (roles === undefined) return 1;
  const bindings = await listed('clusterrolebindings.rbac.authorization.k8s.io', () => api.listClusterRoleBindings(), io);
  if (bindings === undefined) return 1;
  const rows = whoCanUncordon(roles, bindings, policyOf(await policyText(), io));
  if (options.output === 'json') {
    io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  io.stdout(
    formatTable(
      ['KIND', 'NAMESPACE', 'NAME', 'ALLOWLISTED', 'BINDINGS'],
      rows.map((r) => [r.kind, r.namespace, r.name, r.allowlisted ?? 'unknown', r.kind === 'Group' && r.name === 'system:masters' && r.bindings.length === 0 ? '(always allowed)' : r.bindings.map((b) => `${b.binding}/${b.role}`).join(',')]),
    ),
  );
  return 0;
}
