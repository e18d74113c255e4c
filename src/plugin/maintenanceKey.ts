// Which annotation marks maintenance: --annotation, else the policy ConfigMap's
// maintenanceAnnotation, else the default; and, for list, the policy's maintenanceMaxAge. The fallback is never silent: stderr says which
// ConfigMap could not be used, why, which key is used instead, and how to choose another.
import type { CommandIo } from '../cli/io.ts';
import { parsePolicyDocument } from '../policy/document.ts';
import { DEFAULT_SETTINGS, type Policy } from '../policy/types.ts';
import type { MaintenanceApi } from './api.ts';

function fallbackNote(origin: string, why: string, fallback: string): string {
  return (
    `note: cannot use the policy ConfigMap ${origin}: ${why}; using the default annotation ${fallback}. ` +
    `Give --annotation KEY, or --policy-configmap NAMESPACE/NAME (CORDON_GUARD_POLICY_CONFIGMAP) where cordon-guard reads its policy\n`
  );
}

type PolicyRead = { ok: true; policy: Policy } | { ok: false; origin: string; why: string };

async function readPolicy(api: MaintenanceApi): Promise<PolicyRead> {
  const text = await api.policyText();
  if (text.kind === 'missing') return { ok: false, origin: text.origin, why: 'it does not exist' };
  if (text.kind === 'unreadable') return { ok: false, origin: text.origin, why: text.why };
  const parsed = parsePolicyDocument(text.text, text.origin);
  return parsed.ok ? { ok: true, policy: parsed.policy } : { ok: false, origin: text.origin, why: `its policy is invalid (${parsed.errors.join('; ')})` };
}

export async function maintenanceKey(flag: string | undefined, api: MaintenanceApi, io: CommandIo): Promise<string> {
  if (flag !== undefined) return flag;
  const read = await readPolicy(api);
  if (read.ok) return read.policy.maintenanceAnnotation;
  const fallback = DEFAULT_SETTINGS.maintenanceAnnotation;
  io.stderr(fallbackNote(read.origin, read.why, fallback));
  return fallback;
}

/** What list reads of the policy: the key, and maintenanceMaxAge (null: no limit, or the policy cannot be used). */
export interface ListSettings {
  key: string;
  maintenanceMaxAge: number | null;
}

/** list needs the policy even with --annotation: its maintenanceMaxAge marks overdue maintenance. */
export async function listSettings(flag: string | undefined, api: MaintenanceApi, io: CommandIo): Promise<ListSettings> {
  const read = await readPolicy(api);
  if (read.ok) return { key: flag ?? read.policy.maintenanceAnnotation, maintenanceMaxAge: read.policy.maintenanceMaxAge };
  const fallback = DEFAULT_SETTINGS.maintenanceAnnotation;
  io.stderr(
    flag === undefined
      ? fallbackNote(read.origin, read.why, fallback)
      : `note: cannot use the policy ConfigMap ${read.origin}: ${read.why}; its maintenanceMaxAge is unknown, so no node is marked overdue\n`,
  );
  return { key: flag ?? fallback, maintenanceMaxAge: null };
}
