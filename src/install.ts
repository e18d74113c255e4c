// Where the install (manifests/base) puts what the programs look for, written once: the plugin
// finds the policy here unless told otherwise, and a manifests test checks base/ against it.

/** The policy ConfigMap that manifests/base creates and the Deployment's serve reads. */
export const INSTALLED_POLICY_CONFIGMAP = { namespace: 'cordon-guard', name: 'cordon-guard-policy' } as const;

/** The key of the policy document in the ConfigMap. */
export const POLICY_CONFIGMAP_KEY = 'policy.yaml';
