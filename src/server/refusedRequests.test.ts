// The counters of requests refused before judgement, through the app: a 404 and a 503 are not
// "malformed".
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { defaultPolicy } from '../policy/document.ts';
import { LogCapture } from '../../testkit/logCapture.ts';
import { createAnswerObserver } from './admissionObserver.ts';
import { createApp } from './app.ts';

describe('requests refused before judgement are counted by why', () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const logger = createLogger('debug', new LogCapture());
  let server: Server;
  let url: string;

  before(async () => {
    // A budget smaller than the body limit: a body between the two is shed (503), not too large (413).
    const app = createApp({ policy: defaultPolicy, observe: createAnswerObserver({ logger, metrics }), logger, metrics, bodyLimitBytes: 1000, bodyBudgetBytes: 500 });
    server = createServer(app);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const post = (path: string, body: string, contentType = 'application/json'): Promise<Response> =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('a path that is no endpoint, a shed body, and malformed bodies each land in their own counter', async () => {
    assert.equal((await fetch(`${url}/no-such-endpoint`)).status, 404);
    assert.equal((await fetch(`${url}/validate`)).status, 404, 'GET is not an endpoint either');
    assert.equal((await post('/validate', 'x'.repeat(800))).status, 503);
    assert.equal((await post('/mutate', 'x'.repeat(1200))).status, 413);
    assert.equal((await post('/validate', '{"not": "a review"}')).status, 400);
    assert.equal((await post('/validate', '{}', 'text/plain')).status, 415);

    const text = await metrics.registry.metrics();
    assert.match(text, /^cordon_guard_not_found_requests_total 2$/m);
    assert.match(text, /^cordon_guard_shed_requests_total\{endpoint="\/validate"\} 1$/m);
    const malformed = [...text.matchAll(/^cordon_guard_malformed_requests_total\{(.*)\} (\d+)$/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
    assert.deepEqual(malformed, ['endpoint="/mutate",status="413" 1', 'endpoint="/validate",status="400" 1', 'endpoint="/validate",status="415" 1']);
  });
});
