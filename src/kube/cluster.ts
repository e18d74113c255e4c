// Everything that talks to the API server, loaded only when serve needs it, over one REST
// client (./rest.ts) and one connection (./apiConnection.ts).
import type { ServeOptions } from '../cli/args.ts';
import { INSTALLED_POLICY_CONFIGMAP } from '../install.ts';
import { createFleetMetrics } from '../observability/fleetMetrics.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { ConfigMapPolicySource } from '../sources/configMapSource.ts';
import type { PolicySource } from '../sources/policySource.ts';
import type { PolicyStore } from '../sources/store.ts';
import type { SecretCertificateSource } from '../tls/secretSource.ts';
import { ConfigMapWatch, configMapClient } from './configMapWatch.ts';
import { EventRecorder } from './eventRecorder.ts';
import { eventsClient } from './eventsClient.ts';
import { startFleet, type Fleet } from './fleet.ts';
import { loadApiConnection } from './apiConnection.ts';
import { kubeRest } from './rest.ts';
import { secretCertificateSource, secretWatches, webhookConfigurationSync } from './selfManaged.ts';

/** What runs beside the webhook once the first policy is in force, and stops with it. */
export interface Companion {
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterParts {
  events: EventRecorder | undefined;
  source: PolicySource | undefined;
  /** With --tls-secret: the serving pair kept in the cluster, loaded before serve builds its server. */
  certificate: SecretCertificateSource | undefined;
  /** The webhook configurations' sync and the node watch. */
  companions: Companion[];
  /** With --tls-secret: ready only once the webhooks' caBundle verifies the certificate served. */
  readyWhen: Array<() => string | undefined>;
}

/** cordon-guard's own namespace: where its policy, its Secrets and its leader Lease live. */
function ownNamespace(options: Pick<ServeOptions, 'policy' | 'tls'>): string {
  if (options.policy.kind === 'configmap') return options.policy.namespace;
  if (options.tls.kind === 'secret') return options.tls.namespace;
  return INSTALLED_POLICY_CONFIGMAP.namespace;
}

export async function connectCluster(
  options: Pick<ServeOptions, 'policy' | 'kubeconfig' | 'tls' | 'webhookConfiguration'>,
  wantsEvents: boolean,
  deps: { store: PolicyStore; logger: Logger; metrics: Metrics },
): Promise<ClusterParts> {
  const { store, logger, metrics } = deps;
  const rest = kubeRest(await loadApiConnection(options.kubeconfig));
  const events = wantsEvents ? new EventRecorder({ client: eventsClient(rest), logger, metrics }) : undefined;
  const { policy, tls } = options;
  const source =
    policy.kind === 'configmap'
      ? new ConfigMapPolicySource({
          feed: new ConfigMapWatch({ client: configMapClient(rest), namespace: policy.namespace, name: policy.name, logger }),
          namespace: policy.namespace,
          name: policy.name,
          store,
          events,
        })
      : undefined;

  const certificate = tls.kind === 'secret' ? secretCertificateSource(rest, tls, { logger, metrics }) : undefined;
  // Without a certificate there is nothing to serve: wait for one (made, or read from the Secret).
  await certificate?.load();
  const companions: Companion[] = [];
  const readyWhen: Array<() => string | undefined> = [];
  // Its own webhook configurations: caBundle with --tls-secret, matchConditions whenever the policy can change its key.
  if (policy.kind === 'configmap' || certificate !== undefined) {
    const webhooks = webhookConfigurationSync(rest, options.webhookConfiguration, { store, logger, metrics, events });
    if (certificate !== undefined) {
      webhooks.setCaBundle(certificate.caBundle());
      certificate.onBundleChange((bundle) => webhooks.setCaBundle(bundle));
      readyWhen.push(() => webhooks.notReadyBecause(certificate.current().certPem));
    }
    companions.push(webhooks);
  }
  // A Secret renewed by another replica, or replaced by an operator, is checked at once.
  if (certificate !== undefined && tls.kind === 'secret') companions.push(secretWatches(rest, tls, certificate, logger));
  const fleetMetrics = createFleetMetrics(metrics.registry);
  let fleet: Fleet | undefined;
  companions.push({
    start: async () => {
      fleet = await startFleet({ rest, namespace: ownNamespace(options), policy: () => store.current(), logger, metrics: fleetMetrics, events });
    },
    // Releases the Lease, so that another replica takes over at once.
    stop: async () => fleet?.stop(),
  });
  return { events, source, certificate, companions, readyWhen };
}
