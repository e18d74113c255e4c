// Writes examples/reviews/*.json from the realistic Node fixtures. Run: node examples/generate.ts
import { writeFileSync } from 'node:fs';
import { MAINTENANCE, makeNode, makeReview } from '../testkit/fixtures.ts';

const dir = new URL('./reviews/', import.meta.url);
const suc = 'system:serviceaccount:system-upgrade:system-upgrade';
const autoscaler = 'system:serviceaccount:kube-system:cluster-autoscaler';
const underMaintenance = makeNode({ cordoned: true, annotations: MAINTENANCE });

const examples: Record<string, Record<string, unknown>> = {
  // system-upgrade-controller uncordons a node an admin put under maintenance: denied.
  'rogue-uncordon': makeReview({
    uid: 'a3c9e1f0-0001-4b7e-9d2a-rogue0uncordon',
    username: suc,
    oldObject: underMaintenance,
    object: makeNode({ cordoned: false, annotations: MAINTENANCE }),
  }),
  // alice is allowlisted: she may end maintenance.
  'allowlisted-uncordon': makeReview({
    uid: 'a3c9e1f0-0002-4b7e-9d2a-allowlisted00',
    username: 'alice@example.com',
    groups: ['system:authenticated'],
    oldObject: underMaintenance,
    object: makeNode({ cordoned: false, annotations: MAINTENANCE }),
  }),
  // The kubelet relabels a node under maintenance: not an uncordon, allowed.
  'label-change': makeReview({
    uid: 'a3c9e1f0-0003-4b7e-9d2a-labelchange00',
    username: 'system:node:worker-3',
    groups: ['system:nodes', 'system:authenticated'],
    oldObject: underMaintenance,
    object: makeNode({ cordoned: true, annotations: MAINTENANCE, labels: { 'node.example.com/pool': 'batch' } }),
  }),
  // The annotation was removed in an earlier request; any uncordon is allowed now.
  'uncordon-after-maintenance': makeReview({
    uid: 'a3c9e1f0-0004-4b7e-9d2a-aftermaint000',
    username: suc,
    oldObject: makeNode({ cordoned: true }),
    object: makeNode({ cordoned: false }),
  }),
  // The autoscaler drops the annotation and uncordons in one stroke: denied.
  'remove-annotation-and-uncordon': makeReview({
    uid: 'a3c9e1f0-0005-4b7e-9d2a-onestroke0000',
    username: autoscaler,
    groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
    oldObject: underMaintenance,
    object: makeNode({ cordoned: false }),
  }),
};

for (const [name, review] of Object.entries(examples)) {
  writeFileSync(new URL(`${name}.json`, dir), `${JSON.stringify(review, null, 2)}\n`);
}
