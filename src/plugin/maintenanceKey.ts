// Which annotation marks maintenance: --annotation, else the policy ConfigMap's
// maintenanceAnnotation when the caller may read it, else the default.
import { parsePolicyDocument } from '../policy/document.ts';
import { DEFAULT_SETTINGS } from '../policy/types.ts';
import type { MaintenanceApi } from './api.ts';
import type { PluginIo } from './io.ts';

export async function maintenanceKey(flag: string | undefined, api: MaintenanceApi, io: PluginIo): Promise<string> {
  if (flag !== undefined) return flag;
  const fallback = DEFAULT_SETTINGS.maintenanceAnnotation;
  const policy = await api.policyText();
  if (policy.kind === 'missing') return fallback;
  if (policy.kind === 'unreadable') {
    io.stderr(`note: cannot read the policy ${policy.origin} (${policy.why}); using the annotation ${fallback} (give --annotation KEY if the policy names another)\n`);
    return fallback;
  }
  const parsed = parsePolicyDocument(policy.text, policy.origin);
  if (!parsed.ok) {
    io.stderr(`note: the policy ${policy.origin} is invalid (${parsed.errors.join('; ')}); using the annotation ${fallback} (give --annotation KEY if the policy in force names another)\n`);
    return fallback;
  }
  return parsed.policy.maintenanceAnnotation;
}
