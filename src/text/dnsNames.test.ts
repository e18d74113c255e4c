import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDns1123Label, isDns1123Subdomain } from './dnsNames.ts';

describe('DNS-1123 names', () => {
  const cases: [string, string, boolean, boolean][] = [
    // name, text, a label?, a subdomain?
    ['a lowercase word is both', 'cordon-guard', true, true],
    ['digits alone are both', '0', true, true],
    ['dotted names are subdomains only', 'worker-3.eu-west-1.compute.internal', false, true],
    ['an uppercase letter is neither', 'Worker-3', false, false],
    ['a leading dash is neither', '-worker', false, false],
    ['a trailing dash is neither', 'worker-', false, false],
    ['an empty part between dots is not a subdomain', 'a..b', false, false],
    ['a part ending in a dash before a dot is not a subdomain', 'a-.b', false, false],
    ['an underscore is neither', 'worker_3', false, false],
    ['the empty string is neither', '', false, false],
    ['63 characters make a label', 'a'.repeat(63), true, true],
    ['64 characters do not', 'a'.repeat(64), false, true],
    ['253 characters make a subdomain', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`, false, true],
    ['254 characters do not', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`, false, false],
  ];
  for (const [name, text, label, subdomain] of cases) {
    it(name, () => {
      assert.equal(isDns1123Label(text), label, 'label');
      assert.equal(isDns1123Subdomain(text), subdomain, 'subdomain');
    });
  }
});
