import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { createLogger } from '../observability/logger.ts';
import { LogCapture } from '../../testkit/logCapture.ts';
import { BACKOFF_MAX_MS, BACKOFF_START_MS, ConfigMapWatch, type ConfigMapClient, type ConfigMapObject } from './configMapWatch.ts';
import type { ObjectList } from './namedObjectWatch.ts';
import type { Query, WatchCallbacks } from './rest.ts';

const NAMESPACE = 'cordon-guard';
const NAME = 'cordon-guard-policy';

/** One open watch, as the fake API server holds it. */
interface OpenWatch {
  resourceVersion: string;
  fieldSelector: unknown;
  send(type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR', object: unknown): void;
  /** The stream ends: `null` for a clean end, an error for a broken connection. */
  end(err: Error | null): void;
  readonly aborted: boolean;
}

class FakeWatch {
  readonly opened: OpenWatch[] = [];

  readonly watch = (_path: string, query: Query, callbacks: WatchCallbacks): Promise<{ abort(): void }> => {
    let aborted = false;
    this.opened.push({
      resourceVersion: String(query.resourceVersion),
      fieldSelector: query.fieldSelector,
      send: (type, object) => callbacks.event(type, object),
      end: (err) => callbacks.done(err ?? undefined),
      get aborted() {
        return aborted;
      },
    });
    return Promise.resolve({ abort: () => (aborted = true) });
  };

  last(): OpenWatch {
    const last = this.opened.at(-1);
    assert.ok(last !== undefined, 'no watch open');
    return last;
  }
}

/** The ConfigMap as the API server holds it, and the list call; `down` makes every list fail. */
class FakeConfigMaps {
  policy: string | undefined = 'mode: enforce\n';
  resourceVersion = 10;
  down = false;
  lists = 0;
  readonly watch = new FakeWatch();
  readonly client: ConfigMapClient = {
    list: (namespace, fieldSelector) => {
      this.lists += 1;
      assert.deepEqual([namespace, fieldSelector], [NAMESPACE, `metadata.name=${NAME}`]);
      if (this.down) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6443'));
      return Promise.resolve({ metadata: { resourceVersion: String(this.resourceVersion) }, items: this.policy === undefined ? [] : [this.object()] } satisfies ObjectList<ConfigMapObject>);
    },
    watch: this.watch.watch,
  };

  /** An edit made on the API server: a new resourceVersion. */
  edit(policy: string | undefined): ConfigMapObject {
    this.policy = policy;
    this.resourceVersion += 1;
    return this.object();
  }

  object(): ConfigMapObject {
    return { metadata: { name: NAME, namespace: NAMESPACE, uid: 'u-1', resourceVersion: String(this.resourceVersion) }, data: this.policy === undefined ? {} : { 'policy.yaml': this.policy } };
  }
}

/** Lets the promise callbacks of the list and the watch run (fake timers do not move them). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('the ConfigMap watch', () => {
  let api: FakeConfigMaps;
  let logs: LogCapture;
  let feed: ConfigMapWatch;
  /** What the feed handed on: the policy text of each version, 'absent' and 'listed'. */
  let seen: string[];

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout'] });
    api = new FakeConfigMaps();
    logs = new LogCapture();
    seen = [];
    feed = new ConfigMapWatch({ client: api.client, namespace: NAMESPACE, name: NAME, logger: createLogger('debug', logs) });
  });
  afterEach(async () => {
    await feed.stop();
    mock.timers.reset();
  });

  const start = (): Promise<void> =>
    feed.start({
      present: (cm) => seen.push(cm.data?.['policy.yaml'] ?? '(no policy.yaml)'),
      absent: () => seen.push('absent'),
      listed: () => seen.push('listed'),
    });

  /** The retry delays the warn lines announce, in order. */
  const retryDelays = (): unknown[] => logs.lines.filter((l) => l.level === 'warn').map((l) => l.retryInMs);

  /** Advances the fake clock by `ms` and lets what it started run. */
  const advance = async (ms: number): Promise<void> => {
    mock.timers.tick(ms);
    await settle();
  };

  it('lists the one ConfigMap, then watches it from the list\'s resourceVersion', async () => {
    await start();
    await settle();
    assert.deepEqual(seen.slice(0, 2), ['mode: enforce\n', 'listed']);
    assert.equal(api.watch.last().resourceVersion, '10');
    assert.equal(api.watch.last().fieldSelector, `metadata.name=${NAME}`);
    api.watch.last().send('MODIFIED', api.edit('mode: warn\n'));
    assert.equal(seen.at(-1), 'mode: warn\n');
  });

  it('while the API server is down, retries after 0.5 s, then twice as long each time up to 30 s, logging each failure', async () => {
    api.down = true;
    await start();
    await settle();
    assert.equal(api.lists, 1);
    const delays = [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000];
    for (const [i, delayMs] of delays.entries()) {
      await advance(delayMs - 1);
      assert.equal(api.lists, i + 1, `no list before ${delayMs} ms`);
      await advance(1);
      assert.equal(api.lists, i + 2, `a list at ${delayMs} ms`);
    }
    assert.deepEqual(retryDelays(), [...delays, BACKOFF_MAX_MS]);
    const line = logs.lines.find((l) => l.level === 'warn');
    assert.equal(line?.msg, `watching policy ${NAMESPACE}/${NAME} failed; retrying in ${BACKOFF_START_MS} ms`);
    assert.equal(line.err, 'connect ECONNREFUSED 127.0.0.1:6443');
    assert.deepEqual(seen, [], 'nothing is handed on while nothing was read');

    api.down = false;
    await advance(BACKOFF_MAX_MS);
    assert.deepEqual(seen.slice(0, 2), ['mode: enforce\n', 'listed'], 'the policy once the API server is back');
  });

  it('a successful list starts the delays over', async () => {
    api.down = true;
    await start();
    await settle();
    await advance(500);
    await advance(1000);
    api.down = false;
    await advance(2000);
    assert.equal(seen.at(1), 'listed');
    api.watch.last().end(new Error('other side closed'));
    await settle();
    assert.deepEqual(retryDelays(), [500, 1000, 2000, 500]);
  });

  it('a broken watch lists again after the backoff, and hands on the change made while it was down', async () => {
    await start();
    await settle();
    const broken = api.watch.last();
    broken.end(new Error('other side closed'));
    api.edit('mode: audit\n'); // nobody watches while this happens
    await settle();
    assert.equal(api.lists, 1);
    await advance(BACKOFF_START_MS);
    assert.equal(api.lists, 2, 'a fresh list');
    assert.equal(seen.filter((s) => s === 'listed').length, 2);
    assert.equal(seen.findLast((s) => s !== 'listed'), 'mode: audit\n');
    assert.equal(api.watch.last().resourceVersion, String(api.resourceVersion), 'the new watch starts from the new list');
    assert.equal(broken.aborted, true, 'the broken watch is closed, not left open');
  });

  it('a ConfigMap deleted while the watch was down is handed on as absent by the fresh list', async () => {
    await start();
    await settle();
    api.watch.last().end(new Error('other side closed'));
    api.edit(undefined);
    api.policy = undefined;
    await advance(BACKOFF_START_MS);
    assert.equal(seen.at(-2), 'absent');
    assert.equal(seen.at(-1), 'listed');
  });

  it('a watch the API server ends cleanly is opened again from the last resourceVersion seen, and a 410 Gone lists again', async () => {
    await start();
    await settle();
    api.watch.last().send('MODIFIED', api.edit('mode: warn\n'));
    api.watch.last().end(null);
    await settle();
    assert.equal(api.watch.opened.length, 2);
    assert.equal(api.watch.last().resourceVersion, '11');
    assert.equal(api.lists, 1, 'the API server replays what changed since resourceVersion 11');
    api.edit('mode: audit\n');
    // What the API server sends for a resourceVersion it no longer keeps, before it closes the stream.
    api.watch.last().send('ERROR', { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
    api.watch.last().end(null);
    await settle();
    assert.equal(api.lists, 2, 'too old a resourceVersion: a fresh list');
    assert.equal(seen.findLast((s) => s !== 'listed'), 'mode: audit\n');
    assert.deepEqual(retryDelays(), [], 'neither is a failure');
  });
});
