import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeReview } from '../testing/fixtures.ts';
import { decodeAdmissionReview } from './decode.ts';
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
