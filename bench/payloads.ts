// AdmissionReview bodies for the load, built from the project's realistic Node fixtures.
// Each mix is a cycle of request templates; each template is serialized once per uid variant
// (so responses can be checked for the echoed uid without serializing on the hot path).
import { MAINTENANCE, makeNode, makeReview } from '../testkit/fixtures.ts';

export type ImageCount = 50 | 500;
export type MixName = 'all-updates' | 'uncordons';

export interface Template {
  kind: 'label' | 'annotation' | 'uncordon-denied' | 'uncordon-allowed';
  /** What cordon-guard must answer under BENCH_POLICY; the baseline always allows. */
  allowed: boolean;
  bodies: { uid: string; body: Buffer }[];
}

export interface Mix {
  name: MixName;
  images: ImageCount;
  templates: Template[];
  /** Bytes of one Node object as JSON, and the average body size of the mix. */
  objectBytes: number;
  avgBodyBytes: number;
}

/** The policy both the micro benchmark and the end-to-end part run cordon-guard with. */
export const BENCH_POLICY = `mode: enforce
maintenanceAnnotation: cordon-guard.io/maintenance
allow:
  users: [alice, "alice@example.com"]
  groups: [sre-oncall]
`;

const UPGRADER = { username: 'system:serviceaccount:system-upgrade:system-upgrade' };
const KUBELET = { username: 'system:node:worker-3', groups: ['system:nodes', 'system:authenticated'] };
const ALICE = { username: 'alice', groups: ['system:authenticated'] };
const UID_VARIANTS = 4;

function uid(i: number, v: number): string {
  return `bench${i.toString(16).padStart(3, '0')}-${v.toString(16).padStart(4, '0')}-4e59-9c1e-2b8f0a7d4c11`;
}

function template(index: number, kind: Template['kind'], images: ImageCount, variant: number): Template {
  const name = `worker-${index % 10}`;
  let old, next, who;
  switch (kind) {
    case 'label': {
      // A controller relabels a node (half of them cordoned and under maintenance: still allowed).
      const cordoned = variant % 2 === 0;
      const annotations = cordoned ? MAINTENANCE : {};
      old = makeNode({ name, images, cordoned: cordoned || undefined, annotations, labels: { 'example.com/rack': `r${variant}` } });
      next = makeNode({ name, images, cordoned: cordoned || undefined, annotations, labels: { 'example.com/rack': `r${variant + 1}` } });
      who = KUBELET;
      break;
    }
    case 'annotation': {
      const cordoned = variant % 2 === 1;
      const annotations = cordoned ? MAINTENANCE : {};
      old = makeNode({ name, images, cordoned: cordoned || undefined, annotations: { ...annotations, 'example.com/last-check': `2026-11-27T08:0${variant % 10}:00Z` } });
      next = makeNode({ name, images, cordoned: cordoned || undefined, annotations: { ...annotations, 'example.com/last-check': `2026-11-27T08:1${variant % 10}:00Z` } });
      who = UPGRADER;
      break;
    }
    case 'uncordon-denied':
      old = makeNode({ name, images, cordoned: true, annotations: MAINTENANCE });
      next = makeNode({ name, images, cordoned: false, annotations: MAINTENANCE });
      who = UPGRADER;
      break;
    case 'uncordon-allowed':
      old = makeNode({ name, images, cordoned: true, annotations: MAINTENANCE });
      next = makeNode({ name, images, cordoned: false, annotations: MAINTENANCE });
      who = ALICE;
      break;
  }
  const bodies = Array.from({ length: UID_VARIANTS }, (_, v) => {
    const id = uid(index, v);
    return { uid: id, body: Buffer.from(JSON.stringify(makeReview({ uid: id, oldObject: old, object: next, ...who }))) };
  });
  return { kind, allowed: kind !== 'uncordon-denied', bodies };
}

/**
 * "all-updates": 90% label or annotation changes, 10% uncordons of which half are denied
 * (a cycle of 20). "uncordons": what reaches the webhook with its matchConditions on, uncordons
 * only, half denied (a cycle of 2).
 */
export function buildMix(name: MixName, images: ImageCount): Mix {
  const kinds: Template['kind'][] =
    name === 'uncordons'
      ? ['uncordon-denied', 'uncordon-allowed']
      : [
          ...Array.from({ length: 9 }, (): Template['kind'] => 'label'),
          'uncordon-denied',
          ...Array.from({ length: 9 }, (): Template['kind'] => 'annotation'),
          'uncordon-allowed',
        ];
  const counters = { label: 0, annotation: 0, 'uncordon-denied': 0, 'uncordon-allowed': 0 };
  const templates = kinds.map((kind, i) => template(i, kind, images, counters[kind]++));
  const objectBytes = JSON.stringify(makeNode({ images })).length;
  const avgBodyBytes = Math.round(templates.reduce((sum, t) => sum + t.bodies[0]!.body.length, 0) / templates.length);
  return { name, images, templates, objectBytes, avgBodyBytes };
}

/** The i-th request of a mix: the template and one of its serialized bodies. */
export function pick(mix: Mix, i: number): { template: Template; uid: string; body: Buffer } {
  const template = mix.templates[i % mix.templates.length]!;
  const variant = template.bodies[Math.floor(i / mix.templates.length) % template.bodies.length]!;
  return { template, uid: variant.uid, body: variant.body };
}
