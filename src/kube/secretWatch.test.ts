import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { createLogger } from '../observability/logger.ts';
import { LogCapture } from '../../testkit/logCapture.ts';
import { BACKOFF_START_MS } from './configMapWatch.ts';
import type { NamedObject, ObjectList } from './namedObjectWatch.ts';
import type { Query, WatchCallbacks } from './rest.ts';
import { SecretWatch, type SecretClient } from './secretWatch.ts';

const NAMESPACE = 'cordon-guard';
const NAME = 'cordon-guard-tls';

interface OpenWatch {
  fieldSelector: unknown;
  send(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: NamedObject): void;
  end(err: Error | null): void;
}

class FakeWatch {
  readonly opened: OpenWatch[] = [];

  readonly watch = (_path: string, query: Query, callbacks: WatchCallbacks): Promise<{ abort(): void }> => {
    this.opened.push({ fieldSelector: query.fieldSelector, send: (type, object) => callbacks.event(type, object), end: (err) => callbacks.done(err ?? undefined) });
    return Promise.resolve({ abort: () => undefined });
  };
}

const secret = (name: string, resourceVersion: number): NamedObject => ({ metadata: { name, namespace: NAMESPACE, uid: `u-${name}`, resourceVersion: String(resourceVersion) } });

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('the certificate Secret watch', () => {
  let watch: FakeWatch;
  let lists: string[];
  let changes: number;
  let down: boolean;
  let logs: LogCapture;
  let feed: SecretWatch;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout'] });
    watch = new FakeWatch();
    lists = [];
    changes = 0;
    down = false;
    logs = new LogCapture();
    const client: SecretClient = {
      list: (namespace, fieldSelector) => {
        lists.push(`${namespace} ${fieldSelector}`);
        if (down) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6443'));
        return Promise.resolve({ metadata: { resourceVersion: '10' }, items: [secret(NAME, 10)] } satisfies ObjectList<NamedObject>);
      },
      watch: watch.watch,
    };
    feed = new SecretWatch({ client, namespace: NAMESPACE, name: NAME, logger: createLogger('debug', logs), onChange: () => (changes += 1) });
  });
  afterEach(async () => {
    await feed.stop();
    mock.timers.reset();
  });

  it('lists and watches that one Secret by metadata.name, as its resourceNames-restricted RBAC requires', async () => {
    await feed.start();
    await settle();
    assert.deepEqual(lists, [`${NAMESPACE} metadata.name=${NAME}`]);
    assert.equal(watch.opened.at(-1)?.fieldSelector, `metadata.name=${NAME}`);
  });

  it('says "look again" after the list and on each change or deletion of the Secret', async () => {
    await feed.start();
    await settle();
    const afterList = changes;
    assert.ok(afterList >= 1, 'the list itself is a reason to look');
    watch.opened.at(-1)?.send('MODIFIED', secret(NAME, 11));
    assert.equal(changes, afterList + 1);
    watch.opened.at(-1)?.send('DELETED', secret(NAME, 12));
    assert.equal(changes, afterList + 2);
  });

  it('a failed list is logged and retried after a delay, and the retry looks again', async () => {
    down = true;
    await feed.start();
    await settle();
    assert.equal(changes, 0);
    const warning = logs.lines.find((l) => l.level === 'warn');
    assert.equal(warning?.retryInMs, BACKOFF_START_MS);
    assert.match(String(warning?.msg), /watching Secret cordon-guard\/cordon-guard-tls failed/);
    down = false;
    mock.timers.tick(BACKOFF_START_MS);
    await settle();
    assert.equal(lists.length, 2);
    assert.ok(changes >= 1);
  });
});
