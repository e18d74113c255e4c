// Where the install puts the policy ConfigMap is written once, in src/install.ts: the plugin looks
// there by default. This checks that manifests/base puts it there, and that serve reads it there.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCommandLine } from '../../../src/cli/args.ts';
import { INSTALLED_POLICY_CONFIGMAP, POLICY_CONFIGMAP_KEY } from '../../../src/install.ts';
import { obj, resources, serveOptions } from '../../../testkit/manifests.ts';

describe('the policy ConfigMap\'s location', () => {
  test('manifests/base creates the ConfigMap that src/install.ts names, with the policy under its key', () => {
    const found = resources().filter((r) => r.kind === 'ConfigMap' && r.namespace === INSTALLED_POLICY_CONFIGMAP.namespace && r.name === INSTALLED_POLICY_CONFIGMAP.name);
    assert.equal(found.length, 1, `ConfigMaps ${INSTALLED_POLICY_CONFIGMAP.namespace}/${INSTALLED_POLICY_CONFIGMAP.name} in base/`);
    const data = obj(found[0]?.doc.data, 'ConfigMap data');
    assert.equal(typeof data[POLICY_CONFIGMAP_KEY], 'string', `data.${POLICY_CONFIGMAP_KEY}`);
  });

  test('the Deployment\'s serve reads the policy from there', () => {
    assert.deepEqual(serveOptions().policy, { kind: 'configmap', ...INSTALLED_POLICY_CONFIGMAP });
  });

  test('the plugin looks there when neither --policy-configmap nor CORDON_GUARD_POLICY_CONFIGMAP says otherwise', () => {
    const options = parseCommandLine(['list'], {});
    assert.ok(options.command === 'list');
    assert.deepEqual(options.policyConfigMap, INSTALLED_POLICY_CONFIGMAP);
  });
});
