// /mutate: the JSON Patch that stamps a cordon with who did it, and removes the stamp on an
// uncordon. Pure: the time is passed in.
import { createPatch, type Operation } from 'rfc6902';
import { isPlainObject, ownField } from '../admission/json.ts';
import type { AdmissionRequest, KubeObject } from '../admission/types.ts';
import { CORDON_STAMP_ANNOTATION, stampValue } from './cordonStamp.ts';
import { annotation, isCordoned } from './nodeState.ts';

export type StampChange = 'stamp' | 'unstamp' | 'none';

function isNode(request: AdmissionRequest): boolean {
  const { kind } = request;
  return kind.group === '' && kind.version === 'v1' && kind.kind === 'Node' && request.subResource === '';
}

export function stampChange(request: AdmissionRequest): StampChange {
  if (!isNode(request) || request.object === null) return 'none';
  const cordonedNow = isCordoned(request.object);
  if (request.operation === 'CREATE') return cordonedNow ? 'stamp' : 'none';
  if (request.operation !== 'UPDATE' || request.oldObject === null) return 'none';
  const cordonedBefore = isCordoned(request.oldObject);
  if (cordonedNow && !cordonedBefore) return 'stamp';
  if (!cordonedNow && cordonedBefore && annotation(request.object, CORDON_STAMP_ANNOTATION) !== undefined) return 'unstamp';
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

export function cordonStampMutation(request: AdmissionRequest, now: Date): CordonStampMutation {
  const change = stampChange(request);
  if (change === 'none' || request.object === null) return { change: 'none', patch: [] };
  const before = annotationsView(request.object);
  const annotations: Record<string, unknown> = { ...before.metadata.annotations };
  if (change === 'stamp') annotations[CORDON_STAMP_ANNOTATION] = stampValue(request.userInfo.username, now);
  else delete annotations[CORDON_STAMP_ANNOTATION];
  return { change, patch: createPatch(before, { metadata: { annotations } }) };
}
