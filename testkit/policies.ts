import { policyFrom } from '../src/policy/document.ts';
import { DEFAULT_SETTINGS, type Policy, type PolicySettings } from '../src/policy/types.ts';

/** A compiled policy from partial settings, for tests. */
export function policyWith(settings: Partial<PolicySettings> = {}, origin = 'cordon-guard/cordon-guard-policy'): Policy {
  return policyFrom(
    { ...DEFAULT_SETTINGS, ...settings, allow: { ...DEFAULT_SETTINGS.allow, ...settings.allow } },
    origin,
  );
}
