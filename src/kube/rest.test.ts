import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KubeApiError, expectOk, kubeRest, withQuery, type KubeClient } from './rest.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An API server whose answers the test sets per path; it records what it was sent. */
let handle: (req: IncomingMessage, res: ServerResponse, body: string) => void = (_req, res) => res.end();
const seen: Seen[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    handle(req, res, body);
  });
});
let client: KubeClient;

before(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  client = kubeRest({ server: new URL(`http://127.0.0.1:${port}`), requestOptions: () => Promise.resolve({ headers: { authorization: 'Bearer t0k' } }) });
});
after(() => {
  server.closeAllConnections();
  server.close();
});

interface Watched {
  events: Array<[string, unknown]>;
  done: Promise<unknown>;
}

function watched(): Watched & { callbacks: { event(type: string, object: unknown): void; done(err: unknown): void } } {
  const events: Array<[string, unknown]> = [];
  let finish: (err: unknown) => void = () => undefined;
  const done = new Promise<unknown>((resolve) => (finish = resolve));
  return { events, done, callbacks: { event: (type, object) => events.push([type, object]), done: (err) => finish(err ?? 'clean end') } };
}

describe('the REST client', () => {
  it('sends the credentials, a user agent, and a PATCH as a merge patch unless told otherwise', async () => {
    handle = (_req, res) => res.end('{"kind":"Node"}');
    seen.length = 0;
    const merge = await client.request('PATCH', '/api/v1/nodes/n1', { spec: { unschedulable: true } });
    await client.request('PATCH', '/api/v1/nodes/n1', [{ op: 'add', path: '/x', value: 1 }], 'application/json-patch+json');
    assert.deepEqual(merge, { status: 200, body: { kind: 'Node' } });
    assert.equal(seen[0]?.headers.authorization, 'Bearer t0k');
    assert.equal(seen[0]?.headers['user-agent'], 'cordon-guard');
    assert.equal(seen[0]?.headers['content-type'], 'application/merge-patch+json');
    assert.equal(seen[0]?.body, '{"spec":{"unschedulable":true}}');
    assert.equal(seen[1]?.headers['content-type'], 'application/json-patch+json');
  });

  it('hands on a refusal as its Status, and expectOk turns it into a KubeApiError with the status', async () => {
    handle = (_req, res) => {
      res.statusCode = 409;
      res.end('{"kind":"Status","message":"the object has been modified"}');
    };
    const response = await client.request('PUT', '/apis/coordination.k8s.io/v1/namespaces/ns/leases/l', {});
    assert.throws(() => expectOk('updating Lease ns/l', response), (err: unknown) => err instanceof KubeApiError && err.status === 409 && err.message === 'updating Lease ns/l: HTTP 409: the object has been modified');
  });

  it('keeps a body that is not JSON as text, for the message', async () => {
    handle = (_req, res) => {
      res.statusCode = 502;
      res.end('<html>bad gateway</html>');
    };
    assert.deepEqual(await client.request('GET', '/api/v1/nodes'), { status: 502, body: '<html>bad gateway</html>' });
  });

  it('writes a query without its undefined values', () => {
    assert.equal(withQuery('/api/v1/nodes', { limit: 100, continue: undefined, fieldSelector: 'metadata.name=a b' }), '/api/v1/nodes?limit=100&fieldSelector=metadata.name%3Da+b');
  });
});

describe('a watch', () => {
  it('asks for a watch, and hands on each event whole, however the stream cuts it, then the clean end', async () => {
    handle = (_req, res) => {
      res.write('{"type":"ADDED","object":{"metadata":{"name":"n1"}}}\n{"type":"MOD');
      setTimeout(() => {
        res.write('IFIED","object":{"metadata":{"name":"ü"}}}\n\n{"type":"ERROR","object":{"code":410}}\n');
        res.end();
      }, 20);
    };
    seen.length = 0;
    const w = watched();
    await client.watch('/api/v1/nodes', { resourceVersion: '5', timeoutSeconds: 300 }, w.callbacks);
    assert.equal(await w.done, 'clean end');
    assert.equal(seen[0]?.url, '/api/v1/nodes?resourceVersion=5&timeoutSeconds=300&watch=true');
    assert.deepEqual(w.events, [
      ['ADDED', { metadata: { name: 'n1' } }],
      ['MODIFIED', { metadata: { name: 'ü' } }],
      ['ERROR', { code: 410 }],
    ]);
  });

  it('a watch the API server refuses rejects with its status, and ends nothing', async () => {
    handle = (_req, res) => {
      res.statusCode = 403;
      res.end('{"kind":"Status","message":"nodes is forbidden"}');
    };
    const w = watched();
    await assert.rejects(client.watch('/api/v1/nodes', {}, w.callbacks), (err: unknown) => err instanceof KubeApiError && err.status === 403);
  });

  it('a line that is not JSON ends the watch with an error', async () => {
    handle = (_req, res) => res.write('{"type":"ADDED"\n');
    const w = watched();
    await client.watch('/api/v1/nodes', {}, w.callbacks);
    assert.match(String(await w.done), /an event that is not JSON/);
  });

  it('a handler that throws ends the watch with that error instead of the process', async () => {
    handle = (_req, res) => res.write('{"type":"ADDED","object":{}}\n');
    const w = watched();
    const throwing = {
      event: () => {
        throw new Error('bug');
      },
      done: (err: unknown) => w.callbacks.done(err),
    };
    await client.watch('/api/v1/nodes', {}, throwing);
    const err = (await w.done) as Error;
    assert.match(err.message, /handling a ADDED event failed/);
    assert.equal((err.cause as Error).message, 'bug');
  });

  it('a connection cut mid-stream ends the watch with an error; an aborted watch ends silently', async () => {
    handle = (_req, res) => {
      res.write('{"type":"ADDED","object":{}}\n');
      setTimeout(() => res.socket?.destroy(), 10);
    };
    const cut = watched();
    await client.watch('/api/v1/nodes', {}, cut.callbacks);
    assert.ok((await cut.done) instanceof Error);

    handle = (_req, res) => res.write('{"type":"ADDED","object":{}}\n');
    let ended = false;
    const aborted = await client.watch('/api/v1/nodes', {}, { event: () => undefined, done: () => (ended = true) });
    aborted.abort();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(ended, false);
  });
});
