// The facts about a Node write that the policy reads, defined once (POLICY.md "Definitions").
import { isPlainObject, ownField as field } from '../admission/json.ts';
import type { AdmissionRequest, KubeObject } from '../admission/types.ts';
import { CORDON_STAMP_ANNOTATION } from './annotations.ts';
import type { NodeWrite } from './types.ts';

/** `spec.unschedulable === true`; absent, null or false is not cordoned. */
function isCordoned(node: KubeObject | null): boolean {
  return field(field(node, 'spec'), 'unschedulable') === true;
}

/** The annotation's value, `undefined` when the key is absent (the empty string counts as present). */
export function annotation(node: KubeObject | null, key: string): string | undefined {
  const annotations = field(field(node, 'metadata'), 'annotations');
  if (!isPlainObject(annotations) || !Object.hasOwn(annotations, key)) return undefined;
  const value = annotations[key];
  // The API server only stores string values; anything else is still a present key.
  return typeof value === 'string' ? value : JSON.stringify(value) ?? '';
}

const OTHER: NodeWrite = Object.freeze({ write: 'other' });

/**
 * What the request writes, each fact read once: whether it writes a Node object itself (core
 * group, v1, no subresource such as `status`) by CREATE or UPDATE, and what an UPDATE does to the
 * cordon and the stamp. The evaluation reads the rest (src/policy/engine.ts).
 */
export function readWrite(request: AdmissionRequest): NodeWrite {
  const { kind, operation, object, oldObject } = request;
  if (kind.group !== '' || kind.version !== 'v1' || kind.kind !== 'Node' || request.subResource !== '') return OTHER;
  if (operation === 'CREATE') return { write: 'create', cordoned: isCordoned(object) };
  if (operation !== 'UPDATE') return OTHER;
  if (oldObject === null || object === null) return { write: 'incomplete', missing: oldObject === null ? 'oldObject' : 'object' };
  return { write: 'update', cordonedBefore: isCordoned(oldObject), cordonedAfter: isCordoned(object), stampAfter: annotation(object, CORDON_STAMP_ANNOTATION) };
}
