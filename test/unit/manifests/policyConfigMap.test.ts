// The policy ConfigMap: a valid policy document that spells out the defaults, read by the
// Deployment.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_SETTINGS } from '../../../src/policy/types.ts';
import { obj, parseYaml, policyConfigMap, policyResult, policyText, serveOptions } from '../../../testkit/manifests.ts';

describe('the policy ConfigMap', () => {
  test('policy.yaml is a valid policy document at the defaults, with empty allow lists', () => {
    const result = policyResult();
    assert.ok(result.ok, result.ok ? '' : result.errors.join('; '));
    const { mode, maintenanceAnnotation: key, guardAllCordons, guardAnnotationRemoval, allowCordonOwner, recordon, maintenanceMaxAge, allow } = result.policy;
    assert.deepEqual({ mode, maintenanceAnnotation: key, guardAllCordons, guardAnnotationRemoval, allowCordonOwner, recordon, maintenanceMaxAge, allow }, DEFAULT_SETTINGS);
    assert.deepEqual(allow, { users: [], groups: [], serviceAccounts: [] });
  });

  test('policy.yaml spells out every key, so users see what they can change', () => {
    const raw = obj(parseYaml(policyText(), 'policy.yaml')[0], 'policy.yaml');
    assert.deepEqual(Object.keys(raw).sort(), Object.keys(DEFAULT_SETTINGS).sort());
    assert.deepEqual(Object.keys(obj(raw.allow, 'allow')).sort(), Object.keys(DEFAULT_SETTINGS.allow).sort());
  });

  test('the Deployment reads this ConfigMap', () => {
    const configMap = policyConfigMap();
    assert.deepEqual(serveOptions().policy, { kind: 'configmap', namespace: configMap.namespace, name: configMap.name });
  });
});
