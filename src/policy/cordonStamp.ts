// The cordon stamp: who cordoned a node, written by cordon-guard's /mutate endpoint alone.
import { ownField, parseJsonOrUndefined } from '../admission/json.ts';
import type { KubeObject } from '../admission/types.ts';
import { CORDON_STAMP_ANNOTATION } from './annotations.ts';
import { annotation } from './nodeState.ts';
import type { CordonStamp } from './types.ts';

/**
 * The stamp format. Version 2 is written by a cordon-guard whose /validate refuses every write
 * that leaves a stamp on a node that is not cordoned (violation `stale-stamp`), so a version-2
 * stamp was written for the cordon in force. cordon-guard 0.1 wrote `{user, at}` without it, and
 * did not refuse that: such a stamp may have outlived its cordon, and names nobody.
 */
const STAMP_VERSION = 2;

/** RFC 3339 in UTC, to the second, as Kubernetes writes times. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function stampValue(user: string, at: Date): string {
  return JSON.stringify({ user, at: rfc3339(at), v: STAMP_VERSION });
}

/** The stamp on a node, or undefined when absent or not a stamp this cordon-guard could have written. */
export function readStamp(node: KubeObject | null): CordonStamp | undefined {
  const value = annotation(node, CORDON_STAMP_ANNOTATION);
  if (value === undefined) return undefined;
  const parsed = parseJsonOrUndefined(value);
  const [user, at] = [ownField(parsed, 'user'), ownField(parsed, 'at')];
  return typeof user === 'string' && typeof at === 'string' && ownField(parsed, 'v') === STAMP_VERSION ? { user, at } : undefined;
}
