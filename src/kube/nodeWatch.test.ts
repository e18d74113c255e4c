import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../observability/logger.ts';
import { policyWith } from '../../testkit/policies.ts';
import { LogCapture } from '../../testkit/logCapture.ts';
import { ManualScheduler } from '../../testkit/manualScheduler.ts';
import type { Policy } from '../policy/types.ts';
import { NODE_LIST_PAGE_SIZE, NodeWatch, type NodeListWatchClient, type NodePage, type WatchHandlers } from './nodeWatch.ts';

const KEY = 'cordon-guard.io/maintenance';

function node(name: string, rv: string, options: { cordoned?: boolean; maintenance?: boolean; key?: string } = {}): Record<string, unknown> {
  return {
    metadata: { name, resourceVersion: rv, annotations: options.maintenance === true ? { [options.key ?? KEY]: 'r' } : {}, managedFields: [], labels: { big: 'x'.repeat(1000) } },
    spec: options.cordoned === true ? { unschedulable: true } : {},
    status: { images: Array.from({ length: 50 }, (_, i) => ({ names: [`registry.example/image-${i}:1`], sizeBytes: i })) },
  };
}

/** The API server's side: pages of nodes, and the watches that were started. */
class FakeApi implements NodeListWatchClient {
  pages: NodePage[][] = [];
  lists = 0;
  listFailures = 0;
  watches: { resourceVersion: string; handlers: WatchHandlers; aborted: boolean }[] = [];
  pageSizes: number[] = [];

  listPage(limit: number, next: string | undefined): Promise<NodePage> {
    this.pageSizes.push(limit);
    if (next === undefined) {
      this.lists += 1;
      if (this.listFailures > 0) {
        this.listFailures -= 1;
        return Promise.reject(new Error('connect ECONNREFUSED'));
      }
    }
    const set = this.pages[Math.min(this.lists - 1, this.pages.length - 1)] ?? [];
    const index = next === undefined ? 0 : Number(next);
    const page = set[index];
    assert.ok(page !== undefined);
    return Promise.resolve(page);
  }

  watch(resourceVersion: string, handlers: WatchHandlers): Promise<{ abort(): void }> {
    const watch = { resourceVersion, handlers, aborted: false };
    this.watches.push(watch);
    return Promise.resolve({ abort: () => (watch.aborted = true) });
  }

  get current(): { resourceVersion: string; handlers: WatchHandlers; aborted: boolean } {
    const watch = this.watches.at(-1);
    assert.ok(watch !== undefined);
    return watch;
  }
}

function setUp(policy: () => Policy = () => policyWith({})) {
  const api = new FakeApi();
  const scheduler = new ManualScheduler();
  const logs = new LogCapture();
  const seen: string[] = [];
  const watch = new NodeWatch({ client: api, policy, logger: createLogger('debug', logs), scheduler, onRecord: (r) => seen.push(`${r.name}@${r.resourceVersion}`) });
  return { api, scheduler, logs, seen, watch };
}

describe('the node watch', () => {
  it('lists in pages of NODE_LIST_PAGE_SIZE, keeps only records, then watches from the list\'s resourceVersion', async () => {
    const { api, scheduler, watch, seen } = setUp();
    api.pages = [[{ items: [node('a', '5', { cordoned: true }), node('b', '6', { maintenance: true })], resourceVersion: '10', next: '1' }, { items: [node('c', '7')], resourceVersion: '', next: undefined }]];
    await watch.start();
    await scheduler.advance(0);
    assert.deepEqual(api.pageSizes, [NODE_LIST_PAGE_SIZE, NODE_LIST_PAGE_SIZE]);
    assert.deepEqual(seen, ['a@5', 'b@6', 'c@7']);
    assert.equal(api.current.resourceVersion, '10');
    assert.deepEqual(watch.counts(), { maintenance: 1, cordoned: 1, drifted: 1, overdue: 0 });
    const record = watch.get('b');
    assert.ok(record !== undefined);
    assert.deepEqual(Object.keys(record).sort(), ['cordoned', 'maintenance', 'maintenanceSince', 'managers', 'name', 'resourceVersion', 'uncordonedBy']);
  });

  it('has no counts before its first list', async () => {
    const { api, watch } = setUp();
    api.listFailures = 1;
    api.pages = [[{ items: [], resourceVersion: '1', next: undefined }]];
    await watch.start();
    assert.equal(watch.synced, false);
    assert.equal(watch.counts(), undefined);
  });

  it('applies watch events: a node uncordoned becomes drifted, a deleted node is forgotten, a bookmark moves the resourceVersion', async () => {
    const { api, scheduler, watch } = setUp();
    api.pages = [[{ items: [node('a', '5', { cordoned: true, maintenance: true })], resourceVersion: '10', next: undefined }]];
    await watch.start();
    api.current.handlers.event('MODIFIED', node('a', '11', { maintenance: true }));
    assert.deepEqual(watch.counts(), { maintenance: 1, cordoned: 0, drifted: 1, overdue: 0 });
    api.current.handlers.event('ADDED', node('b', '12', { cordoned: true }));
    api.current.handlers.event('DELETED', node('a', '13'));
    api.current.handlers.event('BOOKMARK', { metadata: { resourceVersion: '20' } });
    assert.deepEqual(watch.counts(), { maintenance: 0, cordoned: 1, drifted: 0, overdue: 0 });
    // The server closes the watch (its timeout): resumed at once from the last resourceVersion.
    api.current.handlers.done(undefined);
    await scheduler.advance(0);
    assert.equal(api.watches.length, 2);
    assert.equal(api.current.resourceVersion, '20');
    assert.equal(api.lists, 1);
  });

  it('lists again when the API server says the resourceVersion is too old (410)', async () => {
    const { api, scheduler, watch } = setUp();
    api.pages = [[{ items: [node('a', '5')], resourceVersion: '10', next: undefined }], [{ items: [node('a', '50', { cordoned: true })], resourceVersion: '60', next: undefined }]];
    await watch.start();
    const first = api.current;
    first.handlers.event('ERROR', { kind: 'Status', code: 410, reason: 'Expired' });
    await scheduler.advance(0);
    assert.equal(first.aborted, true);
    assert.equal(api.lists, 2);
    assert.equal(api.current.resourceVersion, '60');
    assert.equal(watch.get('a')?.cordoned, true);
    // Events of the abandoned watch are ignored.
    first.handlers.event('MODIFIED', node('a', '11'));
    assert.equal(watch.get('a')?.resourceVersion, '50');
  });

  it('lists again after a watch that failed, as one refused with 410 Gone does (an error, not an ERROR event)', async () => {
    const { api, scheduler, watch } = setUp();
    api.pages = [[{ items: [node('a', '5')], resourceVersion: '10', next: undefined }], [{ items: [node('a', '50', { cordoned: true })], resourceVersion: '60', next: undefined }]];
    await watch.start();
    api.current.handlers.done(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await scheduler.advance(500);
    assert.equal(api.lists, 2);
    assert.equal(api.current.resourceVersion, '60');
    assert.equal(watch.get('a')?.cordoned, true);
  });

  it('backs off exponentially after failed lists and failed watches, and logs each retry', async () => {
    const { api, scheduler, watch, logs } = setUp();
    api.listFailures = 3;
    api.pages = [[{ items: [], resourceVersion: '1', next: undefined }]];
    await watch.start();
    await scheduler.advance(499);
    assert.equal(api.lists, 1);
    await scheduler.advance(1);
    assert.equal(api.lists, 2, 'after 500 ms');
    await scheduler.advance(1000);
    assert.equal(api.lists, 3, 'after 1 s more');
    await scheduler.advance(2000);
    assert.equal(api.lists, 4, 'after 2 s more');
    assert.equal(watch.synced, true);
    assert.deepEqual(logs.lines.filter((l) => l.level === 'warn').map((l) => l.retryInMs), [500, 1000, 2000]);
    api.current.handlers.done(new Error('socket hang up'));
    await scheduler.advance(499);
    assert.equal(api.watches.length, 1);
    await scheduler.advance(1);
    assert.equal(api.watches.length, 2, 'a list that succeeded reset the backoff');
  });

  it('lists again when the policy names another maintenance annotation key', async () => {
    let policy = policyWith({});
    const { api, scheduler, watch } = setUp(() => policy);
    const items = [node('a', '5', { maintenance: true, key: 'example.com/maintenance' })];
    api.pages = [[{ items, resourceVersion: '10', next: undefined }]];
    await watch.start();
    assert.equal(watch.counts()?.maintenance, 0);
    policy = policyWith({ maintenanceAnnotation: 'example.com/maintenance' });
    await scheduler.advance(5000);
    assert.equal(api.lists, 2);
    assert.equal(watch.counts()?.maintenance, 1);
  });

  it('stops: the watch is aborted and nothing is retried', async () => {
    const { api, scheduler, watch } = setUp();
    api.pages = [[{ items: [], resourceVersion: '1', next: undefined }]];
    await watch.start();
    watch.stop();
    assert.equal(api.current.aborted, true);
    api.current.handlers.done(new Error('aborted'));
    await scheduler.advance(60_000);
    assert.equal(api.watches.length, 1);
    assert.equal(scheduler.pending, 0);
  });
});
