// The RFC 6902 patch from oldObject to object, for the log line of a judged request.
// status (images, conditions) and managedFields are noise for "what did this request change".
//
// A small differ of its own rather than rfc6902's createPatch: that one builds a Pointer for
// every key it visits and diffs arrays element-wise, several times the cost of this one, which
// builds a path only for what it emits (README, Libraries, has the measurement). It treats an
// array as one value (a changed taint list is one `replace`), which reads better in a log.
import type { Operation } from 'rfc6902';
import { isPlainObject, jsonEqual } from '../admission/json.ts';
import { pointerToken } from '../admission/jsonPointer.ts';
import type { KubeObject } from '../admission/types.ts';

const NOISE: Record<string, ReadonlySet<string>> = {
  '': new Set(['status']),
  '/metadata': new Set(['managedFields']),
};

function diff(before: Record<string, unknown>, after: Record<string, unknown>, path: string, out: Operation[]): void {
  const noise = NOISE[path];
  for (const key of Object.keys(before)) {
    if (noise?.has(key) === true) continue;
    if (!Object.hasOwn(after, key)) out.push({ op: 'remove', path: `${path}/${pointerToken(key)}` });
  }
  for (const key of Object.keys(after)) {
    if (noise?.has(key) === true) continue;
    const next = after[key];
    if (!Object.hasOwn(before, key)) {
      out.push({ op: 'add', path: `${path}/${pointerToken(key)}`, value: next });
      continue;
    }
    const previous = before[key];
    if (previous === next) continue;
    if (isPlainObject(previous) && isPlainObject(next)) diff(previous, next, `${path}/${pointerToken(key)}`, out);
    else if (!jsonEqual(previous, next)) out.push({ op: 'replace', path: `${path}/${pointerToken(key)}`, value: next });
  }
}

export function requestPatch(oldObject: KubeObject, object: KubeObject): Operation[] {
  const out: Operation[] = [];
  diff(oldObject, object, '', out);
  return out;
}
