// The install manifests against the code they deploy: RBAC no wider than what cordon-guard
// calls, a validating webhook that sees exactly the requests the policy can refuse, a mutating
// webhook that sees exactly the requests /mutate patches, a Deployment whose flags the CLI
// accepts, and a matchConditions key in step with the policy's annotation key.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { applyPatch, type Operation } from 'rfc6902';
import { parseAllDocuments } from 'yaml';
import { imageNodeOptions } from '../../bench/servers.ts';
import { decodeAdmissionReview } from '../../src/admission/decode.ts';
import type { AdmissionRequest, KubeObject } from '../../src/admission/types.ts';
import { parseCommandLine, type ServeOptions } from '../../src/cli/args.ts';
import { CORDON_STAMP_ANNOTATION, stampValue } from '../../src/policy/cordonStamp.ts';
import { parsePolicyDocument } from '../../src/policy/document.ts';
import { evaluate } from '../../src/policy/engine.ts';
import { cordonStampMutation, stampChange } from '../../src/policy/mutation.ts';
import { qualifiedNameProblems } from '../../src/policy/qualifiedName.ts';
import { DEFAULT_SETTINGS, type Policy } from '../../src/policy/types.ts';
import { MAINTENANCE, makeNode } from '../../testkit/fixtures.ts';
import { policyWith } from '../../testkit/policies.ts';
import { requestOf } from '../../testkit/requests.ts';
import {
  DEFAULT_DNS_NAMES,
  DEFAULT_OUT_DIR,
  SECRET_NAME,
  WEBHOOK_CONFIGURATION_NAME,
  WEBHOOK_TARGETS,
  caBundlePatchYaml,
} from '../../certs-scripts/make-certs.ts';

// ---------------------------------------------------------------------------------------------
// Loading

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MANIFESTS = join(ROOT, 'manifests');
const BASE = join(MANIFESTS, 'base');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(name) ? [path] : [];
    })
    .sort();
}

function parseYamlFile(path: string): Obj[] {
  const documents = parseAllDocuments(readFileSync(path, 'utf8'));
  assert.ok(Array.isArray(documents), `${path}: not YAML`);
  return documents.flatMap((document) => {
    assert.deepEqual(document.errors.map(String), [], `${path}: YAML errors`);
    const value = document.toJS() as Json;
    if (value === null) return [];
    assert.ok(isObj(value), `${path}: a document is not a mapping`);
    return [value];
  });
}

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function obj(value: Json | undefined, what: string): Obj {
  assert.ok(isObj(value), `${what} is not a mapping`);
  return value;
}

function list(value: Json | undefined, what: string): Json[] {
  assert.ok(Array.isArray(value), `${what} is not a list`);
  return value;
}

function str(value: Json | undefined, what: string): string {
  assert.equal(typeof value, 'string', `${what} is not a string`);
  return value as string;
}

interface Resource {
  file: string;
  doc: Obj;
  kind: string;
  name: string;
  namespace: string | undefined;
}

const kustomization = parseYamlFile(join(BASE, 'kustomization.yaml'))[0] ?? {};
const resources: Resource[] = yamlFiles(BASE)
  .filter((path) => !path.endsWith('kustomization.yaml'))
  .flatMap((path) =>
    parseYamlFile(path).map((doc) => {
      const metadata = obj(doc.metadata, `${path} metadata`);
      return {
        file: relative(BASE, path),
        doc,
        kind: str(doc.kind, `${path} kind`),
        name: str(metadata.name, `${path} metadata.name`),
        namespace: typeof metadata.namespace === 'string' ? metadata.namespace : undefined,
      };
    }),
  );

function only(kind: string): Obj {
  const found = resources.filter((r) => r.kind === kind);
  assert.equal(found.length, 1, `expected one ${kind}, found ${found.length}`);
  return (found[0] as Resource).doc;
}

const NAMESPACE = 'cordon-guard';
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);

const deployment = only('Deployment');
const deploymentSpec = obj(deployment.spec, 'Deployment spec');
const podTemplate = obj(deploymentSpec.template, 'pod template');
const podLabels = obj(obj(podTemplate.metadata, 'pod metadata').labels, 'pod labels');
const podSpec = obj(podTemplate.spec, 'pod spec');
const containers = list(podSpec.containers, 'containers').map((c) => obj(c, 'container'));
const container = containers[0] ?? {};
const containerArgs = list(container.args, 'container args').map((a) => str(a, 'an arg'));
const containerPorts = list(container.ports, 'container ports').map((p) => obj(p, 'port'));
const portNumber = (name: string): number => {
  const port = containerPorts.find((p) => p.name === name);
  assert.ok(port !== undefined, `no container port named ${name}`);
  return port.containerPort as number;
};

/** The command line the container runs: the image's ENTRYPOINT (after the script) + args. */
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
function dockerfileExec(instruction: 'ENTRYPOINT' | 'CMD'): string[] {
  const lines = dockerfile.split('\n').filter((line) => line.startsWith(`${instruction} `));
  assert.equal(lines.length, 1, `one ${instruction} in the Dockerfile`);
  const value: unknown = JSON.parse((lines[0] ?? '').slice(instruction.length + 1));
  assert.ok(Array.isArray(value) && value.every((v) => typeof v === 'string'), `${instruction} in exec form`);
  return value as string[];
}
const entrypoint = dockerfileExec('ENTRYPOINT');
const argvAfterScript = (args: readonly string[]): string[] => {
  const script = entrypoint.indexOf('dist/main.js');
  assert.ok(script > 0, 'ENTRYPOINT runs dist/main.js');
  return [...entrypoint.slice(script + 1), ...args];
};
const serveOptions = parseCommandLine(argvAfterScript(containerArgs), {}) as ServeOptions;

const policyConfigMap = resources.find((r) => r.kind === 'ConfigMap' && r.name === 'cordon-guard-policy');
const policyText = str(obj(policyConfigMap?.doc.data, 'policy ConfigMap data')['policy.yaml'], 'policy.yaml');
const policyResult = parsePolicyDocument(policyText, 'cordon-guard/cordon-guard-policy');
const maintenanceAnnotation = policyResult.ok ? policyResult.policy.maintenanceAnnotation : '(policy.yaml is invalid)';

const webhookConfiguration = only('ValidatingWebhookConfiguration');
const webhooks = list(webhookConfiguration.webhooks, 'webhooks').map((w) => obj(w, 'webhook'));
const webhook = webhooks[0] ?? {};
const matchConditions = list(webhook.matchConditions, 'matchConditions').map((m) => obj(m, 'matchCondition'));
const expression = str(matchConditions[0]?.expression, 'matchConditions[0].expression');

const mutatingConfiguration = only('MutatingWebhookConfiguration');
const mutatingWebhooks = list(mutatingConfiguration.webhooks, 'mutating webhooks').map((w) => obj(w, 'mutating webhook'));
const mutatingWebhook = mutatingWebhooks[0] ?? {};
const mutatingMatchConditions = list(mutatingWebhook.matchConditions, 'mutating matchConditions').map((m) => obj(m, 'matchCondition'));
const mutatingExpression = str(mutatingMatchConditions[0]?.expression, 'mutating matchConditions[0].expression');

/** The Service behind a webhook's clientConfig, and the port the API server dials. */
function checkServiceOf(clientConfig: Obj, path: string): void {
  assert.equal(clientConfig.url, undefined);
  assert.equal(clientConfig.caBundle, undefined, 'the caBundle comes from the certs patch or cert-manager');
  const service = obj(clientConfig.service, 'clientConfig.service');
  assert.deepEqual(service, { namespace: NAMESPACE, name: 'cordon-guard', path, port: 443 });
  const svc = resources.find((r) => r.kind === 'Service' && r.name === service.name && r.namespace === service.namespace);
  assert.ok(svc !== undefined, 'the Service exists');
  const ports = list(obj(svc.doc.spec, 'Service spec').ports, 'Service ports').map((p) => obj(p, 'port'));
  const https = ports.find((p) => p.port === 443);
  assert.equal(https?.targetPort, 'https');
  assert.equal(portNumber('https'), serveOptions.port);
  assert.equal(ports.find((p) => p.port === 8080)?.targetPort, 'metrics');
  assert.deepEqual(obj(svc.doc.spec, 'Service spec').selector, { 'app.kubernetes.io/name': podLabels['app.kubernetes.io/name'], 'app.kubernetes.io/component': podLabels['app.kubernetes.io/component'] });
}

// ---------------------------------------------------------------------------------------------
// A CEL subset, enough to evaluate the matchConditions expressions: literals, variables, field
// selection, map indexing m['key'], has(), !, ==, !=, in, && and || with CEL's error rules
// (reading an absent field or key is an error; && and || absorb an error when the other side
// decides). Not a CEL engine: the end-to-end suite checks the expressions against a real API
// server.

class CelError {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}
type CelValue = Json | CelError;
type Ast =
  | { t: 'lit'; v: Json }
  | { t: 'ident'; name: string }
  | { t: 'select'; of: Ast; field: string }
  | { t: 'has'; of: Ast; field: string }
  | { t: 'index'; of: Ast; key: Ast }
  | { t: 'not'; of: Ast }
  | { t: 'bin'; op: '&&' | '||' | '==' | '!=' | 'in'; l: Ast; r: Ast };

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(?:('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(&&|\|\||==|!=|[().![\]])|([A-Za-z_][A-Za-z0-9_]*))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) throw new Error(`CEL subset: cannot read ${JSON.stringify(text.slice(at, at + 20))}`);
    tokens.push(m[1] ?? m[2] ?? m[3] ?? '');
    at = re.lastIndex;
  }
  return tokens;
}

function parseCel(text: string): Ast {
  const tokens = tokenize(text);
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const take = (want?: string): string => {
    const token = tokens[i++];
    if (token === undefined || (want !== undefined && token !== want)) throw new Error(`CEL subset: expected ${want ?? 'more'}, got ${token}`);
    return token;
  };
  const ident = (): string => {
    const token = take();
    if (!/^[A-Za-z_]\w*$/.test(token)) throw new Error(`CEL subset: expected a name, got ${token}`);
    return token;
  };
  const or = (): Ast => {
    let l = and();
    while (peek() === '||') (take(), (l = { t: 'bin', op: '||', l, r: and() }));
    return l;
  };
  const and = (): Ast => {
    let l = relation();
    while (peek() === '&&') (take(), (l = { t: 'bin', op: '&&', l, r: relation() }));
    return l;
  };
  const relation = (): Ast => {
    let l = unary();
    for (let op = peek(); op === '==' || op === '!=' || op === 'in'; op = peek()) {
      take();
      l = { t: 'bin', op, l, r: unary() };
    }
    return l;
  };
  const unary = (): Ast => (peek() === '!' ? (take(), { t: 'not', of: unary() }) : member());
  const member = (): Ast => {
    let node = primary();
    for (let next = peek(); next === '.' || next === '['; next = peek()) {
      take();
      if (next === '.') node = { t: 'select', of: node, field: ident() };
      else {
        node = { t: 'index', of: node, key: or() };
        take(']');
      }
    }
    return node;
  };
  const primary = (): Ast => {
    const token = take();
    if (token === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if (token === 'has') {
      take('(');
      const inner = member();
      take(')');
      if (inner.t !== 'select') throw new Error('CEL subset: has() needs a field selection');
      return { t: 'has', of: inner.of, field: inner.field };
    }
    if (token === 'true' || token === 'false') return { t: 'lit', v: token === 'true' };
    if (token === 'null') return { t: 'lit', v: null };
    if (token.startsWith("'") || token.startsWith('"')) return { t: 'lit', v: JSON.parse(`"${token.slice(1, -1).replaceAll('"', '\\"')}"`) as string };
    if (/^[A-Za-z_]\w*$/.test(token)) return { t: 'ident', name: token };
    throw new Error(`CEL subset: unexpected ${token}`);
  };
  const ast = or();
  if (i !== tokens.length) throw new Error(`CEL subset: left over: ${tokens.slice(i).join(' ')}`);
  return ast;
}

function evalCel(ast: Ast, vars: Record<string, Json>): CelValue {
  switch (ast.t) {
    case 'lit':
      return ast.v;
    case 'ident':
      return ast.name in vars ? (vars[ast.name] as Json) : new CelError(`undeclared reference to ${ast.name}`);
    case 'select':
    case 'has': {
      const of = evalCel(ast.of, vars);
      if (of instanceof CelError) return of;
      if (!isObj(of)) return new CelError(`cannot select ${ast.field} from ${JSON.stringify(of)}`);
      if (ast.t === 'has') return Object.hasOwn(of, ast.field);
      return Object.hasOwn(of, ast.field) ? (of[ast.field] as Json) : new CelError(`no such key: ${ast.field}`);
    }
    case 'index': {
      const of = evalCel(ast.of, vars);
      if (of instanceof CelError) return of;
      const key = evalCel(ast.key, vars);
      if (key instanceof CelError) return key;
      if (!isObj(of) || typeof key !== 'string') return new CelError(`no matching overload for [] on ${JSON.stringify(of)}`);
      return Object.hasOwn(of, key) ? (of[key] as Json) : new CelError(`no such key: ${key}`);
    }
    case 'not': {
      const of = evalCel(ast.of, vars);
      if (of instanceof CelError) return of;
      return typeof of === 'boolean' ? !of : new CelError('no matching overload for !');
    }
    case 'bin': {
      const l = evalCel(ast.l, vars);
      const r = evalCel(ast.r, vars);
      if (ast.op === '&&' || ast.op === '||') {
        const decides = ast.op === '||';
        if (l === decides || r === decides) return decides;
        if (l instanceof CelError) return l;
        if (r instanceof CelError) return r;
        if (typeof l !== 'boolean' || typeof r !== 'boolean') return new CelError(`no matching overload for ${ast.op}`);
        return !decides;
      }
      if (l instanceof CelError) return l;
      if (r instanceof CelError) return r;
      if (ast.op === 'in') {
        if (isObj(r) && typeof l === 'string') return Object.hasOwn(r, l);
        if (Array.isArray(r)) return r.some((x) => x === l);
        return new CelError('no matching overload for in');
      }
      const equal = JSON.stringify(l) === JSON.stringify(r);
      return ast.op === '==' ? equal : !equal;
    }
  }
}

// POLICY.md "Definitions" and "Cordon ownership", in plain JavaScript: the reference the
// validating expression must agree with.
const cordoned = (o: Obj | null): boolean => isObj(o?.spec) && (o.spec as Obj).unschedulable === true;
const annotationOf = (o: Obj | null, key: string): Json | undefined => {
  const annotations = isObj(o?.metadata) ? (o.metadata as Obj).annotations : undefined;
  return isObj(annotations) && Object.hasOwn(annotations, key) ? annotations[key] : undefined;
};
const underMaintenance = (o: Obj | null, key: string): boolean => annotationOf(o, key) !== undefined;
/** Not a cordon or uncordon transition, and the stamp is added, changed or removed. */
const stampChanged = (oldObject: Obj, object: Obj): boolean =>
  cordoned(oldObject) === cordoned(object) && annotationOf(oldObject, CORDON_STAMP_ANNOTATION) !== annotationOf(object, CORDON_STAMP_ANNOTATION);
const shouldMatch = (oldObject: Obj | null, object: Obj, key: string): boolean =>
  oldObject !== null &&
  ((cordoned(oldObject) && !cordoned(object)) || (underMaintenance(oldObject, key) && !underMaintenance(object, key)) || stampChanged(oldObject, object));

const STAMP_TIME = new Date('2026-11-28T06:30:15Z');
/** Stamp values: absent, two owners, and a present but empty (not a valid stamp) value. */
const STAMPS: Array<string | undefined> = [undefined, stampValue('alice', STAMP_TIME), stampValue('bob', STAMP_TIME), ''];

/**
 * Node states: every way spec.unschedulable, the annotations, the maintenance annotation and the
 * cordon stamp can be present or absent, and two stamps with different values.
 */
function nodeStates(key: string): Obj[] {
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
function nodeRequest(operation: 'CREATE' | 'UPDATE', oldObject: Obj | null, object: Obj, username = 'carol'): AdmissionRequest {
  return {
    uid: 'b6e1c0d2-0000-4000-8000-000000000001',
    kind: { group: '', version: 'v1', kind: 'Node' },
    resource: { group: '', version: 'v1', resource: 'nodes' },
    subResource: '',
    operation,
    name: 'n1',
    namespace: '',
    userInfo: { username, uid: '', groups: [], extra: {} },
    object: structuredClone(object) as KubeObject,
    oldObject: oldObject === null ? null : (structuredClone(oldObject) as KubeObject),
    dryRun: false,
  };
}

/** Every policy that changes what is refused, with one allowlisted user, and the requesters:
 * the two stamp owners, a stranger and the allowlisted one. */
const POLICIES: Policy[] = [false, true].flatMap((guardAllCordons) =>
  [false, true].flatMap((guardAnnotationRemoval) =>
    [false, true].map((allowCordonOwner) =>
      policyWith({ maintenanceAnnotation, guardAllCordons, guardAnnotationRemoval, allowCordonOwner, allow: { users: ['root'], groups: [], serviceAccounts: [] } }),
    ),
  ),
);
const REQUESTERS = ['alice', 'bob', 'carol', 'root'];

/** Could src/policy/engine.ts refuse this UPDATE, under some policy, for some requester? */
function couldBeRefused(oldObject: Obj, object: Obj): boolean {
  return POLICIES.some((policy) => REQUESTERS.some((user) => evaluate(nodeRequest('UPDATE', oldObject, object, user), policy).verdict === 'violation'));
}

/** Does /mutate patch this request (src/policy/mutation.ts)? */
const mutates = (request: AdmissionRequest): boolean => stampChange(request) !== 'none';

const celVars = (request: AdmissionRequest): Record<string, Json> => ({
  oldObject: request.oldObject as Json,
  object: request.object as Json,
  request: { operation: request.operation },
});

/** Realistic nodes (src/testing/fixtures.ts): cordoned or not, with and without maintenance and stamp. */
const realisticNodes: KubeObject[] = [undefined, false, true, null].flatMap((cordon) =>
  ([null, {}, MAINTENANCE, { [CORDON_STAMP_ANNOTATION]: stampValue('alice', STAMP_TIME) }, { ...MAINTENANCE, [CORDON_STAMP_ANNOTATION]: stampValue('bob', STAMP_TIME) }] as Array<Record<string, string> | null>).map(
    (annotations) => makeNode({ ...(cordon === undefined ? {} : { cordoned: cordon }), annotations }),
  ),
);

// ---------------------------------------------------------------------------------------------

describe('kustomize base', () => {
  test('kustomization.yaml lists every manifest in base/ and nothing else', () => {
    const listed = list(kustomization.resources, 'resources').map((r) => str(r, 'resource')).sort();
    const present = [...new Set(resources.map((r) => r.file))].sort();
    assert.deepEqual(listed, present);
  });

  test('the image is cordon-guard at the package version, set through kustomize images so users can override it', () => {
    const images = list(kustomization.images, 'images').map((i) => obj(i, 'image'));
    const image = images.find((i) => i.name === container.image);
    assert.ok(image !== undefined, `no images: entry for ${String(container.image)}`);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(`${String(image.newName)}:${String(image.newTag)}`, `cordon-guard:${pkg.version}`);
    assert.equal(container.image, 'cordon-guard');
  });

  test('every namespaced object is in the cordon-guard namespace, and the Namespace is there', () => {
    for (const r of resources) {
      if (CLUSTER_SCOPED.has(r.kind)) assert.equal(r.namespace, undefined, `${r.kind} ${r.name} is cluster-scoped`);
      else assert.equal(r.namespace, NAMESPACE, `${r.kind} ${r.name}`);
    }
    assert.equal(resources.find((r) => r.kind === 'Namespace')?.name, NAMESPACE);
    assert.equal(resources.find((r) => r.kind === 'ServiceAccount')?.name, 'cordon-guard');
  });
});

describe('RBAC', () => {
  const roles = resources.filter((r) => r.kind === 'Role' || r.kind === 'ClusterRole');
  const bindings = resources.filter((r) => r.kind === 'RoleBinding' || r.kind === 'ClusterRoleBinding');
  const rules = roles.flatMap((r) => list(r.doc.rules, `${r.name} rules`).map((rule) => ({ role: r, rule: obj(rule, 'rule') })));

  test('no rule has a wildcard in verbs, resources, apiGroups or resourceNames', () => {
    assert.ok(rules.length > 0);
    for (const { role, rule } of rules) {
      for (const field of ['verbs', 'resources', 'apiGroups', 'resourceNames', 'nonResourceURLs']) {
        for (const value of (rule[field] as Json[] | undefined) ?? []) {
          assert.ok(!String(value).includes('*'), `${role.kind} ${role.name}: ${field} has ${String(value)}`);
        }
      }
      assert.equal(rule.nonResourceURLs, undefined, `${role.name}: no non-resource URLs`);
    }
    for (const role of roles) assert.equal(role.doc.aggregationRule, undefined, `${role.name} aggregates nothing`);
  });

  test('nothing grants access to Secrets, Nodes or any other resource than configmaps and events', () => {
    for (const { role, rule } of rules) {
      for (const resource of list(rule.resources, 'resources')) {
        assert.ok(['configmaps', 'events'].includes(String(resource)), `${role.name} grants ${String(resource)}`);
      }
    }
  });

  test('the grants are exactly what the code uses: its policy ConfigMap read and watched, events.k8s.io Events created and patched', () => {
    const policyRef = serveOptions.policy;
    assert.equal(policyRef.kind, 'configmap');
    const grants = rules
      .map(({ role, rule }) => ({
        kind: role.kind,
        namespace: role.namespace,
        apiGroups: rule.apiGroups,
        resources: rule.resources,
        resourceNames: rule.resourceNames,
        verbs: list(rule.verbs, 'verbs').map(String).sort(),
      }))
      .sort((a, b) => a.kind.localeCompare(b.kind));
    assert.deepEqual(grants, [
      {
        kind: 'ClusterRole',
        namespace: undefined,
        apiGroups: ['events.k8s.io'],
        resources: ['events'],
        resourceNames: undefined,
        verbs: ['create', 'patch'],
      },
      {
        kind: 'Role',
        namespace: policyRef.kind === 'configmap' ? policyRef.namespace : '?',
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: [policyRef.kind === 'configmap' ? policyRef.name : '?'],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
  });

  test("each binding gives one of these roles to cordon-guard's ServiceAccount and to nobody else", () => {
    assert.equal(bindings.length, roles.length);
    for (const binding of bindings) {
      const roleRef = obj(binding.doc.roleRef, 'roleRef');
      const role = roles.find((r) => r.name === roleRef.name && r.kind === roleRef.kind);
      assert.ok(role !== undefined, `${binding.name} refers to ${String(roleRef.kind)} ${String(roleRef.name)}, not defined here`);
      assert.equal(binding.kind === 'RoleBinding', role.kind === 'Role');
      if (binding.kind === 'RoleBinding') assert.equal(binding.namespace, role.namespace);
      assert.deepEqual(binding.doc.subjects, [{ kind: 'ServiceAccount', name: podSpec.serviceAccountName as string, namespace: NAMESPACE }]);
    }
    assert.equal(podSpec.serviceAccountName, 'cordon-guard');
  });
});

describe('the policy ConfigMap', () => {
  test('policy.yaml is a valid policy document at the defaults, with empty allow lists', () => {
    assert.ok(policyResult.ok, policyResult.ok ? '' : policyResult.errors.join('; '));
    const { mode, maintenanceAnnotation: key, guardAllCordons, guardAnnotationRemoval, allowCordonOwner, allow } = policyResult.policy;
    assert.deepEqual({ mode, maintenanceAnnotation: key, guardAllCordons, guardAnnotationRemoval, allowCordonOwner, allow }, DEFAULT_SETTINGS);
    assert.deepEqual(allow, { users: [], groups: [], serviceAccounts: [] });
  });

  test('policy.yaml spells out every key, so users see what they can change', () => {
    const raw = obj(parseAllDocuments(policyText).map((d) => (Array.isArray(d) ? {} : d.toJS()))[0] as Json, 'policy.yaml');
    assert.deepEqual(Object.keys(raw).sort(), Object.keys(DEFAULT_SETTINGS).sort());
    assert.deepEqual(Object.keys(obj(raw.allow, 'allow')).sort(), Object.keys(DEFAULT_SETTINGS.allow).sort());
  });

  test('the Deployment reads this ConfigMap', () => {
    assert.deepEqual(serveOptions.policy, { kind: 'configmap', namespace: policyConfigMap?.namespace, name: policyConfigMap?.name });
  });
});

describe('the ValidatingWebhookConfiguration', () => {
  test('it has one webhook, uncordon.cordon-guard.io, which the certificate script gives the CA', () => {
    assert.equal(obj(webhookConfiguration.metadata, 'metadata').name, WEBHOOK_CONFIGURATION_NAME);
    assert.deepEqual(webhooks.map((w) => w.name), ['uncordon.cordon-guard.io']);
    assert.deepEqual(
      webhooks.map((w) => w.name),
      WEBHOOK_TARGETS.filter((t) => t.kind === 'ValidatingWebhookConfiguration' && t.name === WEBHOOK_CONFIGURATION_NAME).map((t) => t.webhook),
    );
  });

  test('it fails closed, is safe for dry runs, answers within 5 s and speaks admission.k8s.io/v1', () => {
    assert.equal(webhook.failurePolicy, 'Fail');
    assert.equal(webhook.sideEffects, 'NoneOnDryRun');
    assert.equal(webhook.timeoutSeconds, 5);
    assert.deepEqual(webhook.admissionReviewVersions, ['v1']);
    assert.equal(webhook.matchPolicy, 'Equivalent');
  });

  test('its rules match Node UPDATEs only, and never the nodes/status subresource', () => {
    const rules = list(webhook.rules, 'rules').map((r) => obj(r, 'rule'));
    assert.deepEqual(rules, [{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['nodes'], scope: 'Cluster' }]);
    for (const rule of rules) {
      for (const resource of list(rule.resources, 'resources')) assert.ok(!String(resource).includes('/'), `subresource ${String(resource)}`);
    }
  });

  test('it calls /validate on the Service, whose port 443 leads to the container port the server listens on', () => {
    checkServiceOf(obj(webhook.clientConfig, 'clientConfig'), '/validate');
  });

  test('it has one clearly named matchCondition, whose expression the CEL subset reads', () => {
    assert.equal(matchConditions.length, 1, 'matchConditions are ANDed: one condition ORs the three transitions');
    const name = str(matchConditions[0]?.name, 'name');
    assert.deepEqual(qualifiedNameProblems(name), []);
    assert.match(name, /uncordon/);
    assert.match(name, /stamp/);
    assert.doesNotThrow(() => parseCel(expression));
  });

  test("the matchCondition names exactly the policy's maintenanceAnnotation and the cordon stamp, and no other annotation key", () => {
    assert.ok(policyResult.ok);
    const quoted = [...expression.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]);
    assert.deepEqual([...new Set(quoted)].sort(), [maintenanceAnnotation, CORDON_STAMP_ANNOTATION].sort());
    assert.equal(quoted.filter((q) => q === maintenanceAnnotation).length, 2, 'the maintenance key in oldObject and in object');
  });

  test('the expression lets through exactly the uncordons, maintenance-annotation removals and stamp changes, for every shape of node, without error', () => {
    const ast = parseCel(expression);
    const states = nodeStates(maintenanceAnnotation);
    let matched = 0;
    let stampOnly = 0;
    for (const oldObject of states) {
      for (const object of states) {
        const got = evalCel(ast, { oldObject, object, request: { operation: 'UPDATE' } });
        const want = shouldMatch(oldObject, object, maintenanceAnnotation);
        assert.equal(got, want, `old ${JSON.stringify(oldObject)} new ${JSON.stringify(object)}: ${got instanceof CelError ? got.message : String(got)}`);
        if (want) matched++;
        const uncordonOrRemoval = (cordoned(oldObject) && !cordoned(object)) || (underMaintenance(oldObject, maintenanceAnnotation) && !underMaintenance(object, maintenanceAnnotation));
        if (want && !uncordonOrRemoval) stampOnly++;
      }
    }
    assert.ok(matched > 0 && matched < states.length ** 2, 'both outcomes occur');
    assert.ok(stampOnly > 0, 'stamp changes alone occur');
  });

  test('it sends every request that cordon-guard could refuse, under any policy and requester, and no request that it could not', () => {
    const ast = parseCel(expression);
    const states = nodeStates(maintenanceAnnotation);
    const refusable = { sent: 0, missed: [] as string[] };
    const needless: string[] = [];
    for (const oldObject of states) {
      for (const object of states) {
        const sent = evalCel(ast, { oldObject, object, request: { operation: 'UPDATE' } });
        assert.equal(typeof sent, 'boolean', `old ${JSON.stringify(oldObject)} new ${JSON.stringify(object)}: an error`);
        const pair = `old ${JSON.stringify(oldObject)} new ${JSON.stringify(object)}`;
        if (couldBeRefused(oldObject, object)) {
          if (sent === true) refusable.sent++;
          else refusable.missed.push(pair);
        } else if (sent === true) needless.push(pair);
      }
    }
    assert.deepEqual(refusable.missed.slice(0, 3), [], `${refusable.missed.length} refusable requests are never sent to cordon-guard`);
    assert.deepEqual(needless.slice(0, 3), [], `${needless.length} requests are sent that no policy refuses (an outage would refuse them)`);
    assert.ok(refusable.sent > 0);
  });

  test('it sends exactly the realistic requests that cordon-guard could refuse, and each refusal reason occurs', () => {
    const ast = parseCel(expression);
    const reasons = new Set<string>();
    for (const oldObject of realisticNodes) {
      for (const object of realisticNodes) {
        const request = requestOf({ oldObject, object, username: 'carol' });
        const refusals = POLICIES.flatMap((policy) => REQUESTERS.map((user) => evaluate({ ...request, userInfo: { ...request.userInfo, username: user, groups: [] } }, policy)))
          .flatMap((e) => (e.verdict === 'violation' ? [e.reason] : []));
        for (const reason of refusals) reasons.add(reason);
        const shape = (node: KubeObject): string => `${JSON.stringify((node.spec as Obj).unschedulable)} ${JSON.stringify((node.metadata as Obj).annotations ?? null)}`;
        assert.equal(evalCel(ast, celVars(request)), refusals.length > 0, `old ${shape(oldObject)} new ${shape(object)}`);
      }
    }
    assert.deepEqual([...reasons].sort(), ['annotation-removal', 'cordon-guarded', 'maintenance-active', 'stamp-tampering']);
  });

  test("manifests/README.md's overlay for another maintenanceAnnotation is this expression with only the key changed", () => {
    const readme = readFileSync(join(MANIFESTS, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').filter((b) => b.includes('example.com/maintenance'));
    assert.equal(blocks.length, 1, 'one such example');
    const overlay = obj(parseAllDocuments(blocks[0] ?? '').map((d) => (Array.isArray(d) ? null : (d.toJS() as Json)))[0], 'example');
    const [patch] = list(overlay.patches, 'patches').map((p) => obj(p, 'patch'));
    assert.deepEqual(obj(patch?.target, 'target').kind, 'ValidatingWebhookConfiguration');
    const [op] = list(parseAllDocuments(str(patch?.patch, 'patch')).map((d) => (Array.isArray(d) ? null : (d.toJS() as Json)))[0], 'ops').map((o) => obj(o, 'op'));
    assert.deepEqual([op?.op, op?.path], ['replace', '/webhooks/0/matchConditions/0/expression']);
    const example = str(op?.value, 'value');
    assert.deepEqual(tokenize(example.replaceAll('example.com/maintenance', maintenanceAnnotation)), tokenize(expression));
    assert.equal(evalCel(parseCel(example), { oldObject: { metadata: { annotations: { 'example.com/maintenance': '' } } }, object: { metadata: {} } }), true);
  });

  test('the expression is false, not an error, when there is no oldObject', () => {
    const ast = parseCel(expression);
    for (const object of nodeStates(maintenanceAnnotation)) {
      assert.equal(evalCel(ast, { oldObject: null, object, request: { operation: 'CREATE' } }), false);
    }
  });

  test('the expression agrees with the policy definitions on the example AdmissionReviews', () => {
    const ast = parseCel(expression);
    const dir = join(ROOT, 'examples', 'reviews');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    assert.ok(files.length > 0);
    for (const file of files) {
      const request = obj(obj(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Json, file).request, `${file} request`);
      const oldObject = request.oldObject === undefined ? null : obj(request.oldObject, 'oldObject');
      const object = obj(request.object, 'object');
      assert.equal(evalCel(ast, { oldObject, object, request }), shouldMatch(oldObject, object, maintenanceAnnotation), file);
    }
  });

  test('what /mutate writes never makes a request look like stamp tampering, nor sends it here by itself', () => {
    const ast = parseCel(expression);
    const states = nodeStates(maintenanceAnnotation);
    let patched = 0;
    for (const oldObject of [null, ...states]) {
      for (const object of states) {
        const request = nodeRequest(oldObject === null ? 'CREATE' : 'UPDATE', oldObject, object);
        const mutation = cordonStampMutation(request, STAMP_TIME);
        if (mutation.change === 'none') continue;
        patched++;
        const after = structuredClone(object);
        assert.ok(applyPatch(after, mutation.patch as Operation[]).every((e) => e === null));
        assert.equal(evalCel(ast, { oldObject, object: after, request: { operation: request.operation } }), evalCel(ast, { oldObject, object, request: { operation: request.operation } }));
        if (oldObject === null) continue;
        for (const policy of POLICIES) {
          for (const user of REQUESTERS) {
            const evaluation = evaluate(nodeRequest('UPDATE', oldObject, after, user), policy);
            assert.ok(evaluation.verdict !== 'violation' || evaluation.reason !== 'stamp-tampering', `${mutation.change} judged as tampering`);
          }
        }
      }
    }
    assert.ok(patched > 0);
  });

  test('the CEL subset itself treats an unguarded absent field or key as an error, so the checks above can fail', () => {
    const unguarded = parseCel(`oldObject.spec.unschedulable == true && !(object.spec.unschedulable == true)`);
    assert.ok(evalCel(unguarded, { oldObject: { spec: {} }, object: { spec: {} } }) instanceof CelError);
    assert.equal(evalCel(unguarded, { oldObject: { spec: { unschedulable: false } }, object: { spec: {} } }), false, 'false && error is false');
    assert.equal(evalCel(parseCel(`'a/b' in x.m || has(x.n)`), { x: { m: { 'a/b': '' } } }), true);
    const index = parseCel(`x.m['a/b'] != x.n['a/b']`);
    assert.equal(evalCel(index, { x: { m: { 'a/b': '1' }, n: { 'a/b': '2' } } }), true);
    assert.equal(evalCel(index, { x: { m: { 'a/b': '1' }, n: { 'a/b': '1' } } }), false);
    assert.ok(evalCel(index, { x: { m: { 'a/b': '1' }, n: {} } }) instanceof CelError, 'an absent key is an error');
    assert.equal(evalCel(parseCel(`false == false && false`), {}), false, '== binds tighter than &&');
    assert.equal(evalCel(parseCel(`false == true || true`), {}), true, '== binds tighter than ||');
    assert.equal(evalCel(parseCel(`(x == null) != (y == null)`), { x: null, y: 'a' }), true);
  });
});

describe('the MutatingWebhookConfiguration', () => {
  test('it has one webhook, cordon-owner.cordon-guard.io, which the certificate script gives the CA', () => {
    assert.equal(obj(mutatingConfiguration.metadata, 'metadata').name, WEBHOOK_CONFIGURATION_NAME);
    assert.deepEqual(mutatingWebhooks.map((w) => w.name), ['cordon-owner.cordon-guard.io']);
    assert.deepEqual(
      mutatingWebhooks.map((w) => w.name),
      WEBHOOK_TARGETS.filter((t) => t.kind === 'MutatingWebhookConfiguration' && t.name === WEBHOOK_CONFIGURATION_NAME).map((t) => t.webhook),
    );
  });

  test('it lets requests through unstamped when cordon-guard is down, has no side effects, is called once, answers within 5 s and speaks admission.k8s.io/v1', () => {
    assert.equal(mutatingWebhook.failurePolicy, 'Ignore');
    assert.equal(mutatingWebhook.sideEffects, 'None');
    assert.equal(mutatingWebhook.reinvocationPolicy, 'Never');
    assert.equal(mutatingWebhook.timeoutSeconds, 5);
    assert.deepEqual(mutatingWebhook.admissionReviewVersions, ['v1']);
    assert.equal(mutatingWebhook.matchPolicy, 'Equivalent');
  });

  test('its rules match Node CREATEs and UPDATEs only, and never the nodes/status subresource', () => {
    const rules = list(mutatingWebhook.rules, 'rules').map((r) => obj(r, 'rule'));
    assert.deepEqual(rules, [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['nodes'], scope: 'Cluster' }]);
  });

  test('it calls /mutate on the Service, whose port 443 leads to the container port the server listens on', () => {
    checkServiceOf(obj(mutatingWebhook.clientConfig, 'clientConfig'), '/mutate');
  });

  test('it has one clearly named matchCondition, which names the cordon stamp and no other annotation key', () => {
    assert.equal(mutatingMatchConditions.length, 1);
    const name = str(mutatingMatchConditions[0]?.name, 'name');
    assert.deepEqual(qualifiedNameProblems(name), []);
    assert.match(name, /cordon/);
    assert.doesNotThrow(() => parseCel(mutatingExpression));
    const quoted = [...mutatingExpression.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]);
    assert.deepEqual([...new Set(quoted)], [CORDON_STAMP_ANNOTATION]);
  });

  test('the expression sends exactly the UPDATEs that /mutate stamps or unstamps, for every shape of node, without error', () => {
    const ast = parseCel(mutatingExpression);
    const states = nodeStates(maintenanceAnnotation);
    const changes = new Map<string, number>();
    for (const oldObject of states) {
      for (const object of states) {
        const request = nodeRequest('UPDATE', oldObject, object);
        const got = evalCel(ast, celVars(request));
        const change = stampChange(request);
        assert.equal(got, mutates(request), `${change}: old ${JSON.stringify(oldObject)} new ${JSON.stringify(object)}: ${got instanceof CelError ? got.message : String(got)}`);
        changes.set(change, (changes.get(change) ?? 0) + 1);
      }
    }
    assert.deepEqual([...changes.keys()].sort(), ['none', 'stamp', 'unstamp'], 'every outcome occurs');
  });

  test('the expression sends exactly the CREATEs of a cordoned node, without error', () => {
    const ast = parseCel(mutatingExpression);
    let sent = 0;
    for (const object of nodeStates(maintenanceAnnotation)) {
      const request = nodeRequest('CREATE', null, object);
      const got = evalCel(ast, celVars(request));
      assert.equal(got, mutates(request), `CREATE ${JSON.stringify(object)}: ${got instanceof CelError ? got.message : String(got)}`);
      assert.equal(got, cordoned(object));
      if (got === true) sent++;
    }
    assert.ok(sent > 0);
  });

  test('the expression agrees with /mutate on realistic nodes and on the example AdmissionReviews', () => {
    const ast = parseCel(mutatingExpression);
    const requests: Array<[string, AdmissionRequest]> = [];
    for (const object of realisticNodes) {
      requests.push([`CREATE ${JSON.stringify(object.spec)}`, requestOf({ operation: 'CREATE', oldObject: null, object })]);
      for (const oldObject of realisticNodes) requests.push([`UPDATE ${JSON.stringify(oldObject.spec)} -> ${JSON.stringify(object.spec)}`, requestOf({ oldObject, object })]);
    }
    const dir = join(ROOT, 'examples', 'reviews');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const decoded = decodeAdmissionReview(JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown);
      assert.ok(decoded.ok, file);
      requests.push([file, decoded.review.request]);
    }
    const seen = new Set<string>();
    for (const [what, request] of requests) {
      assert.equal(evalCel(ast, celVars(request)), mutates(request), what);
      seen.add(stampChange(request));
    }
    assert.deepEqual([...seen].sort(), ['none', 'stamp', 'unstamp']);
  });
});

describe('the Deployment', () => {
  test('its args are a serve command line that src/cli/args.ts accepts, with the files and ports of this pod', () => {
    assert.equal(containers.length, 1);
    assert.equal(container.command, undefined, "the image's ENTRYPOINT runs");
    assert.equal(entrypoint.at(-1), 'serve', 'the image runs serve; args are its flags');
    assert.equal(serveOptions.command, 'serve');
    assert.equal(serveOptions.port, portNumber('https'));
    assert.equal(serveOptions.port, 9443);
    assert.equal(serveOptions.metricsPort, portNumber('metrics'));
    assert.equal(serveOptions.metricsPort, 8080);
    assert.equal(serveOptions.drainSeconds, 5);
    assert.deepEqual(serveOptions.tls, { kind: 'files', certPath: '/etc/cordon-guard/tls/tls.crt', keyPath: '/etc/cordon-guard/tls/tls.key' });
  });

  test('an unknown flag in the args would be refused, so the check above means something', () => {
    assert.throws(() => parseCommandLine(argvAfterScript([...containerArgs, '--no-such-flag']), {}), { name: 'Error', message: /no-such-flag/ });
  });

  test('the TLS files come read-only from the Secret that make-certs.ts and cert-manager write', () => {
    const mounts = list(container.volumeMounts, 'volumeMounts').map((m) => obj(m, 'mount'));
    const mount = mounts.find((m) => m.mountPath === '/etc/cordon-guard/tls');
    assert.ok(mount !== undefined);
    assert.equal(mount.readOnly, true);
    const volume = list(podSpec.volumes, 'volumes').map((v) => obj(v, 'volume')).find((v) => v.name === mount.name);
    assert.equal(obj(volume?.secret, 'secret volume').secretName, SECRET_NAME);
    assert.equal(SECRET_NAME, 'cordon-guard-tls');
  });

  test('it runs as uid 65532, non-root, read-only, without privilege escalation or capabilities, under RuntimeDefault seccomp', () => {
    const pod = obj(podSpec.securityContext, 'pod securityContext');
    const c = obj(container.securityContext, 'container securityContext');
    const effective = (key: string): Json | undefined => (c[key] !== undefined ? c[key] : pod[key]);
    assert.equal(effective('runAsNonRoot'), true);
    assert.equal(effective('runAsUser'), 65532);
    assert.equal(c.readOnlyRootFilesystem, true);
    assert.equal(c.allowPrivilegeEscalation, false);
    assert.notEqual(c.privileged, true);
    assert.deepEqual(obj(c.capabilities, 'capabilities').drop, ['ALL']);
    assert.equal(obj(c.capabilities, 'capabilities').add, undefined);
    assert.equal(obj(effective('seccompProfile') as Json, 'seccompProfile').type, 'RuntimeDefault');
    assert.notEqual(podSpec.hostNetwork, true);
    const dockerUser = dockerfile.split('\n').find((line) => line.startsWith('USER '));
    assert.match(dockerUser ?? '', /^USER 65532(:65532)?$/, 'the image runs as the same uid');
  });

  test('liveness is /healthz and readiness /readyz, both on the metrics port', () => {
    const liveness = obj(obj(container.livenessProbe, 'livenessProbe').httpGet, 'liveness httpGet');
    const readiness = obj(obj(container.readinessProbe, 'readinessProbe').httpGet, 'readiness httpGet');
    assert.deepEqual([liveness.path, liveness.port], ['/healthz', 'metrics']);
    assert.deepEqual([readiness.path, readiness.port], ['/readyz', 'metrics']);
    assert.equal(portNumber('metrics'), 8080);
  });

  test('two replicas spread over nodes, a PodDisruptionBudget keeps one, and they are system-cluster-critical', () => {
    assert.equal(deploymentSpec.replicas, 2);
    const spread = ((podSpec.topologySpreadConstraints as Json[] | undefined) ?? []).map((t) => obj(t, 'constraint'));
    const antiAffinity = JSON.stringify(obj(podSpec.affinity ?? {}, 'affinity').podAntiAffinity ?? null);
    assert.ok(spread.some((t) => t.topologyKey === 'kubernetes.io/hostname') || antiAffinity.includes('"kubernetes.io/hostname"'));
    const pdb = obj(only('PodDisruptionBudget').spec, 'PDB spec');
    assert.equal(pdb.minAvailable, 1);
    assert.ok((pdb.minAvailable as number) < (deploymentSpec.replicas as number), 'a drain can still evict one');
    for (const [key, value] of Object.entries(obj(obj(pdb.selector, 'PDB selector').matchLabels, 'matchLabels'))) assert.equal(podLabels[key], value);
    for (const [key, value] of Object.entries(obj(obj(deploymentSpec.selector, 'selector').matchLabels, 'matchLabels'))) assert.equal(podLabels[key], value);
    assert.equal(podSpec.priorityClassName, 'system-cluster-critical');
  });

  test('the termination grace period covers the drain and the 10 s in-flight grace', () => {
    assert.ok((podSpec.terminationGracePeriodSeconds as number) >= serveOptions.drainSeconds + 10);
    assert.equal(podSpec.terminationGracePeriodSeconds, 30);
  });

  test('it asks for 50m CPU and 96Mi, may use 384Mi, and runs with NODE_ENV=production', () => {
    assert.deepEqual(container.resources, { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '384Mi' } });
    assert.deepEqual(container.env, [{ name: 'NODE_ENV', value: 'production' }]);
  });
});

describe('TLS wiring', () => {
  const top = parseYamlFile(join(MANIFESTS, 'kustomization.yaml'))[0] ?? {};
  const overlay = parseYamlFile(join(MANIFESTS, 'cert-manager', 'kustomization.yaml'))[0] ?? {};
  const certManagerObjects = yamlFiles(join(MANIFESTS, 'cert-manager'))
    .filter((p) => !p.endsWith('kustomization.yaml'))
    .flatMap(parseYamlFile);

  test('the top-level kustomization adds the Secret that make-certs.ts writes into manifests/certs, and its caBundle patch to each webhook configuration', () => {
    assert.deepEqual(top.resources, ['base', 'certs/secret.yaml']);
    assert.deepEqual(
      top.patches,
      WEBHOOK_TARGETS.map((t) => ({
        path: 'certs/cabundle-patch.yaml',
        target: { group: 'admissionregistration.k8s.io', version: 'v1', kind: t.kind, name: t.name },
      })),
    );
    assert.deepEqual(WEBHOOK_TARGETS.map((t) => t.kind).sort(), ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
    assert.equal(DEFAULT_OUT_DIR, join(MANIFESTS, 'certs'));
  });

  test('the caBundle patch, applied as the kustomization does, gives the CA to both webhooks of the base and nothing else', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const ops = parseAllDocuments(caBundlePatchYaml(ca)).map((d) => (Array.isArray(d) ? [] : d.toJS()))[0] as Operation[];
    for (const target of WEBHOOK_TARGETS) {
      const configuration = resources.find((r) => r.kind === target.kind && r.name === target.name);
      assert.ok(configuration !== undefined, `${target.kind} ${target.name} is in base/`);
      const patched = structuredClone(configuration.doc);
      // As kustomize: all operations or none (its test operations must hold).
      for (const op of ops) assert.equal(applyPatch(patched, [op])[0], null, `${target.kind}: ${op.op} ${op.path}`);
      const patchedWebhooks = list(patched.webhooks, 'webhooks').map((w) => obj(w, 'webhook'));
      assert.deepEqual(patchedWebhooks.map((w) => w.name), [target.webhook], 'its one webhook is the one the script names');
      const caBundle = str(obj(patchedWebhooks[0]?.clientConfig, 'clientConfig').caBundle, 'caBundle');
      assert.equal(Buffer.from(caBundle, 'base64').toString('utf8'), ca);
      const { caBundle: _, ...rest } = obj(patchedWebhooks[0]?.clientConfig, 'clientConfig');
      assert.deepEqual(rest, obj(list(configuration.doc.webhooks, 'webhooks').map((w) => obj(w, 'webhook'))[0]?.clientConfig, 'clientConfig'), 'nothing else changes');
    }
  });

  test('manifests/certs, which holds private keys, is ignored by git', () => {
    for (const path of ['manifests/certs/tls.key', 'manifests/certs/ca.key', 'manifests/certs/secret.yaml']) {
      // Exit status 0: ignored; 1: not ignored; 128: no git or not a repository (a failure too).
      const result = spawnSync('git', ['check-ignore', '--no-index', '-q', path], { cwd: ROOT });
      assert.equal(result.error, undefined, 'git runs');
      assert.equal(result.status, 0, `git check-ignore says ${path} is not ignored (status ${result.status})`);
    }
  });

  test('the cert-manager overlay issues cordon-guard-tls for the four Service names and injects its CA into both webhook configurations', () => {
    assert.ok(list(overlay.resources, 'overlay resources').includes('../base'));
    const certificates = certManagerObjects.filter((o) => o.kind === 'Certificate');
    const serving = certificates.find((c) => obj(c.spec, 'spec').secretName === SECRET_NAME);
    assert.ok(serving !== undefined, 'a Certificate writes the Secret the Deployment mounts');
    const servingSpec = obj(serving.spec, 'spec');
    assert.deepEqual(servingSpec.dnsNames, [...DEFAULT_DNS_NAMES]);
    assert.notEqual(servingSpec.isCA, true);
    const metadata = obj(serving.metadata, 'metadata');
    const issuerName = obj(servingSpec.issuerRef, 'issuerRef').name;
    const issuer = certManagerObjects.find((o) => o.kind === 'Issuer' && obj(o.metadata, 'metadata').name === issuerName);
    assert.ok(isObj(issuer?.spec) && isObj(issuer.spec.ca), 'signed by a CA Issuer, not self-signed');
    const injectFrom = `${String(metadata.namespace)}/${String(metadata.name)}`;
    assert.equal(injectFrom, 'cordon-guard/cordon-guard-serving');
    const patches = list(overlay.patches, 'overlay patches').map((p) => obj(p, 'patch'));
    for (const target of WEBHOOK_TARGETS) {
      const patch = patches.find((p) => isObj(p.target) && p.target.kind === target.kind && p.target.name === target.name);
      assert.ok(patch !== undefined, `a patch targets ${target.kind} ${target.name}`);
      const document = obj(parseAllDocuments(str(patch.patch, 'patch')).map((d) => (Array.isArray(d) ? null : (d.toJS() as Json)))[0], 'patch document');
      assert.deepEqual([document.kind, obj(document.metadata, 'metadata').name], [target.kind, target.name]);
      assert.equal(obj(obj(document.metadata, 'metadata').annotations, 'annotations')['cert-manager.io/inject-ca-from'], injectFrom, target.kind);
    }
  });
});

describe('the image', () => {
  test("the image's ENTRYPOINT is node dist/main.js serve, with no CMD", () => {
    assert.deepEqual(entrypoint, ['/nodejs/bin/node', 'dist/main.js', 'serve']);
    assert.equal(dockerfile.split('\n').filter((line) => line.startsWith('CMD ')).length, 0);
  });

  test("the image caps V8's young generation through NODE_OPTIONS, which Node accepts there, and the benchmark runs with it", () => {
    const options = imageNodeOptions(dockerfile);
    assert.equal(options, '--max-semi-space-size=16');
    const run = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.execArgv.length))'], { env: { ...process.env, NODE_OPTIONS: options }, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(!list(container.env, 'env').some((e) => obj(e, 'env var').name === 'NODE_OPTIONS'), 'the Deployment keeps the image\'s flags');
  });

  test('every file the Dockerfile copies from the build context is let through by .dockerignore', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    assert.equal(ignore[0], '*', 'an allowlist: everything else, such as manifests/certs, stays out');
    const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
    const copied = dockerfile
      .split('\n')
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    assert.ok(copied.length > 0);
    for (const source of copied) assert.ok(allowed.includes(source.replace(/\/$/, '')), `${source} is not in the build context`);
    assert.ok(!allowed.some((a) => a.startsWith('manifests') || a.startsWith('node_modules')));
  });
});
