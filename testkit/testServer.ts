// The admission server in-process over real TLS on a loopback port, for server tests.
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../src/observability/logger.ts';
import { createMetrics, type Metrics } from '../src/observability/metrics.ts';
import { PolicyStore } from '../src/sources/store.ts';
import type { Policy } from '../src/policy/types.ts';
import { createAnswerObserver, type AnswerObserver, type ViolationRecorder } from '../src/server/admissionObserver.ts';
import { createAdmissionServer } from '../src/server/admissionServer.ts';
import { createApp } from '../src/server/app.ts';
import { makeSelfSignedPair } from '../src/tls/selfSigned.ts';
import { LogCapture } from './logCapture.ts';
import { readFileSync } from 'node:fs';

export interface TestServer {
  url: string;
  ca: string;
  logs: LogCapture;
  store: PolicyStore;
  metrics: Metrics;
  server: Server;
  close(): Promise<void>;
}

export async function startTestServer(options: { policy?: Policy; events?: ViolationRecorder; observe?: AnswerObserver; now?: () => Date; timeouts?: { headersMs: number; requestMs: number } } = {}): Promise<TestServer> {
  const logs = new LogCapture();
  const logger = createLogger('debug', logs);
  const metrics = createMetrics({ defaultMetrics: false });
  const store = new PolicyStore({ logger, metrics, initial: options.policy });
  const { serving, caFile } = makeSelfSignedPair(join(mkdtempSync(join(tmpdir(), 'cg-test-')), 'ca.crt'));
  const app = createApp({
    policy: () => store.current(),
    observe: options.observe ?? createAnswerObserver({ logger, metrics, events: options.events }),
    now: options.now,
    logger,
    metrics,
  });
  const server = createAdmissionServer(app, { keyPair: serving, timeouts: options.timeouts });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    ca: readFileSync(caFile, 'utf8'),
    logs,
    store,
    metrics,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
