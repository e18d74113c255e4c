// Which annotation marks maintenance: --annotation, else the policy ConfigMap's
// maintenanceAnnotation, else the default. The fallback is never silent: stderr says which
// ConfigMap could not be used, why, which key is used instead, and how to choose another.
import type { CommandIo } from '../cli/io.ts';
import { parsePolicyDocument } from '../policy/document.ts';
import { DEFAULT_SETTINGS } from '../policy/types.ts';
import type { MaintenanceApi } from './api.ts';

function fallbackNote(origin: string, why: string, fallback: string): string {
  return (
    `note: cannot use the policy ConfigMap ${origin}: ${why}; using the default annotation ${fallback}. ` +
    `Give --annotation KEY, or --policy-configmap NAMESPACE/NAME (CORDON_GUARD_POLICY_CONFIGMAP) where cordon-guard reads its policy\n`
  );
}

export async function maintenanceKey(flag: string | undefined, api: MaintenanceApi, io: CommandIo): Promise<string> {
  if (flag !== undefined) return flag;
  const fallback = DEFAULT_SETTINGS.maintenanceAnnotation;
  const policy = await api.policyText();
  if (policy.kind === 'missing') {
    io.stderr(fallbackNote(policy.origin, 'it does not exist', fallback));
    return fallback;
  }
  if (policy.kind === 'unreadable') {
    io.stderr(fallbackNote(policy.origin, policy.why, fallback));
    return fallback;
  }
  const parsed = parsePolicyDocument(policy.text, policy.origin);
  if (!parsed.ok) {
    io.stderr(fallbackNote(policy.origin, `its policy is invalid (${parsed.errors.join('; ')})`, fallback));
    return fallback;
  }
  return parsed.policy.maintenanceAnnotation;
}
