// who-can-uncordon's reads through client-node: ClusterRoles and ClusterRoleBindings, in pages.
// Read rights alone are needed (list on both).
import { RbacAuthorizationV1Api, setHeaderOptions, type V1ClusterRole, type V1ClusterRoleBinding } from '@kubernetes/client-node';
import { callApi } from './apiError.ts';
import { loadKubeConfig } from './kubeConfig.ts';
import { VERSION } from '../version.ts';
import type { ClusterRoleBindingView, ClusterRoleView } from '../plugin/whoCanUncordon.ts';
import type { RbacApi } from '../plugin/whoCanUncordonCommand.ts';

const USER_AGENT = `kubectl-cordon_guard/${VERSION}`;
const PAGE = 500;

function roleView(role: V1ClusterRole): ClusterRoleView {
  return {
    name: role.metadata?.name ?? '',
    labels: role.metadata?.labels ?? {},
    rules: (role.rules ?? []).map((r) => ({ apiGroups: r.apiGroups, resources: r.resources, verbs: r.verbs, resourceNames: r.resourceNames })),
    aggregationRule: role.aggregationRule === undefined ? undefined : { clusterRoleSelectors: (role.aggregationRule.clusterRoleSelectors ?? []).map((s) => ({ matchLabels: s.matchLabels, matchExpressions: s.matchExpressions })) },
  };
}

function bindingView(binding: V1ClusterRoleBinding): ClusterRoleBindingView {
  return {
    name: binding.metadata?.name ?? '',
    roleRef: { kind: binding.roleRef.kind, name: binding.roleRef.name },
    subjects: (binding.subjects ?? []).map((s) => ({ kind: s.kind, name: s.name, namespace: s.namespace })),
  };
}

async function all<T>(page: (token: string | undefined) => Promise<{ items: T[]; metadata?: { _continue?: string } }>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const result = await page(token);
    items.push(...result.items);
    token = result.metadata?._continue;
  } while (token !== undefined && token !== '');
  return items;
}

export function connectRbacApi(options: { kubeconfig: string | undefined; context: string | undefined }): RbacApi {
  const api = loadKubeConfig(options.kubeconfig, options.context).makeApiClient(RbacAuthorizationV1Api);
  const agent = setHeaderOptions('User-Agent', USER_AGENT);
  return {
    async listClusterRoles() {
      return (await callApi(() => all((token) => api.listClusterRole({ limit: PAGE, _continue: token }, agent)))).map(roleView);
    },
    async listClusterRoleBindings() {
      return (await callApi(() => all((token) => api.listClusterRoleBinding({ limit: PAGE, _continue: token }, agent)))).map(bindingView);
    },
  };
}
