// The start record: what `cordon-guard start` writes on the node, in the same request as the
// cordon and the maintenance annotation, so that `end` can restore what was there (POLICY.md).
//   cordon-guard.io/maintenance-started: {"by":"admin","at":"2026-11-28T06:00:00Z","wasCordoned":false,"annotation":"cordon-guard.io/maintenance"}

import { isPlainObject, ownField, parseJsonOrUndefined } from '../admission/json.ts';
import { START_RECORD_ANNOTATION } from '../policy/annotations.ts';

export interface StartRecord {
  /** Who started the maintenance (the SelfSubjectReview's username); null if the API server would not say. */
  by: string | null;
  /** When, RFC 3339 in UTC to the second. */
  at: string;
  /** Whether the node was cordoned before: then `end` leaves it cordoned. */
  wasCordoned: boolean;
  /** The maintenance annotation's key that start set, which end removes. */
  annotation: string;
}

/** The record on a node, or undefined when absent or not one that start could have written. */
export function readStartRecord(annotations: Readonly<Record<string, string>>): StartRecord | undefined {
  const value = annotations[START_RECORD_ANNOTATION];
  if (value === undefined) return undefined;
  const parsed = parseJsonOrUndefined(value);
  if (!isPlainObject(parsed)) return undefined;
  const [by, at, wasCordoned, annotation] = ['by', 'at', 'wasCordoned', 'annotation'].map((key) => ownField(parsed, key));
  if ((typeof by !== 'string' && by !== null) || typeof at !== 'string' || typeof wasCordoned !== 'boolean') return undefined;
  return { by, at, wasCordoned, annotation: typeof annotation === 'string' ? annotation : '' };
}
