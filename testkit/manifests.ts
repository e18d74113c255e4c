// The install manifests (manifests/), the Dockerfile and what the code derives from them, for
// the tests in test/unit/manifests/. Everything is read lazily, on the first call from inside a
// test: importing this module reads no file and asserts nothing, so a broken manifest shows up
// as the named tests that need it failing, not as a test file that fails to load.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyPatch, type Operation } from 'rfc6902';
import { parseAllDocuments, parseDocument } from 'yaml';
import { isPlainObject } from '../src/admission/json.ts';
import { parseCommandLine, type ServeOptions } from '../src/cli/args.ts';
import { parsePolicyDocument, type PolicyParseResult } from '../src/policy/document.ts';

// ---------------------------------------------------------------------------------------------
// JSON values and typed accessors (each asserts, so call them from inside a test)

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Obj = { [key: string]: Json };

/** A mapping: src/admission/json.ts's guard, narrowed to the manifests' JSON. */
export function isObj(value: unknown): value is Obj {
  return isPlainObject(value);
}

export function obj(value: Json | undefined, what: string): Obj {
  assert.ok(isObj(value), `${what} is not a mapping`);
  return value;
}

export function list(value: Json | undefined, what: string): Json[] {
  assert.ok(Array.isArray(value), `${what} is not a list`);
  return value;
}

export function str(value: Json | undefined, what: string): string {
  assert.ok(typeof value === 'string', `${what} is not a string`);
  return value;
}

/** `value` as JSON, checked all the way down (no undefined, functions, bigints or class instances). */
function json(value: unknown, what: string): Json {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    assert.ok(Number.isFinite(value), `${what} is not a finite number`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item: unknown, i) => json(item, `${what}[${i}]`));
  assert.ok(typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype, `${what} is not JSON`);
  const out: Obj = {};
  for (const [key, item] of Object.entries(value)) out[key] = json(item, `${what}.${key}`);
  return out;
}

/** Calls `make` once it has succeeded; a call that throws is retried (and fails again) next time. */
function lazy<T>(make: () => T): () => T {
  let done: { value: T } | undefined;
  return () => (done ??= { value: make() }).value;
}

// ---------------------------------------------------------------------------------------------
// Files

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const MANIFESTS = join(ROOT, 'manifests');
const BASE = join(MANIFESTS, 'base');
const TLS_FROM_SECRET_PATCH = join(MANIFESTS, 'components', 'tls-from-secret', 'deployment-patch.yaml');
export const EXAMPLE_REVIEWS = join(ROOT, 'examples', 'reviews');

export function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(name) ? [path] : [];
    })
    .sort();
}

/** The YAML documents of a file or a string, each a mapping; empty documents are left out. */
export function parseYaml(text: string, what: string): Obj[] {
  const documents = parseAllDocuments(text);
  assert.ok(Array.isArray(documents), `${what}: not YAML`);
  return documents.flatMap((document) => {
    assert.deepEqual(document.errors.map(String), [], `${what}: YAML errors`);
    const value = json(document.toJS(), what);
    if (value === null) return [];
    assert.ok(isObj(value), `${what}: a document is not a mapping`);
    return [value];
  });
}

/** A JSON Patch operation as rfc6902 takes it, read field by field. */
export function patchOperation(value: Json, what: string): Operation {
  const op = obj(value, what);
  const path = str(op.path, `${what} path`);
  switch (op.op) {
    case 'add':
    case 'replace':
    case 'test':
      assert.ok(Object.hasOwn(op, 'value'), `${what}: ${op.op} without a value`);
      return { op: op.op, path, value: op.value };
    case 'remove':
      return { op: 'remove', path };
    case 'move':
    case 'copy':
      return { op: op.op, from: str(op.from, `${what} from`), path };
    default:
      assert.fail(`${what}: no such op ${JSON.stringify(op.op)}`);
  }
}

/** `target` with a JSON patch applied as kustomize applies it: every operation (tests included) must succeed. */
export function patched(target: Obj, operations: readonly Operation[], what: string): Obj {
  const copy = structuredClone(target);
  for (const op of operations) assert.equal(applyPatch(copy, [op])[0], null, `${what}: ${op.op} ${op.path}`);
  return copy;
}

/** The one YAML document of a string (a patch, a README example), whatever its type. */
export function parseYamlValue(text: string, what: string): Json {
  const document = parseDocument(text);
  assert.deepEqual(document.errors.map(String), [], `${what}: YAML errors`);
  return json(document.toJS(), what);
}

export function parseYamlFile(path: string): Obj[] {
  return parseYaml(readFileSync(path, 'utf8'), path);
}

export function readJsonFile(path: string): Json {
  return json(JSON.parse(readFileSync(path, 'utf8')), path);
}

// ---------------------------------------------------------------------------------------------
// The kustomize base

export interface Resource {
  file: string;
  doc: Obj;
  kind: string;
  name: string;
  namespace: string | undefined;
}

export const NAMESPACE = 'cordon-guard';
export const CLUSTER_SCOPED: ReadonlySet<string> = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);

export const kustomization = lazy((): Obj => parseYamlFile(join(BASE, 'kustomization.yaml'))[0] ?? {});

/** Every object in manifests/base, but the kustomization. */
export const resources = lazy((): Resource[] =>
  yamlFiles(BASE)
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
    ),
);

/** The one object of this kind in the base. */
export function only(kind: string): Obj {
  const found = resources().filter((r) => r.kind === kind);
  assert.equal(found.length, 1, `expected one ${kind}, found ${found.length}`);
  const [resource] = found;
  assert.ok(resource !== undefined);
  return resource.doc;
}

// ---------------------------------------------------------------------------------------------
// The Deployment and the image

export interface DeploymentParts {
  deployment: Obj;
  spec: Obj;
  podLabels: Obj;
  podSpec: Obj;
  containers: Obj[];
  /** The first container (the test of the Deployment checks that it is the only one). */
  container: Obj;
  args: string[];
  ports: Obj[];
}

/** The parts of a Deployment (base/'s by default). */
export function partsOf(deployment: Obj): DeploymentParts {
  const spec = obj(deployment.spec, 'Deployment spec');
  const podTemplate = obj(spec.template, 'pod template');
  const podLabels = obj(obj(podTemplate.metadata, 'pod metadata').labels, 'pod labels');
  const podSpec = obj(podTemplate.spec, 'pod spec');
  const containers = list(podSpec.containers, 'containers').map((c) => obj(c, 'container'));
  const container = containers[0] ?? {};
  const args = list(container.args, 'container args').map((a) => str(a, 'an arg'));
  const ports = list(container.ports, 'container ports').map((p) => obj(p, 'port'));
  return { deployment, spec, podLabels, podSpec, containers, container, args, ports };
}

/** base/'s Deployment: the default install, where cordon-guard makes its own certificates. */
export const deploymentParts = lazy((): DeploymentParts => partsOf(only('Deployment')));

/** The JSON patch of components/tls-from-secret, which the own-pki and cert-manager overlays apply. */
export const tlsFromSecretPatch = lazy((): Operation[] =>
  list(parseYamlValue(readFileSync(TLS_FROM_SECRET_PATCH, 'utf8'), TLS_FROM_SECRET_PATCH), 'tls-from-secret patch').map((o, i) => patchOperation(o, `tls-from-secret patch[${i}]`)),
);

/** The Deployment of the own-pki and cert-manager overlays: base/'s with the key pair from a Secret volume. */
export const tlsFromSecretDeploymentParts = lazy((): DeploymentParts => partsOf(patched(only('Deployment'), tlsFromSecretPatch(), 'tls-from-secret patch')));

/** The number of the container port with this name. */
export function portNumber(name: string): number {
  const port = deploymentParts().ports.find((p) => p.name === name);
  assert.ok(port !== undefined, `no container port named ${name}`);
  assert.ok(typeof port.containerPort === 'number', `container port ${name} has no number`);
  return port.containerPort;
}

export const dockerfile = lazy((): string => readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));

/** The Dockerfile's one ENTRYPOINT or CMD, in exec form. */
function dockerfileExec(instruction: 'ENTRYPOINT' | 'CMD'): string[] {
  const lines = dockerfile()
    .split('\n')
    .filter((line) => line.startsWith(`${instruction} `));
  assert.equal(lines.length, 1, `one ${instruction} in the Dockerfile`);
  const value: unknown = JSON.parse((lines[0] ?? '').slice(instruction.length + 1));
  assert.ok(Array.isArray(value) && value.every((v): v is string => typeof v === 'string'), `${instruction} in exec form`);
  return value;
}

/**
 * The container's environment in the Deployment (its literal values): the bench and the soak run
 * cordon-guard with it, so that they measure the process the Deployment runs.
 */
export function deploymentEnv(): Record<string, string> {
  const { container } = deploymentParts();
  const env = container.env === undefined ? [] : list(container.env, 'env').map((e) => obj(e, 'env var'));
  return Object.fromEntries(
    env.filter((e) => e.value !== undefined).map((e) => {
      const name = str(e.name, 'env name');
      return [name, str(e.value, `env ${name}`)];
    }),
  );
}

/** The container's memory limit in MiB (a `NNNMi` quantity). */
export function deploymentMemoryLimitMiB(): number {
  const { container } = deploymentParts();
  const text = str(obj(obj(container.resources, 'resources').limits, 'limits').memory, 'memory limit');
  const match = /^(\d+)Mi$/.exec(text);
  assert.ok(match !== null, `the memory limit ${text} is not in Mi`);
  return Number(match[1]);
}

export const entrypoint = lazy((): string[] => dockerfileExec('ENTRYPOINT'));

/** The command line the container runs: the image's ENTRYPOINT (after the script) + args. */
export function argvAfterScript(args: readonly string[]): string[] {
  const script = entrypoint().indexOf('dist/main.js');
  assert.ok(script > 0, 'ENTRYPOINT runs dist/main.js');
  return [...entrypoint().slice(script + 1), ...args];
}

/**
 * What src/cli/args.ts makes of the container's command line in the own-pki and cert-manager
 * overlays; it must be a serve command. Every flag but the TLS source is base/'s, word for word.
 */
export const serveOptions = lazy((): ServeOptions => {
  const options = parseCommandLine(argvAfterScript(tlsFromSecretDeploymentParts().args), {});
  assert.ok(options.command === 'serve', `the container runs ${options.command}, not serve`);
  return options;
});

// ---------------------------------------------------------------------------------------------
// The policy ConfigMap

export const policyConfigMap = lazy((): Resource => {
  const found = resources().find((r) => r.kind === 'ConfigMap' && r.name === 'cordon-guard-policy');
  assert.ok(found !== undefined, 'no ConfigMap cordon-guard-policy in base/');
  return found;
});

export const policyText = lazy((): string => str(obj(policyConfigMap().doc.data, 'policy ConfigMap data')['policy.yaml'], 'policy.yaml'));

export const policyResult = lazy((): PolicyParseResult => parsePolicyDocument(policyText(), 'cordon-guard/cordon-guard-policy'));

/** The policy's maintenanceAnnotation; fails the calling test if policy.yaml is invalid. */
export function maintenanceAnnotation(): string {
  const result = policyResult();
  assert.ok(result.ok, `policy.yaml is invalid: ${result.ok ? '' : result.errors.join('; ')}`);
  return result.policy.maintenanceAnnotation;
}

// ---------------------------------------------------------------------------------------------
// The webhook configurations

export interface WebhookParts {
  configuration: Obj;
  webhooks: Obj[];
  /** The first webhook (the tests check that it is the only one). */
  webhook: Obj;
  matchConditions: Obj[];
  /** The first matchCondition's CEL expression. */
  expression: string;
}

function webhookParts(kind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration'): WebhookParts {
  const configuration = only(kind);
  const webhooks = list(configuration.webhooks, `${kind} webhooks`).map((w) => obj(w, 'webhook'));
  const webhook = webhooks[0] ?? {};
  const matchConditions = list(webhook.matchConditions, `${kind} matchConditions`).map((m) => obj(m, 'matchCondition'));
  const expression = str(matchConditions[0]?.expression, `${kind} matchConditions[0].expression`);
  return { configuration, webhooks, webhook, matchConditions, expression };
}

export const validating = lazy(() => webhookParts('ValidatingWebhookConfiguration'));
export const mutating = lazy(() => webhookParts('MutatingWebhookConfiguration'));

/** The Service behind a webhook's clientConfig, and the port the API server dials. */
export function checkServiceOf(clientConfig: Obj, path: string): void {
  assert.equal(clientConfig.url, undefined);
  assert.equal(clientConfig.caBundle, undefined, 'the caBundle comes from the certs patch or cert-manager');
  const service = obj(clientConfig.service, 'clientConfig.service');
  assert.deepEqual(service, { namespace: NAMESPACE, name: 'cordon-guard', path, port: 443 });
  const svc = resources().find((r) => r.kind === 'Service' && r.name === service.name && r.namespace === service.namespace);
  assert.ok(svc !== undefined, 'the Service exists');
  const ports = list(obj(svc.doc.spec, 'Service spec').ports, 'Service ports').map((p) => obj(p, 'port'));
  const https = ports.find((p) => p.port === 443);
  assert.equal(https?.targetPort, 'https');
  assert.equal(portNumber('https'), serveOptions().port);
  assert.equal(ports.find((p) => p.port === 8080)?.targetPort, 'metrics');
  const { podLabels } = deploymentParts();
  assert.deepEqual(obj(svc.doc.spec, 'Service spec').selector, { 'app.kubernetes.io/name': podLabels['app.kubernetes.io/name'], 'app.kubernetes.io/component': podLabels['app.kubernetes.io/component'] });
}
