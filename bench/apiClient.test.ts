// concurrently: every item, never more than the limit at once, and a failure stops what has not started.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concurrently } from './apiClient.ts';

describe('concurrently', () => {
  it('calls the task for every item with its index, at most `concurrency` at a time', async () => {
    let running = 0;
    let most = 0;
    const seen: string[] = [];
    await concurrently(['a', 'b', 'c', 'd', 'e', 'f', 'g'], 3, async (item, i) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((r) => setImmediate(r));
      seen.push(`${i}:${item}`);
      running -= 1;
    });
    assert.deepEqual([...seen].sort(), ['0:a', '1:b', '2:c', '3:d', '4:e', '5:f', '6:g']);
    assert.equal(most, 3);
  });

  it('rejects with the first failure and starts no task after it', async () => {
    const started: number[] = [];
    await assert.rejects(
      concurrently([0, 1, 2, 3, 4, 5], 2, async (item) => {
        started.push(item);
        await new Promise((r) => setImmediate(r));
        if (item === 1) throw new Error('node 1: 500');
      }),
      { message: 'node 1: 500' },
    );
    assert.deepEqual(started, [0, 1, 2]);
  });

  it('does nothing for no items', async () => {
    await concurrently([], 4, () => Promise.reject(new Error('called')));
  });
});
