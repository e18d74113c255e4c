// The ValidatingWebhookConfiguration: a webhook that fails closed and sees exactly the requests
// the policy can refuse, and a matchConditions key in step with the policy's annotation key.
// The expression is evaluated with @bufbuild/cel (matchConditions.ts says how, and where it
// differs from the API server's CEL); the end-to-end suite checks it against a real API server.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { applyPatch, type Operation } from 'rfc6902';
import { WEBHOOK_CONFIGURATION_NAME, WEBHOOK_TARGETS } from '../../../certs-scripts/make-certs.ts';
import type { KubeObject } from '../../../src/admission/types.ts';
import { CORDON_STAMP_ANNOTATION } from '../../../src/policy/annotations.ts';
import { evaluate } from '../../../src/policy/engine.ts';
import { qualifiedNameProblems } from '../../../src/policy/qualifiedName.ts';
import { VALIDATING_CONDITION, validatingExpression } from '../../../src/webhooks/matchConditions.ts';
import { requestOf } from '../../../testkit/requests.ts';
import {
  EXAMPLE_REVIEWS,
  checkServiceOf,
  isObj,
  list,
  maintenanceAnnotation,
  obj,
  readJsonFile,
  str,
  validating,
  type Obj,
} from '../../../testkit/manifests.ts';
import {
  REQUESTERS,
  STAMP_TIME,
  compileMatchCondition,
  cordoned,
  couldBeRefused,
  nodeRequest,
  nodeStates,
  policies,
  realisticNodes,
  shouldMatch,
  show,
  stampMutation,
  underMaintenance,
  varsOf,
} from './matchConditions.ts';

/** The quoted strings of an expression, in order. */
const quotedIn = (expression: string): Array<string | undefined> => [...expression.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]);

describe('the ValidatingWebhookConfiguration', () => {
  test('it has one webhook, uncordon.cordon-guard.io, which the certificate script gives the CA', () => {
    const { configuration, webhooks } = validating();
    assert.equal(obj(configuration.metadata, 'metadata').name, WEBHOOK_CONFIGURATION_NAME);
    assert.deepEqual(webhooks.map((w) => w.name), ['uncordon.cordon-guard.io']);
    assert.deepEqual(
      webhooks.map((w) => w.name),
      WEBHOOK_TARGETS.filter((t) => t.kind === 'ValidatingWebhookConfiguration' && t.name === WEBHOOK_CONFIGURATION_NAME).map((t) => t.webhook),
    );
  });

  test('it fails closed, is safe for dry runs, answers within 5 s and speaks admission.k8s.io/v1', () => {
    const { webhook } = validating();
    assert.equal(webhook.failurePolicy, 'Fail');
    assert.equal(webhook.sideEffects, 'NoneOnDryRun');
    assert.equal(webhook.timeoutSeconds, 5);
    assert.deepEqual(webhook.admissionReviewVersions, ['v1']);
    assert.equal(webhook.matchPolicy, 'Equivalent');
  });

  test('its rules match Node UPDATEs only, and never the nodes/status subresource', () => {
    const rules = list(validating().webhook.rules, 'rules').map((r) => obj(r, 'rule'));
    assert.deepEqual(rules, [{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['nodes'], scope: 'Cluster' }]);
    for (const rule of rules) {
      for (const resource of list(rule.resources, 'resources')) assert.ok(!String(resource).includes('/'), `subresource ${String(resource)}`);
    }
  });

  test('it calls /validate on the Service, whose port 443 leads to the container port the server listens on', () => {
    checkServiceOf(obj(validating().webhook.clientConfig, 'clientConfig'), '/validate');
  });

  test('it has one clearly named matchCondition, whose expression is CEL that @bufbuild/cel parses and plans', () => {
    const { matchConditions, expression } = validating();
    assert.equal(matchConditions.length, 1, 'matchConditions are ANDed: one condition ORs the three transitions');
    const name = str(matchConditions[0]?.name, 'name');
    assert.deepEqual(qualifiedNameProblems(name), []);
    assert.match(name, /uncordon/);
    assert.match(name, /stamp/);
    assert.doesNotThrow(() => compileMatchCondition(expression));
  });

  test("the matchCondition names exactly the policy's maintenanceAnnotation and the cordon stamp, and no other annotation key", () => {
    const key = maintenanceAnnotation();
    const quoted = quotedIn(validating().expression);
    assert.deepEqual([...new Set(quoted)].sort(), [key, CORDON_STAMP_ANNOTATION].sort());
    assert.equal(quoted.filter((q) => q === key).length, 2, 'the maintenance key in oldObject and in object');
  });

  test('the expression lets through exactly the uncordons, maintenance-annotation removals and stamp changes, for every shape of node, without error', () => {
    const match = compileMatchCondition(validating().expression);
    const key = maintenanceAnnotation();
    const states = nodeStates(key);
    let matched = 0;
    let stampOnly = 0;
    for (const oldObject of states) {
      for (const object of states) {
        const got = match(varsOf(nodeRequest('UPDATE', oldObject, object)));
        const want = shouldMatch(oldObject, object, key);
        assert.equal(got, want, `old ${JSON.stringify(oldObject)} new ${JSON.stringify(object)}: ${show(got)}`);
        if (want) matched++;
        const uncordonOrRemoval = (cordoned(oldObject) && !cordoned(object)) || (underMaintenance(oldObject, key) && !underMaintenance(object, key));
        if (want && !uncordonOrRemoval) stampOnly++;
      }
    }
    assert.ok(matched > 0 && matched < states.length ** 2, 'both outcomes occur');
    assert.ok(stampOnly > 0, 'stamp changes alone occur');
  });

  test('it sends every request that cordon-guard could refuse, under any policy and requester, and no request that it could not', () => {
    const match = compileMatchCondition(validating().expression);
    const states = nodeStates(maintenanceAnnotation());
    const under = policies();
    const refusable = { sent: 0, missed: [] as string[] };
    const needless: string[] = [];
    for (const oldObject of states) {
      for (const object of states) {
        const sent = match(varsOf(nodeRequest('UPDATE', oldObject, object)));
        const pair = `old ${JSON.stringify(oldObject)} new ${JSON.stringify(object)}`;
        assert.equal(typeof sent, 'boolean', `${pair}: ${show(sent)}`);
        if (couldBeRefused(oldObject, object, under)) {
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
    const match = compileMatchCondition(validating().expression);
    const under = policies();
    const nodes = realisticNodes();
    const reasons = new Set<string>();
    const shape = (node: KubeObject): string =>
      `${JSON.stringify(isObj(node.spec) ? node.spec.unschedulable : undefined)} ${JSON.stringify((isObj(node.metadata) ? node.metadata.annotations : undefined) ?? null)}`;
    for (const oldObject of nodes) {
      for (const object of nodes) {
        const request = requestOf({ oldObject, object, username: 'carol' });
        const refusals = under
          .flatMap((policy) => REQUESTERS.map((user) => evaluate({ ...request, userInfo: { ...request.userInfo, username: user, groups: [] } }, policy)))
          .flatMap((e) => (e.verdict === 'violation' ? [e.reason] : []));
        for (const reason of refusals) reasons.add(reason);
        const got = match(varsOf(request));
        assert.equal(got, refusals.length > 0, `old ${shape(oldObject)} new ${shape(object)}: ${show(got)}`);
      }
    }
    assert.deepEqual([...reasons].sort(), ['annotation-removal', 'cordon-guarded', 'maintenance-active', 'stale-stamp', 'stamp-tampering']);
  });

  test("its matchCondition is the one serve keeps in step: src/webhooks/matchConditions.ts's, for the policy's maintenanceAnnotation, byte for byte", () => {
    const { matchConditions } = validating();
    assert.equal(matchConditions[0]?.name, VALIDATING_CONDITION);
    assert.equal(validating().expression, validatingExpression(maintenanceAnnotation()));
  });

  test('for another maintenance key, the expression serve writes sends the removals of that key and no longer those of the old one', () => {
    const key = 'example.com/maintenance';
    const match = compileMatchCondition(validatingExpression(key));
    const states = [...nodeStates(key), ...nodeStates(maintenanceAnnotation())];
    let removals = 0;
    for (const oldObject of states) {
      for (const object of states) {
        const got = match(varsOf(nodeRequest('UPDATE', oldObject, object)));
        assert.equal(got, shouldMatch(oldObject, object, key), `old ${JSON.stringify(oldObject)} new ${JSON.stringify(object)}: ${show(got)}`);
        if (got === true && !cordoned(oldObject) && underMaintenance(oldObject, key) && !underMaintenance(object, key)) removals++;
      }
    }
    assert.ok(removals > 0);
    const oldKeyOnly = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', annotations: { [maintenanceAnnotation()]: 'OPS-1' } } };
    assert.equal(match(varsOf(nodeRequest('UPDATE', oldKeyOnly, { ...oldKeyOnly, metadata: { name: 'n1', annotations: {} } }))), false);
  });

  test('the expression is false, not an error, when there is no oldObject', () => {
    const match = compileMatchCondition(validating().expression);
    for (const object of nodeStates(maintenanceAnnotation())) {
      const got = match(varsOf(nodeRequest('CREATE', null, object)));
      assert.equal(got, false, `CREATE ${JSON.stringify(object)}: ${show(got)}`);
    }
  });

  test('the expression agrees with the policy definitions on the example AdmissionReviews', () => {
    const match = compileMatchCondition(validating().expression);
    const key = maintenanceAnnotation();
    const files = readdirSync(EXAMPLE_REVIEWS).filter((f) => f.endsWith('.json'));
    assert.ok(files.length > 0);
    for (const file of files) {
      const request = obj(obj(readJsonFile(join(EXAMPLE_REVIEWS, file)), file).request, `${file} request`);
      const oldObject = request.oldObject === undefined ? null : obj(request.oldObject, 'oldObject');
      const object = obj(request.object, 'object');
      // `request` as the API server passes it: the request's attributes, without uid, object and oldObject.
      const { uid: _uid, object: _object, oldObject: _oldObject, ...attributes } = request;
      const got = match({ object, oldObject, request: attributes });
      assert.equal(got, shouldMatch(oldObject, object, key), `${file}: ${show(got)}`);
    }
  });

  test('what /mutate writes never makes a request look like stamp tampering, nor sends it here by itself', () => {
    const match = compileMatchCondition(validating().expression);
    const states = nodeStates(maintenanceAnnotation());
    const under = policies();
    let patched = 0;
    for (const oldObject of [null, ...states]) {
      for (const object of states) {
        const operation = oldObject === null ? 'CREATE' : 'UPDATE';
        const request = nodeRequest(operation, oldObject, object);
        const mutation = stampMutation(request, STAMP_TIME);
        if (mutation.change === 'none') continue;
        patched++;
        const after: Obj = structuredClone(object);
        const patch: Operation[] = mutation.patch;
        assert.ok(applyPatch(after, patch).every((e) => e === null));
        const before = match(varsOf(request));
        const afterMutation = match(varsOf(nodeRequest(operation, oldObject, after)));
        assert.equal(afterMutation, before, `${mutation.change}: ${show(afterMutation)} after, ${show(before)} before`);
        if (oldObject === null) continue;
        for (const policy of under) {
          for (const user of REQUESTERS) {
            const evaluation = evaluate(nodeRequest('UPDATE', oldObject, after, user), policy);
            assert.ok(evaluation.verdict !== 'violation' || evaluation.reason !== 'stamp-tampering', `${mutation.change} judged as tampering`);
          }
        }
      }
    }
    assert.ok(patched > 0);
  });
});
