// The MutatingWebhookConfiguration: a webhook that fails open and sees exactly the requests
// /mutate patches. The expression is evaluated with @bufbuild/cel (matchConditions.ts says how,
// and where it differs from the API server's CEL).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { WEBHOOK_CONFIGURATION_NAME, WEBHOOK_TARGETS } from '../../../certs-scripts/make-certs.ts';
import { decodeAdmissionReview } from '../../../src/admission/decode.ts';
import type { AdmissionRequest } from '../../../src/admission/types.ts';
import { CORDON_STAMP_ANNOTATION } from '../../../src/policy/cordonStamp.ts';
import { stampChange } from '../../../src/policy/mutation.ts';
import { qualifiedNameProblems } from '../../../src/policy/qualifiedName.ts';
import { requestOf } from '../../../testkit/requests.ts';
import { EXAMPLE_REVIEWS, checkServiceOf, list, maintenanceAnnotation, mutating, obj, readJsonFile, str } from '../../../testkit/manifests.ts';
import { compileMatchCondition, cordoned, mutates, nodeRequest, nodeStates, realisticNodes, show, varsOf } from './matchConditions.ts';

describe('the MutatingWebhookConfiguration', () => {
  test('it has one webhook, cordon-owner.cordon-guard.io, which the certificate script gives the CA', () => {
    const { configuration, webhooks } = mutating();
    assert.equal(obj(configuration.metadata, 'metadata').name, WEBHOOK_CONFIGURATION_NAME);
    assert.deepEqual(webhooks.map((w) => w.name), ['cordon-owner.cordon-guard.io']);
    assert.deepEqual(
      webhooks.map((w) => w.name),
      WEBHOOK_TARGETS.filter((t) => t.kind === 'MutatingWebhookConfiguration' && t.name === WEBHOOK_CONFIGURATION_NAME).map((t) => t.webhook),
    );
  });

  test('it lets requests through unstamped when cordon-guard is down, has no side effects, is called once, answers within 5 s and speaks admission.k8s.io/v1', () => {
    const { webhook } = mutating();
    assert.equal(webhook.failurePolicy, 'Ignore');
    assert.equal(webhook.sideEffects, 'None');
    assert.equal(webhook.reinvocationPolicy, 'Never');
    assert.equal(webhook.timeoutSeconds, 5);
    assert.deepEqual(webhook.admissionReviewVersions, ['v1']);
    assert.equal(webhook.matchPolicy, 'Equivalent');
  });

  test('its rules match Node CREATEs and UPDATEs only, and never the nodes/status subresource', () => {
    const rules = list(mutating().webhook.rules, 'rules').map((r) => obj(r, 'rule'));
    assert.deepEqual(rules, [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['nodes'], scope: 'Cluster' }]);
  });

  test('it calls /mutate on the Service, whose port 443 leads to the container port the server listens on', () => {
    checkServiceOf(obj(mutating().webhook.clientConfig, 'clientConfig'), '/mutate');
  });

  test('it has one clearly named matchCondition, which @bufbuild/cel parses and plans, and which names the cordon stamp and no other annotation key', () => {
    const { matchConditions, expression } = mutating();
    assert.equal(matchConditions.length, 1);
    const name = str(matchConditions[0]?.name, 'name');
    assert.deepEqual(qualifiedNameProblems(name), []);
    assert.match(name, /cordon/);
    assert.doesNotThrow(() => compileMatchCondition(expression));
    const quoted = [...expression.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]);
    assert.deepEqual([...new Set(quoted)], [CORDON_STAMP_ANNOTATION]);
  });

  test('the expression sends exactly the UPDATEs that /mutate stamps or unstamps, for every shape of node, without error', () => {
    const match = compileMatchCondition(mutating().expression);
    const states = nodeStates(maintenanceAnnotation());
    const changes = new Map<string, number>();
    for (const oldObject of states) {
      for (const object of states) {
        const request = nodeRequest('UPDATE', oldObject, object);
        const got = match(varsOf(request));
        const change = stampChange(request);
        assert.equal(got, mutates(request), `${change}: old ${JSON.stringify(oldObject)} new ${JSON.stringify(object)}: ${show(got)}`);
        changes.set(change, (changes.get(change) ?? 0) + 1);
      }
    }
    assert.deepEqual([...changes.keys()].sort(), ['none', 'stamp', 'unstamp'], 'every outcome occurs');
  });

  test('the expression sends exactly the CREATEs of a cordoned node, without error', () => {
    const match = compileMatchCondition(mutating().expression);
    let sent = 0;
    for (const object of nodeStates(maintenanceAnnotation())) {
      const request = nodeRequest('CREATE', null, object);
      const got = match(varsOf(request));
      assert.equal(got, mutates(request), `CREATE ${JSON.stringify(object)}: ${show(got)}`);
      assert.equal(got, cordoned(object));
      if (got === true) sent++;
    }
    assert.ok(sent > 0);
  });

  test('the expression agrees with /mutate on realistic nodes and on the example AdmissionReviews', () => {
    const match = compileMatchCondition(mutating().expression);
    const nodes = realisticNodes();
    const requests: Array<[string, AdmissionRequest]> = [];
    for (const object of nodes) {
      requests.push([`CREATE ${JSON.stringify(object.spec)}`, requestOf({ operation: 'CREATE', oldObject: null, object })]);
      for (const oldObject of nodes) requests.push([`UPDATE ${JSON.stringify(oldObject.spec)} -> ${JSON.stringify(object.spec)}`, requestOf({ oldObject, object })]);
    }
    for (const file of readdirSync(EXAMPLE_REVIEWS).filter((f) => f.endsWith('.json'))) {
      const decoded = decodeAdmissionReview(readJsonFile(join(EXAMPLE_REVIEWS, file)));
      assert.ok(decoded.ok, file);
      requests.push([file, decoded.review.request]);
    }
    const seen = new Set<string>();
    for (const [what, request] of requests) {
      const got = match(varsOf(request));
      assert.equal(got, mutates(request), `${what}: ${show(got)}`);
      seen.add(stampChange(request));
    }
    assert.deepEqual([...seen].sort(), ['none', 'stamp', 'unstamp']);
  });
});
