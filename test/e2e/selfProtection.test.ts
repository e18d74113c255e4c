// cordon-guard protects itself (manifests/base/protect-policy.yaml) against a real kube-apiserver:
// manifests/ applied as users apply it, and an identity with cluster-wide RBAC on every object
// involved, but outside the admin set, cannot switch cordon-guard off; the admin set can.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../../testkit/wait.ts';
import { startControlPlane, type ControlPlane, type Identity, type KubectlResult } from '../../testkit/e2e/controlPlane.ts';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { manifestsWithCertificates, serviceAccountKubeconfig } from '../../testkit/e2e/inCluster.ts';

const NS = ['-n', 'cordon-guard'];
const POLICY = "ValidatingAdmissionPolicy 'cordon-guard-protect' with binding 'cordon-guard-protect' denied request: ";
const WAY_OUT = "; ask an admin, or change the admin group in ConfigMap cordon-guard/cordon-guard-admins";

/** What mallory is refused, from the first byte of kubectl's stderr to the last. */
function refusal(object: string, operation: string, resource: string, name: string, who: string, group = 'cordon-guard-admins'): string {
  return (
    `Error from server (Forbidden): ${object} is forbidden: ${POLICY}cordon-guard-protect: ${operation} of ${resource} "${name}" by "${who}" refused: ` +
    `only system:masters or group ${group} may change cordon-guard's webhook configurations, policy or Deployment${WAY_OUT}`
  );
}

// Cluster-wide rights on every object the policy protects: RBAC alone would let these
// identities switch cordon-guard off. The CA injector gets what cert-manager's chart gives it.
const RBAC = {
  apiVersion: 'v1',
  kind: 'List',
  items: [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'e2e-cordon-guard-operator' },
      rules: [
        { apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'], verbs: ['*'] },
        { apiGroups: [''], resources: ['configmaps', 'services'], verbs: ['*'] },
        { apiGroups: ['apps'], resources: ['deployments', 'deployments/scale'], verbs: ['*'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'e2e-cordon-guard-operator' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'e2e-cordon-guard-operator' },
      subjects: ['mallory', 'carol', 'bob'].map((name) => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name })),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'e2e-cert-manager-cainjector' },
      rules: [{ apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'], verbs: ['get', 'list', 'watch', 'update', 'patch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'e2e-cert-manager-cainjector' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'e2e-cert-manager-cainjector' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'system:serviceaccount:cert-manager:cert-manager-cainjector' }],
    },
  ],
};

interface Listed {
  items: { kind: string; metadata: { name: string; namespace?: string; resourceVersion: string } }[];
}

describe('cordon-guard protects itself with a ValidatingAdmissionPolicy', { timeout: 600_000 }, () => {
  let cp: ControlPlane;
  let manifests: string;

  /** A refused write: exit 1, the whole of stderr is the message. Logged for the report. */
  function assertRefused(result: KubectlResult, expected: string | RegExp): void {
    assert.equal(result.code, 1, `${result.stdout}${result.stderr}`);
    const stderr = result.stderr.trim();
    if (typeof expected === 'string') assert.equal(stderr, expected);
    else assert.match(stderr, expected);
    console.log(`# stderr: ${stderr}`);
  }

  const json = <T>(args: string[], as: Identity = 'admin'): T => JSON.parse(cp.kubectlOk([...args, '-o', 'json'], { as })) as T;
  const policyText = (): string => json<{ data: Record<string, string> }>([...NS, 'get', 'configmap', 'cordon-guard-policy']).data['policy.yaml'] ?? '';
  const replicas = (): number => json<{ spec: { replicas: number } }>([...NS, 'get', 'deployment', 'cordon-guard']).spec.replicas;
  const exists = (args: string[]): boolean => cp.kubectl(['get', ...args]).code === 0;
  const reapply = (): string => cp.kubectlOk(['apply', '-k', manifests]);
  const resourceVersions = (): string[] =>
    json<Listed>(['get', '-k', manifests]).items.map((i) => `${i.kind} ${i.metadata.namespace ?? ''}/${i.metadata.name} ${i.metadata.resourceVersion}`);

  before(async () => {
    cp = await startControlPlane();
    manifests = manifestsWithCertificates(cp);
    cp.kubectlOk(['apply', '-k', manifests]);
    cp.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(RBAC) });
    // The policy, its binding and the params are loaded by informers, and RBAC too: wait until
    // a probe write (a dry run, which changes nothing) is refused by the policy.
    const started = Date.now();
    await waitFor('the policy to refuse a probe write', () => {
      const probe = cp.kubectl([...NS, 'annotate', 'configmap', 'cordon-guard-policy', 'probe=1', '--dry-run=server'], { as: 'mallory' });
      return probe.stderr.includes(POLICY) ? true : undefined;
    }, 30_000, 100);
    console.log(`# policy in force ${Date.now() - started} ms after kubectl apply -k returned`);
  });

  after(async () => {
    await cp?.stop();
  });

  it('refuses mallory deleting the webhook configurations, with the message on stderr', () => {
    assertRefused(
      cp.kubectl(['delete', 'validatingwebhookconfiguration', 'cordon-guard'], { as: 'mallory' }),
      refusal('validatingwebhookconfigurations.admissionregistration.k8s.io "cordon-guard"', 'DELETE', 'validatingwebhookconfigurations', 'cordon-guard', 'mallory'),
    );
    assertRefused(
      cp.kubectl(['delete', 'mutatingwebhookconfiguration', 'cordon-guard'], { as: 'mallory' }),
      refusal('mutatingwebhookconfigurations.admissionregistration.k8s.io "cordon-guard"', 'DELETE', 'mutatingwebhookconfigurations', 'cordon-guard', 'mallory'),
    );
    assertRefused(
      cp.kubectl(['patch', 'validatingwebhookconfiguration', 'cordon-guard', '--type=json', '-p', '[{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Ignore"}]'], { as: 'mallory' }),
      refusal('validatingwebhookconfigurations.admissionregistration.k8s.io "cordon-guard"', 'UPDATE', 'validatingwebhookconfigurations', 'cordon-guard', 'mallory'),
    );
    assert.ok(exists(['validatingwebhookconfiguration', 'cordon-guard']));
    assert.ok(exists(['mutatingwebhookconfiguration', 'cordon-guard']));
  });

  it('refuses mallory editing the allowlist, or the admin group', () => {
    const before = policyText();
    assertRefused(
      cp.kubectl([...NS, 'patch', 'configmap', 'cordon-guard-policy', '--type=merge', '-p', JSON.stringify({ data: { 'policy.yaml': 'allow:\n  users: ["*"]\n' } })], { as: 'mallory' }),
      refusal('configmaps "cordon-guard-policy"', 'UPDATE', 'configmaps', 'cordon-guard/cordon-guard-policy', 'mallory'),
    );
    assert.equal(policyText(), before);
    assertRefused(
      cp.kubectl([...NS, 'patch', 'configmap', 'cordon-guard-admins', '--type=merge', '-p', '{"data":{"group":"system:authenticated"}}'], { as: 'mallory' }),
      refusal('configmaps "cordon-guard-admins"', 'UPDATE', 'configmaps', 'cordon-guard/cordon-guard-admins', 'mallory'),
    );
    assertRefused(cp.kubectl([...NS, 'delete', 'configmap', 'cordon-guard-policy'], { as: 'mallory' }), refusal('configmaps "cordon-guard-policy"', 'DELETE', 'configmaps', 'cordon-guard/cordon-guard-policy', 'mallory'));
  });

  it('refuses mallory scaling the Deployment to 0 and deleting it or the Service', () => {
    assertRefused(
      cp.kubectl([...NS, 'scale', 'deployment', 'cordon-guard', '--replicas=0'], { as: 'mallory' }),
      refusal('deployments.apps "cordon-guard"', 'UPDATE', 'deployments/scale', 'cordon-guard/cordon-guard', 'mallory'),
    );
    assert.equal(replicas(), 2);
    assertRefused(cp.kubectl([...NS, 'delete', 'deployment', 'cordon-guard'], { as: 'mallory' }), refusal('deployments.apps "cordon-guard"', 'DELETE', 'deployments', 'cordon-guard/cordon-guard', 'mallory'));
    assertRefused(cp.kubectl([...NS, 'delete', 'service', 'cordon-guard'], { as: 'mallory' }), refusal('services "cordon-guard"', 'DELETE', 'services', 'cordon-guard/cordon-guard', 'mallory'));
    assert.ok(exists([...NS, 'deployment', 'cordon-guard']));
    assert.ok(exists([...NS, 'service', 'cordon-guard']));
  });

  it('refuses a deletecollection that reaches the protected objects (admitted per object, with an empty name)', () => {
    // kubectl names the object "Unknown": the request had no name.
    for (const [path, object, resource, name] of [
      ['/api/v1/namespaces/cordon-guard/configmaps', 'configmaps "Unknown"', 'configmaps', /cordon-guard\/cordon-guard-(policy|admins)/],
      ['/apis/apps/v1/namespaces/cordon-guard/deployments', 'deployments.apps "Unknown"', 'deployments', /cordon-guard\/cordon-guard/],
      ['/api/v1/namespaces/cordon-guard/services', 'services "Unknown"', 'services', /cordon-guard\/cordon-guard/],
      ['/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', 'validatingwebhookconfigurations.admissionregistration.k8s.io "Unknown"', 'validatingwebhookconfigurations', /cordon-guard/],
      ['/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', 'mutatingwebhookconfigurations.admissionregistration.k8s.io "Unknown"', 'mutatingwebhookconfigurations', /cordon-guard/],
    ] as const) {
      const result = cp.kubectl(['delete', '--raw', path], { as: 'mallory' });
      const prefix = `Error from server (Forbidden): ${object} is forbidden: ${POLICY}cordon-guard-protect: DELETE of ${resource} "`;
      assert.ok(result.stderr.startsWith(prefix), result.stderr);
      assertRefused(result, new RegExp(`^.{${prefix.length}}${name.source}" by "mallory" refused: `));
    }
    for (const args of [[...NS, 'configmap', 'cordon-guard-policy'], [...NS, 'configmap', 'cordon-guard-admins'], [...NS, 'deployment', 'cordon-guard'], [...NS, 'service', 'cordon-guard'], ['validatingwebhookconfiguration', 'cordon-guard'], ['mutatingwebhookconfiguration', 'cordon-guard']])
      assert.ok(exists(args), args.join(' '));
  });

  it('lets the CA injector change caBundle of both webhook configurations, and nothing else', () => {
    const caBundle = Buffer.from('-----BEGIN CERTIFICATE-----\nrenewed\n-----END CERTIFICATE-----\n').toString('base64');
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
      cp.kubectlOk(['patch', kind, 'cordon-guard', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/webhooks/0/clientConfig/caBundle', value: caBundle }])], { as: 'cainjector' });
      const webhook = () => json<{ webhooks: { clientConfig: { caBundle: string }; failurePolicy: string }[] }>(['get', kind, 'cordon-guard']).webhooks[0];
      assert.equal(webhook()?.clientConfig.caBundle, caBundle);
      const failurePolicy = webhook()?.failurePolicy;
      const other = failurePolicy === 'Fail' ? 'Ignore' : 'Fail';
      assertRefused(
        cp.kubectl(['patch', kind, 'cordon-guard', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/webhooks/0/failurePolicy', value: other }])], { as: 'cainjector' }),
        new RegExp(`^Error from server \\(Forbidden\\): ${kind}s\\.admissionregistration\\.k8s\\.io "cordon-guard" is forbidden: .*cordon-guard-protect: UPDATE of ${kind}s "cordon-guard" by "system:serviceaccount:cert-manager:cert-manager-cainjector" refused: .* \\(the CA injector may change only caBundle\\); ask an admin`),
      );
      // caBundle together with something else: refused as a whole.
      assertRefused(
        cp.kubectl(['patch', kind, 'cordon-guard', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/webhooks/0/clientConfig/caBundle', value: Buffer.from('other').toString('base64') }, { op: 'replace', path: '/webhooks/0/timeoutSeconds', value: 30 }])], { as: 'cainjector' }),
        /the CA injector may change only caBundle/,
      );
      assert.equal(webhook()?.failurePolicy, failurePolicy);
      assert.equal(webhook()?.clientConfig.caBundle, caBundle);
    }
    reapply(); // the CA of manifests/certs again
  });

  it("lets cordon-guard's own ServiceAccount change caBundle and the matchConditions' expressions of both webhook configurations, and nothing else", () => {
    const kubeconfig = serviceAccountKubeconfig(cp);
    const asCordonGuard = (args: string[], input?: string): KubectlResult => {
      const result = spawnSync(join(cp.binDir, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', input, timeout: 60_000 });
      return { code: result.status, stdout: result.stdout, stderr: result.stderr };
    };
    type Webhook = { clientConfig: { caBundle: string; service: { name: string } }; failurePolicy: string; matchConditions: { expression: string }[] };
    type Configuration = { webhooks: Webhook[] };
    // What serve does (src/kube/webhookConfigurations.ts): a GET, then a PUT of the object changed
    // (RBAC: get and update). Raw: `kubectl replace -f` would also rewrite the last-applied annotation.
    const replaced = (kind: string, change: (webhook: Webhook) => void): KubectlResult => {
      const current = JSON.parse(asCordonGuard(['get', kind, 'cordon-guard', '-o', 'json']).stdout) as Configuration;
      const [first] = current.webhooks;
      assert.ok(first !== undefined);
      change(first);
      return asCordonGuard(['replace', '--raw', `/apis/admissionregistration.k8s.io/v1/${kind}s/cordon-guard`, '-f', '-'], JSON.stringify(current));
    };
    const caBundle = Buffer.from('-----BEGIN CERTIFICATE-----\nself-managed\n-----END CERTIFICATE-----\n').toString('base64');
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
      const webhook = (): Webhook | undefined => json<Configuration>(['get', kind, 'cordon-guard']).webhooks[0];
      const expression = (webhook()?.matchConditions[0]?.expression ?? '').replaceAll('cordon-guard.io/maintenance', 'example.com/maintenance');
      const allowed = replaced(kind, (w) => {
        w.clientConfig.caBundle = caBundle;
        const [condition] = w.matchConditions;
        if (condition !== undefined) condition.expression = expression;
      });
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.equal(webhook()?.clientConfig.caBundle, caBundle);
      assert.equal(webhook()?.matchConditions[0]?.expression, expression);
      const failurePolicy = webhook()?.failurePolicy;
      assertRefused(
        replaced(kind, (w) => void (w.failurePolicy = failurePolicy === 'Fail' ? 'Ignore' : 'Fail')),
        new RegExp(`^Error from server \\(Forbidden\\): ${kind}s\\.admissionregistration\\.k8s\\.io "cordon-guard" is forbidden: .*by "system:serviceaccount:cordon-guard:cordon-guard" refused: .* \\(cordon-guard itself may change only caBundle and the expressions of matchConditions\\); ask an admin`),
      );
      assertRefused(replaced(kind, (w) => void (w.clientConfig.service.name = 'evil')), /cordon-guard itself may change only caBundle and the expressions of matchConditions/);
      // RBAC: neither patch nor delete is granted.
      for (const args of [['delete', kind, 'cordon-guard'], ['patch', kind, 'cordon-guard', '--type=merge', '-p', '{"metadata":{"labels":{"x":"y"}}}']]) {
        const result = asCordonGuard(args);
        assert.equal(result.code, 1, args.join(' '));
        assert.match(result.stderr, /is forbidden: User "system:serviceaccount:cordon-guard:cordon-guard" cannot (delete|patch) resource/);
      }
      assert.equal(webhook()?.failurePolicy, failurePolicy);
    }
    reapply(); // the CA and expressions of manifests/ again
  });

  for (const who of ['carol', 'admin'] as const) {
    it(`lets ${who === 'carol' ? 'carol (group cordon-guard-admins)' : 'the admin (system:masters)'} edit the allowlist, scale, and delete the webhook configuration and the Service`, () => {
      cp.kubectlOk([...NS, 'patch', 'configmap', 'cordon-guard-policy', '--type=merge', '-p', JSON.stringify({ data: { 'policy.yaml': 'mode: warn\n' } })], { as: who });
      assert.equal(policyText(), 'mode: warn\n');
      cp.kubectlOk([...NS, 'scale', 'deployment', 'cordon-guard', '--replicas=3'], { as: who });
      assert.equal(replicas(), 3);
      cp.kubectlOk([...NS, 'delete', 'service', 'cordon-guard'], { as: who });
      cp.kubectlOk(['delete', 'validatingwebhookconfiguration', 'cordon-guard'], { as: who });
      assert.ok(!exists(['validatingwebhookconfiguration', 'cordon-guard']));
      assert.ok(!exists([...NS, 'service', 'cordon-guard']));
      reapply();
      assert.ok(exists(['validatingwebhookconfiguration', 'cordon-guard']));
      assert.equal(replicas(), 2);
      assert.match(policyText(), /^# Every key is optional/);
    });
  }

  it('takes the admin group from ConfigMap cordon-guard/cordon-guard-admins: changed there, it changes who may', async () => {
    cp.kubectlOk([...NS, 'patch', 'configmap', 'cordon-guard-admins', '--type=merge', '-p', '{"data":{"group":"sre-oncall"}}'], { as: 'carol' });
    const bobsEdit = [...NS, 'annotate', 'configmap', 'cordon-guard-policy', 'edited-by=bob', '--overwrite'];
    // The params reach the policy through an informer too.
    await waitFor('bob (sre-oncall) to be an admin', () => (cp.kubectl(bobsEdit, { as: 'bob' }).code === 0 ? true : undefined), 10_000, 100);
    assertRefused(
      cp.kubectl([...NS, 'annotate', 'configmap', 'cordon-guard-policy', 'edited-by=carol', '--overwrite'], { as: 'carol' }),
      refusal('configmaps "cordon-guard-policy"', 'UPDATE', 'configmaps', 'cordon-guard/cordon-guard-policy', 'carol', 'sre-oncall'),
    );
    reapply();
    await waitFor('carol to be an admin again', () => (cp.kubectl([...NS, 'annotate', 'configmap', 'cordon-guard-policy', 'edited-by-', '--overwrite'], { as: 'carol' }).code === 0 ? true : undefined), 10_000, 100);
    assert.equal(cp.kubectl(bobsEdit, { as: 'bob' }).code, 1);
  });

  it('refuses mallory re-creating the policy ConfigMap that an admin deleted', () => {
    cp.kubectlOk([...NS, 'delete', 'configmap', 'cordon-guard-policy']);
    assertRefused(
      cp.kubectl([...NS, 'create', 'configmap', 'cordon-guard-policy', '--from-literal=policy.yaml=allow: {users: ["*"]}'], { as: 'mallory' }),
      `error: failed to create configmap: ${refusal('configmaps "cordon-guard-policy"', 'CREATE', 'configmaps', 'cordon-guard/cordon-guard-policy', 'mallory').slice('Error from server (Forbidden): '.length)}`,
    );
    reapply();
    assert.match(policyText(), /^# Every key is optional/);
  });

  it('without its params, refuses every write it covers, to the admin too, until system:masters creates them again', async () => {
    cp.kubectlOk([...NS, 'delete', 'configmap', 'cordon-guard-admins'], { as: 'carol' });
    const edit = [...NS, 'annotate', 'configmap', 'cordon-guard-policy', 'probe=1', '--overwrite'];
    const noParams = "The configmaps \"cordon-guard-policy\" is invalid: : ValidatingAdmissionPolicy 'cordon-guard-protect' with binding 'cordon-guard-protect' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction";
    await waitFor('the binding to miss its params', () => (cp.kubectl(edit).stderr.trim() === noParams ? true : undefined), 10_000, 100);
    for (const who of ['admin', 'carol'] as const) assertRefused(cp.kubectl(edit, { as: who }), noParams);
    // Only system:masters may put the params back (policy cordon-guard-protect-admins).
    for (const who of ['carol', 'mallory'] as const)
      assertRefused(
        cp.kubectl([...NS, 'create', 'configmap', 'cordon-guard-admins', '--from-literal=group=system:authenticated'], { as: who }),
        `error: failed to create configmap: configmaps "cordon-guard-admins" is forbidden: ValidatingAdmissionPolicy 'cordon-guard-protect-admins' with binding 'cordon-guard-protect-admins' denied request: cordon-guard-protect-admins: CREATE of configmaps "cordon-guard/cordon-guard-admins" by "${who}" refused: only system:masters may create the ConfigMap that names cordon-guard's admin group; ask a cluster admin`,
      );
    reapply();
    await waitFor('carol to be an admin again', () => (cp.kubectl([...NS, 'annotate', 'configmap', 'cordon-guard-policy', 'probe-', '--overwrite'], { as: 'carol' }).code === 0 ? true : undefined), 10_000, 100);
  });

  it('lets an object an admin deleted lose its finalizers (the garbage collector\'s write after a foreground deletion), and nothing else', () => {
    cp.kubectlOk([...NS, 'delete', 'deployment', 'cordon-guard', '--cascade=foreground', '--wait=false']);
    // There is no controller manager here: mallory plays the garbage collector.
    assertRefused(cp.kubectl([...NS, 'patch', 'deployment', 'cordon-guard', '--type=merge', '-p', '{"spec":{"replicas":0}}'], { as: 'mallory' }), refusal('deployments.apps "cordon-guard"', 'UPDATE', 'deployments', 'cordon-guard/cordon-guard', 'mallory'));
    cp.kubectlOk([...NS, 'patch', 'deployment', 'cordon-guard', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]'], { as: 'mallory' });
    assert.ok(!exists([...NS, 'deployment', 'cordon-guard']));
    reapply();
    assert.equal(replicas(), 2);
  });

  it('kubectl apply -k manifests/ again, by the admin, succeeds and changes nothing', () => {
    reapply(); // whatever the tests above left, as users re-apply
    const before = resourceVersions();
    const diff = cp.kubectl(['diff', '-k', manifests]);
    assert.equal(diff.code, 0, `kubectl diff: ${diff.stdout}${diff.stderr}`);
    assert.equal(diff.stdout, '');
    const applied = reapply().trim().split('\n');
    assert.equal(applied.length, before.length);
    // kubectl reports the PodDisruptionBudget "configured" on every apply: policy/v1 marks its
    // selector patchStrategy "replace", so client-side apply always sends it. The server finds
    // nothing to change (the resourceVersions below).
    for (const line of applied) assert.match(line, line.startsWith('poddisruptionbudget.policy/') ? / (unchanged|configured)$/ : / unchanged$/, line);
    assert.deepEqual(resourceVersions(), before);
    console.log(`# re-apply: ${applied.length} objects, kubectl diff exit 0, resourceVersions unchanged`);
  });

  // Last: it removes everything. `kubectl delete -k manifests/` alone deletes the params
  // ConfigMap before the objects it protects (kustomize orders ConfigMaps first), and the binding
  // then refuses the rest to the admin too (no params). The bindings go first, and like their
  // creation, their deletion takes effect a moment later.
  it('uninstalls as manifests/README.md says: the bindings first, then the webhook configurations, then kubectl delete -k', async () => {
    cp.kubectlOk(['delete', 'validatingadmissionpolicybinding', 'cordon-guard-protect', 'cordon-guard-protect-admins']);
    const started = Date.now();
    await waitFor('the bindings to be dropped', () => (cp.kubectl([...NS, 'annotate', 'configmap', 'cordon-guard-policy', 'probe=1', '--dry-run=server'], { as: 'mallory' }).code === 0 ? true : undefined), 30_000, 100);
    console.log(`# bindings dropped ${Date.now() - started} ms after kubectl delete returned`);
    cp.kubectlOk(['delete', 'validatingwebhookconfiguration', 'cordon-guard']);
    cp.kubectlOk(['delete', 'mutatingwebhookconfiguration', 'cordon-guard']);
    // --wait=false: there is no namespace controller here to finish the Namespace's deletion.
    cp.kubectlOk(['delete', '-k', manifests, '--ignore-not-found', '--wait=false']);
    for (const args of [['validatingadmissionpolicy', 'cordon-guard-protect'], ['validatingadmissionpolicy', 'cordon-guard-protect-admins'], [...NS, 'configmap', 'cordon-guard-policy'], [...NS, 'deployment', 'cordon-guard'], [...NS, 'service', 'cordon-guard']])
      assert.ok(!exists(args), args.join(' '));
  });
});
