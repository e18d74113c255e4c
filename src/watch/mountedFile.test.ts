import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concernsMountedFile } from './mountedFile.ts';

describe('concernsMountedFile', () => {
  const events: [string | null, boolean][] = [
    ['tls.crt', true],
    ['tls.key', true],
    ['..data', true],
    ['..2026_11_28_09_00_00.123456789', true],
    [null, true],
    ['webhook.log', false],
    ['tls.crt.tmp', false],
    ['certs', false],
  ];
  for (const [name, expected] of events) {
    it(`${expected ? 'takes' : 'ignores'} a change named ${JSON.stringify(name)}`, () => assert.equal(concernsMountedFile(name, '/certs/tls.crt', '/certs/tls.key'), expected));
  }
});
