// The leader election's Lease (coordination.k8s.io/v1) over serve's REST client. An update
// carries the resourceVersion it replaces, so a concurrent writer makes it fail with 409.
import { microTime } from './eventRecorder.ts';
import type { LeaseClient, LeaseRecord, LeaseState } from './leaderElection.ts';
import { expectOk, type KubeRest } from './rest.ts';

/** The one Lease of cordon-guard's replicas, in its namespace (manifests/base/rbac-nodes.yaml). */
export const LEADER_LEASE_NAME = 'cordon-guard-leader';

interface LeaseJson {
  metadata?: { resourceVersion?: string };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

function timeOf(value: unknown): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

function stateOf(body: unknown): LeaseState {
  const lease = (body ?? {}) as LeaseJson;
  const spec = lease.spec ?? {};
  return {
    record: {
      holderIdentity: spec.holderIdentity ?? '',
      leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
      acquireTime: timeOf(spec.acquireTime),
      renewTime: timeOf(spec.renewTime),
      leaseTransitions: spec.leaseTransitions ?? 0,
    },
    resourceVersion: lease.metadata?.resourceVersion ?? '',
  };
}

export function leaseClient(rest: KubeRest, namespace: string, name = LEADER_LEASE_NAME): LeaseClient {
  const collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  const path = `${collection}/${encodeURIComponent(name)}`;
  const what = `Lease ${namespace}/${name}`;
  const body = (record: LeaseRecord, resourceVersion?: string): Record<string, unknown> => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion === undefined ? {} : { resourceVersion }) },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      acquireTime: microTime(new Date(record.acquireTime)),
      renewTime: microTime(new Date(record.renewTime)),
      leaseTransitions: record.leaseTransitions,
    },
  });
  return {
    async get() {
      const response = await rest.request('GET', path);
      if (response.status === 404) return undefined;
      return stateOf(expectOk(`reading ${what}`, response));
    },
    async create(record) {
      return stateOf(expectOk(`creating ${what}`, await rest.request('POST', collection, body(record))));
    },
    async update(record, resourceVersion) {
      return stateOf(expectOk(`updating ${what}`, await rest.request('PUT', path, body(record, resourceVersion))));
    },
  };
}
