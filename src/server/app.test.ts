import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { makeNode, makeReview, MAINTENANCE } from '../../testkit/fixtures.ts';
import { post } from '../../testkit/httpsClient.ts';
import { policyWith } from '../../testkit/policies.ts';
import { startTestServer, type TestServer } from '../../testkit/testServer.ts';
import { HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS } from './admissionServer.ts';

const examples = new URL('../../examples/', import.meta.url);
const rogue = readFileSync(new URL('reviews/rogue-uncordon.json', examples), 'utf8');
const rogueAnswer = JSON.parse(readFileSync(new URL('responses/rogue-uncordon.json', examples), 'utf8'));

describe('the admission server over TLS', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    server.store.apply(readFileSync(new URL('policy.yaml', examples), 'utf8'), 'file examples/policy.yaml', 'file');
  });
  after(() => server.close());

  const validate = (body: string | Buffer, contentType?: string | null) =>
    post(`${server.url}/validate`, body, { ca: server.ca, contentType });

  for (const name of readdirSync(new URL('reviews/', examples))) {
    it(`answers examples/reviews/${name} exactly as examples/responses/${name}`, async () => {
      const res = await validate(readFileSync(new URL(`reviews/${name}`, examples)));
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.deepEqual(res.json, JSON.parse(readFileSync(new URL(`responses/${name}`, examples), 'utf8')));
    });
  }

  it('answers a v1beta1 review in v1beta1', async () => {
    const res = await validate(JSON.stringify({ ...JSON.parse(rogue), apiVersion: 'admission.k8s.io/v1beta1' }));
    assert.equal((res.json as { apiVersion: string }).apiVersion, 'admission.k8s.io/v1beta1');
    assert.deepEqual((res.json as { response: unknown }).response, rogueAnswer.response);
  });

  it('judges a review of more than 1 MiB (a node with thousands of images)', async () => {
    const body = JSON.stringify(
      makeReview({
        uid: 'big',
        oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE, images: 3000 }),
        object: makeNode({ cordoned: false, annotations: MAINTENANCE, images: 3000 }),
      }),
    );
    assert.ok(body.length > 1024 * 1024, `body is only ${body.length} bytes`);
    const res = await validate(body);
    assert.equal(res.status, 200);
    assert.equal((res.json as { response: { uid: string; allowed: boolean } }).response.allowed, false);
    assert.equal((res.json as { response: { uid: string } }).response.uid, 'big');
  });

  /** Any method, so that a GET is a GET (post() always sends a POST). */
  const send = (method: string, path: string, body?: string): Promise<{ status: number; json: unknown }> =>
    new Promise((resolve, reject) => {
      const req = request(`${server.url}${path}`, { method, ca: server.ca, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });

  const malformed: [string, () => Promise<{ status: number; json: unknown }>, number, RegExp][] = [
    ['a body that is not JSON', () => validate('{"apiVersion": '), 400, /not valid JSON/],
    ['an empty body', () => validate(''), 400, /body is empty/],
    ['JSON null', () => validate('null'), 400, /JSON object/],
    ['a JSON array', () => validate('[]'), 400, /JSON object/],
    ['a JSON string', () => validate('"review"'), 400, /JSON object/],
    ['a review without request', () => validate('{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}'), 400, /request is missing/],
    ['a review without request.uid', () => validate('{"request":{"operation":"UPDATE"}}'), 400, /request\.uid/],
    ['an unknown apiVersion', () => validate('{"apiVersion":"admission.k8s.io/v9","request":{"uid":"x"}}'), 400, /unsupported apiVersion/],
    ['a wrong content type', () => validate(rogue, 'text/plain'), 415, /content type must be application\/json/],
    ['no content type', () => validate(rogue, null), 415, /content type/],
    ['a gzip-encoded body', () => post(`${server.url}/validate`, rogue, { ca: server.ca, headers: { 'content-encoding': 'gzip' } }), 415, /content encoding "gzip" is not supported/],
    ['a body over the 7 MiB limit', () => validate(Buffer.alloc(7 * 1024 * 1024 + 1, 0x20)), 413, /byte limit/],
    ['deeply nested JSON', () => validate(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), 400, /JSON object/],
    ['a POST to a path that is no endpoint', () => post(`${server.url}/nowhere`, '{}', { ca: server.ca }), 404, /^no such endpoint: POST \/nowhere$/],
    ['a GET of /validate', () => send('GET', '/validate'), 404, /^no such endpoint: GET \/validate$/],
    ['a PUT to /mutate', () => send('PUT', '/mutate', rogue), 404, /^no such endpoint: PUT \/mutate$/],
  ];
  for (const [name, send, status, pattern] of malformed) {
    it(`refuses ${name} with ${status} and a JSON error, then still answers a valid review`, async () => {
      const res = await send();
      assert.equal(res.status, status);
      assert.match((res.json as { error?: string })?.error ?? '', pattern);
      const next = await validate(rogue);
      assert.deepEqual(next.json, rogueAnswer);
    });
  }

  it('accepts application/json with parameters and in any case', async () => {
    for (const contentType of ['application/json; charset=utf-8', 'Application/JSON']) {
      const res = await validate(rogue, contentType);
      assert.deepEqual(res.json, rogueAnswer, contentType);
    }
  });

  it('closes the connection after a 413 rather than reading the rest of the body', async () => {
    const res = await validate(Buffer.alloc(17 * 1024 * 1024, 0x20));
    assert.equal(res.status, 413);
    assert.equal(res.headers.connection, 'close');
  });

  it('answers with a Content-Length and keeps the connection open', async () => {
    const res = await validate(rogue);
    assert.equal(res.headers['content-length'], String(Buffer.byteLength(res.text)));
    assert.equal(res.headers.connection, 'keep-alive');
  });

  it('answers a Node UPDATE without oldObject with allowed false and code 400', async () => {
    const review = makeReview({ uid: 'no-old', oldObject: null });
    const res = await validate(JSON.stringify(review));
    assert.equal(res.status, 200);
    assert.deepEqual((res.json as { response: unknown }).response, {
      uid: 'no-old',
      allowed: false,
      status: { code: 400, message: 'cordon-guard cannot judge UPDATE of node "worker-3": the review has no oldObject' },
    });
  });

  it('logs one warn line per violation with the patch, but no status or managedFields', async () => {
    await validate(rogue);
    const line = server.logs.lines.findLast((l) => l.level === 'warn' && l.reason === 'maintenance-active');
    assert.ok(line);
    assert.equal(line.uid, 'a3c9e1f0-0001-4b7e-9d2a-rogue0uncordon');
    assert.equal(line.node, 'worker-3');
    assert.equal(line.user, 'system:serviceaccount:system-upgrade:system-upgrade');
    assert.equal(line.decision, 'denied');
    assert.equal(line.mode, 'enforce');
    assert.equal(typeof line.latencyMs, 'number');
    assert.ok(Array.isArray(line.groups));
    const patch = [...(line.patch as { path: string }[])].sort((a, b) => a.path.localeCompare(b.path));
    assert.deepEqual(patch, [{ op: 'remove', path: '/spec/taints' }, { op: 'replace', path: '/spec/unschedulable', value: false }]);
    assert.match(line.msg, /^cordon-guard denied uncordon of node "worker-3"/);
  });

  it('logs other allowed uncordons at debug and says nothing about ordinary updates', async () => {
    const before = server.logs.lines.length;
    await validate(readFileSync(new URL('reviews/label-change.json', examples)));
    await validate(readFileSync(new URL('reviews/uncordon-after-maintenance.json', examples)));
    const added = server.logs.lines.slice(before);
    assert.equal(added.length, 1);
    assert.equal(added[0]?.level, 'debug');
    assert.equal(added[0]?.reason, 'no-maintenance');
    assert.equal(added[0]?.maintenance, undefined);
  });

  it('logs an allowlisted uncordon of a node under maintenance at info, with who uncordoned and which maintenance it ended', async () => {
    const before = server.logs.lines.length;
    const res = await validate(readFileSync(new URL('reviews/allowlisted-uncordon.json', examples)));
    assert.equal((res.json as { response: { allowed: boolean } }).response.allowed, true);
    const added = server.logs.lines.slice(before);
    assert.equal(added.length, 1);
    const [line] = added;
    assert.equal(line?.level, 'info');
    assert.equal(line?.msg, 'uncordon allowed: allowlisted');
    assert.equal(line?.decision, 'allowed');
    assert.equal(line?.reason, 'allowlisted');
    assert.equal(line?.node, 'worker-3');
    assert.equal(line?.user, 'alice@example.com');
    assert.deepEqual(line?.groups, ['system:authenticated']);
    assert.deepEqual(line?.maintenance, { key: 'cordon-guard.io/maintenance', value: 'kernel 6.8 upgrade, OPS-4411' });
    assert.equal(line?.policy, 'file examples/policy.yaml');
  });

  it('counts answers by decision and reason in the metrics', async () => {
    const text = await server.metrics.registry.metrics();
    assert.match(text, /cordon_guard_admission_requests_total\{operation="UPDATE",decision="denied",reason="maintenance-active",mode="enforce",endpoint="\/validate"\} \d+/);
    assert.match(text, /cordon_guard_admission_duration_seconds_bucket\{le="0.001",endpoint="\/validate"\} \d+/);
    assert.match(text, /cordon_guard_violations_total\{reason="maintenance-active",requester="system:serviceaccount:system-upgrade:system-upgrade",decision="denied"\} \d+/);
  });

  it('keeps connections alive longer than the API server\'s 90 s idle timeout, and reuses them', async () => {
    assert.ok(server.server.keepAliveTimeout > 90_000);
    assert.equal(server.server.keepAliveTimeout, KEEP_ALIVE_TIMEOUT_MS);
    assert.ok(server.server.headersTimeout <= HEADERS_TIMEOUT_MS);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    agent.on('free', (socket) => sockets.add(socket));
    for (let i = 0; i < 5; i++) await post(`${server.url}/validate`, rogue, { ca: server.ca, agent });
    agent.destroy();
    assert.equal(sockets.size, 1);
  });

  it('negotiates TLS 1.2 or newer and refuses TLS 1.1', async () => {
    const { port } = new URL(server.url);
    const protocol = await new Promise<string | null>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: Number(port), ca: server.ca, servername: 'localhost' }, () => {
        resolve(socket.getProtocol());
        socket.end();
      });
      socket.on('error', reject);
    });
    assert.ok(protocol === 'TLSv1.2' || protocol === 'TLSv1.3', String(protocol));
    await assert.rejects(
      new Promise((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: Number(port), ca: server.ca, servername: 'localhost', minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, () => resolve(socket));
        socket.on('error', reject);
      }),
    );
  });
});

describe('violations become Events, except dry runs', () => {
  it('records a real violation and skips the same violation under dryRun', async () => {
    const recorded: string[] = [];
    const server = await startTestServer({ events: { record: (request) => recorded.push(request.uid) } });
    try {
      const review = (uid: string, dryRun: boolean) =>
        JSON.stringify(
          makeReview({ uid, dryRun, oldObject: makeNode({ cordoned: true, annotations: MAINTENANCE }), object: makeNode({ cordoned: false, annotations: MAINTENANCE }) }),
        );
      const dry = await post(`${server.url}/validate`, review('dry', true), { ca: server.ca });
      const real = await post(`${server.url}/validate`, review('real', false), { ca: server.ca });
      assert.equal((dry.json as { response: { allowed: boolean } }).response.allowed, false, 'a dry run is still denied');
      assert.equal((real.json as { response: { allowed: boolean } }).response.allowed, false);
      assert.deepEqual(recorded, ['real']);
    } finally {
      await server.close();
    }
  });
});

describe('the /mutate endpoint', () => {
  it('answers a cordon with a base64 JSON Patch that stamps who cordoned, in the request apiVersion', async () => {
    const server = await startTestServer({ now: () => new Date('2026-11-28T07:00:00.500Z') });
    try {
      const review = makeReview({ uid: 'm1', apiVersion: 'admission.k8s.io/v1beta1', username: 'alice', oldObject: makeNode({ cordoned: false, annotations: null }), object: makeNode({ cordoned: true, annotations: null }) });
      const res = await post(`${server.url}/mutate`, JSON.stringify(review), { ca: server.ca });
      const body = res.json as { apiVersion: string; response: { uid: string; allowed: boolean; patchType: string; patch: string } };
      assert.equal(body.apiVersion, 'admission.k8s.io/v1beta1');
      assert.equal(body.response.uid, 'm1');
      assert.equal(body.response.allowed, true);
      assert.equal(body.response.patchType, 'JSONPatch');
      assert.deepEqual(JSON.parse(Buffer.from(body.response.patch, 'base64').toString()), [
        { op: 'add', path: '/metadata/annotations', value: { 'cordon-guard.io/cordoned-by': '{"user":"alice","at":"2026-11-28T07:00:00Z","v":2}' } },
      ]);
      const line = server.logs.find((l) => l.reason === 'cordon-stamped');
      assert.equal(line?.level, 'info');
      const other = await post(`${server.url}/mutate`, JSON.stringify(makeReview({ uid: 'm2' })), { ca: server.ca });
      assert.deepEqual(other.json, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'm2', allowed: true } });
      const bad = await post(`${server.url}/mutate`, '{}', { ca: server.ca });
      assert.equal(bad.status, 400);
    } finally {
      await server.close();
    }
  });
});

describe('the /mutate endpoint in mode preserve', () => {
  it('answers a bundled uncordon with the repair patch and the warning, records the Event, and answers a plain uncordon as in enforce', async () => {
    const recorded: string[] = [];
    const server = await startTestServer({ policy: policyWith({ mode: 'preserve' }), events: { record: (request, judgement) => recorded.push(`${request.uid} ${judgement.decision}`) } });
    try {
      const oldObject = makeNode({ cordoned: true, annotations: MAINTENANCE });
      const bundled = makeReview({ uid: 'p1', username: 'system:serviceaccount:kube-system:cluster-autoscaler', oldObject, object: makeNode({ cordoned: false, annotations: MAINTENANCE, labels: { pool: 'b' } }) });
      const res = await post(`${server.url}/mutate`, JSON.stringify(bundled), { ca: server.ca });
      const body = res.json as { response: { uid: string; allowed: boolean; patch: string; warnings: string[] } };
      assert.equal(body.response.uid, 'p1');
      assert.equal(body.response.allowed, true);
      assert.deepEqual(JSON.parse(Buffer.from(body.response.patch, 'base64').toString()), [{ op: 'add', path: '/spec/unschedulable', value: true }]);
      assert.match(body.response.warnings[0] ?? '', /^cordon-guard kept node "worker-3" cordoned: "system:serviceaccount:kube-system:cluster-autoscaler" may not uncordon it/);
      const plain = structuredClone(oldObject) as { spec: Record<string, unknown> };
      delete plain.spec.unschedulable;
      const alone = await post(`${server.url}/mutate`, JSON.stringify(makeReview({ uid: 'p2', oldObject, object: plain })), { ca: server.ca });
      assert.deepEqual(alone.json, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'p2', allowed: true } });
      const refused = await post(`${server.url}/validate`, JSON.stringify(makeReview({ uid: 'p3', oldObject, object: plain })), { ca: server.ca });
      assert.equal((refused.json as { response: { allowed: boolean } }).response.allowed, false);
      assert.deepEqual(recorded, ['p1 prevented', 'p3 denied']);
    } finally {
      await server.close();
    }
  });
});

describe('what happens after the answer', () => {
  it('an observer that throws costs neither the answer nor a "request refused": it is logged once and counted', async () => {
    const server = await startTestServer({
      observe: () => {
        throw new Error('the Event queue is broken');
      },
    });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await post(`${server.url}/validate`, rogue, { ca: server.ca });
        assert.equal(res.status, 200);
        const { response } = res.json as { response: { uid: string; allowed: boolean } };
        assert.equal(response.uid, rogueAnswer.response.uid);
        assert.equal(response.allowed, false, 'the default policy refuses this uncordon, observer or not');
      }
      const failures = server.logs.lines.filter((l) => /recording an answer failed/.test(l.msg));
      assert.equal(failures.length, 1, 'three identical failures, one log line');
      assert.equal(server.logs.lines.filter((l) => /request refused/.test(l.msg)).length, 0);
      const text = await server.metrics.registry.metrics();
      assert.match(text, /cordon_guard_observer_failures_total\{endpoint="\/validate"\} 3/);
      assert.doesNotMatch(text, /cordon_guard_malformed_requests_total\{/);
    } finally {
      await server.close();
    }
  });

  it('the duration histogram includes reading the body: a body sent in two parts 300 ms apart is timed from its first part', async () => {
    const server = await startTestServer();
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${server.url}/validate`, { method: 'POST', ca: server.ca, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.write(rogue.slice(0, 100));
        // 300 ms from when the server has the request, not from when the client wrote it: under
        // load the headers may reach the server a while after they were written.
        server.server.once('request', () => setTimeout(() => req.end(rogue.slice(100)), 300));
      });
      assert.equal(status, 200);
      const text = await server.metrics.registry.metrics();
      const sum = Number(/cordon_guard_admission_duration_seconds_sum\{endpoint="\/validate"\} ([0-9.e-]+)/.exec(text)?.[1]);
      // Timed from the decoded review it would be well under 10 ms; timer slack allows a little under 300.
      assert.ok(sum >= 0.25, `histogram sum ${sum}s for a request that took 300 ms to arrive`);
    } finally {
      await server.close();
    }
  });
});
