// The facts about a Node that the policy reads, defined once (POLICY.md "Definitions").
import { ownField as field } from '../admission/json.ts';
import type { AdmissionRequest, KubeObject } from '../admission/types.ts';

/**
 * `CREATE` or `UPDATE` when the request writes a Node object itself (core group, v1, no
 * subresource such as `status`); undefined for every other request, which nothing here judges.
 */
export function nodeWrite(request: AdmissionRequest): 'CREATE' | 'UPDATE' | undefined {
  const { kind, operation } = request;
  if (kind.group !== '' || kind.version !== 'v1' || kind.kind !== 'Node' || request.subResource !== '') return undefined;
  return operation === 'CREATE' || operation === 'UPDATE' ? operation : undefined;
}

/** `spec.unschedulable === true`; absent, null or false is not cordoned. */
export function isCordoned(node: KubeObject | null): boolean {
  return field(field(node, 'spec'), 'unschedulable') === true;
}

/** The annotation's value, `undefined` when the key is absent (the empty string counts as present). */
export function annotation(node: KubeObject | null, key: string): string | undefined {
  const value = field(field(field(node, 'metadata'), 'annotations'), key);
  if (value === undefined) return undefined;
  // The API server only stores string values; anything else is still a present key.
  return typeof value === 'string' ? value : JSON.stringify(value) ?? '';
}
