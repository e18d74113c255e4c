// The webhook, wired in one place: the admission app and its HTTPS server, the ops server and
// readiness, from parts made by the caller (serve, or a test): logger, metrics, policy store and
// source, certificate sources, the observer. Nothing is bound after the fact.
import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { PolicySource } from '../sources/policySource.ts';
import type { PolicyStore } from '../sources/store.ts';
import type { ClientCaSource, ServingCertificateSource } from '../tls/certificateSource.ts';
import type { AnswerObserver } from './admissionObserver.ts';
import { createAdmissionServer, type AdmissionServerOptions } from './admissionServer.ts';
import { createApp } from './app.ts';
import { createOpsServer } from './opsServer.ts';
import { Readiness } from './readiness.ts';

/** How long in-flight requests get after the drain before connections are cut. */
const IN_FLIGHT_GRACE_MS = 10_000;

export interface WebhookParts {
  logger: Logger;
  metrics: Metrics;
  store: PolicyStore;
  /** Where the policy comes from; none: the store's policy stays in force. */
  policySource?: PolicySource | undefined;
  certificate: ServingCertificateSource;
  clientCa?: ClientCaSource | undefined;
  observe: AnswerObserver;
  /** The clock for cordon stamps. */
  now?: () => Date;
  /** Overrides of the connection limits, for tests of slow or many clients. */
  limits?: Pick<AdmissionServerOptions, 'timeouts' | 'maxConnections' | 'maxHandshakes'>;
  /** More that readiness requires: each says why it does not hold yet, or undefined. */
  readyWhen?: Array<() => string | undefined>;
  /**
   * What runs beside the webhook and follows the policy (the webhook configurations' sync, the
   * node watch): started once the first policy is in force, so that none acts on the defaults
   * of a policy not read yet; stopped at shutdown.
   */
  companions?: Array<{ start(): void | Promise<void>; stop(): Promise<void> }>;
}

interface ListenAddress {
  /** undefined: every address, `::` dual-stack where the host has IPv6, else 0.0.0.0. */
  host: string | undefined;
  port: number;
  metricsPort: number;
}

export interface Webhook {
  readonly admission: HttpsServer;
  readonly ops: HttpServer;
  readonly readiness: Readiness;
  /** Listens, starts watching the certificates, loads the policy: ready once it resolves. */
  start(address: ListenAddress): Promise<{ admission: AddressInfo; ops: AddressInfo }>;
  /**
   * Not ready at once; keeps answering for `drainMs` while endpoints update (answers then carry
   * `Connection: close`); then stops taking connections, gives in-flight requests `graceMs`, and
   * stops the sources and the ops server.
   */
  shutdown(timing: { drainMs: number; graceMs?: number }): Promise<void>;
}

async function listen(server: Server, port: number, host: string | undefined): Promise<AddressInfo> {
  if (host === undefined) server.listen(port);
  else server.listen(port, host);
  await once(server, 'listening');
  return server.address() as AddressInfo;
}

/** `https://[::]:9443` */
function url(scheme: string, address: AddressInfo): string {
  return `${scheme}://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

export function createWebhook(parts: WebhookParts): Webhook {
  const { logger, metrics, store, policySource, certificate, clientCa } = parts;
  const readiness = new Readiness();
  for (const condition of parts.readyWhen ?? []) readiness.require(condition);
  const companions = parts.companions ?? [];
  const app = createApp({ policy: () => store.current(), observe: parts.observe, now: parts.now, logger, metrics, isDraining: () => readiness.isDraining });
  const admission = createAdmissionServer(app, { certificate, clientCa, ...parts.limits });
  metrics.recordServingCertificate(certificate.current().certPem);
  certificate.onChange((pair) => metrics.recordServingCertificate(pair.certPem));
  const ops = createOpsServer({ metrics, readiness });

  return {
    admission,
    ops,
    readiness,
    async start(address) {
      const opsAddress = await listen(ops, address.metricsPort, address.host);
      logger.info({ address: opsAddress.address, port: opsAddress.port }, `health and metrics on ${url('http', opsAddress)} (/healthz /readyz /metrics)`);
      const admissionAddress = await listen(admission, address.port, address.host);
      certificate.start();
      clientCa?.start();
      readiness.listening();
      logger.info(
        { address: admissionAddress.address, port: admissionAddress.port, clientCa: clientCa !== undefined },
        `admission webhook on ${url('https', admissionAddress)} (/validate /mutate)`,
      );
      await policySource?.start();
      await Promise.all(companions.map(async (companion) => companion.start()));
      readiness.policyLoaded();
      logger.info({ policy: store.current().origin, generation: store.generation }, 'ready');
      return { admission: admissionAddress, ops: opsAddress };
    },
    async shutdown({ drainMs, graceMs = IN_FLIGHT_GRACE_MS }) {
      readiness.draining();
      if (drainMs > 0) await new Promise((r) => setTimeout(r, drainMs));
      const closed = new Promise((r) => admission.close(r));
      admission.closeIdleConnections();
      const force = setTimeout(() => admission.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(force);
      await Promise.all([certificate.stop(), clientCa?.stop(), policySource?.stop(), ...companions.map((companion) => companion.stop())]);
      await new Promise((r) => ops.close(r));
    },
  };
}
