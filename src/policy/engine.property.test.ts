// Properties of POLICY.md over generated reviews and policies (fast-check).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { applyPatch, type Operation } from 'rfc6902';
import { decodeAdmissionReview } from '../admission/decode.ts';
import { encodeReview } from '../admission/reply.ts';
import { policyWith } from '../../testkit/policies.ts';
import { answer } from './answer.ts';
import { evaluate } from './engine.ts';
import { judge } from './judge.ts';
import { isRefused, type PolicySettings } from './types.ts';

const KEY = 'cordon-guard.io/maintenance';
const STAMP = 'cordon-guard.io/cordoned-by';
/** Runs per property: 7 properties x 20,000 = 140,000 generated reviews in `make test`; `make fuzz` raises it. */
const RUNS = Number(process.env.CORDON_GUARD_PROPERTY_RUNS ?? 20_000);

// An oracle for `*` patterns written independently of the engine's regex compiler.
function globMatches(pattern: string, text: string): boolean {
  const p = Array.from(pattern);
  const t = Array.from(text);
  const memo = new Map<string, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === p.length) result = j === t.length;
    else if (p[i] === '*') result = go(i + 1, j) || (j < t.length && go(i, j + 1));
    else result = j < t.length && p[i] === t[j] && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

function oracleAllowlisted(settings: PolicySettings, username: string, groups: string[]): boolean {
  const sa = /^system:serviceaccount:([^:]+):(.+)$/.exec(username);
  return (
    settings.allow.users.some((p) => globMatches(p, username)) ||
    groups.some((g) => settings.allow.groups.some((p) => globMatches(p, g))) ||
    (sa !== null && settings.allow.serviceAccounts.some((p) => globMatches(p, `${sa[1]}/${sa[2]}`)))
  );
}

const names = fc.constantFrom('alice', 'bob', 'system:serviceaccount:system-upgrade:system-upgrade', 'system:serviceaccount:ops:x', '__proto__', 'constructor', 'a*b', 'é', '');
const text = fc.oneof(names, fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 8 }));
const pattern = fc.oneof(names, text, fc.constantFrom('*', 'system:serviceaccount:*', 'ops/*', '*o*', 'a*b'));
const unschedulable = fc.constantFrom<unknown>(undefined, true, false, null, 'true', 1);
const annotations = fc.option(
  fc.dictionary(fc.oneof(fc.constant(KEY), fc.constantFrom('__proto__', 'constructor', 'other/key', STAMP)), fc.oneof(text, fc.constant('{"user":"alice","at":"2026-11-28T06:00:00Z","v":2}')), { maxKeys: 3 }),
  { nil: undefined },
);

const node = fc.record({ unschedulable, annotations }).map(({ unschedulable: u, annotations: a }) => {
  const spec: Record<string, unknown> = {};
  if (u !== undefined) spec.unschedulable = u;
  return { metadata: { name: 'n', ...(a === undefined ? {} : { annotations: a }) }, spec };
});

const settings = fc.record<PolicySettings>({
  mode: fc.constantFrom('enforce', 'warn', 'audit', 'preserve'),
  maintenanceAnnotation: fc.constant(KEY),
  guardAllCordons: fc.boolean(),
  guardAnnotationRemoval: fc.boolean(),
  allowCordonOwner: fc.boolean(),
  // Read by the node watch only, never by the engine.
  recordon: fc.boolean(),
  maintenanceMaxAge: fc.constant(null),
  allow: fc.record({
    users: fc.array(pattern, { maxLength: 3 }),
    groups: fc.array(pattern, { maxLength: 3 }),
    serviceAccounts: fc.array(pattern, { maxLength: 3 }),
  }),
});

const review = fc.record({
  uid: fc.string({ minLength: 1, maxLength: 40 }),
  apiVersion: fc.constantFrom('admission.k8s.io/v1', 'admission.k8s.io/v1beta1'),
  operation: fc.constantFrom('UPDATE', 'UPDATE', 'UPDATE', 'CREATE', 'DELETE', 'CONNECT'),
  kind: fc.constantFrom('Node', 'Node', 'Node', 'Pod'),
  subResource: fc.constantFrom('', '', '', 'status'),
  username: fc.oneof(names, text),
  groups: fc.array(fc.oneof(names, text), { maxLength: 3 }),
  oldObject: node,
  object: node,
});

type GeneratedReview = typeof review extends fc.Arbitrary<infer T> ? T : never;

function toRequest(r: GeneratedReview) {
  const decoded = decodeAdmissionReview({
    apiVersion: r.apiVersion,
    kind: 'AdmissionReview',
    request: {
      uid: r.uid,
      kind: { group: '', version: 'v1', kind: r.kind },
      operation: r.operation,
      subResource: r.subResource,
      name: 'n',
      userInfo: { username: r.username, groups: r.groups },
      object: r.object,
      oldObject: r.oldObject,
    },
  });
  assert.ok(decoded.ok);
  return decoded.review;
}

const cordoned = (o: { spec: Record<string, unknown> }) => o.spec.unschedulable === true;
const omitStamp = (annotations: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(annotations).filter(([key]) => key !== STAMP));
const inMaintenance = (o: { metadata: { annotations?: Record<string, string> } }) =>
  o.metadata.annotations !== undefined && Object.hasOwn(o.metadata.annotations, KEY);

describe('policy properties over generated reviews', () => {
  it('in enforce and preserve mode, /validate never allows an uncordon of a node under maintenance by a requester not allowlisted', () => {
    // Built to be guarded (no filtering): cordoned with the annotation before, not cordoned after.
    const guardedPair = fc.record({
      value: text,
      keepAnnotation: fc.boolean(),
      after: fc.constantFrom<unknown>(undefined, false, null, 'true', 0),
      mode: fc.constantFrom('enforce' as const, 'preserve' as const),
    });
    fc.assert(
      fc.property(review, settings, guardedPair, (r, s, pair) => {
        const oldObject = { metadata: { name: 'n', annotations: { ...r.oldObject.metadata.annotations, [KEY]: pair.value } }, spec: { unschedulable: true } };
        const object = { metadata: { name: 'n', ...(pair.keepAnnotation ? { annotations: { [KEY]: pair.value } } : {}) }, spec: pair.after === undefined ? {} : { unschedulable: pair.after } };
        fc.pre(!oracleAllowlisted(s, r.username, r.groups));
        const { request } = toRequest({ ...r, operation: 'UPDATE', kind: 'Node', subResource: '', oldObject, object });
        const { reply } = judge(request, policyWith({ ...s, mode: pair.mode }));
        assert.equal(reply.allowed, false);
        assert.equal(reply.status?.code, 403);
      }),
      { numRuns: RUNS },
    );
  });

  it('a request that is neither an uncordon nor an annotation removal is never denied, and carries no warning', () => {
    fc.assert(
      fc.property(review, settings, (r, s) => {
        const uncordon = cordoned(r.oldObject) && !cordoned(r.object);
        const removal = inMaintenance(r.oldObject) && !inMaintenance(r.object);
        const stampOf = (o: { metadata: { annotations?: Record<string, string> } }) =>
          o.metadata.annotations !== undefined && Object.hasOwn(o.metadata.annotations, STAMP) ? o.metadata.annotations[STAMP] : undefined;
        const stampTouched = cordoned(r.oldObject) === cordoned(r.object) && stampOf(r.oldObject) !== stampOf(r.object);
        fc.pre(!uncordon && !removal && !stampTouched);
        const { reply } = judge(toRequest(r).request, policyWith(s));
        assert.deepEqual(reply, { allowed: true });
      }),
      { numRuns: RUNS },
    );
  });

  it('a write that leaves a cordon stamp on a node that is not cordoned, by an uncordon or a change of the stamp, is refused in every mode and for every requester', () => {
    const stampValues = fc.oneof(text, fc.constant('{"user":"alice","at":"2026-11-28T06:00:00Z","v":2}'));
    fc.assert(
      fc.property(review, settings, stampValues, fc.boolean(), (r, s, stamp, uncordon) => {
        const before = r.oldObject.metadata.annotations ?? {};
        const oldObject = { metadata: { name: 'n', annotations: uncordon ? { ...before, [STAMP]: stamp } : omitStamp(before) }, spec: { unschedulable: uncordon } };
        const object = { metadata: { name: 'n', annotations: { ...r.object.metadata.annotations, [STAMP]: stamp } }, spec: {} };
        const { request } = toRequest({ ...r, operation: 'UPDATE', kind: 'Node', subResource: '', oldObject, object });
        const { reply, evaluation } = judge(request, policyWith(s));
        assert.equal(evaluation.verdict, 'violation');
        // stale-stamp, unless another violation that this mode refuses anyway is the reason.
        if (evaluation.verdict === 'violation' && evaluation.reason !== 'stale-stamp') assert.ok(isRefused(evaluation.reason, s.mode), evaluation.reason);
        assert.equal(reply.allowed, false);
        assert.equal(reply.status?.code, 403);
      }),
      { numRuns: RUNS },
    );
  });

  it('the allowlist decides exactly as an independent glob matcher', () => {
    fc.assert(
      fc.property(review, settings, (r, s) => {
        const { request } = toRequest({ ...r, operation: 'UPDATE', kind: 'Node', subResource: '' });
        // As /validate sees an uncordon: /mutate removed the stamp (one left would be stale-stamp).
        fc.pre(cordoned(r.oldObject) && !cordoned(r.object) && !Object.hasOwn(r.object.metadata.annotations ?? {}, STAMP));
        const evaluation = evaluate(request, policyWith(s));
        assert.equal(evaluation.verdict === 'allow' && evaluation.reason === 'allowlisted', oracleAllowlisted(s, r.username, r.groups));
      }),
      { numRuns: RUNS },
    );
  });

  it("/mutate's one evaluation of a write is /validate's evaluation of the write as /mutate lets it through", () => {
    const now = new Date('2026-12-01T10:00:00Z');
    const summary = (e: ReturnType<typeof evaluate>) => ({ verdict: e.verdict, reason: 'reason' in e ? e.reason : undefined, transition: 'transition' in e ? e.transition : undefined, message: 'message' in e ? e.message : undefined });
    fc.assert(
      fc.property(review, settings, (r, s) => {
        const { request } = toRequest(r);
        const policy = policyWith(s);
        const mutated = answer('mutate', request, policy, now);
        fc.pre(mutated.repair === undefined && request.object !== null);
        const object = structuredClone(request.object);
        const patch = JSON.parse(Buffer.from(mutated.reply.patch ?? 'W10=', 'base64').toString('utf8')) as Operation[];
        assert.ok(applyPatch(object, patch).every((e) => e === null));
        assert.deepEqual(summary(evaluate(request, policy, 'mutate')), summary(evaluate({ ...request, object }, policy)));
      }),
      { numRuns: RUNS },
    );
  });

  it('every answer echoes the uid and the apiVersion, and nothing throws', () => {
    fc.assert(
      fc.property(review, settings, (r, s) => {
        const { apiVersion, request } = toRequest(r);
        const encoded = encodeReview(apiVersion, request.uid, judge(request, policyWith(s)).reply);
        assert.equal(encoded.response.uid, r.uid);
        assert.equal(encoded.apiVersion, r.apiVersion);
      }),
      { numRuns: RUNS },
    );
  });

  it('decoding arbitrary JSON never throws: a review or a named error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ request: fc.jsonValue() }), fc.record({ request: fc.record({ uid: fc.string(), userInfo: fc.jsonValue(), object: fc.jsonValue(), oldObject: fc.jsonValue() }) })), (body) => {
        const decoded = decodeAdmissionReview(body);
        if (decoded.ok) judge(decoded.review.request, policyWith());
        else assert.ok(decoded.error.length > 0);
      }),
      { numRuns: RUNS },
    );
  });
});
