// The leader election's Lease through client-node (coordination.k8s.io/v1). An update carries
// the resourceVersion it replaces, so a concurrent writer makes it fail with 409.
import { ApiException, CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { LeaseClient, LeaseRecord, LeaseState } from './leaderElection.ts';

/** The one Lease of cordon-guard's replicas, in its namespace (manifests/base/rbac-nodes.yaml). */
export const LEADER_LEASE_NAME = 'cordon-guard-leader';

/** client-node types MicroTime as a Date, but hands on the wire's string: read both. */
function timeOf(value: unknown): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

function stateOf(lease: V1Lease): LeaseState {
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

export function leaseClient(kubeConfig: KubeConfig, namespace: string, name = LEADER_LEASE_NAME): LeaseClient {
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  const body = (record: LeaseRecord, resourceVersion?: string): V1Lease => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion === undefined ? {} : { resourceVersion }) },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      acquireTime: new V1MicroTime(record.acquireTime),
      renewTime: new V1MicroTime(record.renewTime),
      leaseTransitions: record.leaseTransitions,
    },
  });
  return {
    async get() {
      try {
        return stateOf(await api.readNamespacedLease({ name, namespace }));
      } catch (err) {
        if (err instanceof ApiException && err.code === 404) return undefined;
        throw err;
      }
    },
    async create(record) {
      return stateOf(await api.createNamespacedLease({ namespace, body: body(record) }));
    },
    async update(record, resourceVersion) {
      return stateOf(await api.replaceNamespacedLease({ name, namespace, body: body(record, resourceVersion) }));
    },
  };
}
