// A ValidatingAdmissionPolicy evaluated with @bufbuild/cel the way the API server evaluates it
// (k8s.io/apiserver, admission/plugin/policy/validating and admission/plugin/cel), for the unit
// tests of manifests/base/protect-policy.yaml. The end-to-end suite runs the same policy on a
// real API server; this is the fast table of cases.
//
// What the API server does, and what is done here:
// - `object`, `oldObject` and `params` are unstructured JSON (maps of string keys; oldObject is
//   null on CREATE, object is null on DELETE), declared as dyn; `request` holds the admission
//   attributes, and fields that are empty (name on a deletecollection, namespace of a
//   cluster-scoped object, subResource) are absent, as omitempty leaves them out of the JSON
//   the API server converts. Integers are CEL ints (toCel).
// - matchConditions: all must be true for the policy to apply; an error is a failure
//   (failurePolicy Fail: refused).
// - variables are evaluated lazily, at most once, and are pure: inlining each `variables.NAME`
//   as its parenthesised expression gives the same results, errors included. The inlining is
//   textual, so an expression must not spell `variables.` inside a string literal (this
//   module refuses a name it does not know, which catches most such mistakes).
// - validations: each must be true; false refuses with the messageExpression's value (or
//   `message` when that is not a non-empty one-line string); an error refuses (failurePolicy
//   Fail).
// - Not here: the matchConstraints (resource rules, names, namespaceSelector; the tests check
//   those as data), paramRef lookup (the caller passes params, or null when the binding finds
//   none: then the API server refuses before evaluating anything), type checking (the API
//   server only warns about type errors, and only from the controller manager), cost limits.
import { CelScalar, celEnv, isCelError, parse, plan, type CelInput, type CelResult } from '@bufbuild/cel';
import { isObj, list, obj, str, type Json, type Obj } from './manifests.ts';

/** A JSON value as the API server hands it to CEL: objects as maps, integers as ints. */
function toCel(value: Json): CelInput {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (isObj(value)) {
    const out: { [key: string]: CelInput } = {};
    for (const [key, item] of Object.entries(value)) out[key] = toCel(item);
    return out;
  }
  return value;
}

export interface PolicyInput {
  request: Obj;
  object: Obj | null;
  oldObject: Obj | null;
  params: Obj | null;
}

type PolicyOutcome =
  | { result: 'not-matched' }
  | { result: 'allowed' }
  | { result: 'denied'; message: string; reason: string }
  | { result: 'error'; where: string; error: string };

const ENV = celEnv({ variables: { object: CelScalar.DYN, oldObject: CelScalar.DYN, request: CelScalar.DYN, params: CelScalar.DYN } });

type Program = (input: PolicyInput) => CelResult;

function compile(expression: string): Program {
  const program = plan(ENV, parse(expression));
  return (input) => program({ object: toCel(input.object), oldObject: toCel(input.oldObject), request: toCel(input.request), params: toCel(input.params) });
}

interface CompiledPolicy {
  name: string;
  failurePolicy: string;
  evaluate(input: PolicyInput): PolicyOutcome;
}

/** `variables.NAME` replaced by `(its expression)`, recursively, from the ones defined before. */
function inline(expression: string, defined: ReadonlyMap<string, string>, where: string): string {
  return expression.replace(/\bvariables\.([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
    const body = defined.get(name);
    if (body === undefined) throw new Error(`${where}: variables.${name} is not defined before it`);
    return `(${body})`;
  });
}

/** Compiles a ValidatingAdmissionPolicy manifest (throws if an expression does not parse). */
export function compilePolicy(policy: Obj): CompiledPolicy {
  const name = str(obj(policy.metadata, 'policy metadata').name, 'policy name');
  const spec = obj(policy.spec, `${name} spec`);
  const failurePolicy = spec.failurePolicy === undefined ? 'Fail' : str(spec.failurePolicy, 'failurePolicy');
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
  const evaluate = (input: PolicyInput): PolicyOutcome => {
    for (const condition of matchConditions) {
      const matched = condition.program(input);
      if (isCelError(matched) || typeof matched !== 'boolean') return { result: 'error', where: `matchCondition ${condition.name}`, error: show(matched) };
      if (!matched) return { result: 'not-matched' };
    }
    for (const validation of validations) {
      const passed = validation.program(input);
      if (isCelError(passed) || typeof passed !== 'boolean') return { result: 'error', where: validation.where, error: show(passed) };
      if (passed) continue;
      const built = validation.messageProgram?.(input);
      const trimmed = typeof built === 'string' ? built.trim() : '';
      // The API server's rule: a non-empty string of one line, else `message`, else the expression.
      const message = trimmed !== '' && !trimmed.includes('\n') ? trimmed : (validation.message?.trim() ?? `failed expression: ${validation.expression.trim()}`);
      return { result: 'denied', message, reason: validation.reason };
    }
    return { result: 'allowed' };
  };

  return { name, failurePolicy, evaluate };
}

function show(result: CelResult): string {
  if (isCelError(result)) return `error: ${result.message}`;
  return `not a boolean: ${typeof result === 'string' ? JSON.stringify(result) : typeof result}`;
}
