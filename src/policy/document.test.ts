import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parsePolicyDocument } from './document.ts';
import { DEFAULT_SETTINGS } from './types.ts';

function errorsOf(text: string): string[] {
  const result = parsePolicyDocument(text, 'test');
  assert.equal(result.ok, false, `expected ${JSON.stringify(text)} to be refused`);
  return result.ok ? [] : result.errors;
}

describe('the policy document', () => {
  it('an empty document means the defaults', () => {
    const result = parsePolicyDocument('', 'test');
    assert.ok(result.ok);
    if (!result.ok) return;
    const { mode, maintenanceAnnotation, guardAllCordons, guardAnnotationRemoval, allowCordonOwner, allow } = result.policy;
    assert.deepEqual({ mode, maintenanceAnnotation, guardAllCordons, guardAnnotationRemoval, allowCordonOwner, allow }, DEFAULT_SETTINGS);
  });

  it('the example in POLICY.md and examples/policy.yaml parse', () => {
    const text = readFileSync(new URL('../../examples/policy.yaml', import.meta.url), 'utf8');
    const result = parsePolicyDocument(text, 'examples');
    assert.ok(result.ok);
    if (result.ok) assert.deepEqual(result.policy.allow.groups, ['sre-oncall']);
  });

  const bad: [string, string, RegExp][] = [
    ['an unknown key is named', 'mode: enforce\nallowlist: []', /unknown key: allowlist/],
    ['an unknown key inside allow is named', 'allow:\n  user: [a]', /unknown key in allow: user/],
    ['an unknown mode is refused with the choices', 'mode: block', /^mode: .*enforce.*warn.*audit/],
    ['a boolean given as a string is refused', 'guardAllCordons: "true"', /^guardAllCordons: .*boolean/],
    ['a list entry of the wrong type names its index', 'allow:\n  groups: [ok, 3]', /^allow\.groups\[1\]: .*string/],
    ['an empty pattern is refused', 'allow:\n  users: [""]', /^allow\.users\[0\]: a pattern must not be empty/],
    ['an annotation key with two slashes is refused', 'maintenanceAnnotation: a/b/c', /^maintenanceAnnotation: /],
    ['an annotation key with an uppercase prefix is refused', 'maintenanceAnnotation: Example.com/x', /maintenanceAnnotation: prefix part/],
    ['an annotation name over 63 characters is refused', `maintenanceAnnotation: ${'a'.repeat(64)}`, /name part must be no more than 63/],
    ['an annotation name ending in a dash is refused', 'maintenanceAnnotation: example.com/maint-', /name part must consist/],
    ['a list is not a document', '- mode: enforce', /must be a mapping/],
    ['several documents are refused', 'mode: warn\n---\nmode: audit\n', /one YAML document/],
    ['a YAML syntax error is reported', 'mode: [enforce', /^YAML: /],
    ['duplicate keys are refused', 'mode: warn\nmode: audit', /^YAML: .*unique/],
  ];
  for (const [name, text, pattern] of bad) {
    it(name, () => {
      const errors = errorsOf(text);
      assert.ok(errors.some((e) => pattern.test(e)), JSON.stringify(errors));
    });
  }

  it('all problems of a document are reported at once', () => {
    assert.equal(errorsOf('mode: x\nguardAllCordons: 1\nextra: y').length, 3);
  });

  it('valid settings come through', () => {
    const result = parsePolicyDocument('mode: audit\nguardAllCordons: true\nmaintenanceAnnotation: ops.example.com/maintenance', 'test');
    assert.ok(result.ok);
    if (!result.ok) return;
    assert.equal(result.policy.mode, 'audit');
    assert.equal(result.policy.guardAllCordons, true);
    assert.equal(result.policy.maintenanceAnnotation, 'ops.example.com/maintenance');
    assert.equal(result.policy.origin, 'test');
  });
});
