// The webhook as serve wires it: where it listens by default, and what it says about it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LogCapture } from '../../testkit/logCapture.ts';
import { post } from '../../testkit/httpsClient.ts';
import { createLogger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { PolicyStore } from '../sources/store.ts';
import { FixedSource } from '../tls/certificateSource.ts';
import { makeSelfSignedPair } from '../tls/selfSigned.ts';
import { createAnswerObserver } from './admissionObserver.ts';
import { createWebhook } from './webhook.ts';

/** Whether this host can listen on IPv6's unspecified address, as Node decides for a listen without host. */
async function hasIpv6(): Promise<boolean> {
  const probe = createServer();
  try {
    probe.listen(0, '::');
    await once(probe, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    probe.close();
  }
}

describe('the webhook\'s listeners', () => {
  it('listen on every address without --host (:: dual-stack where the host has IPv6, else 0.0.0.0), and say which', async () => {
    const logs = new LogCapture();
    const logger = createLogger('info', logs);
    const metrics = createMetrics({ defaultMetrics: false });
    const store = new PolicyStore({ logger, metrics });
    const { serving, caFile } = makeSelfSignedPair(join(mkdtempSync(join(tmpdir(), 'cg-webhook-')), 'ca.crt'));
    const webhook = createWebhook({ logger, metrics, store, certificate: new FixedSource(serving), observe: createAnswerObserver({ logger, metrics }) });
    const { admission, ops } = await webhook.start({ host: undefined, port: 0, metricsPort: 0 });
    try {
      const ipv6 = await hasIpv6();
      const unspecified = ipv6 ? '::' : '0.0.0.0';
      assert.equal(admission.address, unspecified);
      assert.equal(ops.address, unspecified);
      const line = logs.find((l) => /^admission webhook on /.test(l.msg));
      assert.equal(line?.address, unspecified);
      assert.equal(line?.msg, `admission webhook on https://${ipv6 ? '[::]' : '0.0.0.0'}:${admission.port} (/validate /mutate)`);
      assert.equal(logs.find((l) => /^health and metrics on /.test(l.msg))?.address, unspecified);

      const ca = readFileSync(caFile, 'utf8');
      const review = readFileSync(new URL('../../examples/reviews/label-change.json', import.meta.url));
      const hosts = ipv6 ? ['127.0.0.1', '[::1]'] : ['127.0.0.1'];
      for (const host of hosts) {
        const res = await post(`https://${host}:${admission.port}/validate`, review, { ca });
        assert.equal(res.status, 200, host);
        assert.equal((await fetch(`http://${host}:${ops.port}/readyz`)).status, 200, host);
      }
    } finally {
      await webhook.shutdown({ drainMs: 0, graceMs: 0 });
    }
  });
});
