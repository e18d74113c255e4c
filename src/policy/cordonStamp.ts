// The cordon stamp: who cordoned a node, written by cordon-guard's /mutate endpoint alone.
import type { KubeObject } from '../admission/types.ts';
import { annotation } from './nodeState.ts';

export const CORDON_STAMP_ANNOTATION = 'cordon-guard.io/cordoned-by';

export interface CordonStamp {
  user: string;
  at: string;
}

/** RFC 3339 in UTC, to the second, as Kubernetes writes times. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function stampValue(user: string, at: Date): string {
  return JSON.stringify({ user, at: rfc3339(at) });
}

/** The stamp on a node, or undefined when absent or not a stamp cordon-guard could have written. */
export function readStamp(node: KubeObject | null): CordonStamp | undefined {
  const value = annotation(node, CORDON_STAMP_ANNOTATION);
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { user, at } = parsed as Record<string, unknown>;
    return typeof user === 'string' && typeof at === 'string' ? { user, at } : undefined;
  } catch {
    return undefined;
  }
}
