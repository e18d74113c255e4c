// The real EventsClient: events.k8s.io/v1 over serve's REST client.
import { microTime, type EventsClient } from './eventRecorder.ts';
import { expectOk, type KubeRest } from './rest.ts';

const eventsPath = (namespace: string): string => `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/events`;

export function eventsClient(rest: KubeRest): EventsClient {
  return {
    async create(namespace, event) {
      const created = expectOk('creating an Event', await rest.request('POST', eventsPath(namespace), event)) as { metadata?: { name?: unknown } } | undefined;
      return typeof created?.metadata?.name === 'string' ? created.metadata.name : '';
    },
    async updateSeries(namespace, name, series) {
      // JSON Patch `add` replaces /series when it is already there.
      const patch = [{ op: 'add', path: '/series', value: { count: series.count, lastObservedTime: microTime(series.lastObservedTime) } }];
      expectOk(`updating Event ${namespace}/${name}`, await rest.request('PATCH', `${eventsPath(namespace)}/${encodeURIComponent(name)}`, patch, 'application/json-patch+json'));
    },
  };
}
