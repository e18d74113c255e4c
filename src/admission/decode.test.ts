import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeReview } from '../../testkit/fixtures.ts';
import { decodeAdmissionReview, parseAdmissionReview } from './decode.ts';
import { allowed, denied, encodeReview, errored, patched } from './reply.ts';

function errorOf(body: unknown): string {
  const result = decodeAdmissionReview(body);
  assert.equal(result.ok, false);
  return result.ok ? '' : result.error;
}

describe('decoding an AdmissionReview', () => {
  const malformed: [string, unknown, RegExp][] = [
    ['null is not a review', null, /JSON object/],
    ['an array is not a review', [], /JSON object/],
    ['a string is not a review', 'review', /JSON object/],
    ['a review needs a request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /request is missing/],
    ['the request must be an object', { request: 'x' }, /request must be an object/],
    ['the request needs a uid', { request: {} }, /request\.uid/],
    ['the uid must not be empty', { request: { uid: '' } }, /request\.uid/],
    ['an unknown apiVersion is refused', { apiVersion: 'admission.k8s.io/v2', request: { uid: 'u' } }, /unsupported apiVersion "admission\.k8s\.io\/v2"/],
    ['another kind is refused', { kind: 'Pod', request: { uid: 'u' } }, /kind must be "AdmissionReview"/],
    ['groups must be strings', { request: { uid: 'u', userInfo: { groups: [1] } } }, /request\.userInfo\.groups/],
    ['username must be a string', { request: { uid: 'u', userInfo: { username: {} } } }, /request\.userInfo\.username/],
    ['object must be an object', { request: { uid: 'u', object: [1] } }, /request\.object must be an object/],
    ['dryRun must be a boolean', { request: { uid: 'u', dryRun: 'yes' } }, /request\.dryRun/],
  ];
  for (const [name, body, pattern] of malformed) {
    it(name, () => assert.match(errorOf(body), pattern));
  }

  it('an error quoting a huge value stays short', () => {
    assert.ok(errorOf({ apiVersion: 'x'.repeat(1_000_000), request: { uid: 'u' } }).length < 200);
  });

  it('a realistic v1 review decodes with every field the policy reads', () => {
    const result = decodeAdmissionReview(makeReview({ dryRun: true, username: 'alice', groups: ['g'] }));
    assert.ok(result.ok);
    if (!result.ok) return;
    const { request } = result.review;
    assert.equal(result.review.apiVersion, 'admission.k8s.io/v1');
    assert.equal(request.operation, 'UPDATE');
    assert.equal(request.name, 'worker-3');
    assert.deepEqual(request.kind, { group: '', version: 'v1', kind: 'Node' });
    assert.equal(request.subResource, '');
    assert.equal(request.dryRun, true);
    assert.equal(request.userInfo.username, 'alice');
    assert.deepEqual(request.userInfo.groups, ['g']);
  });

  it('a v1beta1 review keeps its apiVersion', () => {
    const result = decodeAdmissionReview(makeReview({ apiVersion: 'admission.k8s.io/v1beta1' }));
    assert.ok(result.ok && result.review.apiVersion === 'admission.k8s.io/v1beta1');
  });

  it('a review without apiVersion is read as v1', () => {
    const result = decodeAdmissionReview({ request: { uid: 'u' } });
    assert.ok(result.ok && result.review.apiVersion === 'admission.k8s.io/v1');
  });

  it('a __proto__ key in userInfo.extra stays data and pollutes nothing', () => {
    const body = JSON.parse('{"request":{"uid":"u","userInfo":{"username":"x","extra":{"__proto__":["polluted"]}}}}');
    const result = decodeAdmissionReview(body);
    assert.ok(result.ok);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
  });
});

describe('encoding the answer', () => {
  it('stamps the uid and the request apiVersion on every reply builder', () => {
    for (const reply of [allowed(), denied('no'), errored(400, 'bad'), patched([{ op: 'add', path: '/a', value: 1 }])]) {
      const encoded = encodeReview('admission.k8s.io/v1beta1', 'uid-1', reply);
      assert.equal(encoded.apiVersion, 'admission.k8s.io/v1beta1');
      assert.equal(encoded.kind, 'AdmissionReview');
      assert.equal(encoded.response.uid, 'uid-1');
    }
  });

  it('a patch is base64 JSON with patchType JSONPatch', () => {
    const reply = patched([{ op: 'add', path: '/metadata/annotations', value: { a: 'b' } }]);
    assert.equal(reply.patchType, 'JSONPatch');
    assert.deepEqual(JSON.parse(Buffer.from(reply.patch ?? '', 'base64').toString()), [
      { op: 'add', path: '/metadata/annotations', value: { a: 'b' } },
    ]);
  });
});

// Added with mutation testing (issue 6): each test pins one behaviour a mutant could change.
describe('decoding names the field at fault and keeps every field the policy reads', () => {
  const wrongTypes: [string, Record<string, unknown>, string][] = [
    ['the kind must be an object', { kind: 'Node' }, 'request.kind must be an object'],
    ['the kind group must be a string', { kind: { group: 1 } }, 'request.kind.group must be a string'],
    ['the kind version must be a string', { kind: { version: 1 } }, 'request.kind.version must be a string'],
    ['the kind name must be a string', { kind: { kind: 1 } }, 'request.kind.kind must be a string'],
    ['the resource must be an object', { resource: 'nodes' }, 'request.resource must be an object'],
    ['the resource group must be a string', { resource: { group: 1 } }, 'request.resource.group must be a string'],
    ['the resource version must be a string', { resource: { version: 1 } }, 'request.resource.version must be a string'],
    ['the resource name must be a string', { resource: { resource: 1 } }, 'request.resource.resource must be a string'],
    ['the subResource must be a string', { subResource: 1 }, 'request.subResource must be a string'],
    ['the operation must be a string', { operation: 1 }, 'request.operation must be a string'],
    ['the name must be a string', { name: 1 }, 'request.name must be a string'],
    ['the namespace must be a string', { namespace: 1 }, 'request.namespace must be a string'],
    ['the userInfo must be an object', { userInfo: 'x' }, 'request.userInfo must be an object'],
    ['the userInfo uid must be a string', { userInfo: { uid: 1 } }, 'request.userInfo.uid must be a string'],
    ['the userInfo extra must be an object', { userInfo: { extra: 'x' } }, 'request.userInfo.extra must be an object'],
    ['an extra entry must be a list of strings, named by its quoted key', { userInfo: { extra: { scopes: 'x' } } }, 'request.userInfo.extra["scopes"] must be an array of strings'],
    ['the oldObject must be an object', { oldObject: 'x' }, 'request.oldObject must be an object'],
  ];
  for (const [name, fields, error] of wrongTypes) {
    it(`${name}: the error says exactly "${error}"`, () => {
      assert.equal(errorOf({ request: { uid: 'u', ...fields } }), error);
    });
  }

  it('a null request is reported as missing', () => {
    assert.equal(errorOf({ request: null }), 'request is missing');
  });

  it('an unsupported apiVersion error lists both supported versions', () => {
    assert.match(errorOf({ apiVersion: 'v2', request: { uid: 'u' } }), /; expected one of admission\.k8s\.io\/v1, admission\.k8s\.io\/v1beta1$/);
  });

  it('a quoted hostile value is kept whole up to 64 characters of JSON and cut with "..." past that', () => {
    const fits = 'x'.repeat(62); // "x…x" is 64 characters of JSON
    assert.equal(errorOf({ apiVersion: fits, request: { uid: 'u' } }).split(';')[0], `unsupported apiVersion "${fits}"`);
    const long = 'y'.repeat(63); // 65 characters of JSON
    assert.equal(errorOf({ apiVersion: long, request: { uid: 'u' } }).split(';')[0], `unsupported apiVersion "${'y'.repeat(63)}...`);
  });

  it('null optional fields read as absent, as an encoder that writes nulls would send them', () => {
    const result = decodeAdmissionReview({
      request: { uid: 'u', subResource: null, name: null, userInfo: { username: null, groups: null, extra: null }, object: null, dryRun: null },
    });
    assert.ok(result.ok, result.ok ? '' : result.error);
    if (!result.ok) return;
    const { request } = result.review;
    assert.equal(request.subResource, '');
    assert.equal(request.name, '');
    assert.equal(request.userInfo.username, '');
    assert.deepEqual(request.userInfo.groups, []);
    assert.equal(request.object, null);
    assert.equal(request.dryRun, false);
  });

  it('a review without dryRun, or with dryRun false, is not a dry run (its violations are recorded as Events)', () => {
    for (const dryRun of [undefined, false]) {
      const result = decodeAdmissionReview({ request: { uid: 'u', ...(dryRun === undefined ? {} : { dryRun }) } });
      assert.ok(result.ok && result.review.request.dryRun === false);
    }
  });

  it('a request without userInfo decodes with an empty username, uid, groups and extra', () => {
    const result = decodeAdmissionReview({ request: { uid: 'u' } });
    assert.ok(result.ok);
    if (!result.ok) return;
    assert.deepEqual({ ...result.review.request.userInfo, extra: { ...result.review.request.userInfo.extra } }, { username: '', uid: '', groups: [], extra: {} });
  });

  it('decodes resource, namespace, the user uid and extra as sent', () => {
    const result = decodeAdmissionReview({
      request: {
        uid: 'u',
        resource: { group: '', version: 'v1', resource: 'nodes' },
        namespace: 'ns',
        userInfo: { username: 'alice', uid: 'user-uid', groups: ['g'], extra: { scopes: ['a', 'b'] } },
      },
    });
    assert.ok(result.ok);
    if (!result.ok) return;
    const { request } = result.review;
    assert.deepEqual(request.resource, { group: '', version: 'v1', resource: 'nodes' });
    assert.equal(request.namespace, 'ns');
    assert.equal(request.userInfo.uid, 'user-uid');
    assert.deepEqual(request.userInfo.extra.scopes, ['a', 'b']);
  });

  it('a deeply nested kind or apiVersion is refused with a named error, not thrown', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    assert.match(errorOf({ kind: deep, request: { uid: 'u' } }), /^kind must be "AdmissionReview", got /);
    assert.match(errorOf({ apiVersion: deep, request: { uid: 'u' } }), /^unsupported apiVersion /);
  });
});

describe('the reply builders', () => {
  it('a patch reply allows the request', () => {
    assert.equal(patched([]).allowed, true);
  });

  it('an errored reply refuses with the given code and message and no reason', () => {
    assert.deepEqual(errored(400, 'bad'), { allowed: false, status: { code: 400, message: 'bad' } });
  });
});

describe('parsing a request body', () => {
  it('an empty body is named as such', () => {
    const result = parseAdmissionReview('');
    assert.deepEqual(result, { ok: false, error: 'body is empty; expected an AdmissionReview' });
  });

  it('a body that is not JSON says so, with the parser\'s reason', () => {
    const result = parseAdmissionReview('{"apiVersion": ');
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.error, /^body is not valid JSON: .+/);
  });

  it('a JSON body is decoded as decodeAdmissionReview decodes it', () => {
    const review = makeReview({ uid: 'u-1' });
    const result = parseAdmissionReview(JSON.stringify(review));
    assert.deepEqual(result, decodeAdmissionReview(review));
    assert.equal(result.ok && result.review.request.uid, 'u-1');
  });

  it('a JSON body that is not a review gets the decoder\'s error', () => {
    assert.deepEqual(parseAdmissionReview('[]'), { ok: false, error: 'body must be a JSON object (an AdmissionReview)' });
  });

  it('a value too deep to render is quoted as {...} or [...] in the error, never a crash', () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const result = parseAdmissionReview(`{"apiVersion": ${deep}}`);
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.error, /unsupported apiVersion \[\.\.\.\]/);
  });
});
