// `cordon-guard serve`: makes the parts from the options, wires them (src/server/webhook.ts),
// listens, and shuts down gracefully on SIGTERM.
import type { ServeOptions } from '../cli/args.ts';
import { UnreadableFileError } from '../cli/exitCodes.ts';
import type { ClusterParts } from '../kube/cluster.ts';
import type { EventRecorder } from '../kube/eventRecorder.ts';
import { createLogger, exitOnUncaughtException, logFatal, type Logger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { createAnswerObserver } from '../server/admissionObserver.ts';
import { createWebhook, type Webhook } from '../server/webhook.ts';
import { FilePolicySource } from '../sources/fileSource.ts';
import type { PolicySource } from '../sources/policySource.ts';
import { PolicyStore } from '../sources/store.ts';
import { FixedSource, type ClientCaSource, type ServingCertificateSource } from '../tls/certificateSource.ts';
import { ClientCaWatcher } from '../tls/clientCaWatcher.ts';
import { KeyPairWatcher } from '../tls/keyPairWatcher.ts';
import { errorMessage } from '../text/errors.ts';

/** How long the recorder gets to send the Events still queued at shutdown. */
const EVENTS_FLUSH_MS = 2000;

/** A file that cannot be read at start is its own exit code (6); a file read but unusable is not. */
function readingFiles<T>(flags: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && ['ENOENT', 'EACCES', 'EISDIR', 'EPERM', 'ENOTDIR'].includes(code)) {
      throw new UnreadableFileError(`cannot read ${flags}: ${errorMessage(err)}`, { cause: err });
    }
    throw new Error(`${flags}: ${errorMessage(err)}`, { cause: err });
  }
}

async function servingCertificate(options: ServeOptions, logger: Logger, cluster: ClusterParts | undefined): Promise<ServingCertificateSource> {
  if (options.tls.kind === 'secret') {
    if (cluster?.certificate === undefined) throw new Error('--tls-secret needs the API server, and no cluster connection was made');
    return cluster.certificate;
  }
  if (options.tls.kind === 'self-signed') {
    // node-forge is only needed here.
    const { makeSelfSignedPair } = await import('../tls/selfSigned.ts');
    const { serving, caFile } = makeSelfSignedPair(options.tls.caFile);
    logger.info({ caFile }, `self-signed certificate for localhost, 127.0.0.1 and ::1; its CA is in ${caFile} (curl --cacert ${caFile})`);
    return new FixedSource(serving);
  }
  const { certPath, keyPath } = options.tls;
  return readingFiles('--tls-cert/--tls-key', () => new KeyPairWatcher({ certPath, keyPath, logger }));
}

function clientCa(options: ServeOptions, logger: Logger): ClientCaSource | undefined {
  const path = options.clientCaPath;
  return path === undefined ? undefined : readingFiles('--client-ca', () => new ClientCaWatcher({ path, logger }));
}

/** The parts from the options, wired; and the Event recorder, flushed at shutdown. */
async function build(options: ServeOptions, logger: Logger): Promise<{ webhook: Webhook; events: EventRecorder | undefined }> {
  const metrics = createMetrics();
  const store = new PolicyStore({ logger, metrics });
  // The API server is needed for a ConfigMap policy, for Events and for --tls-secret; a local run needs none.
  const wantsEvents = options.events ?? options.policy.kind === 'configmap';
  const cluster: ClusterParts | undefined =
    options.policy.kind === 'configmap' || wantsEvents || options.tls.kind === 'secret'
      ? await (await import('../kube/cluster.ts')).connectCluster(options, wantsEvents, { store, logger, metrics })
      : undefined;
  const events = cluster?.events;
  if (events === undefined) logger.info('Kubernetes Events are off (no --policy-configmap or --events)');
  const policy = options.policy;
  const policySource: PolicySource | undefined = policy.kind === 'file' ? new FilePolicySource({ path: policy.path, store, logger }) : cluster?.source;
  if (policySource === undefined) logger.warn('no --policy-file or --policy-configmap: the defaults are in force');

  const webhook = createWebhook({
    logger,
    metrics,
    store,
    policySource,
    certificate: await servingCertificate(options, logger, cluster),
    clientCa: clientCa(options, logger),
    observe: createAnswerObserver({ logger, metrics, events }),
    companions: cluster?.companions,
    readyWhen: cluster?.readyWhen,
  });
  return { webhook, events };
}

export async function runServe(options: ServeOptions): Promise<void> {
  const logger = createLogger(options.logLevel);
  exitOnUncaughtException(logger);
  // Last line of defence: a bug on some async path is logged, and the webhook keeps answering.
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection; still serving'));

  let built: Awaited<ReturnType<typeof build>>;
  try {
    built = await build(options, logger);
    await built.webhook.start({ host: options.host, port: options.port, metricsPort: options.metricsPort });
  } catch (err) {
    await logFatal(logger, err, `cannot start: ${errorMessage(err)}`);
    throw err;
  }
  const { webhook, events } = built;

  const shutdown = async (signal: string): Promise<void> => {
    logger.info({ signal, drainSeconds: options.drainSeconds }, `${signal}: not ready; serving for ${options.drainSeconds}s while endpoints update`);
    await webhook.shutdown({ drainMs: options.drainSeconds * 1000 });
    await Promise.race([events?.flush(), new Promise((r) => setTimeout(r, EVENTS_FLUSH_MS).unref())]);
    logger.info('shut down cleanly');
    logger.flush();
  };
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        const draining = webhook.readiness.isDraining;
        // A second Ctrl-C is an impatient human; a repeated SIGTERM must not cut the drain short.
        if (draining && signal === 'SIGINT') process.exit(130);
        if (draining) return logger.info({ signal }, `${signal} again: already draining`);
        void shutdown(signal).then(resolve);
      });
    }
  });
}
