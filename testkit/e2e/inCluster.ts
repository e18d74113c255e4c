// cordon-guard's own identity: the ServiceAccount and RBAC from manifests/, and a kubeconfig
// with a token for it, so the suite proves that the manifests' permissions are enough.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlPlane } from './controlPlane.ts';
import { baseManifests, makeCertificates } from './cordonGuard.ts';

const REPO = new URL('../../', import.meta.url).pathname;

const IDENTITY_KINDS = new Set([
  'Namespace',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'ClusterRole',
  'ClusterRoleBinding',
  'ConfigMap',
  // The self-protection (protect-policy.yaml), in force as it is in a cluster.
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);

/**
 * Applies the base manifests' namespace, identity, RBAC, policy and params ConfigMaps and the
 * self-protection policies (no pods: there is no kubelet).
 */
export function installIdentityAndPolicy(cp: ControlPlane): void {
  const objects = baseManifests(cp).filter((o) => IDENTITY_KINDS.has(String(o.kind)));
  const file = join(cp.dir, 'identity.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  cp.kubectlOk(['apply', '-f', file]);
}

/**
 * The webhook configurations as manifests/base ships them: through the Service, with no
 * caBundle, which `serve --tls-secret` fills in (and is not ready until it has).
 */
export function installWebhookConfigurations(cp: ControlPlane): void {
  const configurations = baseManifests(cp).filter((o) => String(o.kind).endsWith('WebhookConfiguration'));
  const file = join(cp.dir, 'base-webhooks.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: configurations }));
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

/**
 * The own-pki overlay of a copy of manifests/ in the control plane's directory, with TLS material
 * from the project's certs script in its certs/ (as `make certs` writes it): what
 * `kubectl apply -k manifests/own-pki/` applies in a cluster.
 */
export function manifestsWithCertificates(cp: ControlPlane): string {
  const copy = join(mkdtempSync(join(cp.dir, 'manifests-')), 'manifests');
  cpSync(join(REPO, 'manifests'), copy, { recursive: true, filter: (src) => !src.includes(join('own-pki', 'certs')) });
  makeCertificates(join(copy, 'own-pki', 'certs'));
  return join(copy, 'own-pki');
}
