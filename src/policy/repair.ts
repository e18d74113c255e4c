// /mutate in `preserve` mode (POLICY.md "mode: preserve"): the JSON Patch that puts the guarded
// state of a node back as it was in oldObject, so that the rest of the write goes through.
// Pure: computed from the request and the policy alone.
import { applyPatch, type Operation } from 'rfc6902';
import { isPlainObject, jsonEqual, ownField } from '../admission/json.ts';
import { pointerToken } from '../admission/jsonPointer.ts';
import type { AdmissionRequest, KubeObject } from '../admission/types.ts';
import { CORDON_STAMP_ANNOTATION, START_RECORD_ANNOTATION } from './annotations.ts';
import { repairMessage, repairWarning, type Kept } from './message.ts';
import type { Policy, Violation } from './types.ts';

export interface Repair {
  /** The violation /validate would refuse, with the repair's own M and W. */
  evaluation: Violation;
  /** What was put back, in the order of POLICY.md. */
  kept: Kept[];
  /** request.object with `patch` applied: what the API server goes on with. */
  object: KubeObject;
  /** RFC 6902, to apply to request.object. */
  patch: Operation[];
}

/** An annotation the node does not have (a JSON value is never a symbol). */
const ABSENT = Symbol('absent');

function rawAnnotation(node: KubeObject, key: string): unknown {
  const annotations = ownField(ownField(node, 'metadata'), 'annotations');
  return isPlainObject(annotations) && Object.hasOwn(annotations, key) ? annotations[key] : ABSENT;
}

function cordonOperation(object: KubeObject): Operation {
  return isPlainObject(ownField(object, 'spec'))
    ? { op: 'add', path: '/spec/unschedulable', value: true }
    : { op: 'add', path: '/spec', value: { unschedulable: true } };
}

/** Sets (or, for ABSENT, removes) annotations; a node without the map gets a new one. */
function annotationOperations(object: KubeObject, changes: [string, unknown][]): Operation[] {
  const metadata = ownField(object, 'metadata');
  const annotations = ownField(metadata, 'annotations');
  if (isPlainObject(annotations)) {
    return changes.map(([key, value]): Operation => {
      const path = `/metadata/annotations/${pointerToken(key)}`;
      return value === ABSENT ? { op: 'remove', path } : { op: 'add', path, value };
    });
  }
  // No map: nothing to remove (a removal is of an annotation the write carries), only to add.
  const added = Object.fromEntries(changes);
  if (Object.keys(added).length === 0) return [];
  return [isPlainObject(metadata) ? { op: 'add', path: '/metadata/annotations', value: added } : { op: 'add', path: '/metadata', value: { annotations: added } }];
}

/** `object` with `operations` applied, copying only what they change (a node may have 500 images). */
function applied(object: KubeObject, operations: Operation[]): KubeObject {
  const copy: KubeObject = { ...object };
  const metadata = ownField(object, 'metadata');
  const annotations = ownField(metadata, 'annotations');
  const spec = ownField(object, 'spec');
  if (isPlainObject(metadata)) copy.metadata = isPlainObject(annotations) ? { ...metadata, annotations: { ...annotations } } : { ...metadata };
  if (isPlainObject(spec)) copy.spec = { ...spec };
  applyPatch(copy, operations);
  return copy;
}

function omit(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key)));
}

/**
 * The node without what a write changes that is not the write's own: managedFields,
 * resourceVersion and generation, which the API server writes; and status, which the Node
 * strategy resets on an update of the node itself. An empty annotations map counts as none (as
 * does a null one: both are absent once the API server decodes them). The cordon stamp needs no
 * exception: a repair puts it back whenever the repaired write is not a cordon.
 */
function comparable(node: KubeObject): Record<string, unknown> {
  const rest = omit(node, ['status']);
  const metadata = ownField(node, 'metadata');
  if (!isPlainObject(metadata)) return rest;
  const annotations = ownField(metadata, 'annotations');
  const meta = omit(metadata, ['managedFields', 'resourceVersion', 'generation', 'annotations']);
  return { ...rest, metadata: { ...meta, annotations: isPlainObject(annotations) ? annotations : {} } };
}

/**
 * The repair, in `preserve` mode, of a write whose evaluation by /mutate (as /validate will see it)
 * is `violation`; undefined when the write changes only guarded state (then /validate refuses it,
 * as in `enforce`: `kubectl uncordon` must not report success for a node that stays cordoned).
 */
export function repairOf(request: AdmissionRequest, policy: Policy, violation: Violation): Repair | undefined {
  const { object, oldObject } = request;
  if (object === null || oldObject === null) return undefined;
  const { facts } = violation;
  const kept: Kept[] = [];
  const operations: Operation[] = [];
  const changes: [string, unknown][] = [];
  // A refused uncordon: the node stays cordoned.
  const keepCordon = violation.transition === 'uncordon';
  if (keepCordon) {
    kept.push('cordon');
    operations.push(cordonOperation(object));
  }
  // The maintenance annotation, when its removal is guarded, or when the write also uncordons a
  // node under maintenance: a full PUT from a stale copy must not end the maintenance silently.
  if (violation.maintenanceRemoved && (keepCordon || (policy.guardAnnotationRemoval && !violation.allowlisted))) {
    kept.push('maintenance-annotation');
    changes.push([policy.maintenanceAnnotation, rawAnnotation(oldObject, policy.maintenanceAnnotation)]);
    const record = rawAnnotation(oldObject, START_RECORD_ANNOTATION);
    if (record !== ABSENT && rawAnnotation(object, START_RECORD_ANNOTATION) === ABSENT) changes.push([START_RECORD_ANNOTATION, record]);
  }
  // The stamp as it was, unless the write (so repaired) is a cordon, which /mutate stamps. For a
  // requester who is not allowlisted, any other change of it is tampering; an allowlisted
  // requester may change it, and a repair of its write is one of a stale stamp (the one
  // violation it can commit), so there too the stamp is put back.
  const cordonedAfter = keepCordon || facts.cordonedAfter;
  if (cordonedAfter === facts.cordonedBefore && violation.stampBefore !== facts.stampAfter) {
    kept.push('stamp');
    changes.push([CORDON_STAMP_ANNOTATION, rawAnnotation(oldObject, CORDON_STAMP_ANNOTATION)]);
  }
  operations.push(...annotationOperations(object, changes));

  const repaired = applied(object, operations);
  if (jsonEqual(comparable(repaired), comparable(oldObject))) return undefined;
  const words = { reason: violation.reason, transition: violation.transition, request, policy, maintenance: violation.maintenance, owner: violation.owner };
  return {
    evaluation: { ...violation, message: repairMessage(words, kept), warning: repairWarning(words, kept) },
    kept,
    object: repaired,
    patch: operations,
  };
}
