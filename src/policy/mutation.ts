// /mutate: the JSON Patch that stamps a cordon with who did it, and removes the stamp on an
// uncordon. Pure: the time is passed in.
import { createPatch, type Operation } from 'rfc6902';
import { isPlainObject, ownField } from '../admission/json.ts';
import type { AdmissionRequest, KubeObject } from '../admission/types.ts';
import { CORDON_STAMP_ANNOTATION } from './annotations.ts';
import { stampValue } from './cordonStamp.ts';
import { isCordoned, nodeWrite } from './nodeState.ts';
import type { Evaluation } from './types.ts';

export type StampChange = 'stamp' | 'unstamp' | 'none';

/** What the write asks of the stamp, from the facts of its one evaluation (answer.ts). */
export function stampChange(request: AdmissionRequest, evaluation: Evaluation): StampChange {
  if (!('facts' in evaluation)) return nodeWrite(request) === 'CREATE' && isCordoned(request.object) ? 'stamp' : 'none';
  const { cordonedBefore, cordonedAfter, stampAfter } = evaluation.facts;
  if (cordonedAfter && !cordonedBefore) return 'stamp';
  if (cordonedBefore && !cordonedAfter && stampAfter !== undefined) return 'unstamp';
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
