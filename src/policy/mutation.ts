// /mutate: the JSON Patch that stamps a cordon with who did it, and removes the stamp on an
// uncordon. Pure: the time is passed in.
import { createPatch, type Operation } from 'rfc6902';
import { isPlainObject, ownField } from '../admission/json.ts';
import type { KubeObject } from '../admission/types.ts';
import { CORDON_STAMP_ANNOTATION } from './annotations.ts';
import { stampValue } from './cordonStamp.ts';
import type { NodeWrite } from './types.ts';

export type StampChange = 'stamp' | 'unstamp' | 'none';

/** What the write asks of the stamp: a cordon (or a node created cordoned) is stamped, an uncordon unstamped. */
export function stampChange(write: NodeWrite): StampChange {
  if (write.write === 'create') return write.cordoned ? 'stamp' : 'none';
  if (write.write !== 'update') return 'none';
  const { cordonedBefore, cordonedAfter } = write;
  if (cordonedAfter && !cordonedBefore) return 'stamp';
  if (cordonedBefore && !cordonedAfter && write.stampAfter !== undefined) return 'unstamp';
  return 'none';
}

/** Only the annotations, so the diff touches nothing else of the object. */
function annotationsView(object: KubeObject): { metadata: { annotations?: Record<string, unknown> } } {
  const annotations = ownField(ownField(object, 'metadata'), 'annotations');
  return isPlainObject(annotations) ? { metadata: { annotations } } : { metadata: {} };
}

export interface CordonStampMutation {
  /** `kept`: an uncordon that /validate refuses keeps its stamp (answer.ts). */
  change: StampChange | 'kept';
  /**
   * RFC 6902: `add` of the whole annotations map on a node without one, otherwise
   * `add`/`replace`/`remove` of `/metadata/annotations/cordon-guard.io~1cordoned-by`.
   */
  patch: Operation[];
}

/** The stamp of `username`'s cordon at `now` written on `object`, or removed from it. */
export function stampPatch(object: KubeObject, change: 'stamp' | 'unstamp', username: string, now: Date): Operation[] {
  const before = annotationsView(object);
  const annotations: Record<string, unknown> = { ...before.metadata.annotations };
  if (change === 'stamp') annotations[CORDON_STAMP_ANNOTATION] = stampValue(username, now);
  else delete annotations[CORDON_STAMP_ANNOTATION];
  return createPatch(before, { metadata: { annotations } });
}
