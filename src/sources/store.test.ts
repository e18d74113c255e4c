// cordon_guard_policy_valid follows the last document read (the alert CordonGuardPolicyRejected reads it).
// A step's read is a document, or 'missing' (none there) or 'refused' (a source refused it).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../observability/logger.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import { LogCapture } from '../../testkit/logCapture.ts';
import { PolicyStore } from './store.ts';

async function policyValid(metrics: Metrics): Promise<number | undefined> {
  return (await metrics.registry.getSingleMetric('cordon_guard_policy_valid')?.get())?.values[0]?.value;
}

describe('cordon_guard_policy_valid', () => {
  const steps: { read: string; valid: number; generation: number }[] = [
    { read: 'mode: enforce\n', valid: 1, generation: 1 },
    { read: 'mode: block\n', valid: 0, generation: 1 },
    { read: 'mode: block\n', valid: 0, generation: 1 },
    { read: 'missing', valid: 0, generation: 1 },
    { read: 'mode: enforce\n', valid: 1, generation: 1 },
    { read: 'mode: block\n', valid: 0, generation: 1 },
    { read: 'mode: warn\n', valid: 1, generation: 2 },
    { read: 'refused', valid: 0, generation: 2 },
    { read: 'mode: warn\n', valid: 1, generation: 2 },
  ];
  it('is 0 after a rejected document (the last good policy serving) and 1 again once a document is in force, even the same one as before', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const store = new PolicyStore({ logger: createLogger('debug', new LogCapture()), metrics });
    assert.equal(await policyValid(metrics), 1);
    for (const [i, { read, valid, generation }] of steps.entries()) {
      if (read === 'missing') store.missing('cordon-guard/cordon-guard-policy', 'configmap');
      else if (read === 'refused') store.refuse('cordon-guard/cordon-guard-policy', 'configmap', ['no key policy.yaml']);
      else store.apply(read, 'cordon-guard/cordon-guard-policy', 'configmap');
      assert.equal(await policyValid(metrics), valid, `step ${i}: ${read}`);
      assert.equal(store.generation, generation, `step ${i}: ${read}`);
    }
  });
});
