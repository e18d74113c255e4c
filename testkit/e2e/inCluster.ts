// cordon-guard's own identity: the ServiceAccount and RBAC from manifests/, and a kubeconfig
// with a token for it, so the suite proves that the manifests' permissions are enough.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlPlane } from './controlPlane.ts';
import { baseManifests } from './cordonGuard.ts';

const IDENTITY_KINDS = new Set(['Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap']);

/** Applies the base manifests' namespace, identity, RBAC and policy ConfigMap (no pods: there is no kubelet). */
export function installIdentityAndPolicy(cp: ControlPlane): void {
  const objects = baseManifests(cp).filter((o) => IDENTITY_KINDS.has(String(o.kind)));
  const file = join(cp.dir, 'identity.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  cp.kubectlOk(['apply', '-f', file]);
}

/** A kubeconfig that authenticates as system:serviceaccount:cordon-guard:cordon-guard. */
export function serviceAccountKubeconfig(cp: ControlPlane): string {
  const token = cp.kubectlOk(['create', 'token', 'cordon-guard', '-n', 'cordon-guard', '--duration', '2h']).trim();
  const path = join(cp.dir, 'cordon-guard.kubeconfig');
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'e2e', cluster: { server: cp.server, 'certificate-authority': join(cp.dir, 'pki', 'apiserver.crt') } }],
      users: [{ name: 'cordon-guard', user: { token } }],
      contexts: [{ name: 'cordon-guard', context: { cluster: 'e2e', user: 'cordon-guard' } }],
      'current-context': 'cordon-guard',
    }),
  );
  return path;
}
