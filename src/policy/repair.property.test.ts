// Properties of mode preserve over generated old and new nodes (fast-check): the JSON Patch that
// /mutate answers, applied the way the API server applies it (rfc6902's applyPatch), puts back
// exactly oldObject's guarded values, and leaves every other field as the write made it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { applyPatch, type Operation } from 'rfc6902';
import type { KubeObject } from '../admission/types.ts';
import { policyWith } from '../../testkit/policies.ts';
import { requestOf } from '../../testkit/requests.ts';
import { answer } from './answer.ts';
import { CORDON_STAMP_ANNOTATION as STAMP } from './annotations.ts';
import { stampValue } from './cordonStamp.ts';
import { evaluate } from './engine.ts';
import { judge } from './judge.ts';

const KEY = 'cordon-guard.io/maintenance';
const NOW = new Date('2026-12-01T10:00:00Z');
const RUNS = Number(process.env.CORDON_GUARD_PROPERTY_RUNS ?? 10_000);
const USERS = ['alice', 'bob', 'carol', 'root'] as const;

/** The fields a writer may change, each with a few values; `undefined` is absent. */
const fields = fc.record({
  unschedulable: fc.constantFrom<boolean | undefined>(undefined, true, true, false),
  maintenance: fc.constantFrom<string | undefined>(undefined, 'OPS-1', 'OPS-2', ''),
  stamp: fc.constantFrom<string | undefined>(undefined, stampValue('alice', NOW), stampValue('bob', NOW), 'x'),
  other: fc.constantFrom<string | undefined>(undefined, 'a', 'b'),
  emptyMap: fc.boolean(),
  labels: fc.constantFrom({}, { pool: 'a' }, { pool: 'b' }),
  taints: fc.constantFrom([], [{ key: 'ToBeDeletedByClusterAutoscaler', value: '1', effect: 'NoSchedule' }]),
  spec: fc.constantFrom(true, true, true, false),
  resourceVersion: fc.constantFrom('1', '2'),
  managedFields: fc.constantFrom([], [{ manager: 'cluster-autoscaler', operation: 'Update' }]),
  status: fc.constantFrom({}, { conditions: [{ type: 'Ready', status: 'True' }] }),
});
type Fields = typeof fields extends fc.Arbitrary<infer T> ? T : never;
type FieldName = keyof Fields;

function build(f: Fields): KubeObject {
  const annotations: Record<string, string> = {};
  if (f.maintenance !== undefined) annotations[KEY] = f.maintenance;
  if (f.stamp !== undefined) annotations[STAMP] = f.stamp;
  if (f.other !== undefined) annotations['example.com/other'] = f.other;
  const withMap = Object.keys(annotations).length > 0 || f.emptyMap;
  const metadata = { name: 'n1', resourceVersion: f.resourceVersion, managedFields: f.managedFields, labels: f.labels, ...(withMap ? { annotations } : {}) };
  const spec = { taints: f.taints, ...(f.unschedulable === undefined ? {} : { unschedulable: f.unschedulable }) };
  return { apiVersion: 'v1', kind: 'Node', metadata, ...(f.spec ? { spec } : {}), status: f.status };
}

/** An old node and a write: each field kept or changed, so that writes of guarded state alone are frequent. */
const write = fc.record({ before: fields, after: fields, changed: fc.array(fc.boolean(), { minLength: 11, maxLength: 11 }) }).map(({ before, after, changed }) => {
  const mixed = { ...before };
  const names = Object.keys(before) as FieldName[];
  names.forEach((name, i) => {
    if (changed[i] === true) (mixed as Record<FieldName, unknown>)[name] = after[name];
  });
  return { oldObject: build(before), object: build(mixed) };
});

const settings = fc.record({ guardAllCordons: fc.boolean(), guardAnnotationRemoval: fc.boolean(), allowCordonOwner: fc.boolean(), rootAllowlisted: fc.boolean() });
const policyOf = (s: typeof settings extends fc.Arbitrary<infer T> ? T : never, mode: 'preserve' | 'enforce' = 'preserve') =>
  policyWith({ mode, guardAllCordons: s.guardAllCordons, guardAnnotationRemoval: s.guardAnnotationRemoval, allowCordonOwner: s.allowCordonOwner, allow: { users: s.rootAllowlisted ? ['root'] : [], groups: [], serviceAccounts: [] } });

type Json = Record<string, unknown>;
const own = (value: unknown, key: string): unknown => (typeof value === 'object' && value !== null && Object.hasOwn(value, key) ? (value as Json)[key] : undefined);
const read = {
  cordon: (o: KubeObject) => own(own(o, 'spec'), 'unschedulable'),
  'maintenance-annotation': (o: KubeObject) => own(own(own(o, 'metadata'), 'annotations'), KEY),
  stamp: (o: KubeObject) => own(own(own(o, 'metadata'), 'annotations'), STAMP),
};

function patched(object: KubeObject, encoded: string | undefined): KubeObject {
  const copy = structuredClone(object);
  const patch = JSON.parse(Buffer.from(encoded ?? 'W10=', 'base64').toString('utf8')) as Operation[];
  const errors = applyPatch(copy, patch);
  assert.ok(errors.every((e) => e === null), JSON.stringify(errors));
  return copy;
}

/** The node without its guarded fields (and without an emptied map or spec): "the other fields". */
function others(o: KubeObject): Json {
  const copy = structuredClone(o) as Json & { metadata?: Json & { annotations?: Json }; spec?: Json };
  if (copy.spec !== undefined) {
    delete copy.spec.unschedulable;
    if (Object.keys(copy.spec).length === 0) delete copy.spec;
  }
  const annotations = copy.metadata?.annotations;
  if (annotations !== undefined) {
    delete annotations[KEY];
    delete annotations[STAMP];
    if (Object.keys(annotations).length === 0) delete copy.metadata?.annotations;
  }
  return copy;
}

/**
 * Does a write that /validate refuses change more than guarded state? The API server's bookkeeping
 * and status do not count; the guarded values are taken from oldObject: the cordon, the stamp, and
 * the maintenance annotation when its removal is guarded (an uncordon under maintenance, or
 * guardAnnotationRemoval for a requester not allowlisted).
 */
function changesMore(oldObject: KubeObject, object: KubeObject, annotationGuarded: boolean): boolean {
  const removal = read['maintenance-annotation'](oldObject) !== undefined && read['maintenance-annotation'](object) === undefined;
  const putBack = removal && ((read.cordon(oldObject) === true && read.cordon(object) !== true) || annotationGuarded);
  const view = (o: KubeObject, from: KubeObject): Json => {
    const copy = structuredClone(o) as Json & { metadata: Json & { annotations?: Json }; spec?: Json };
    delete copy.status;
    delete copy.metadata.managedFields;
    delete copy.metadata.resourceVersion;
    // The guarded values, taken from oldObject: a cordon kept, a removed annotation put back, the stamp.
    if (read.cordon(oldObject) === true) copy.spec = { ...copy.spec, unschedulable: true };
    const annotations: Json = { ...copy.metadata.annotations };
    if (putBack && annotations[KEY] === undefined) annotations[KEY] = read['maintenance-annotation'](from);
    delete annotations[STAMP];
    if (Object.keys(annotations).length === 0) delete copy.metadata.annotations;
    else copy.metadata.annotations = annotations;
    return copy;
  };
  return JSON.stringify(sorted(view(oldObject, oldObject))) !== JSON.stringify(sorted(view(object, oldObject)));
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sorted((value as Json)[key])]));
}

describe('mode preserve over generated nodes and writes', () => {
  it('the patch applied to object gives exactly oldObject\'s guarded values where it repairs, object\'s everywhere else, and a write /validate allows', () => {
    let repaired = 0;
    fc.assert(
      fc.property(write, settings, fc.constantFrom(...USERS), ({ oldObject, object }, s, user) => {
        const request = requestOf({ username: user, groups: [], oldObject, object });
        const policy = policyOf(s);
        const result = answer('mutate', request, policy, NOW);
        if (result.repair === undefined) return;
        repaired++;
        const after = patched(object, result.reply.patch);
        assert.notEqual(evaluate({ ...request, object: after }, policy).verdict, 'violation');
        assert.deepEqual(others(after), others(object));
        const cordon = read.cordon(oldObject) !== true && read.cordon(after) === true;
        for (const guarded of ['cordon', 'maintenance-annotation', 'stamp'] as const) {
          const expected: unknown = result.repair.kept.includes(guarded) ? read[guarded](oldObject) : guarded === 'stamp' && cordon ? stampValue(user, NOW) : read[guarded](object);
          assert.deepEqual(read[guarded](after), expected, guarded);
        }
        if (result.repair.kept.includes('cordon')) assert.equal(read.cordon(after), true);
      }),
      { numRuns: RUNS },
    );
    assert.ok(repaired > 0);
  });

  it('a write /validate would refuse is repaired when it changes more than guarded state, and otherwise refused by /validate as in enforce', () => {
    const seen = { repaired: 0, refused: 0 };
    fc.assert(
      fc.property(write, settings, fc.constantFrom(...USERS), ({ oldObject, object }, s, user) => {
        const request = requestOf({ username: user, groups: [], oldObject, object });
        const policy = policyOf(s);
        const result = answer('mutate', request, policy, NOW);
        // What /validate sees when /mutate repairs nothing: the write with the stamp change of enforce mode.
        const plain = answer('mutate', request, policyOf(s, 'enforce'), NOW);
        const validated = judge({ ...request, object: patched(object, plain.reply.patch) }, policy);
        if (validated.evaluation.verdict !== 'violation') {
          assert.equal(result.repair, undefined);
          assert.deepEqual(result, plain);
          return;
        }
        assert.equal(validated.reply.allowed, false, 'preserve refuses at /validate what /mutate did not repair');
        if (changesMore(oldObject, object, s.guardAnnotationRemoval && !(user === 'root' && s.rootAllowlisted))) {
          assert.ok(result.repair !== undefined, 'repaired');
          seen.repaired++;
        } else {
          assert.equal(result.repair, undefined, 'guarded state alone is refused, not repaired');
          assert.deepEqual(result, plain);
          seen.refused++;
        }
      }),
      { numRuns: RUNS },
    );
    assert.ok(seen.repaired > 0 && seen.refused > 0, JSON.stringify(seen));
  });
});
