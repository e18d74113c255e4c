// Everything that talks to the API server, loaded only when serve needs it: importing
// @kubernetes/client-node is most of the start-up time of a process that needs none of it.
import type { ServeOptions } from '../cli/args.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { ConfigMapPolicySource } from '../sources/configMapSource.ts';
import type { PolicySource } from '../sources/policySource.ts';
import type { PolicyStore } from '../sources/store.ts';
import { EventRecorder } from './eventRecorder.ts';
import { ConfigMapWatch, configMapClient } from './configMapWatch.ts';
import { eventsClient } from './eventsClient.ts';
import { loadKubeConfig } from './kubeConfig.ts';

export interface ClusterParts {
  events: EventRecorder | undefined;
  source: PolicySource | undefined;
}

export function connectCluster(
  options: Pick<ServeOptions, 'policy' | 'kubeconfig'>,
  wantsEvents: boolean,
  deps: { store: PolicyStore; logger: Logger; metrics: Metrics },
): ClusterParts {
  const kubeConfig = loadKubeConfig(options.kubeconfig);
  const events = wantsEvents ? new EventRecorder({ client: eventsClient(kubeConfig), logger: deps.logger, metrics: deps.metrics }) : undefined;
  const { policy } = options;
  const source =
    policy.kind === 'configmap'
      ? new ConfigMapPolicySource({
          feed: new ConfigMapWatch({ client: configMapClient(kubeConfig), namespace: policy.namespace, name: policy.name, logger: deps.logger }),
          namespace: policy.namespace,
          name: policy.name,
          store: deps.store,
          events,
        })
      : undefined;
  return { events, source };
}
