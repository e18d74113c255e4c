// Self-protection (manifests/base/protect-policy.yaml): the ValidatingAdmissionPolicy and its
// binding against the objects manifests/ ships, and its CEL evaluated with @bufbuild/cel on a
// table of requesters, operations and objects. test/e2e/selfProtection.test.ts runs the same
// policy on a real API server.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { admissionOf, type PolicyInput } from '../../../testkit/admissionPolicy.ts';
import { MANIFESTS, NAMESPACE, kustomization, list, obj, parseYamlFile, resources, str, type Json, type Obj } from '../../../testkit/manifests.ts';

// ---------------------------------------------------------------------------------------------
// The objects

const POLICY_FILE = 'protect-policy.yaml';
const PARAMS_FILE = 'protect-admins-configmap.yaml';
const CA_INJECTOR = 'system:serviceaccount:cert-manager:cert-manager-cainjector';
/** cordon-guard's own ServiceAccount, which keeps caBundle and the matchConditions in step. */
const SELF = 'system:serviceaccount:cordon-guard:cordon-guard';

/** The policy that protects the objects, and the one that guards the creation of its params. */
const POLICY = 'cordon-guard-protect';
const PARAMS_POLICY = 'cordon-guard-protect-admins';
const PARAMS = 'cordon-guard-admins';

const policyDoc = (name = POLICY): Obj => named('ValidatingAdmissionPolicy', name);
const bindingDoc = (name = POLICY): Obj => named('ValidatingAdmissionPolicyBinding', name);
const policySpec = (name = POLICY): Obj => obj(policyDoc(name).spec, `${name} spec`);
/** Both policies with their bindings, as the API server runs them. */
const admission = () => admissionOf(resources().filter((r) => r.file !== 'protect-node-writes.yaml').map((r) => r.doc));

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

const rules = (name = POLICY): Rule[] =>
  list(obj(policySpec(name).matchConstraints, 'matchConstraints').resourceRules, 'resourceRules').map((x, i) => {
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
const CORDON_GUARD: Requester = { username: SELF, groups: ['system:serviceaccounts', 'system:serviceaccounts:cordon-guard', 'system:authenticated'] };

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

const DEFAULT_PARAMS = (): Obj => stored(named('ConfigMap', PARAMS));
const paramsWith = (data: Obj | undefined): Obj => {
  const params = DEFAULT_PARAMS();
  if (data === undefined) delete params.data;
  else params.data = data;
  return params;
};

function input(operation: Operation, target: Target, who: Requester, objects: { object?: Obj | null; oldObject?: Obj | null }, params: Obj | null = DEFAULT_PARAMS()): PolicyInput {
  return { request: request(operation, target, who), object: objects.object ?? null, oldObject: objects.oldObject ?? null, params };
}

interface Write {
  what: string;
  /** The creation of the params ConfigMap: system:masters' alone (policy cordon-guard-protect-admins). */
  createsParams: boolean;
  input: (who: Requester, params?: Obj | null) => PolicyInput;
}

/** The writes of each protected object: a label change, a DELETE by name and one from a deletecollection, and a CREATE. */
function writesOf(p: Protected): Write[] {
  const current = stored(p.doc);
  const labelled = edited(current, (c) => {
    obj(obj(c.metadata, 'metadata').labels, 'labels').changed = 'yes';
  });
  const target = { kind: p.kind, namespace: p.namespace, name: p.name };
  const write = (what: string, createsParams: boolean, make: Write['input']): Write => ({ what, createsParams, input: make });
  return [
    write(`UPDATE ${p.kind} ${p.name}`, false, (who, params) => input('UPDATE', target, who, { object: labelled, oldObject: current }, params)),
    write(`DELETE ${p.kind} ${p.name}`, false, (who, params) => input('DELETE', target, who, { oldObject: current }, params)),
    write(`deletecollection ${p.kind} (${p.name})`, false, (who, params) => input('DELETE', { ...target, name: '' }, who, { oldObject: current }, params)),
    write(`CREATE ${p.kind} ${p.name}`, p.kind === 'ConfigMap' && p.name === PARAMS, (who, params) => input('CREATE', target, who, { object: stored(p.doc) }, params)),
  ];
}

const allWrites = (): Write[] => protectedObjects().flatMap(writesOf);

function assertAllowed(i: PolicyInput, what: string): void {
  assert.deepEqual(admission().evaluate(i), { result: 'allowed' }, what);
}

function denied(i: PolicyInput, what: string): { policy: string; message: string } {
  const outcome = admission().evaluate(i);
  assert.equal(outcome.result, 'denied', `${what}: ${JSON.stringify(outcome)}`);
  assert.ok(outcome.result === 'denied');
  assert.equal(outcome.reason, 'Forbidden', what);
  return outcome;
}

const deniedMessage = (i: PolicyInput, what: string): string => denied(i, what).message;

// ---------------------------------------------------------------------------------------------
// The manifests

describe('self-protection: the policies, their bindings and the params against the manifests', () => {
  test('the base kustomization includes the policies, their bindings and the params ConfigMap, and both install paths include the base', () => {
    const listed = strings(kustomization().resources, 'resources');
    assert.ok(listed.includes(POLICY_FILE), `${POLICY_FILE} in base/kustomization.yaml`);
    assert.ok(listed.includes(PARAMS_FILE), `${PARAMS_FILE} in base/kustomization.yaml`);
    assert.deepEqual(
      resources().filter((r) => r.file === POLICY_FILE).map((r) => `${r.kind} ${r.name}`),
      [`ValidatingAdmissionPolicy ${POLICY}`, `ValidatingAdmissionPolicyBinding ${POLICY}`, `ValidatingAdmissionPolicy ${PARAMS_POLICY}`, `ValidatingAdmissionPolicyBinding ${PARAMS_POLICY}`],
    );
    assert.deepEqual(admission().policies, [POLICY, PARAMS_POLICY]);
    assert.deepEqual(resources().filter((r) => r.file === PARAMS_FILE).map((r) => `${r.kind} ${r.namespace ?? ''}/${r.name}`), [`ConfigMap ${NAMESPACE}/${PARAMS}`]);
    for (const top of ['kustomization.yaml', join('cert-manager', 'kustomization.yaml')]) {
      const k = parseYamlFile(join(MANIFESTS, top))[0] ?? {};
      assert.ok(strings(k.resources, `${top} resources`).some((r) => r === 'base' || r === '../base'), `${top} includes the base`);
    }
  });

  test('the policies name every object of the protected kinds that base/ ships, by name, and nothing else; renaming one fails here', () => {
    const byName = (name: string) => covered(rules(name).filter((r) => !r.resourceNames.includes('')));
    const expected = new Set<string>();
    for (const p of protectedObjects()) {
      const gvr = RESOURCES[p.kind];
      assert.ok(gvr !== undefined);
      for (const op of ['CREATE', 'UPDATE', 'DELETE']) {
        expected.add(`${op} ${gvr.group}/${gvr.resource} ${p.name}`);
        if (p.kind === 'Deployment') expected.add(`${op} ${gvr.group}/${gvr.resource}/scale ${p.name}`);
      }
    }
    const creation = `CREATE /configmaps ${PARAMS}`;
    assert.deepEqual([...byName(POLICY)].sort(), [...expected].filter((e) => e !== creation).sort());
    assert.deepEqual([...byName(PARAMS_POLICY)], [creation]);
    // What they protect, spelled out: the two webhook configurations, the policy and the params
    // ConfigMaps, the Deployment and the Service.
    assert.deepEqual(
      protectedObjects().map((p) => `${p.kind} ${p.namespace ?? ''}/${p.name}`).sort(),
      [
        `ConfigMap ${NAMESPACE}/${PARAMS}`,
        'ConfigMap cordon-guard/cordon-guard-policy',
        'Deployment cordon-guard/cordon-guard',
        'MutatingWebhookConfiguration /cordon-guard',
        'Service cordon-guard/cordon-guard',
        'ValidatingWebhookConfiguration /cordon-guard',
      ],
    );
  });

  test('the webhook configurations are matched as cluster-scoped, the rest as namespaced in namespace cordon-guard only', () => {
    for (const name of [POLICY, PARAMS_POLICY]) {
      const constraints = obj(policySpec(name).matchConstraints, 'matchConstraints');
      assert.deepEqual(constraints.namespaceSelector, { matchLabels: { 'kubernetes.io/metadata.name': NAMESPACE } }, name);
      assert.equal(constraints.objectSelector, undefined, 'no objectSelector: a Scale has no labels');
      assert.equal(constraints.matchPolicy, 'Equivalent');
      for (const r of rules(name)) {
        const clusterScoped = r.apiGroups.every((g) => g === 'admissionregistration.k8s.io');
        assert.equal(r.scope, clusterScoped ? 'Cluster' : 'Namespaced', r.resources.join(','));
        assert.deepEqual(r.apiVersions, ['*'], r.resources.join(','));
      }
    }
    for (const p of protectedObjects()) {
      const clusterScoped = p.kind.endsWith('WebhookConfiguration');
      assert.equal(p.namespace, clusterScoped ? undefined : NAMESPACE, `${p.kind} ${p.name}`);
    }
    // The same object in another namespace, or a namespaced one without a namespace, is not matched.
    for (const p of protectedObjects().filter((x) => x.namespace !== undefined)) {
      const doc = stored(p.doc);
      assert.deepEqual(admission().evaluate(input('DELETE', { kind: p.kind, namespace: 'default', name: p.name }, OUTSIDER, { oldObject: doc })), { result: 'not-matched' }, p.name);
    }
  });

  test('a deletecollection, admitted per object with an empty name, is matched for every protected resource', () => {
    const collection = covered(rules().filter((r) => r.resourceNames.includes('')));
    for (const r of rules().filter((x) => x.resourceNames.length > 0 && !x.resourceNames.includes(''))) {
      assert.ok(r.operations.includes('DELETE') && r.operations.includes('UPDATE'), r.resources.join(','));
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
    assert.equal(spec.policyName, POLICY);
    assert.deepEqual(spec.validationActions, ['Deny']);
    assert.equal(spec.matchResources, undefined, 'the policy says what it matches');
    const paramRef = obj(spec.paramRef, 'paramRef');
    assert.deepEqual(paramRef, { name: PARAMS, namespace: NAMESPACE, parameterNotFoundAction: 'Deny' });
    assert.deepEqual(policySpec().paramKind, { apiVersion: 'v1', kind: 'ConfigMap' });
    const params = named('ConfigMap', PARAMS);
    assert.equal(obj(params.metadata, 'params metadata').namespace, paramRef.namespace);
    assert.deepEqual(params.data, { group: 'cordon-guard-admins' });
    for (const name of [POLICY, PARAMS_POLICY]) assert.equal(policySpec(name).failurePolicy, 'Fail', name);
    // The policy that guards the params' creation needs none itself, so nothing can be missing.
    const paramsBinding = obj(bindingDoc(PARAMS_POLICY).spec, 'binding spec');
    assert.deepEqual(paramsBinding, { policyName: PARAMS_POLICY, validationActions: ['Deny'] });
    assert.equal(policySpec(PARAMS_POLICY).paramKind, undefined);
  });

  test('the matchCondition keeps exactly the protected objects, by the name of the object itself', () => {
    for (const w of allWrites()) assert.notEqual(admission().evaluate(w.input(OUTSIDER)).result, 'not-matched', w.what);
    // Others that a deletecollection in the namespace or of all webhook configurations reaches,
    // and the same names deleted one by one.
    const others: Array<[string, string | undefined, string]> = [
      ['ConfigMap', NAMESPACE, 'kube-root-ca.crt'],
      ['ConfigMap', NAMESPACE, 'cordon-guard'],
      ['Service', NAMESPACE, 'cordon-guard-policy'],
      ['Deployment', NAMESPACE, 'cordon-guard-admins'],
      ['ValidatingWebhookConfiguration', undefined, 'other-product'],
      ['MutatingWebhookConfiguration', undefined, 'cordon-guard-policy'],
    ];
    for (const [kind, namespace, name] of others) {
      const doc: Obj = { apiVersion: 'v1', kind, metadata: { name, ...(namespace === undefined ? {} : { namespace }) } };
      for (const requestName of ['', name])
        assert.deepEqual(admission().evaluate(input('DELETE', { kind, namespace, name: requestName }, OUTSIDER, { oldObject: doc })), { result: 'not-matched' }, `${kind} ${name} '${requestName}'`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The CEL, case by case

describe('self-protection: who may write the protected objects', () => {
  test('system:masters may create, change and delete each of them; members of the params group too, but for creating the params', () => {
    for (const w of allWrites()) {
      assertAllowed(w.input(ADMIN), `admin: ${w.what}`);
      if (!w.createsParams) assertAllowed(w.input(MEMBER), `carol: ${w.what}`);
      else assert.equal(denied(w.input(MEMBER), `carol: ${w.what}`).policy, PARAMS_POLICY);
    }
  });

  test('anyone else is refused, each write, with a message that names the policy, the request and the way out', () => {
    for (const p of protectedObjects())
      for (const w of writesOf(p))
        for (const who of [OUTSIDER, SRE, INJECTOR, CORDON_GUARD, NO_GROUPS]) {
          const { policy, message } = denied(w.input(who), `${who.username}: ${w.what}`);
          assert.equal(policy, w.createsParams ? PARAMS_POLICY : POLICY, w.what);
          assert.ok(message.startsWith(`${policy}: `), message);
          assert.match(message, /^[a-z-]+: (CREATE|UPDATE|DELETE) of /, message);
          assert.ok(message.includes(`"${p.namespace === undefined ? '' : `${p.namespace}/`}${p.name}" by "${who.username}" refused: only system:masters`), message);
          assert.ok(message.endsWith(w.createsParams ? '; ask a cluster admin' : '; ask an admin, or change the admin group in ConfigMap cordon-guard/cordon-guard-admins'), message);
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
    // Another subresource (status, written by the controller manager) is not matched.
    const status = { ...target, subResource: 'status' };
    const deployment = stored(named('Deployment', 'cordon-guard'));
    assert.deepEqual(admission().evaluate(input('UPDATE', status, OUTSIDER, { object: deployment, oldObject: deployment })), { result: 'not-matched' });
  });

  test('the admin group is the one the params name: changed there, it changes who may', () => {
    const params = paramsWith({ group: 'sre-oncall' });
    for (const w of allWrites().filter((x) => !x.createsParams)) {
      assertAllowed(w.input(SRE, params), `bob: ${w.what}`);
      assertAllowed(w.input(ADMIN, params), `admin: ${w.what}`);
      assert.ok(deniedMessage(w.input(MEMBER, params), `carol: ${w.what}`).includes('refused: only system:masters or group sre-oncall may change'));
    }
  });

  test('params that name no group leave system:masters alone, and say so', () => {
    const [w] = allWrites();
    assert.ok(w !== undefined);
    for (const params of [paramsWith(undefined), paramsWith({}), paramsWith({ group: '' }), paramsWith({ groups: 'cordon-guard-admins' })]) {
      assertAllowed(w.input(ADMIN, params), JSON.stringify(params.data));
      const message = deniedMessage(w.input(MEMBER, params), JSON.stringify(params.data));
      assert.ok(message.includes('refused: only system:masters may change'), message);
    }
  });

  test('without the params ConfigMap every write is refused, to system:masters too, but system:masters may create it again', () => {
    for (const w of allWrites())
      for (const who of [ADMIN, MEMBER, OUTSIDER]) {
        const outcome = admission().evaluate(w.input(who, null));
        if (w.createsParams && who === ADMIN) assert.deepEqual(outcome, { result: 'allowed' }, w.what);
        else if (w.createsParams) assert.equal(outcome.result === 'denied' && outcome.policy, PARAMS_POLICY, `${who.username}: ${w.what}`);
        else
          assert.deepEqual(
            outcome,
            { result: 'denied', policy: POLICY, reason: 'Invalid', message: 'failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction' },
            `${who.username}: ${w.what}`,
          );
      }
  });

  test('a group named like a part of an admin group, or a user named like the group, is no admin', () => {
    const [w] = allWrites();
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

describe("self-protection: cordon-guard's own ServiceAccount keeps its webhook configurations in step", () => {
  const kinds = ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'] as const;
  const update = (kind: string, who: Requester, oldObject: Obj, object: Obj): PolicyInput => input('UPDATE', { kind, name: 'cordon-guard' }, who, { object, oldObject });
  const firstCondition = (doc: Obj): Obj => obj(list(firstWebhook(doc).matchConditions, 'matchConditions')[0], 'matchCondition');
  const rekeyed = (c: Obj): void => {
    const condition = firstCondition(c);
    condition.expression = str(condition.expression, 'expression').replaceAll('cordon-guard.io/maintenance', 'example.com/maintenance');
  };

  test('it may write its CA into caBundle and a new key into the matchConditions expressions, apart or together, on both configurations', () => {
    for (const kind of kinds) {
      const current = webhookConfiguration(kind);
      const cases: Array<[string, Obj, Obj]> = [
        ['a new CA', current, edited(current, (c) => void (clientConfigOf(c).caBundle = 'Q0EtMg=='))],
        ['the first CA (none yet)', webhookConfiguration(kind, undefined), webhookConfiguration(kind)],
        ['a new key', current, edited(current, rekeyed)],
        ['a new CA and a new key', webhookConfiguration(kind, undefined), edited(webhookConfiguration(kind), rekeyed)],
        ['the same (a no-op write)', current, edited(current, () => undefined)],
      ];
      for (const [what, oldObject, object] of cases) assertAllowed(update(kind, CORDON_GUARD, oldObject, object), `${kind}: ${what}`);
    }
  });

  test('it may change nothing else of them, with or without caBundle and an expression, and the message says what it may', () => {
    for (const kind of kinds) {
      const current = webhookConfiguration(kind);
      const changes: Array<[string, (c: Obj) => void]> = [
        ['failurePolicy', (c) => void (firstWebhook(c).failurePolicy = firstWebhook(c).failurePolicy === 'Fail' ? 'Ignore' : 'Fail')],
        ['the rules', (c) => void (firstWebhook(c).rules = [])],
        ['the Service', (c) => void (obj(clientConfigOf(c).service, 'service').name = 'evil')],
        ['a url', (c) => void (clientConfigOf(c).url = 'https://evil.example/validate')],
        ["a matchCondition's name", (c) => void (firstCondition(c).name = 'renamed')],
        ['a second matchCondition', (c) => void list(firstWebhook(c).matchConditions, 'matchConditions').push({ name: 'second', expression: 'false' })],
        ['no matchConditions', (c) => void delete firstWebhook(c).matchConditions],
        ['no matchCondition left', (c) => void (firstWebhook(c).matchConditions = [])],
        ['a field a matchCondition may get later', (c) => void (firstCondition(c).somethingNew = 'x')],
        ['a second webhook', (c) => void list(c.webhooks, 'webhooks').push({ ...structuredClone(firstWebhook(c)), name: 'second.cordon-guard.io' })],
        ['a label', (c) => void (obj(obj(c.metadata, 'metadata').labels, 'labels').evil = 'yes')],
      ];
      for (const [what, change] of changes)
        for (const alsoAllowed of [false, true]) {
          const object = edited(current, (c) => {
            change(c);
            if (alsoAllowed && Array.isArray(c.webhooks)) {
              clientConfigOf(c).caBundle = 'Q0EtMg==';
              if (Array.isArray(firstWebhook(c).matchConditions) && list(firstWebhook(c).matchConditions, 'mc').length > 0) rekeyed(c);
            }
          });
          const message = deniedMessage(update(kind, CORDON_GUARD, current, object), `${kind}: ${what}${alsoAllowed ? ' with caBundle and a new key' : ''}`);
          assert.ok(message.includes(' (cordon-guard itself may change only caBundle and the expressions of matchConditions); '), message);
        }
      deniedMessage(input('DELETE', { kind, name: 'cordon-guard' }, CORDON_GUARD, { oldObject: current }), `${kind}: DELETE`);
    }
  });

  test('the exception is for that ServiceAccount alone: the CA injector still may not change an expression, nor may another ServiceAccount', () => {
    for (const kind of kinds) {
      const current = webhookConfiguration(kind);
      const object = edited(current, rekeyed);
      for (const who of [INJECTOR, { username: 'system:serviceaccount:other:cordon-guard', groups: ['system:authenticated'] }, { username: `${SELF}-x` }])
        deniedMessage(update(kind, who, current, object), `${kind}: ${who.username}`);
    }
    const policy = stored(named('ConfigMap', 'cordon-guard-policy'));
    const target = { kind: 'ConfigMap', namespace: NAMESPACE, name: 'cordon-guard-policy' };
    deniedMessage(input('UPDATE', target, CORDON_GUARD, { oldObject: policy, object: edited(policy, (c) => void (obj(c.data, 'data')['policy.yaml'] = 'mode: warn\n')) }), 'its own policy');
  });
});
