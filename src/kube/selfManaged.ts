// What serve keeps in the cluster itself: the certificate Secrets (--tls-secret) and its own two
// webhook configurations (caBundle, and matchConditions that follow the policy's
// maintenanceAnnotation). Loaded only when serve talks to the API server.
import type { ServeOptions } from '../cli/args.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { PolicyStore } from '../sources/store.ts';
import { SecretCertificateSource, caSecretName } from '../tls/secretSource.ts';
import { certificateSecrets } from './certificateSecrets.ts';
import type { EventRecorder } from './eventRecorder.ts';
import type { KubeClient, KubeRest } from './rest.ts';
import { SecretWatch, secretClient } from './secretWatch.ts';
import { WebhookConfigurationSync } from './webhookConfigurations.ts';

type SecretTls = Extract<ServeOptions['tls'], { kind: 'secret' }>;

export function secretCertificateSource(rest: KubeRest, tls: SecretTls, deps: { logger: Logger; metrics: Metrics }): SecretCertificateSource {
  const { namespace, name, service } = tls;
  return new SecretCertificateSource({ store: certificateSecrets(rest, namespace), namespace, name, service, logger: deps.logger, metrics: deps.metrics });
}

/** Watches of the serving and the CA Secret: a change to either is checked at once, not at the next periodic check. */
export function secretWatches(rest: KubeClient, tls: SecretTls, certificate: SecretCertificateSource, logger: Logger): { start(): Promise<void>; stop(): Promise<void> } {
  const client = secretClient(rest);
  const onChange = (): void => void certificate.check();
  const watches = [tls.name, caSecretName(tls.name)].map((name) => new SecretWatch({ client, namespace: tls.namespace, name, logger, onChange }));
  return {
    start: async () => {
      await Promise.all(watches.map((w) => w.start()));
    },
    stop: async () => {
      await Promise.all(watches.map((w) => w.stop()));
    },
  };
}

/** Follows the policy in force: a new maintenanceAnnotation is written into the matchConditions within seconds. */
export function webhookConfigurationSync(
  rest: KubeRest,
  name: string,
  deps: { store: PolicyStore; logger: Logger; metrics: Metrics; events: EventRecorder | undefined },
): WebhookConfigurationSync {
  const sync = new WebhookConfigurationSync({
    rest,
    name,
    maintenanceAnnotation: deps.store.current().maintenanceAnnotation,
    logger: deps.logger,
    metrics: deps.metrics,
    events: deps.events,
  });
  deps.store.onChange((policy) => sync.setMaintenanceAnnotation(policy.maintenanceAnnotation));
  return sync;
}
