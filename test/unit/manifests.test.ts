// The install manifests against the code they deploy: RBAC no wider than what cordon-guard
// calls, a webhook that sees exactly the requests the policy can refuse, a Deployment whose
// flags the CLI accepts, and a matchConditions key in step with the policy's annotation key.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { parseCommandLine, type ServeOptions } from '../../src/cli/args.ts';
import { parsePolicyDocument } from '../../src/policy/document.ts';
import { qualifiedNameProblems } from '../../src/policy/qualifiedName.ts';
import { DEFAULT_SETTINGS } from '../../src/policy/types.ts';
import { DEFAULT_DNS_NAMES, DEFAULT_OUT_DIR, SECRET_NAME, WEBHOOK_CONFIGURATION_NAME, WEBHOOK_NAMES } from '../../certs-scripts/make-certs.ts';

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

// ---------------------------------------------------------------------------------------------
// A CEL subset, enough to evaluate the matchConditions expression: literals, variables, field
// selection, has(), !, ==, !=, in, && and || with CEL's error rules (reading an absent field
// is an error; && and || absorb an error when the other side decides). Not a CEL engine: the
// end-to-end suite checks the expression against a real API server.

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
  | { t: 'not'; of: Ast }
  | { t: 'bin'; op: '&&' | '||' | '==' | '!=' | 'in'; l: Ast; r: Ast };

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(?:('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(&&|\|\||==|!=|[().!])|([A-Za-z_][A-Za-z0-9_]*))/y;
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
    while (peek() === '.') (take(), (node = { t: 'select', of: node, field: ident() }));
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

// POLICY.md "Definitions", in plain JavaScript: the reference the expression must agree with.
const cordoned = (o: Obj | null): boolean => isObj(o?.spec) && (o.spec as Obj).unschedulable === true;
const underMaintenance = (o: Obj | null, key: string): boolean => isObj(o?.metadata) && isObj((o.metadata as Obj).annotations) && Object.hasOwn((o.metadata as Obj).annotations as Obj, key);
const shouldMatch = (oldObject: Obj | null, object: Obj, key: string): boolean =>
  oldObject !== null && ((cordoned(oldObject) && !cordoned(object)) || (underMaintenance(oldObject, key) && !underMaintenance(object, key)));

/** Node states: every way spec.unschedulable and the annotations can be present or absent. */
function nodeStates(key: string): Obj[] {
  const specs: Array<Obj | undefined> = [undefined, {}, { unschedulable: false }, { unschedulable: true, taints: [] }];
  const annotations: Array<Obj | undefined> = [undefined, {}, { other: 'x' }, { [key]: '' }, { [key]: 'OPS-1', other: 'y' }];
  return specs.flatMap((spec) =>
    annotations.map((a) => {
      const node: Obj = { apiVersion: 'v1', kind: 'Node', metadata: a === undefined ? { name: 'n1' } : { name: 'n1', annotations: a } };
      if (spec !== undefined) node.spec = spec;
      return node;
    }),
  );
}

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
    assert.deepEqual(webhooks.map((w) => w.name), [...WEBHOOK_NAMES]);
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
    const clientConfig = obj(webhook.clientConfig, 'clientConfig');
    assert.equal(clientConfig.url, undefined);
    assert.equal(clientConfig.caBundle, undefined, 'the caBundle comes from the certs patch or cert-manager');
    const service = obj(clientConfig.service, 'clientConfig.service');
    assert.deepEqual(service, { namespace: NAMESPACE, name: 'cordon-guard', path: '/validate', port: 443 });
    const svc = resources.find((r) => r.kind === 'Service' && r.name === service.name && r.namespace === service.namespace);
    assert.ok(svc !== undefined, 'the Service exists');
    const ports = list(obj(svc.doc.spec, 'Service spec').ports, 'Service ports').map((p) => obj(p, 'port'));
    const https = ports.find((p) => p.port === 443);
    assert.equal(https?.targetPort, 'https');
    assert.equal(portNumber('https'), serveOptions.port);
    assert.equal(ports.find((p) => p.port === 8080)?.targetPort, 'metrics');
    assert.deepEqual(obj(svc.doc.spec, 'Service spec').selector, { 'app.kubernetes.io/name': podLabels['app.kubernetes.io/name'], 'app.kubernetes.io/component': podLabels['app.kubernetes.io/component'] });
  });

  test('it has one clearly named matchCondition, whose expression the CEL subset reads', () => {
    assert.equal(matchConditions.length, 1, 'matchConditions are ANDed: one condition ORs the two transitions');
    const name = str(matchConditions[0]?.name, 'name');
    assert.deepEqual(qualifiedNameProblems(name), []);
    assert.match(name, /uncordon/);
    assert.doesNotThrow(() => parseCel(expression));
  });

  test("the matchCondition names exactly the policy's maintenanceAnnotation, and no other annotation key", () => {
    assert.ok(policyResult.ok);
    const quoted = [...expression.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]);
    assert.deepEqual([...new Set(quoted)], [maintenanceAnnotation]);
    assert.equal(quoted.length, 2, 'in oldObject and in object');
  });

  test('the expression lets through exactly the uncordons and maintenance-annotation removals, for every shape of node, without error', () => {
    const ast = parseCel(expression);
    const states = nodeStates(maintenanceAnnotation);
    let matched = 0;
    for (const oldObject of states) {
      for (const object of states) {
        const got = evalCel(ast, { oldObject, object, request: { operation: 'UPDATE' } });
        const want = shouldMatch(oldObject, object, maintenanceAnnotation);
        assert.equal(got, want, `old ${JSON.stringify(oldObject)} new ${JSON.stringify(object)}: ${got instanceof CelError ? got.message : String(got)}`);
        if (want) matched++;
      }
    }
    assert.ok(matched > 0 && matched < states.length ** 2, 'both outcomes occur');
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

  test('the CEL subset itself treats an unguarded absent field as an error, so the checks above can fail', () => {
    const unguarded = parseCel(`oldObject.spec.unschedulable == true && !(object.spec.unschedulable == true)`);
    assert.ok(evalCel(unguarded, { oldObject: { spec: {} }, object: { spec: {} } }) instanceof CelError);
    assert.equal(evalCel(unguarded, { oldObject: { spec: { unschedulable: false } }, object: { spec: {} } }), false, 'false && error is false');
    assert.equal(evalCel(parseCel(`'a/b' in x.m || has(x.n)`), { x: { m: { 'a/b': '' } } }), true);
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

  test('the top-level kustomization adds the Secret and caBundle patch that make-certs.ts writes into manifests/certs', () => {
    assert.deepEqual(top.resources, ['base', 'certs/secret.yaml']);
    assert.deepEqual(top.patches, [{ path: 'certs/cabundle-patch.yaml' }]);
    assert.equal(DEFAULT_OUT_DIR, join(MANIFESTS, 'certs'));
  });

  test('manifests/certs, which holds private keys, is ignored by git', (t) => {
    for (const path of ['manifests/certs/tls.key', 'manifests/certs/ca.key', 'manifests/certs/secret.yaml']) {
      // Exit status 0: ignored; 1: not ignored; 128: no git or not a repository.
      const result = spawnSync('git', ['check-ignore', '--no-index', '-q', path], { cwd: ROOT });
      if (result.error !== undefined || result.status === 128) return t.skip('git cannot tell here (not installed, or not a repository)');
      assert.equal(result.status, 0, `git check-ignore says ${path} is not ignored`);
    }
  });

  test('the cert-manager overlay issues cordon-guard-tls for the four Service names and injects its CA into the webhook', () => {
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
    const patches = JSON.stringify(overlay.patches);
    assert.ok(patches.includes(`cert-manager.io/inject-ca-from: ${String(metadata.namespace)}/${String(metadata.name)}`), patches);
    assert.equal(`${String(metadata.namespace)}/${String(metadata.name)}`, 'cordon-guard/cordon-guard-serving');
  });
});

describe('the image', () => {
  test("the image's ENTRYPOINT is node dist/main.js serve, with no CMD", () => {
    assert.deepEqual(entrypoint, ['/nodejs/bin/node', 'dist/main.js', 'serve']);
    assert.equal(dockerfile.split('\n').filter((line) => line.startsWith('CMD ')).length, 0);
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
