// Self-protection (manifests/base/protect-policy.yaml): the ValidatingAdmissionPolicy and its
// binding against the objects manifests/ ships, and its CEL evaluated with @bufbuild/cel on a
// table of requesters, operations and objects. test/e2e/selfProtection.test.ts runs the same
// policy on a real API server.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { compilePolicy, type PolicyInput } from '../../../testkit/admissionPolicy.ts';
import { MANIFESTS, NAMESPACE, kustomization, list, obj, parseYamlFile, resources, str, type Json, type Obj } from '../../../testkit/manifests.ts';

// ---------------------------------------------------------------------------------------------
// The objects

const POLICY_FILE = 'protect-policy.yaml';
const PARAMS_FILE = 'protect-admins-configmap.yaml';
const CA_INJECTOR = 'system:serviceaccount:cert-manager:cert-manager-cainjector';

const policyDoc = (): Obj => one('ValidatingAdmissionPolicy');
const bindingDoc = (): Obj => one('ValidatingAdmissionPolicyBinding');
const policySpec = (): Obj => obj(policyDoc().spec, 'policy spec');
const compiled = () => compilePolicy(policyDoc());

function one(kind: string): Obj {
  const found = resources().filter((r) => r.kind === kind);
  assert.equal(found.length, 1, `one ${kind} in base/`);
  return found[0]?.doc ?? {};
}

function named(kind: string, name: string): Obj {
  const found = resources().find((r) => r.kind === kind && r.name === name);
  assert.ok(found !== undefined, `${kind} ${name} in base/`);
  return structuredClone(found.doc);
}

/** The kinds the policy protects, as the API server names their resources. */
const RESOURCES: Readonly<Record<string, { group: string; version: string; resource: string }>> = {
  ValidatingWebhookConfiguration: { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'validatingwebhookconfigurations' },
  MutatingWebhookConfiguration: { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'mutatingwebhookconfigurations' },
  ConfigMap: { group: '', version: 'v1', resource: 'configmaps' },
  Deployment: { group: 'apps', version: 'v1', resource: 'deployments' },
  Service: { group: '', version: 'v1', resource: 'services' },
};

interface Protected {
  kind: string;
  name: string;
  namespace: string | undefined;
  doc: Obj;
}

/** Every object of base/ whose kind the policy protects: all of them must be protected. */
const protectedObjects = (): Protected[] =>
  resources()
    .filter((r) => Object.hasOwn(RESOURCES, r.kind))
    .map((r) => ({ kind: r.kind, name: r.name, namespace: r.namespace, doc: r.doc }));

interface Rule {
  apiGroups: string[];
  apiVersions: string[];
  operations: string[];
  resources: string[];
  resourceNames: string[];
  scope: string;
}

const strings = (value: Json | undefined, what: string): string[] => list(value, what).map((v, i) => str(v, `${what}[${i}]`));

const rules = (): Rule[] =>
  list(obj(policySpec().matchConstraints, 'matchConstraints').resourceRules, 'resourceRules').map((x, i) => {
    const r = obj(x, `resourceRules[${i}]`);
    return {
      apiGroups: strings(r.apiGroups, `resourceRules[${i}].apiGroups`),
      apiVersions: strings(r.apiVersions, `resourceRules[${i}].apiVersions`),
      operations: strings(r.operations, `resourceRules[${i}].operations`),
      resources: strings(r.resources, `resourceRules[${i}].resources`),
      resourceNames: r.resourceNames === undefined ? [] : strings(r.resourceNames, `resourceRules[${i}].resourceNames`),
      scope: str(r.scope, `resourceRules[${i}].scope`),
    };
  });

/** What a set of rules covers, as "OPERATION group/resource name" strings. */
function covered(ruleList: Rule[]): Set<string> {
  const out = new Set<string>();
  for (const r of ruleList)
    for (const op of r.operations) for (const g of r.apiGroups) for (const res of r.resources) for (const n of r.resourceNames) out.add(`${op} ${g}/${res} ${n}`);
  return out;
}

/** An object as the API server stores it: the fields it sets itself on top of the manifest. */
function stored(doc: Obj, extra: Obj = {}): Obj {
  const copy = structuredClone(doc);
  const metadata = obj(copy.metadata, 'metadata');
  Object.assign(metadata, {
    uid: '0b7c1d2e-0000-4000-8000-000000000001',
    resourceVersion: '4711',
    generation: 1,
    creationTimestamp: '2026-11-28T06:30:15Z',
    managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', time: '2026-11-28T06:30:15Z' }],
    ...extra,
  });
  return copy;
}

/** A webhook configuration as the top-level kustomization ships it: with the CA in caBundle. */
function webhookConfiguration(kind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration', caBundle: string | undefined = 'Q0EtMQ=='): Obj {
  const doc = stored(named(kind, 'cordon-guard'));
  for (const w of list(doc.webhooks, 'webhooks')) {
    const clientConfig = obj(obj(w, 'webhook').clientConfig, 'clientConfig');
    if (caBundle === undefined) delete clientConfig.caBundle;
    else clientConfig.caBundle = caBundle;
  }
  return doc;
}

/** A copy of `doc` changed by `edit`, with the metadata the API server rewrites on every write. */
function edited(doc: Obj, edit: (copy: Obj) => void): Obj {
  const copy = structuredClone(doc);
  edit(copy);
  const metadata = obj(copy.metadata, 'metadata');
  metadata.resourceVersion = '4712';
  if (typeof metadata.generation === 'number') metadata.generation += 1;
  metadata.managedFields = [...list(metadata.managedFields ?? [], 'managedFields'), { manager: 'editor', operation: 'Update', apiVersion: 'v1', time: '2026-11-28T07:00:00Z' }];
  return copy;
}

const firstWebhook = (doc: Obj): Obj => obj(list(doc.webhooks, 'webhooks')[0], 'webhook');
const clientConfigOf = (doc: Obj): Obj => obj(firstWebhook(doc).clientConfig, 'clientConfig');

// ---------------------------------------------------------------------------------------------
// Requests

interface Requester {
  username: string;
  /** Absent: the request has no groups field at all. */
  groups?: string[];
}

const ADMIN: Requester = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
const MEMBER: Requester = { username: 'carol', groups: ['cordon-guard-admins', 'system:authenticated'] };
const OUTSIDER: Requester = { username: 'mallory', groups: ['system:authenticated'] };
const SRE: Requester = { username: 'bob', groups: ['sre-oncall', 'system:authenticated'] };
const INJECTOR: Requester = { username: CA_INJECTOR, groups: ['system:serviceaccounts', 'system:serviceaccounts:cert-manager', 'system:authenticated'] };
const NO_GROUPS: Requester = { username: 'system:anonymous-ish' };

type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

interface Target {
  kind: string;
  namespace?: string | undefined;
  /** '' for a deletecollection: the API server admits each object with an empty name. */
  name: string;
  subResource?: string;
}

/** `request` as the API server builds it; empty fields are absent (omitempty). */
function request(operation: Operation, target: Target, who: Requester): Obj {
  const gvr = RESOURCES[target.kind];
  assert.ok(gvr !== undefined, `no resource for ${target.kind}`);
  const kind = target.subResource === 'scale' ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : { group: gvr.group, version: gvr.version, kind: target.kind };
  const resource = { group: gvr.group, version: gvr.version, resource: gvr.resource };
  const out: Obj = {
    kind,
    resource,
    requestKind: kind,
    requestResource: resource,
    operation,
    userInfo: { username: who.username, ...(who.groups === undefined ? {} : { groups: who.groups }) },
    dryRun: false,
  };
  if (target.name !== '') out.name = target.name;
  if (target.namespace !== undefined) out.namespace = target.namespace;
  if (target.subResource !== undefined) out.subResource = target.subResource;
  return out;
}

const DEFAULT_PARAMS = (): Obj => stored(named('ConfigMap', 'cordon-guard-admins'));
const paramsWith = (data: Obj | undefined): Obj => {
  const params = DEFAULT_PARAMS();
  if (data === undefined) delete params.data;
  else params.data = data;
  return params;
};

function input(operation: Operation, target: Target, who: Requester, objects: { object?: Obj | null; oldObject?: Obj | null }, params: Obj | null = DEFAULT_PARAMS()): PolicyInput {
  return { request: request(operation, target, who), object: objects.object ?? null, oldObject: objects.oldObject ?? null, params };
}

/** The three writes of each protected object: a label change, a DELETE by name and one from a deletecollection, and a CREATE. */
function writesOf(p: Protected): Array<{ what: string; input: (who: Requester, params?: Obj | null) => PolicyInput }> {
  const current = stored(p.doc);
  const labelled = edited(current, (c) => {
    obj(obj(c.metadata, 'metadata').labels, 'labels').changed = 'yes';
  });
  const target = { kind: p.kind, namespace: p.namespace, name: p.name };
  return [
    { what: `UPDATE ${p.kind} ${p.name}`, input: (who, params) => input('UPDATE', target, who, { object: labelled, oldObject: current }, params) },
    { what: `DELETE ${p.kind} ${p.name}`, input: (who, params) => input('DELETE', target, who, { oldObject: current }, params) },
    { what: `deletecollection ${p.kind} (${p.name})`, input: (who, params) => input('DELETE', { ...target, name: '' }, who, { oldObject: current }, params) },
    { what: `CREATE ${p.kind} ${p.name}`, input: (who, params) => input('CREATE', target, who, { object: stored(p.doc) }, params) },
  ];
}

function assertAllowed(i: PolicyInput, what: string): void {
  assert.deepEqual(compiled().evaluate(i), { result: 'allowed' }, what);
}

function deniedMessage(i: PolicyInput, what: string): string {
  const outcome = compiled().evaluate(i);
  assert.equal(outcome.result, 'denied', `${what}: ${JSON.stringify(outcome)}`);
  assert.ok(outcome.result === 'denied');
  assert.equal(outcome.reason, 'Forbidden', what);
  return outcome.message;
}

// ---------------------------------------------------------------------------------------------
// The manifests

describe('self-protection: the policy, its binding and its params against the manifests', () => {
  test('the base kustomization includes the policy, its binding and the params ConfigMap, and both install paths include the base', () => {
    const listed = strings(kustomization().resources, 'resources');
    assert.ok(listed.includes(POLICY_FILE), `${POLICY_FILE} in base/kustomization.yaml`);
    assert.ok(listed.includes(PARAMS_FILE), `${PARAMS_FILE} in base/kustomization.yaml`);
    assert.deepEqual(resources().filter((r) => r.file === POLICY_FILE).map((r) => r.kind), ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
    assert.deepEqual(resources().filter((r) => r.file === PARAMS_FILE).map((r) => `${r.kind} ${r.namespace ?? ''}/${r.name}`), [`ConfigMap ${NAMESPACE}/cordon-guard-admins`]);
    for (const top of ['kustomization.yaml', join('cert-manager', 'kustomization.yaml')]) {
      const k = parseYamlFile(join(MANIFESTS, top))[0] ?? {};
      assert.ok(strings(k.resources, `${top} resources`).some((r) => r === 'base' || r === '../base'), `${top} includes the base`);
    }
  });

  test('the policy names every object of the protected kinds that base/ ships, by name, and nothing else; renaming one fails here', () => {
    const named = rules().filter((r) => !r.resourceNames.includes(''));
    const expected = new Set<string>();
    for (const p of protectedObjects()) {
      const gvr = RESOURCES[p.kind];
      assert.ok(gvr !== undefined);
      for (const op of ['CREATE', 'UPDATE', 'DELETE']) {
        expected.add(`${op} ${gvr.group}/${gvr.resource} ${p.name}`);
        if (p.kind === 'Deployment') expected.add(`${op} ${gvr.group}/${gvr.resource}/scale ${p.name}`);
      }
    }
    assert.deepEqual([...covered(named)].sort(), [...expected].sort());
    // What it protects, spelled out: the two webhook configurations, the policy and the params
    // ConfigMaps, the Deployment and the Service.
    assert.deepEqual(
      protectedObjects().map((p) => `${p.kind} ${p.namespace ?? ''}/${p.name}`).sort(),
      [
        'ConfigMap cordon-guard/cordon-guard-admins',
        'ConfigMap cordon-guard/cordon-guard-policy',
        'Deployment cordon-guard/cordon-guard',
        'MutatingWebhookConfiguration /cordon-guard',
        'Service cordon-guard/cordon-guard',
        'ValidatingWebhookConfiguration /cordon-guard',
      ],
    );
  });

  test('the webhook configurations are matched as cluster-scoped, the rest as namespaced in namespace cordon-guard only', () => {
    const constraints = obj(policySpec().matchConstraints, 'matchConstraints');
    assert.deepEqual(constraints.namespaceSelector, { matchLabels: { 'kubernetes.io/metadata.name': NAMESPACE } });
    assert.equal(constraints.objectSelector, undefined, 'no objectSelector: a Scale has no labels');
    assert.equal(constraints.matchPolicy, 'Equivalent');
    for (const r of rules()) {
      const clusterScoped = r.apiGroups.every((g) => g === 'admissionregistration.k8s.io');
      assert.equal(r.scope, clusterScoped ? 'Cluster' : 'Namespaced', r.resources.join(','));
      assert.deepEqual(r.apiVersions, ['*'], r.resources.join(','));
    }
    for (const p of protectedObjects()) {
      const clusterScoped = p.kind.endsWith('WebhookConfiguration');
      assert.equal(p.namespace, clusterScoped ? undefined : NAMESPACE, `${p.kind} ${p.name}`);
    }
  });

  test('a deletecollection, admitted per object with an empty name, is matched for every protected resource', () => {
    const collection = covered(rules().filter((r) => r.resourceNames.includes('')));
    for (const r of rules().filter((x) => x.resourceNames.length > 0 && !x.resourceNames.includes(''))) {
      assert.deepEqual(r.operations.sort(), ['CREATE', 'DELETE', 'UPDATE'], r.resources.join(','));
      for (const g of r.apiGroups)
        for (const res of r.resources.filter((x) => !x.includes('/'))) assert.ok(collection.has(`DELETE ${g}/${res} `), `no deletecollection rule for ${g}/${res}`);
    }
    for (const r of rules().filter((x) => x.resourceNames.includes(''))) {
      assert.deepEqual(r.resourceNames, [''], 'the empty name alone');
      assert.deepEqual(r.operations, ['DELETE'], 'only DELETE has an empty name');
    }
  });

  test('the binding denies with the policy, reads the params ConfigMap that base/ ships, and denies when it is missing', () => {
    const spec = obj(bindingDoc().spec, 'binding spec');
    assert.equal(spec.policyName, str(obj(policyDoc().metadata, 'policy metadata').name, 'policy name'));
    assert.deepEqual(spec.validationActions, ['Deny']);
    assert.equal(spec.matchResources, undefined, 'the policy says what it matches');
    const paramRef = obj(spec.paramRef, 'paramRef');
    assert.deepEqual(paramRef, { name: 'cordon-guard-admins', namespace: NAMESPACE, parameterNotFoundAction: 'Deny' });
    assert.deepEqual(policySpec().paramKind, { apiVersion: 'v1', kind: 'ConfigMap' });
    const params = named('ConfigMap', 'cordon-guard-admins');
    assert.equal(obj(params.metadata, 'params metadata').namespace, paramRef.namespace);
    assert.deepEqual(params.data, { group: 'cordon-guard-admins' });
    assert.equal(compiled().failurePolicy, 'Fail');
    assert.equal(policySpec().failurePolicy, 'Fail');
  });

  test('the matchCondition keeps exactly the protected objects, by the name of the object itself', () => {
    const c = compiled();
    for (const p of protectedObjects()) for (const w of writesOf(p)) assert.notEqual(c.evaluate(w.input(OUTSIDER)).result, 'not-matched', w.what);
    // Others that a deletecollection in the namespace or of all webhook configurations reaches.
    const others: Array<[string, string | undefined, string]> = [
      ['ConfigMap', NAMESPACE, 'kube-root-ca.crt'],
      ['ConfigMap', NAMESPACE, 'cordon-guard'],
      ['Service', NAMESPACE, 'cordon-guard-policy'],
      ['ValidatingWebhookConfiguration', undefined, 'other-product'],
      ['MutatingWebhookConfiguration', undefined, 'cordon-guard-policy'],
    ];
    for (const [kind, namespace, name] of others) {
      const doc: Obj = { apiVersion: 'v1', kind, metadata: { name, ...(namespace === undefined ? {} : { namespace }) } };
      assert.deepEqual(c.evaluate(input('DELETE', { kind, namespace, name: '' }, OUTSIDER, { oldObject: doc })), { result: 'not-matched' }, `${kind} ${name}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The CEL, case by case

describe('self-protection: who may write the protected objects', () => {
  test('system:masters and members of the params group may create, change and delete each of them', () => {
    for (const p of protectedObjects()) for (const w of writesOf(p)) for (const who of [ADMIN, MEMBER]) assertAllowed(w.input(who), `${who.username}: ${w.what}`);
  });

  test('anyone else is refused, each write, with a message that names the policy, the request and the way out', () => {
    for (const p of protectedObjects())
      for (const w of writesOf(p))
        for (const who of [OUTSIDER, SRE, INJECTOR, NO_GROUPS]) {
          const message = deniedMessage(w.input(who), `${who.username}: ${w.what}`);
          assert.match(message, /^cordon-guard-protect: (CREATE|UPDATE|DELETE) of /, message);
          assert.ok(message.includes(`"${p.namespace === undefined ? '' : `${p.namespace}/`}${p.name}" by "${who.username}" refused`), message);
          assert.ok(message.endsWith('; ask an admin, or change the admin group in ConfigMap cordon-guard/cordon-guard-admins'), message);
        }
  });

  test('the message, in full, for the outsider deleting the ValidatingWebhookConfiguration', () => {
    const p = { kind: 'ValidatingWebhookConfiguration', name: 'cordon-guard', namespace: undefined };
    const message = deniedMessage(input('DELETE', p, OUTSIDER, { oldObject: webhookConfiguration('ValidatingWebhookConfiguration') }), 'delete');
    assert.equal(
      message,
      'cordon-guard-protect: DELETE of validatingwebhookconfigurations "cordon-guard" by "mallory" refused: only system:masters or group cordon-guard-admins may change cordon-guard\'s webhook configurations, policy or Deployment; ask an admin, or change the admin group in ConfigMap cordon-guard/cordon-guard-admins',
    );
  });

  test('kubectl scale writes deployments/scale: refused to the outsider, allowed to the admins', () => {
    const scale = (replicas: number): Obj => ({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'cordon-guard', namespace: NAMESPACE, resourceVersion: '4711' }, spec: { replicas }, status: { replicas: 2 } });
    const target = { kind: 'Deployment', namespace: NAMESPACE, name: 'cordon-guard', subResource: 'scale' };
    const message = deniedMessage(input('UPDATE', target, OUTSIDER, { object: scale(0), oldObject: scale(2) }), 'scale');
    assert.ok(message.startsWith('cordon-guard-protect: UPDATE of deployments/scale "cordon-guard/cordon-guard" by "mallory" refused'), message);
    for (const who of [ADMIN, MEMBER]) assertAllowed(input('UPDATE', target, who, { object: scale(0), oldObject: scale(2) }), who.username);
  });

  test('the admin group is the one the params name: changed there, it changes who may', () => {
    const params = paramsWith({ group: 'sre-oncall' });
    for (const p of protectedObjects())
      for (const w of writesOf(p)) {
        assertAllowed(w.input(SRE, params), `bob: ${w.what}`);
        assertAllowed(w.input(ADMIN, params), `admin: ${w.what}`);
        assert.ok(deniedMessage(w.input(MEMBER, params), `carol: ${w.what}`).includes('only system:masters or group sre-oncall may change'));
      }
  });

  test('params that name no group leave system:masters alone, and say so', () => {
    const [w] = writesOf(protectedObjects()[0] ?? assert.fail('no protected object'));
    assert.ok(w !== undefined);
    for (const params of [paramsWith(undefined), paramsWith({}), paramsWith({ group: '' }), paramsWith({ groups: 'cordon-guard-admins' })]) {
      assertAllowed(w.input(ADMIN, params), JSON.stringify(params.data));
      const message = deniedMessage(w.input(MEMBER, params), JSON.stringify(params.data));
      assert.ok(message.includes('refused: only system:masters may change'), message);
    }
  });

  test('a group named like a part of an admin group, or a user named like the group, is no admin', () => {
    const [w] = writesOf(protectedObjects()[0] ?? assert.fail('no protected object'));
    assert.ok(w !== undefined);
    for (const who of [
      { username: 'cordon-guard-admins', groups: ['system:authenticated'] },
      { username: 'system:masters', groups: ['system:authenticated'] },
      { username: 'eve', groups: ['cordon-guard-admin', 'cordon-guard-admins-x', 'system:master', 'System:masters'] },
    ])
      deniedMessage(w.input(who), who.username);
  });
});

describe('self-protection: the CA injector and objects being deleted', () => {
  const kinds = ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'] as const;
  const update = (kind: string, who: Requester, oldObject: Obj, object: Obj): PolicyInput => input('UPDATE', { kind, name: 'cordon-guard' }, who, { object, oldObject });

  test('the CA injector may change caBundle, fill it in, or take it out, on both webhook configurations', () => {
    for (const kind of kinds) {
      const current = webhookConfiguration(kind);
      const cases: Array<[string, Obj, Obj]> = [
        ['a new CA', current, edited(current, (c) => void (clientConfigOf(c).caBundle = 'Q0EtMg=='))],
        ['the first CA (the cert-manager overlay ships none)', webhookConfiguration(kind, undefined), webhookConfiguration(kind)],
        ['no CA', current, edited(current, (c) => void delete clientConfigOf(c).caBundle)],
        ['the same CA (a no-op write)', current, edited(current, () => undefined)],
      ];
      for (const [what, oldObject, object] of cases) assertAllowed(update(kind, INJECTOR, oldObject, object), `${kind}: ${what}`);
    }
  });

  test('the CA injector may change nothing else, with caBundle or without, and not through a field Kubernetes may add later', () => {
    for (const kind of kinds) {
      const current = webhookConfiguration(kind);
      const changes: Array<[string, (c: Obj) => void]> = [
        ['failurePolicy', (c) => void (firstWebhook(c).failurePolicy = firstWebhook(c).failurePolicy === 'Fail' ? 'Ignore' : 'Fail')],
        ['the Service', (c) => void (obj(clientConfigOf(c).service, 'service').name = 'evil')],
        ['the Service port', (c) => void (obj(clientConfigOf(c).service, 'service').port = 8443)],
        ['a url', (c) => void (clientConfigOf(c).url = 'https://evil.example/validate')],
        ['no Service', (c) => void delete clientConfigOf(c).service],
        ['the matchConditions', (c) => void delete firstWebhook(c).matchConditions],
        ['the rules', (c) => void (firstWebhook(c).rules = [])],
        ['the webhook name', (c) => void (firstWebhook(c).name = 'renamed.cordon-guard.io')],
        ['a field the API may add later', (c) => void (firstWebhook(c).somethingNew = true)],
        ['a clientConfig field the API may add later', (c) => void (clientConfigOf(c).somethingNew = 'x')],
        ['a second webhook', (c) => void list(c.webhooks, 'webhooks').push({ ...structuredClone(firstWebhook(c)), name: 'second.cordon-guard.io' })],
        ['no webhooks', (c) => void delete c.webhooks],
        ['a label', (c) => void (obj(obj(c.metadata, 'metadata').labels, 'labels').evil = 'yes')],
        ['no labels', (c) => void delete obj(c.metadata, 'metadata').labels],
        ['an annotation', (c) => void (obj(c.metadata, 'metadata').annotations = { 'cert-manager.io/inject-ca-from': 'other/other' })],
        ['a top-level field', (c) => void (c.somethingNew = 'x')],
      ];
      for (const [what, change] of changes)
        for (const withCa of [false, true]) {
          const object = edited(current, (c) => {
            change(c);
            if (withCa && Array.isArray(c.webhooks)) clientConfigOf(c).caBundle = 'Q0EtMg==';
          });
          const message = deniedMessage(update(kind, INJECTOR, current, object), `${kind}: ${what}${withCa ? ' and caBundle' : ''}`);
          assert.ok(message.includes(' (the CA injector may change only caBundle); '), message);
        }
      // One of two webhooks taken out (the remaining one unchanged).
      const two = edited(current, (c) => void list(c.webhooks, 'webhooks').push({ ...structuredClone(firstWebhook(c)), name: 'second.cordon-guard.io' }));
      const oneLeft = edited(two, (c) => void list(c.webhooks, 'webhooks').pop());
      deniedMessage(update(kind, INJECTOR, two, oneLeft), `${kind}: one of two webhooks taken out`);
      deniedMessage(input('DELETE', { kind, name: 'cordon-guard' }, INJECTOR, { oldObject: current }), `${kind}: DELETE`);
    }
  });

  test('the caBundle exception is the CA injector\'s alone, and only for webhook configurations', () => {
    for (const kind of kinds) {
      const current = webhookConfiguration(kind);
      const object = edited(current, (c) => void (clientConfigOf(c).caBundle = 'Q0EtMg=='));
      for (const who of [OUTSIDER, { username: `${CA_INJECTOR}-x`, groups: INJECTOR.groups ?? [] }]) deniedMessage(update(kind, who, current, object), `${kind}: ${who.username}`);
    }
    const policy = stored(named('ConfigMap', 'cordon-guard-policy'));
    const target = { kind: 'ConfigMap', namespace: NAMESPACE, name: 'cordon-guard-policy' };
    deniedMessage(input('UPDATE', target, INJECTOR, { oldObject: policy, object: edited(policy, (c) => void (obj(c.data, 'data')['policy.yaml'] = 'mode: warn\n')) }), 'ConfigMap');
  });

  test('an object an admin deleted may lose its finalizers (the garbage collector after a foreground deletion), and nothing else', () => {
    const deleting = stored(named('Deployment', 'cordon-guard'), { deletionTimestamp: '2026-11-28T07:00:00Z', deletionGracePeriodSeconds: 0, finalizers: ['foregroundDeletion'] });
    const target = { kind: 'Deployment', namespace: NAMESPACE, name: 'cordon-guard' };
    const gc: Requester = { username: 'system:serviceaccount:kube-system:generic-garbage-collector', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] };
    const unfinalized = edited(deleting, (c) => void delete obj(c.metadata, 'metadata').finalizers);
    assertAllowed(input('UPDATE', target, gc, { oldObject: deleting, object: unfinalized }), 'finalizers removed');
    const changes: Array<[string, (c: Obj) => void]> = [
      ['replicas', (c) => void (obj(c.spec, 'spec').replicas = 0)],
      ['a label', (c) => void (obj(obj(c.metadata, 'metadata').labels, 'labels').evil = 'yes')],
    ];
    for (const [what, change] of changes) deniedMessage(input('UPDATE', target, gc, { oldObject: deleting, object: edited(unfinalized, change) }), what);
    // Not being deleted: finalizers are as protected as the rest.
    const live = stored(named('Deployment', 'cordon-guard'), { finalizers: ['example.com/keep'] });
    deniedMessage(input('UPDATE', target, gc, { oldObject: live, object: edited(live, (c) => void delete obj(c.metadata, 'metadata').finalizers) }), 'finalizers of a live object');
  });
});
