// The real EventsClient: events.k8s.io/v1 through @kubernetes/client-node.
import { EventsV1Api, type EventsV1Event, type KubeConfig } from '@kubernetes/client-node';
import { microTime, type EventsClient } from './eventRecorder.ts';

export function eventsClient(config: KubeConfig): EventsClient {
  const api = config.makeApiClient(EventsV1Api);
  return {
    async create(namespace, event) {
      const created = await api.createNamespacedEvent({ namespace, body: event as unknown as EventsV1Event });
      return created.metadata?.name ?? '';
    },
    async updateSeries(namespace, name, series) {
      // JSON Patch `add` replaces /series when it is already there.
      await api.patchNamespacedEvent({
        namespace,
        name,
        body: [{ op: 'add', path: '/series', value: { count: series.count, lastObservedTime: microTime(series.lastObservedTime) } }],
      });
    },
  };
}
