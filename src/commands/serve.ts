// `cordon-guard serve`: wires the pieces together, listens, and shuts down gracefully.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';
import type { ServeOptions } from '../cli/args.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import type { ClusterParts } from '../kube/cluster.ts';
import { FilePolicySource } from '../sources/fileSource.ts';
import type { PolicySource } from '../sources/policySource.ts';
import { PolicyStore } from '../sources/store.ts';
import { createAnswerObserver } from '../server/admissionObserver.ts';
import { createAdmissionServer, rotateKeyPair } from '../server/admissionServer.ts';
import { createApp } from '../server/app.ts';
import { createOpsServer } from '../server/opsServer.ts';
import { Readiness } from '../server/readiness.ts';
import type { PemKeyPair } from '../tls/certificates.ts';
import { KeyPairWatcher } from '../tls/keyPairWatcher.ts';
import { capYoungGeneration } from '../runtime/youngGeneration.ts';

/** How long in-flight requests get after the drain before connections are cut. */
const IN_FLIGHT_GRACE_MS = 10_000;

async function listen(server: Server, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}

async function servingPair(options: ServeOptions, logger: Logger): Promise<{ pair: PemKeyPair; watcher?: KeyPairWatcher; onRotate: (fn: (p: PemKeyPair) => void) => void }> {
  if (options.tls.kind === 'self-signed') {
    // node-forge is only needed here.
    const { makeSelfSignedPair } = await import('../tls/selfSigned.ts');
    const { serving, caFile } = makeSelfSignedPair(options.tls.caFile);
    logger.info({ caFile }, `self-signed certificate for localhost and 127.0.0.1; its CA is in ${caFile} (curl --cacert ${caFile})`);
    return { pair: serving, onRotate: () => undefined };
  }
  let rotate: (pair: PemKeyPair) => void = () => undefined;
  const watcher = new KeyPairWatcher({
    certPath: options.tls.certPath,
    keyPath: options.tls.keyPath,
    logger,
    onChange: (pair) => rotate(pair),
  });
  return { pair: watcher.current, watcher, onRotate: (fn) => (rotate = fn) };
}

export async function runServe(options: ServeOptions): Promise<void> {
  // Before any load: the memory ceiling must not depend on how the process was started.
  capYoungGeneration();
  const logger = createLogger(options.logLevel);
  // Last line of defence: a bug on some async path is logged, and the webhook keeps answering.
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection; still serving'));
  const metrics = createMetrics();
  const readiness = new Readiness();
  const store = new PolicyStore({ logger, metrics });
  let draining = false;

  const tls = await servingPair(options, logger);
  const clientCaPem = options.clientCaPath === undefined ? undefined : readFileSync(options.clientCaPath, 'utf8');

  // The API server is needed for a ConfigMap policy and for Events; a local run needs neither.
  const wantsEvents = options.events ?? options.policy.kind === 'configmap';
  const cluster: ClusterParts =
    options.policy.kind === 'configmap' || wantsEvents
      ? (await import('../kube/cluster.ts')).connectCluster(options, wantsEvents, { store, logger, metrics })
      : { events: undefined, source: undefined };
  const { events } = cluster;
  if (events === undefined) logger.info('Kubernetes Events are off (no --policy-configmap or --events)');
  const source: PolicySource | undefined =
    options.policy.kind === 'file' ? new FilePolicySource({ path: options.policy.path, store, logger }) : cluster.source;
  if (source === undefined) logger.warn('no --policy-file or --policy-configmap: the defaults are in force');

  const app = createApp({
    policy: () => store.current(),
    observe: createAnswerObserver({ logger, metrics, events }),
    logger,
    metrics,
    isDraining: () => draining,
  });
  const server = createAdmissionServer(app, { keyPair: tls.pair, clientCaPem });
  metrics.recordServingCertificate(tls.pair.certPem);
  tls.onRotate((pair) => {
    rotateKeyPair(server, pair, clientCaPem);
    metrics.recordServingCertificate(pair.certPem);
  });
  tls.watcher?.start();
  const ops = createOpsServer({ metrics, readiness });

  const metricsPort = await listen(ops, options.metricsPort, options.host);
  logger.info({ port: metricsPort }, `health and metrics on http://${options.host}:${metricsPort} (/healthz /readyz /metrics)`);
  const port = await listen(server, options.port, options.host);
  readiness.listening();
  logger.info({ port, clientCa: clientCaPem !== undefined }, `admission webhook on https://${options.host}:${port} (/validate /mutate)`);
  await source?.start();
  readiness.policyLoaded();
  logger.info({ policy: store.current().origin, generation: store.generation }, 'ready');

  const shutdown = async (signal: string): Promise<void> => {
    if (draining) return;
    draining = true;
    readiness.draining();
    logger.info({ signal, drainSeconds: options.drainSeconds }, `${signal}: not ready; serving for ${options.drainSeconds}s while endpoints update`);
    await new Promise((r) => setTimeout(r, options.drainSeconds * 1000));
    const closed = new Promise((r) => server.close(r));
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), IN_FLIGHT_GRACE_MS);
    await closed;
    clearTimeout(force);
    await tls.watcher?.stop();
    await source?.stop();
    await Promise.race([events?.flush(), new Promise((r) => setTimeout(r, 2000).unref())]);
    await new Promise((r) => ops.close(r));
    logger.info('shut down cleanly');
    logger.flush();
  };

  await new Promise<void>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        // A second Ctrl-C is an impatient human; a repeated SIGTERM must not cut the drain short.
        if (draining && signal === 'SIGINT') process.exit(130);
        if (draining) return logger.info({ signal }, `${signal} again: already draining`);
        void shutdown(signal).then(resolve);
      });
    }
  });
}
