// The RFC 6902 patch from oldObject to object, for the log line of a judged request.
// status (images, conditions) and managedFields are noise for "what did this request change".
//
// A small differ of its own rather than rfc6902's createPatch: that one builds a Pointer for
// every key it visits and diffs arrays element-wise, several times the cost of this one, which
// builds a path only for what it emits (README, Libraries, has the measurement). It treats an
// array as one value (a changed taint list is one `replace`), which reads better in a log.
import type { Operation } from 'rfc6902';
import { isPlainObject } from '../admission/json.ts';
import type { KubeObject } from '../admission/types.ts';

const NOISE: Record<string, ReadonlySet<string>> = {
  '': new Set(['status']),
  '/metadata': new Set(['managedFields']),
};

/** RFC 6901: `~` becomes `~0`, then `/` becomes `~1`. */
function escapeToken(key: string): string {
  return key.includes('~') || key.includes('/') ? key.replaceAll('~', '~0').replaceAll('/', '~1') : key;
}


function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  for (const key of aKeys) {
    if (!Object.hasOwn(b, key) || !deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function diff(before: Record<string, unknown>, after: Record<string, unknown>, path: string, out: Operation[]): void {
  const noise = NOISE[path];
  for (const key of Object.keys(before)) {
    if (noise?.has(key) === true) continue;
    if (!Object.hasOwn(after, key)) out.push({ op: 'remove', path: `${path}/${escapeToken(key)}` });
  }
  for (const key of Object.keys(after)) {
    if (noise?.has(key) === true) continue;
    const next = after[key];
    if (!Object.hasOwn(before, key)) {
      out.push({ op: 'add', path: `${path}/${escapeToken(key)}`, value: next });
      continue;
    }
    const previous = before[key];
    if (previous === next) continue;
    if (isPlainObject(previous) && isPlainObject(next)) diff(previous, next, `${path}/${escapeToken(key)}`, out);
    else if (!deepEqual(previous, next)) out.push({ op: 'replace', path: `${path}/${escapeToken(key)}`, value: next });
  }
}

export function requestPatch(oldObject: KubeObject, object: KubeObject): Operation[] {
  const out: Operation[] = [];
  diff(oldObject, object, '', out);
  return out;
}
