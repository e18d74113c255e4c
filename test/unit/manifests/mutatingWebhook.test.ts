// The MutatingWebhookConfiguration: a webhook that fails open and sees every request /mutate
// patches (a stamp, or a repair in mode preserve), and otherwise only what /validate judges. The expression is evaluated with @bufbuild/cel (matchConditions.ts says how,
// and where it differs from the API server's CEL).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { WEBHOOK_CONFIGURATION_NAME, WEBHOOK_TARGETS } from '../../../certs-scripts/make-certs.ts';
import { decodeAdmissionReview } from '../../../src/admission/decode.ts';
import { applyPatch, type Operation } from 'rfc6902';
import type { AdmissionRequest } from '../../../src/admission/types.ts';
import { answer } from '../../../src/policy/answer.ts';
import { CORDON_STAMP_ANNOTATION } from '../../../src/policy/annotations.ts';
import { evaluate } from '../../../src/policy/engine.ts';
import { qualifiedNameProblems } from '../../../src/policy/qualifiedName.ts';
import { MUTATING_CONDITION, mutatingExpression } from '../../../src/webhooks/matchConditions.ts';
import { requestOf } from '../../../testkit/requests.ts';
import { EXAMPLE_REVIEWS, checkServiceOf, list, maintenanceAnnotation, mutating, obj, readJsonFile, str, validating } from '../../../testkit/manifests.ts';
import { REQUESTERS, compileMatchCondition, cordoned, mutatePatches, mutates, nodeRequest, nodeStates, policies, realisticNodes, shouldMatch, show, stampMutation, varsOf } from './matchConditions.ts';

describe('the MutatingWebhookConfiguration', () => {
  test("its matchCondition is the one serve keeps in step: src/webhooks/matchConditions.ts's, for the policy's maintenanceAnnotation, byte for byte", () => {
    const { matchConditions, expression } = mutating();
    assert.equal(matchConditions[0]?.name, MUTATING_CONDITION);
    assert.equal(expression, mutatingExpression(maintenanceAnnotation()));
  });

  test('it has one webhook, cordon-owner.cordon-guard.io, which the certificate script gives the CA', () => {
    const { configuration, webhooks } = mutating();
    assert.equal(obj(configuration.metadata, 'metadata').name, WEBHOOK_CONFIGURATION_NAME);
    assert.deepEqual(webhooks.map((w) => w.name), ['cordon-owner.cordon-guard.io']);
    assert.deepEqual(
      webhooks.map((w) => w.name),
      WEBHOOK_TARGETS.filter((t) => t.kind === 'MutatingWebhookConfiguration' && t.name === WEBHOOK_CONFIGURATION_NAME).map((t) => t.webhook),
    );
  });

  test('it lets requests through unstamped and unrepaired when cordon-guard is down, records Events but not for dry runs, is called again after later mutating webhooks, answers within 5 s and speaks admission.k8s.io/v1', () => {
    const { webhook } = mutating();
    assert.equal(webhook.failurePolicy, 'Ignore');
    assert.equal(webhook.sideEffects, 'NoneOnDryRun');
    assert.equal(webhook.reinvocationPolicy, 'IfNeeded');
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

  test("it has one clearly named matchCondition, which @bufbuild/cel parses and plans, and which names the cordon stamp and the policy's maintenanceAnnotation and no other annotation key", () => {
    const { matchConditions, expression } = mutating();
    assert.equal(matchConditions.length, 1);
    const name = str(matchConditions[0]?.name, 'name');
    assert.deepEqual(qualifiedNameProblems(name), []);
    assert.match(name, /cordon/);
    assert.match(name, /uncordon/);
    assert.doesNotThrow(() => compileMatchCondition(expression));
    const quoted = [...expression.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]);
    assert.deepEqual([...new Set(quoted)].sort(), [maintenanceAnnotation(), CORDON_STAMP_ANNOTATION].sort());
  });

  test("the expression is a cordon, or the validating webhook's expression word for word: /mutate sees every write that /validate judges", () => {
    // Compared without whitespace and line breaks: none of the string literals holds any.
    const text = mutating().expression.replace(/\s+/g, '');
    const judged = `||(${validating().expression.replace(/\s+/g, '')})`;
    assert.ok(text.endsWith(judged), text);
    const cordon = text.slice(0, -judged.length);
    assert.ok(cordon.startsWith('(') && cordon.endsWith(')'), cordon);
    const cordonMatch = compileMatchCondition(cordon);
    for (const oldObject of [null, ...nodeStates(maintenanceAnnotation())]) {
      for (const object of nodeStates(maintenanceAnnotation())) {
        const request = nodeRequest(oldObject === null ? 'CREATE' : 'UPDATE', oldObject, object);
        assert.equal(cordonMatch(varsOf(request)), stampMutation(request).change === 'stamp', `old ${JSON.stringify(oldObject)} new ${JSON.stringify(object)}`);
      }
    }
  });

  test('the expression sends every UPDATE that /mutate patches (a stamp, an unstamp, a repair of mode preserve) under any policy and requester, and beyond those only what the validating webhook is sent, for every shape of node, without error', () => {
    const match = compileMatchCondition(mutating().expression);
    const states = nodeStates(maintenanceAnnotation());
    const seen = { patched: 0, repaired: 0, judgedOnly: 0 };
    for (const oldObject of states) {
      for (const object of states) {
        const request = nodeRequest('UPDATE', oldObject, object);
        const got = match(varsOf(request));
        const what = `old ${JSON.stringify(oldObject)} new ${JSON.stringify(object)}: ${show(got)}`;
        assert.equal(typeof got, 'boolean', what);
        const { patched, repaired } = mutatePatches(request);
        const judged = shouldMatch(oldObject, object, maintenanceAnnotation());
        if (patched) assert.equal(got, true, `patched but not sent: ${what}`);
        assert.equal(got, stampMutation(request).change === 'stamp' || judged, what);
        if (patched) seen.patched++;
        if (repaired) seen.repaired++;
        if (got === true && !patched) seen.judgedOnly++;
      }
    }
    assert.ok(seen.patched > 0 && seen.repaired > 0 && seen.judgedOnly > 0, JSON.stringify(seen));
  });

  test('a write repaired by /mutate in mode preserve is not sent to the validating webhook, or is allowed there', () => {
    const judgedBy = compileMatchCondition(validating().expression);
    const states = nodeStates(maintenanceAnnotation());
    let repaired = 0;
    const under = policies('preserve');
    for (const oldObject of states) {
      for (const object of states) {
        // Only what /validate judges can be repaired (the test above: /mutate patches nothing else but cordons).
        if (!shouldMatch(oldObject, object, maintenanceAnnotation())) continue;
        for (const policy of under) {
          for (const user of REQUESTERS) {
            const request = nodeRequest('UPDATE', oldObject, object, user);
            const result = answer('mutate', request, policy, new Date('2026-12-01T10:00:00Z'));
            if (result.repair === undefined) continue;
            repaired++;
            const after = structuredClone(object);
            assert.ok(applyPatch(after, JSON.parse(Buffer.from(result.reply.patch ?? '', 'base64').toString()) as Operation[]).every((e) => e === null));
            const sent = judgedBy(varsOf({ ...request, object: after }));
            const verdict = evaluate({ ...request, object: after }, policy).verdict;
            assert.ok(sent === false || verdict !== 'violation', `old ${JSON.stringify(oldObject)} new ${JSON.stringify(object)} ${user}: ${show(sent)} ${verdict}`);
          }
        }
      }
    }
    assert.ok(repaired > 0);
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

  test('the expression agrees with /mutate and with the validating webhook on realistic nodes and on the example AdmissionReviews', () => {
    const match = compileMatchCondition(mutating().expression);
    const judgedBy = compileMatchCondition(validating().expression);
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
      const judged = judgedBy(varsOf(request)) === true;
      assert.equal(got, stampMutation(request).change === 'stamp' || judged, `${what}: ${show(got)}`);
      const { patched, repaired } = mutatePatches(request);
      if (patched) assert.equal(got, true, `patched but not sent: ${what}`);
      seen.add(stampMutation(request).change);
      if (repaired) seen.add('repair');
    }
    assert.deepEqual([...seen].sort(), ['none', 'repair', 'stamp', 'unstamp']);
  });
});
