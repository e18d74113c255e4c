import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { defaultPolicy, parsePolicyDocument } from './document.ts';
import { evaluate } from './engine.ts';
import { MAINTENANCE, makeNode } from '../../testkit/fixtures.ts';
import { requestOf } from '../../testkit/requests.ts';
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
    const { mode, maintenanceAnnotation, guardAllCordons, guardAnnotationRemoval, allowCordonOwner, recordon, maintenanceMaxAge, allow } = result.policy;
    assert.deepEqual({ mode, maintenanceAnnotation, guardAllCordons, guardAnnotationRemoval, allowCordonOwner, recordon, maintenanceMaxAge, allow }, DEFAULT_SETTINGS);
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
    ['recordon given as a string is refused', 'recordon: "yes"', /^recordon: .*boolean/],
    ['a maintenanceMaxAge without a unit is refused, naming the key', 'maintenanceMaxAge: "72"', /^maintenanceMaxAge: "72" is not a duration/],
    ['a maintenanceMaxAge in days is refused (units are h, m, s)', 'maintenanceMaxAge: 3d', /^maintenanceMaxAge: "3d" is not a duration/],
    ['a maintenanceMaxAge of zero is refused', 'maintenanceMaxAge: 0h', /^maintenanceMaxAge: "0h" must be longer than zero/],
    ['a maintenanceMaxAge given as a number is refused', 'maintenanceMaxAge: 72', /^maintenanceMaxAge: .*string/],
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

  it('recordon and maintenanceMaxAge come through, the duration in milliseconds', () => {
    const result = parsePolicyDocument('recordon: true\nmaintenanceMaxAge: 1h30m', 'test');
    assert.ok(result.ok);
    if (!result.ok) return;
    assert.equal(result.policy.recordon, true);
    assert.equal(result.policy.maintenanceMaxAge, 90 * 60_000);
  });
});

// Added with mutation testing (issue 6): annotation keys follow Kubernetes qualified-name rules,
// errors name the key and the problem on one line, and the defaults fail closed.
describe('the maintenance annotation key', () => {
  const key = (k: string) => parsePolicyDocument(`maintenanceAnnotation: "${k}"`, 'test');
  const accepted = [
    ['a key without a prefix', 'maintenance'],
    ['a one-character name', 'example.com/x'],
    ['one-character DNS labels in the prefix', 'a.b/maint'],
    ['a name of exactly 63 characters', `example.com/${'m'.repeat(63)}`],
    ['a prefix of exactly 253 characters', `${['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(61)].join('.')}/maint`],
  ];
  for (const [name, k] of accepted) {
    it(`accepts ${name}`, () => {
      const result = key(k ?? '');
      assert.ok(result.ok, result.ok ? '' : result.errors.join('; '));
      if (result.ok) assert.equal(result.policy.maintenanceAnnotation, k);
    });
  }

  const refused = [
    ['a key with two slashes', 'a/b/c', 'maintenanceAnnotation: must be a name with an optional DNS-subdomain prefix and one "/"'],
    ['an empty prefix', '/maint', 'maintenanceAnnotation: prefix part must not be empty'],
    ['an empty name', 'example.com/', 'maintenanceAnnotation: name part must not be empty'],
    ['an empty key', '', 'maintenanceAnnotation: name part must not be empty'],
    ['a prefix of 254 characters', `${['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(62)].join('.')}/maint`, 'maintenanceAnnotation: prefix part must be no more than 253 characters'],
    ['a prefix that ends in a dash', 'example.com-/maint', 'maintenanceAnnotation: prefix part must be a lowercase DNS subdomain (e.g. "example.com")'],
    ['a name that starts with a dash', 'example.com/-maint', "maintenanceAnnotation: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"],
  ];
  for (const [name, k, error] of refused) {
    it(`refuses ${name}, saying "${error}"`, () => {
      assert.deepEqual(errorsOf(`maintenanceAnnotation: "${k}"`), [error]);
    });
  }
});

describe('policy document errors and defaults', () => {
  it('several unknown keys are named together', () => {
    assert.deepEqual(errorsOf('colour: red\nshape: round'), ['unknown keys: colour, shape']);
  });

  it('a scalar is not a document', () => {
    assert.deepEqual(errorsOf('enforce'), ['(document): must be a mapping of policy keys']);
  });

  it('a YAML syntax error is one line that names the line and column', () => {
    const errors = errorsOf('mode: warn\nallow: [a\n');
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /^YAML: .* at line \d+, column \d+:$/);
  });

  it('a partial allow section leaves the other lists empty', () => {
    const result = parsePolicyDocument('allow:\n  users: [alice]', 'test');
    assert.ok(result.ok);
    if (result.ok) assert.deepEqual(result.policy.allow, { users: ['alice'], groups: [], serviceAccounts: [] });
  });

  it('a document that expands YAML aliases more than 50 times is refused with a named error, not thrown', () => {
    const aliases = (n: number) => `allow:\n  users: [&a alice${', *a'.repeat(n)}]`;
    assert.ok(parsePolicyDocument(aliases(40), 'test').ok);
    assert.ok(errorsOf(aliases(60)).some((e) => /alias/i.test(e)));
  });

  it('the defaults in force without a good document fail closed for nodes under maintenance, and name their origin', () => {
    const policy = defaultPolicy();
    assert.equal(policy.origin, 'defaults');
    const { mode, maintenanceAnnotation, guardAllCordons, guardAnnotationRemoval, allowCordonOwner, recordon, maintenanceMaxAge, allow } = policy;
    assert.deepEqual({ mode, maintenanceAnnotation, guardAllCordons, guardAnnotationRemoval, allowCordonOwner, recordon, maintenanceMaxAge, allow }, DEFAULT_SETTINGS);
    const evaluation = evaluate(
      requestOf({ username: 'alice', oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE }), object: makeNode({ cordoned: false, annotations: MAINTENANCE }) }),
      policy,
    );
    assert.equal(evaluation.verdict === 'violation' && evaluation.reason, 'maintenance-active');
    assert.match(evaluation.verdict === 'violation' ? evaluation.message : '', /\(policy defaults\)/);
    assert.equal(evaluate(requestOf({ username: 'alice', oldObject: makeNode({ cordoned: true }), object: makeNode({ cordoned: false }) }), policy).verdict, 'allow');
  });
});
