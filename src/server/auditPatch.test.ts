import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { applyPatch } from 'rfc6902';
import type { KubeObject } from '../admission/types.ts';
import { makeNode, MAINTENANCE } from '../../testkit/fixtures.ts';
import { requestPatch } from './auditPatch.ts';

const node = (metadata: Record<string, unknown>, spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'worker-3', ...metadata },
  spec,
  status,
});

describe('requestPatch', () => {
  const cases: [string, KubeObject, KubeObject, unknown[]][] = [
    ['says nothing for an unchanged node', node({ labels: { a: '1' } }), node({ labels: { a: '1' } }), []],
    [
      'replaces a changed label, escaping / as ~1',
      node({ labels: { 'example.com/rack': 'r0' } }),
      node({ labels: { 'example.com/rack': 'r1' } }),
      [{ op: 'replace', path: '/metadata/labels/example.com~1rack', value: 'r1' }],
    ],
    ['escapes ~ as ~0 before /', node({ labels: {} }), node({ labels: { 'a~/b': 'x' } }), [{ op: 'add', path: '/metadata/labels/a~0~1b', value: 'x' }]],
    [
      'adds the whole annotation map to a node that had none',
      node({}),
      node({ annotations: MAINTENANCE }),
      [{ op: 'add', path: '/metadata/annotations', value: MAINTENANCE }],
    ],
    ['removes a cleared annotation', node({ annotations: { ...MAINTENANCE, k: 'v' } }), node({ annotations: { k: 'v' } }), [{ op: 'remove', path: '/metadata/annotations/cordon-guard.io~1maintenance' }]],
    [
      'treats a changed taint list as one replace',
      node({}, { taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', effect: 'NoSchedule' }] }),
      node({}, { taints: [{ key: 'a', effect: 'NoSchedule' }] }),
      [{ op: 'replace', path: '/spec/taints', value: [{ key: 'a', effect: 'NoSchedule' }] }],
    ],
    ['says nothing for an equal taint list in a new array', node({}, { taints: [{ key: 'a' }] }), node({}, { taints: [{ key: 'a' }] }), []],
    [
      'shows an uncordon as the unschedulable change',
      node({}, { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] }),
      node({}, { unschedulable: false }),
      [
        { op: 'remove', path: '/spec/taints' },
        { op: 'replace', path: '/spec/unschedulable', value: false },
      ],
    ],
    ['ignores status and managedFields', node({ managedFields: [{ manager: 'a' }] }, {}, { images: [1] }), node({ managedFields: [{ manager: 'b' }] }, {}, { images: [2] }), []],
    [
      'ignores managedFields only where Kubernetes puts it',
      node({ labels: { managedFields: 'x' } }),
      node({ labels: { managedFields: 'y' } }),
      [{ op: 'replace', path: '/metadata/labels/managedFields', value: 'y' }],
    ],
    ['replaces a value whose type changed', node({ labels: { a: { b: 1 } } }), node({ labels: { a: [1] } }), [{ op: 'replace', path: '/metadata/labels/a', value: [1] }]],
    ['reads __proto__ as a plain key', node(JSON.parse('{"labels":{"__proto__":"x"}}')), node(JSON.parse('{"labels":{"__proto__":"y"}}')), [{ op: 'replace', path: '/metadata/labels/__proto__', value: 'y' }]],
  ];
  for (const [name, before, after, expected] of cases) {
    it(name, () => assert.deepEqual(requestPatch(before, after), expected));
  }

  it('gives the patch of a real uncordon of a 50-image node, without the images', () => {
    const before = makeNode({ cordoned: true, annotations: MAINTENANCE, images: 50 });
    const after = makeNode({ cordoned: false, annotations: MAINTENANCE, images: 50 });
    const patch = requestPatch(before, after);
    assert.ok(patch.every((op) => op.path.startsWith('/spec/')), JSON.stringify(patch));
    assert.ok(patch.some((op) => op.path === '/spec/unschedulable'));
  });

  it('is a patch that turns oldObject into object, status and managedFields aside (property)', () => {
    const strip = (o: KubeObject): KubeObject => {
      const { status: _status, ...rest } = o;
      const metadata = rest.metadata;
      if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return rest;
      const { managedFields: _managedFields, ...meta } = metadata as Record<string, unknown>;
      return { ...rest, metadata: meta };
    };
    const json = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6, noNullPrototype: true });
    // No "__proto__" keys here: rfc6902's applyPatch, the oracle, copies values by assignment and
    // turns such a key into a prototype. The differ's own handling of it is in the table above.
    const object = fc
      .record({ metadata: json, spec: json, status: json, extra: fc.jsonValue({ maxDepth: 2 }) })
      .filter((o) => !JSON.stringify(o).includes('"__proto__"'));
    fc.assert(
      fc.property(object, object, (before, after) => {
        const patched = structuredClone(strip(before));
        const results = applyPatch(patched, requestPatch(before, after));
        assert.ok(results.every((r) => r === null), JSON.stringify(results));
        assert.deepEqual(patched, strip(after));
      }),
      { numRuns: 2000 },
    );
  });
});
