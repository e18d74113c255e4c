// The webhooks' CEL matchConditions, evaluated with @bufbuild/cel the way the API server
// evaluates them, and what they must agree with: the policy engine (src/policy/engine.ts,
// evaluate), /mutate (src/policy/mutation.ts, stampChange) and POLICY.md's definitions, on
// generated and realistic nodes. Nothing here reads a file or asserts at import time.
//
// How Kubernetes evaluates a matchCondition (k8s.io/apiserver, admission/plugin/cel): `object`
// and `oldObject` are the Node as unstructured JSON (maps of string keys; oldObject is null on
// CREATE), declared as dyn; `request` is the admission request's attributes (kind, resource,
// subResource, requestKind, requestResource, name, namespace, operation, userInfo, dryRun),
// without object and oldObject, which are variables of their own. An error while evaluating
// counts as a failed webhook call (failurePolicy), so the tests require a boolean, never an
// error.
//
// Where @bufbuild/cel 0.6.1 differs from Kubernetes' CEL (cel-go), as far as it matters here:
// - Type checking: the API server type-checks an expression when the configuration is created.
//   @bufbuild/cel's checker is not part of its public API (its index exports parse, plan, run,
//   unparse, no check), so the expressions are parsed and planned here, not checked: a type error
//   shows up as an evaluation error on the generated nodes, which the tests refuse just as well.
// - Numbers: a JSON integer is an int in Kubernetes (unstructured decodes it as int64) but a JS
//   number is a double in @bufbuild/cel; toCel below passes integers as bigint (CEL int) so
//   that the types are the API server's. JSON cannot tell 1.0 from 1; both become int here. The
//   expressions compare no numbers.
// - Backtick-quoted field names (object.metadata.annotations.`a/b`, and has() on them):
//   cel-go parses them, @bufbuild/cel 0.6.1 does not (the cases of the conformance suite
//   fields/quoted_map_fields fail to parse; cel.test.ts checks that they still do).
//   The expressions test keys with dots and slashes with `'key' in map` and read them with
//   `map['key']`, which both accept; an expression with backticks would fail to parse here.
// - Optional types (`x.?y`, `optional.of`): Kubernetes enables them, @bufbuild/cel 0.6.1 does
//   not parse `.?`. The expressions use none; one that did would fail to parse here.
// - String functions (startsWith, contains, ...) and Kubernetes' own libraries (quantity, url,
//   lists, regex): none are used by the expressions.
// - has() on something that is neither a map nor a message (null, a string): false in both
//   (cel-go's refQualify tests presence without error on other values); the generated nodes
//   always have metadata, so the expressions never apply has() to anything but maps anyway.
// - Error messages differ ("no such key: x" in cel-go, "field not found: x" here); the tests
//   only tell an error from a value.
import { CelScalar, celEnv, isCelError, parse, plan, type CelInput, type CelResult } from '@bufbuild/cel';
import type { AdmissionRequest, KubeObject } from '../../../src/admission/types.ts';
import { CORDON_STAMP_ANNOTATION } from '../../../src/policy/annotations.ts';
import { stampValue } from '../../../src/policy/cordonStamp.ts';
import { evaluate } from '../../../src/policy/engine.ts';
import { answer } from '../../../src/policy/answer.ts';
import { readWrite } from '../../../src/policy/nodeState.ts';
import { stampChange, stampPatch, type CordonStampMutation } from '../../../src/policy/mutation.ts';
import type { Mode, Policy } from '../../../src/policy/types.ts';
import { MAINTENANCE, makeNode } from '../../../testkit/fixtures.ts';
import { isObj, maintenanceAnnotation, type Obj } from '../../../testkit/manifests.ts';
import { policyWith } from '../../../testkit/policies.ts';
import { toCel } from '../../../testkit/cel.ts';

// ---------------------------------------------------------------------------------------------
// CEL

/** The variables of a matchCondition. */
export interface MatchVars {
  object: unknown;
  oldObject: unknown;
  request: unknown;
}

const MATCH_ENV = celEnv({ variables: { object: CelScalar.DYN, oldObject: CelScalar.DYN, request: CelScalar.DYN } });

/** Parses and plans a matchCondition expression (throws if it does not parse). */
export function compileMatchCondition(expression: string): (vars: MatchVars) => CelResult {
  const program = plan(MATCH_ENV, parse(expression));
  return (vars) => program({ object: toCel(vars.object, 'object'), oldObject: toCel(vars.oldObject, 'oldObject'), request: toCel(vars.request, 'request') });
}

const FREE_ENV = celEnv();

/** Evaluates any expression with these variables (for the checks of the library itself). */
export function evalCel(expression: string, vars: Record<string, unknown>): CelResult {
  const bindings: { [name: string]: CelInput } = {};
  for (const [name, value] of Object.entries(vars)) bindings[name] = toCel(value, name);
  return plan(FREE_ENV, parse(expression))(bindings);
}

/** A result for an assertion message. */
export function show(result: CelResult): string {
  return isCelError(result) ? `error: ${result.message}` : String(result);
}

/** `request` as the API server builds it: the attributes, without uid, object and oldObject
 * (empty strings are left out, as omitempty does in the JSON the API server converts). There
 * is one version of the Node API, so requestKind and requestResource are kind and resource. */
export function requestAttributes(request: AdmissionRequest): Obj {
  const attributes: Obj = {
    kind: { ...request.kind },
    resource: { ...request.resource },
    requestKind: { ...request.kind },
    requestResource: { ...request.resource },
    operation: request.operation,
    userInfo: {
      username: request.userInfo.username,
      ...(request.userInfo.uid === '' ? {} : { uid: request.userInfo.uid }),
      groups: [...request.userInfo.groups],
      extra: Object.fromEntries(Object.entries(request.userInfo.extra).map(([k, v]) => [k, [...v]])),
    },
    dryRun: request.dryRun,
  };
  if (request.subResource !== '') attributes.subResource = request.subResource;
  if (request.name !== '') attributes.name = request.name;
  if (request.namespace !== '') attributes.namespace = request.namespace;
  return attributes;
}

/** The matchCondition variables of a decoded AdmissionRequest. */
export function varsOf(request: AdmissionRequest): MatchVars {
  return { object: request.object, oldObject: request.oldObject, request: requestAttributes(request) };
}

// ---------------------------------------------------------------------------------------------
// POLICY.md "Definitions" and "Cordon ownership", in plain JavaScript: the reference the
// validating expression must agree with.

export const cordoned = (o: Obj | null): boolean => isObj(o?.spec) && o.spec.unschedulable === true;
export const annotationOf = (o: Obj | null, key: string): Obj[string] | undefined => {
  const annotations = isObj(o?.metadata) ? o.metadata.annotations : undefined;
  return isObj(annotations) && Object.hasOwn(annotations, key) ? annotations[key] : undefined;
};
export const underMaintenance = (o: Obj | null, key: string): boolean => annotationOf(o, key) !== undefined;
/** Not a cordon or uncordon transition, and the stamp is added, changed or removed. */
export const stampChanged = (oldObject: Obj, object: Obj): boolean =>
  cordoned(oldObject) === cordoned(object) && annotationOf(oldObject, CORDON_STAMP_ANNOTATION) !== annotationOf(object, CORDON_STAMP_ANNOTATION);
export const shouldMatch = (oldObject: Obj | null, object: Obj, key: string): boolean =>
  oldObject !== null &&
  ((cordoned(oldObject) && !cordoned(object)) || (underMaintenance(oldObject, key) && !underMaintenance(object, key)) || stampChanged(oldObject, object));

// ---------------------------------------------------------------------------------------------
// Generated nodes and requests

export const STAMP_TIME = new Date('2026-11-28T06:30:15Z');
/** Stamp values: absent, two owners, and a present but empty (not a valid stamp) value. */
const STAMPS: Array<string | undefined> = [undefined, stampValue('alice', STAMP_TIME), stampValue('bob', STAMP_TIME), ''];

/**
 * Node states: every way spec.unschedulable, the annotations, the maintenance annotation and the
 * cordon stamp can be present or absent, and two stamps with different values.
 */
export function nodeStates(key: string): Obj[] {
  const specs: Array<Obj | undefined> = [undefined, {}, { unschedulable: false }, { unschedulable: true, taints: [] }];
  const annotations: Array<Obj | undefined> = [undefined, {}, { other: 'x' }, { [key]: '' }, { [key]: 'OPS-1', other: 'y' }];
  const stamped = annotations.flatMap((a) => STAMPS.map((stamp) => (stamp === undefined ? a : { ...a, [CORDON_STAMP_ANNOTATION]: stamp })));
  const distinct = [...new Map(stamped.map((a) => [JSON.stringify(a) ?? 'none', a])).values()];
  return specs.flatMap((spec) =>
    distinct.map((a) => {
      const node: Obj = { apiVersion: 'v1', kind: 'Node', metadata: a === undefined ? { name: 'n1' } : { name: 'n1', annotations: a } };
      if (spec !== undefined) node.spec = spec;
      return node;
    }),
  );
}

/** An AdmissionRequest for a Node, as src/admission/decode.ts makes it. */
export function nodeRequest(operation: 'CREATE' | 'UPDATE', oldObject: Obj | null, object: Obj, username = 'carol'): AdmissionRequest {
  return {
    uid: 'b6e1c0d2-0000-4000-8000-000000000001',
    kind: { group: '', version: 'v1', kind: 'Node' },
    resource: { group: '', version: 'v1', resource: 'nodes' },
    subResource: '',
    operation,
    name: 'n1',
    namespace: '',
    userInfo: { username, uid: '', groups: [], extra: {} },
    object: structuredClone(object),
    oldObject: oldObject === null ? null : structuredClone(oldObject),
    dryRun: false,
  };
}

/** Every policy that changes what is refused (with the manifest's maintenanceAnnotation), with
 * one allowlisted user; in `mode` (enforce unless said: the mode does not change what /validate
 * judges, and preserve is the one mode in which /mutate repairs). */
export function policies(mode: Mode = 'enforce'): Policy[] {
  const key = maintenanceAnnotation();
  return [false, true].flatMap((guardAllCordons) =>
    [false, true].flatMap((guardAnnotationRemoval) =>
      [false, true].map((allowCordonOwner) =>
        policyWith({ mode, maintenanceAnnotation: key, guardAllCordons, guardAnnotationRemoval, allowCordonOwner, allow: { users: ['root'], groups: [], serviceAccounts: [] } }),
      ),
    ),
  );
}

/** The requesters: the two stamp owners, a stranger and the allowlisted one. */
export const REQUESTERS: readonly string[] = ['alice', 'bob', 'carol', 'root'];

/** Could src/policy/engine.ts refuse this UPDATE, under one of these policies, for some requester? */
export function couldBeRefused(oldObject: Obj, object: Obj, under: readonly Policy[]): boolean {
  return under.some((policy) => REQUESTERS.some((user) => evaluate(nodeRequest('UPDATE', oldObject, object, user), policy).verdict === 'violation'));
}

const STAMP_NOW = new Date('2026-12-01T10:00:00Z');

/** What the request asks of the cordon stamp, and the patch (src/policy/mutation.ts), before any policy refuses it. */
export function stampMutation(request: AdmissionRequest, now = STAMP_NOW): CordonStampMutation {
  const change = stampChange(readWrite(request));
  return { change, patch: change === 'none' || request.object === null ? [] : stampPatch(request.object, change, request.userInfo.username, now) };
}

/** Does /mutate stamp or unstamp this request? */
export const mutates = (request: AdmissionRequest): boolean => stampMutation(request).change !== 'none';
let preservePolicies: Policy[] | undefined;

/** Does /mutate answer this request with a patch, or repair it, under some policy and requester? */
export function mutatePatches(request: AdmissionRequest): { patched: boolean; repaired: boolean } {
  preservePolicies ??= policies('preserve');
  const found = { patched: false, repaired: false };
  for (const policy of preservePolicies) {
    for (const username of REQUESTERS) {
      const result = answer('mutate', { ...request, userInfo: { ...request.userInfo, username } }, policy, STAMP_NOW);
      found.patched ||= result.reply.patch !== undefined;
      found.repaired ||= result.repair !== undefined;
      if (found.repaired) return found; // a repair is a patch
    }
  }
  return found;
}

/** Realistic nodes (testkit/fixtures.ts): cordoned or not, with and without maintenance and stamp. */
export function realisticNodes(): KubeObject[] {
  const annotationSets: Array<Record<string, string> | null> = [
    null,
    {},
    MAINTENANCE,
    { [CORDON_STAMP_ANNOTATION]: stampValue('alice', STAMP_TIME) },
    { ...MAINTENANCE, [CORDON_STAMP_ANNOTATION]: stampValue('bob', STAMP_TIME) },
  ];
  return [undefined, false, true, null].flatMap((cordon) =>
    annotationSets.map((annotations) => makeNode({ ...(cordon === undefined ? {} : { cordoned: cordon }), annotations })),
  );
}
