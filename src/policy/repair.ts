// /mutate in `preserve` mode (POLICY.md "mode: preserve"): the JSON Patch that puts the guarded
// state of a node back as it was in oldObject, so that the rest of the write goes through.
// Pure: computed from the request and the policy alone.
import { applyPatch, type Operation } from 'rfc6902';
import { isPlainObject, ownField } from '../admission/json.ts';
import type { AdmissionRequest, KubeObject } from '../admission/types.ts';
import { isAllowlisted } from './allowlist.ts';
import { CORDON_STAMP_ANNOTATION, readStamp } from './cordonStamp.ts';
import { evaluate } from './engine.ts';
import { repairMessage, repairWarning, type Kept } from './message.ts';
import { stampChange } from './mutation.ts';
import { annotation, isCordoned } from './nodeState.ts';
import type { Evaluation, Policy } from './types.ts';

type Violation = Extract<Evaluation, { verdict: 'violation' }>;

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

/**
 * The start record of `kubectl cordon-guard start` (POLICY.md "Maintenance started by the kubectl
 * plugin"; src/plugin/startRecord.ts, which a test holds to the same key): it belongs to the
 * maintenance, and is put back with the maintenance annotation, so that a later `end` still
 * knows whether the node was cordoned before.
 */
export const START_RECORD_ANNOTATION = 'cordon-guard.io/maintenance-started';

/** An annotation the node does not have (a JSON value is never a symbol). */
const ABSENT = Symbol('absent');

function rawAnnotation(node: KubeObject, key: string): unknown {
  const annotations = ownField(ownField(node, 'metadata'), 'annotations');
  return isPlainObject(annotations) && Object.hasOwn(annotations, key) ? annotations[key] : ABSENT;
}

/** RFC 6901: `~` is written `~0` and `/` is written `~1`. */
function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
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

/** Deep equality of JSON values, without recursion (a review may nest 100,000 levels deep). */
function jsonEqual(a: unknown, b: unknown): boolean {
  const pending: [unknown, unknown][] = [[a, b]];
  for (let pair = pending.pop(); pair !== undefined; pair = pending.pop()) {
    const [x, y] = pair;
    if (x === y) continue;
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) return false;
      x.forEach((value: unknown, i) => pending.push([value, y[i]]));
      continue;
    }
    if (!isPlainObject(x) || !isPlainObject(y)) return false;
    const keys = Object.keys(x);
    if (keys.length !== Object.keys(y).length) return false;
    for (const key of keys) {
      if (!Object.hasOwn(y, key)) return false;
      pending.push([x[key], y[key]]);
    }
  }
  return true;
}

/** The write as /validate will see it when nothing is repaired: /mutate unstamps an uncordon. */
export function seenByValidate(request: AdmissionRequest): AdmissionRequest {
  const { object } = request;
  if (object === null || stampChange(request) !== 'unstamp') return request;
  return { ...request, object: applied(object, annotationOperations(object, [[CORDON_STAMP_ANNOTATION, ABSENT]])) };
}

/**
 * The repair of a write that /validate would refuse, in `preserve` mode; undefined when there is
 * nothing to repair, or when the write changes only guarded state (then /validate refuses it,
 * as in `enforce`: `kubectl uncordon` must not report success for a node that stays cordoned).
 */
export function repairOf(request: AdmissionRequest, policy: Policy): Repair | undefined {
  const { object, oldObject } = request;
  if (policy.mode !== 'preserve' || object === null || oldObject === null) return undefined;
  const evaluation = evaluate(seenByValidate(request), policy);
  if (evaluation.verdict !== 'violation') return undefined;

  const key = policy.maintenanceAnnotation;
  const allowlisted = isAllowlisted(request.userInfo, policy);
  const kept: Kept[] = [];
  const operations: Operation[] = [];
  const changes: [string, unknown][] = [];
  // A refused uncordon: the node stays cordoned.
  const keepCordon = evaluation.transition === 'uncordon';
  if (keepCordon) {
    kept.push('cordon');
    operations.push(cordonOperation(object));
  }
  // The maintenance annotation, when its removal is guarded, or when the write also uncordons a
  // node under maintenance: a full PUT from a stale copy must not end the maintenance silently.
  const maintenance = rawAnnotation(oldObject, key);
  if (maintenance !== ABSENT && rawAnnotation(object, key) === ABSENT && (keepCordon || (policy.guardAnnotationRemoval && !allowlisted))) {
    kept.push('maintenance-annotation');
    changes.push([key, maintenance]);
    const record = rawAnnotation(oldObject, START_RECORD_ANNOTATION);
    if (record !== ABSENT && rawAnnotation(object, START_RECORD_ANNOTATION) === ABSENT) changes.push([START_RECORD_ANNOTATION, record]);
  }
  // The stamp as it was, unless the write (so repaired) is a cordon, which /mutate stamps. For a
  // requester who is not allowlisted, any other change of it is tampering; an allowlisted
  // requester may change it, and a repair of its write is one of a stale stamp (the one
  // violation it can commit), so there too the stamp is put back.
  const cordonedAfter = keepCordon || isCordoned(object);
  const stampChanged = annotation(oldObject, CORDON_STAMP_ANNOTATION) !== annotation(object, CORDON_STAMP_ANNOTATION);
  if (cordonedAfter === isCordoned(oldObject) && stampChanged) {
    kept.push('stamp');
    changes.push([CORDON_STAMP_ANNOTATION, rawAnnotation(oldObject, CORDON_STAMP_ANNOTATION)]);
  }
  operations.push(...annotationOperations(object, changes));

  const repaired = applied(object, operations);
  if (jsonEqual(comparable(repaired), comparable(oldObject))) return undefined;
  const facts = { reason: evaluation.reason, transition: evaluation.transition, request, policy, maintenance: annotation(oldObject, key), owner: readStamp(oldObject) };
  return {
    evaluation: { ...evaluation, message: repairMessage(facts, kept), warning: repairWarning(facts, kept) },
    kept,
    object: repaired,
    patch: operations,
  };
}
