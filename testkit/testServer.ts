// The webhook in-process over real TLS on loopback ports, wired as `serve` wires it
// (src/server/webhook.ts), for server tests.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:https';
import { createLogger } from '../src/observability/logger.ts';
import { createMetrics, type Metrics } from '../src/observability/metrics.ts';
import type { ViolationRecorder } from '../src/observability/violationRecorder.ts';
import { PolicyStore } from '../src/sources/store.ts';
import type { Policy } from '../src/policy/types.ts';
import { createAnswerObserver, type AnswerObserver } from '../src/server/admissionObserver.ts';
import { createWebhook, type Webhook } from '../src/server/webhook.ts';
import { FixedSource } from '../src/tls/certificateSource.ts';
import { makeSelfSignedPair } from '../src/tls/selfSigned.ts';
import { LogCapture } from './logCapture.ts';

export interface TestServer {
  url: string;
  ca: string;
  logs: LogCapture;
  store: PolicyStore;
  metrics: Metrics;
  server: Server;
  webhook: Webhook;
  close(): Promise<void>;
}

export async function startTestServer(options: { policy?: Policy; events?: ViolationRecorder; observe?: AnswerObserver; now?: () => Date; timeouts?: { headersMs: number; requestMs: number } } = {}): Promise<TestServer> {
  const logs = new LogCapture();
  const logger = createLogger('debug', logs);
  const metrics = createMetrics({ defaultMetrics: false });
  const store = new PolicyStore({ logger, metrics, initial: options.policy });
  const { serving, caFile } = makeSelfSignedPair(join(mkdtempSync(join(tmpdir(), 'cg-test-')), 'ca.crt'));
  const webhook = createWebhook({
    logger,
    metrics,
    store,
    certificate: new FixedSource(serving),
    observe: options.observe ?? createAnswerObserver({ logger, metrics, events: options.events }),
    now: options.now,
    limits: { timeouts: options.timeouts },
  });
  const { admission } = await webhook.start({ host: '127.0.0.1', port: 0, metricsPort: 0 });
  return {
    url: `https://127.0.0.1:${admission.port}`,
    ca: readFileSync(caFile, 'utf8'),
    logs,
    store,
    metrics,
    server: webhook.admission,
    webhook,
    close: () => webhook.shutdown({ drainMs: 0, graceMs: 0 }),
  };
}
