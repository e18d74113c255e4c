// ValidatingAdmissionPolicies and their bindings evaluated with @bufbuild/cel the way the API
// server evaluates them (k8s.io/apiserver, admission/plugin/policy/generic, .../validating and
// admission/plugin/cel), for the unit tests of manifests/base/protect-policy.yaml. The
// end-to-end suite runs the same policies on a real API server; this is the fast table of cases.
//
// What the API server does, and what is done here:
// - matchConstraints: resourceRules (operations, groups, versions, resources with
//   subresources, scope, resourceNames: a deletecollection is admitted per object with an empty
//   name) and a namespaceSelector, of which only matchLabels on kubernetes.io/metadata.name is
//   modelled (the API server sets that label on every Namespace; a cluster-scoped object is
//   never excluded by a namespaceSelector). Anything else in matchConstraints is refused here.
// - params: a policy with a paramKind gets the params the caller passes; null means the
//   binding found none, and then parameterNotFoundAction Deny refuses every matched request
//   before anything is evaluated (generic/policy_dispatcher.go, CollectParams).
// - `object`, `oldObject` and `params` are unstructured JSON (maps of string keys; oldObject is
//   null on CREATE, object is null on DELETE), declared as dyn; `request` holds the admission
//   attributes, and fields that are empty (name on a deletecollection, namespace of a
//   cluster-scoped object, subResource) are absent, as omitempty leaves them out of the JSON
//   the API server converts. Integers are CEL ints (toCel).
// - matchConditions: all must be true for the policy to apply; an error is a failure
//   (failurePolicy Fail: refused).
// - variables are evaluated lazily, at most once, and are pure: inlining each `variables.NAME`
//   as its parenthesised expression gives the same results, errors included. The inlining is
//   textual, so an expression must not spell `variables.` inside a string literal (a name that
//   is not defined before is refused, which catches most such mistakes).
// - validations: each must be true; false refuses with the messageExpression's value (or
//   `message` when that is not a non-empty one-line string); an error refuses (failurePolicy
//   Fail).
// - Not here: type checking (the API server only warns about type errors, and only from the
//   controller manager), cost limits, authorizer, namespaceObject, auditAnnotations.
import assert from 'node:assert/strict';
import { CelScalar, celEnv, isCelError, parse, plan, type CelResult } from '@bufbuild/cel';
import { toCel } from './cel.ts';
import { list, obj, str, type Json, type Obj } from './manifests.ts';

export interface PolicyInput {
  /** The admission attributes as CEL sees them (see above); the rules are matched on them too. */
  request: Obj;
  object: Obj | null;
  oldObject: Obj | null;
  /** The binding's params, or null when it finds none. */
  params: Obj | null;
}

type Outcome =
  | { result: 'not-matched' }
  | { result: 'allowed' }
  | { result: 'denied'; policy: string; message: string; reason: string }
  | { result: 'error'; policy: string; where: string; error: string };

const ENV = celEnv({ variables: { object: CelScalar.DYN, oldObject: CelScalar.DYN, request: CelScalar.DYN, params: CelScalar.DYN } });

type Program = (input: PolicyInput, params: Obj | null) => CelResult;

function compile(expression: string): Program {
  const program = plan(ENV, parse(expression));
  return (input, params) => program({ object: toCel(input.object), oldObject: toCel(input.oldObject), request: toCel(input.request), params: toCel(params) });
}

/** `variables.NAME` replaced by `(its expression)`, recursively, from the ones defined before. */
function inline(expression: string, defined: ReadonlyMap<string, string>, where: string): string {
  return expression.replace(/\bvariables\.([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
    const body = defined.get(name);
    if (body === undefined) throw new Error(`${where}: variables.${name} is not defined before it`);
    return `(${body})`;
  });
}

const strings = (value: Json | undefined, what: string): string[] => list(value, what).map((v, i) => str(v, `${what}[${i}]`));
const has = (patterns: readonly string[], value: string): boolean => patterns.includes('*') || patterns.includes(value);

/** k8s.io/apiserver admission/plugin/webhook/predicates/rules: does one resourceRule match? */
function ruleMatches(rule: Obj, request: Obj): boolean {
  const resource = obj(request.resource, 'request.resource');
  const namespace = typeof request.namespace === 'string' ? request.namespace : '';
  const name = typeof request.name === 'string' ? request.name : '';
  const sub = typeof request.subResource === 'string' ? request.subResource : '';
  const group = str(resource.group, 'group');
  const version = str(resource.version, 'version');
  const res = str(resource.resource, 'resource');
  const resources = strings(rule.resources, 'resources');
  const resourceMatches = resources.some((r) => {
    const [rr, rs = ''] = r.split('/');
    return (rr === '*' || rr === res) && (rs === '*' || rs === sub);
  });
  const scope = rule.scope === undefined ? '*' : str(rule.scope, 'scope');
  const scopeMatches = scope === '*' || (scope === 'Cluster' ? namespace === '' : namespace !== '');
  const names = rule.resourceNames === undefined ? [] : strings(rule.resourceNames, 'resourceNames');
  return (
    has(strings(rule.operations, 'operations'), str(request.operation, 'operation')) &&
    has(strings(rule.apiGroups, 'apiGroups'), group) &&
    has(strings(rule.apiVersions, 'apiVersions'), version) &&
    resourceMatches &&
    scopeMatches &&
    (names.length === 0 || names.includes(name))
  );
}

const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

function constraintsMatch(constraints: Obj, request: Obj, where: string): boolean {
  for (const key of Object.keys(constraints)) assert.ok(['matchPolicy', 'namespaceSelector', 'resourceRules'].includes(key), `${where}: matchConstraints.${key} is not modelled`);
  const namespace = typeof request.namespace === 'string' ? request.namespace : '';
  if (constraints.namespaceSelector !== undefined && namespace !== '') {
    const selector = obj(constraints.namespaceSelector, `${where} namespaceSelector`);
    for (const key of Object.keys(selector)) assert.equal(key, 'matchLabels', `${where}: namespaceSelector.${key} is not modelled`);
    const labels = obj(selector.matchLabels ?? {}, `${where} matchLabels`);
    for (const [key, value] of Object.entries(labels)) {
      assert.equal(key, NAMESPACE_NAME_LABEL, `${where}: only the label ${NAMESPACE_NAME_LABEL} is modelled`);
      if (value !== namespace) return false;
    }
  }
  return list(constraints.resourceRules, `${where} resourceRules`).some((r) => ruleMatches(obj(r, 'resourceRule'), request));
}

interface Compiled {
  name: string;
  evaluate(input: PolicyInput): Outcome;
}

/** A ValidatingAdmissionPolicy with its one binding (throws if an expression does not parse). */
function compileBound(policy: Obj, binding: Obj): Compiled {
  const name = str(obj(policy.metadata, 'policy metadata').name, 'policy name');
  const spec = obj(policy.spec, `${name} spec`);
  const bindingSpec = obj(binding.spec, 'binding spec');
  assert.equal(bindingSpec.policyName, name, 'the binding is this policy\'s');
  assert.deepEqual(bindingSpec.validationActions, ['Deny'], `${name}: only Deny is modelled`);
  assert.equal(bindingSpec.matchResources, undefined, `${name}: the binding's matchResources are not modelled`);
  assert.equal(spec.failurePolicy ?? 'Fail', 'Fail', `${name}: only failurePolicy Fail is modelled`);
  const paramRef = bindingSpec.paramRef === undefined ? undefined : obj(bindingSpec.paramRef, 'paramRef');
  const usesParams = spec.paramKind !== undefined && paramRef !== undefined;
  const constraints = obj(spec.matchConstraints, `${name} matchConstraints`);

  const variables = new Map<string, string>();
  for (const v of list(spec.variables ?? [], `${name} variables`).map((x) => obj(x, 'variable'))) {
    const variableName = str(v.name, 'variable name');
    variables.set(variableName, inline(str(v.expression, `variable ${variableName}`), variables, `variable ${variableName}`));
  }
  const matchConditions = list(spec.matchConditions ?? [], `${name} matchConditions`)
    .map((x) => obj(x, 'matchCondition'))
    .map((m) => ({ name: str(m.name, 'matchCondition name'), program: compile(str(m.expression, 'matchCondition expression')) }));
  const validations = list(spec.validations, `${name} validations`)
    .map((x) => obj(x, 'validation'))
    .map((v, i) => ({
      where: `validations[${i}]`,
      program: compile(inline(str(v.expression, 'validation expression'), variables, `validations[${i}]`)),
      messageProgram: v.messageExpression === undefined ? undefined : compile(inline(str(v.messageExpression, 'messageExpression'), variables, `validations[${i}].messageExpression`)),
      message: v.message === undefined ? undefined : str(v.message, 'message'),
      reason: v.reason === undefined ? 'Invalid' : str(v.reason, 'reason'),
      expression: str(v.expression, 'validation expression'),
    }));

  const evaluate = (input: PolicyInput): Outcome => {
    if (!constraintsMatch(constraints, input.request, name)) return { result: 'not-matched' };
    const params = usesParams ? input.params : null;
    if (usesParams && params === null) {
      if (paramRef.parameterNotFoundAction !== 'Deny') return { result: 'allowed' };
      return { result: 'denied', policy: name, reason: 'Invalid', message: 'failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction' };
    }
    for (const condition of matchConditions) {
      const matched = condition.program(input, params);
      if (isCelError(matched) || typeof matched !== 'boolean') return { result: 'error', policy: name, where: `matchCondition ${condition.name}`, error: show(matched) };
      if (!matched) return { result: 'not-matched' };
    }
    for (const validation of validations) {
      const passed = validation.program(input, params);
      if (isCelError(passed) || typeof passed !== 'boolean') return { result: 'error', policy: name, where: validation.where, error: show(passed) };
      if (passed) continue;
      const built = validation.messageProgram?.(input, params);
      const trimmed = typeof built === 'string' ? built.trim() : '';
      // The API server's rule: a non-empty string of one line, else `message`, else the expression.
      const message = trimmed !== '' && !trimmed.includes('\n') ? trimmed : (validation.message?.trim() ?? `failed expression: ${validation.expression.trim()}`);
      return { result: 'denied', policy: name, message, reason: validation.reason };
    }
    return { result: 'allowed' };
  };
  return { name, evaluate };
}

export interface Admission {
  /** The policies by name, with their bindings. */
  policies: readonly string[];
  /**
   * What the API server answers: the first policy that refuses (or fails) decides; 'allowed' if
   * at least one matched and none refused, 'not-matched' if none matched.
   */
  evaluate(input: PolicyInput): Outcome;
}

/** Every ValidatingAdmissionPolicy among `docs` with the one binding that names it. */
export function admissionOf(docs: readonly Obj[]): Admission {
  const kindOf = (d: Obj): string => str(d.kind, 'kind');
  const bound = docs
    .filter((d) => kindOf(d) === 'ValidatingAdmissionPolicy')
    .map((policy) => {
      const name = str(obj(policy.metadata, 'policy metadata').name, 'policy name');
      const bindings = docs.filter((d) => kindOf(d) === 'ValidatingAdmissionPolicyBinding' && obj(d.spec, 'binding spec').policyName === name);
      assert.equal(bindings.length, 1, `one binding for ${name}`);
      return compileBound(policy, bindings[0] ?? {});
    });
  return {
    policies: bound.map((b) => b.name),
    evaluate(input) {
      let matched = false;
      for (const b of bound) {
        const outcome = b.evaluate(input);
        if (outcome.result === 'denied' || outcome.result === 'error') return outcome;
        if (outcome.result === 'allowed') matched = true;
      }
      return matched ? { result: 'allowed' } : { result: 'not-matched' };
    },
  };
}

function show(result: CelResult): string {
  if (isCelError(result)) return `error: ${result.message}`;
  return `not a boolean: ${typeof result === 'string' ? JSON.stringify(result) : typeof result}`;
}
