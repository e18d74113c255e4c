import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from './metrics.ts';

describe('the requester label of cordon_guard_violations_total', () => {
  it('is the username, cut to 1 kB without splitting a character', () => {
    const metrics = createMetrics({ defaultMetrics: false });
    assert.equal(metrics.requesterLabel('system:serviceaccount:kube-system:cluster-autoscaler'), 'system:serviceaccount:kube-system:cluster-autoscaler');
    assert.equal(metrics.requesterLabel('u'.repeat(3 * 1024 * 1024)), 'u'.repeat(1024));
    assert.equal(metrics.requesterLabel(`${'u'.repeat(1023)}é`), 'u'.repeat(1023));
  });

  it('names the first 50 distinct requesters, and counts the rest as other', () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const labels = Array.from({ length: 60 }, (_, i) => metrics.requesterLabel(`user-${i}`));
    assert.deepEqual(labels.slice(0, 50), Array.from({ length: 50 }, (_, i) => `user-${i}`));
    assert.deepEqual(new Set(labels.slice(50)), new Set(['other']));
    assert.equal(metrics.requesterLabel('user-7'), 'user-7', 'a requester already named keeps its label');
  });

  it('counts two long usernames that share their first 1 kB as one requester', () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const prefix = 'p'.repeat(1024);
    assert.equal(metrics.requesterLabel(`${prefix}a`), metrics.requesterLabel(`${prefix}b`));
  });
});
