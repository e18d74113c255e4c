// The endpoints of a Service, kept by the test as the endpoint and EndpointSlice controllers keep
// them in a cluster (no controller-manager runs here): each tracked pod's IP with the ports the
// Service targets, ready while the pod's readiness probe says so.
//
// kube-apiserver's --enable-aggregator-routing resolves a webhook's Service through
// k8s.io/apiserver's proxy.ResolveEndpoint: v1.30 reads the v1 Endpoints (only `addresses`, the
// ready ones); v1.34, v1.35 and v1.37 read the EndpointSlices labelled
// kubernetes.io/service-name (an endpoint whose `ready` is unset or true). Both are written, as
// both controllers write them in a cluster.
import type { V1Service } from '@kubernetes/client-node';
import type { ControlPlane } from './controlPlane.ts';
import type { SimulatedPod } from './pod.ts';

const MANAGED_BY = 'e2e.cordon-guard.io';

export interface ServiceEndpoints {
  /** Tracks the pod: its endpoint follows its readiness from now on. */
  add(pod: SimulatedPod): void;
  /** Removes the pod's endpoint, as when the pod is deleted. */
  remove(pod: SimulatedPod): void;
  /** The IPs the Service's endpoints name as ready, as last written. */
  readyIps(): string[];
}

export function serviceEndpoints(cp: ControlPlane, namespace: string, name: string): ServiceEndpoints {
  const service = JSON.parse(cp.kubectlOk(['get', 'service', name, '-n', namespace, '-o', 'json'])) as V1Service;
  const servicePorts = service.spec?.ports ?? [];
  const pods = new Map<SimulatedPod, () => void>();
  let written: string[] = [];
  let failed: Error | undefined;

  const targetPort = (pod: SimulatedPod, target: number | string | undefined, port: number): number => {
    if (target === undefined) return port;
    if (typeof target === 'number') return target;
    const named = pod.containerPorts[target];
    if (named === undefined) throw new Error(`Service ${namespace}/${name} targets port ${target}, which pod ${pod.name} does not name`);
    return named;
  };

  const write = () => {
    const all = [...pods.keys()];
    // One pod template: every pod has the same container ports, as the controllers assume per subset.
    const ports = all.length === 0 ? [] : servicePorts.map((p) => ({ name: p.name ?? '', port: targetPort(all[0] as SimulatedPod, p.targetPort, p.port), protocol: p.protocol ?? 'TCP' }));
    const ready = all.filter((p) => p.ready);
    const notReady = all.filter((p) => !p.ready);
    const targetRef = (pod: SimulatedPod) => ({ kind: 'Pod', namespace, name: pod.name, uid: pod.uid });
    const items = [
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${name}-simulated`, namespace, labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': MANAGED_BY } },
        addressType: 'IPv4',
        ports,
        endpoints: all.map((pod) => ({ addresses: [pod.ip], conditions: { ready: pod.ready, serving: pod.ready, terminating: false }, targetRef: targetRef(pod) })),
      },
      {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name, namespace },
        subsets:
          all.length === 0
            ? []
            : [
                {
                  ...(ready.length > 0 ? { addresses: ready.map((pod) => ({ ip: pod.ip, targetRef: targetRef(pod) })) } : {}),
                  ...(notReady.length > 0 ? { notReadyAddresses: notReady.map((pod) => ({ ip: pod.ip, targetRef: targetRef(pod) })) } : {}),
                  ports,
                },
              ],
      },
    ];
    cp.kubectlOk(['apply', '--server-side', '--force-conflicts', '--field-manager', MANAGED_BY, '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
    written = ready.map((pod) => pod.ip);
  };

  return {
    add(pod) {
      if (pods.has(pod)) return;
      // A failed write on a probe's change is kept for the test to see (readyIps throws it).
      const onReadiness = () => {
        try {
          write();
        } catch (err) {
          failed ??= err as Error;
        }
      };
      pod.events.on('readiness', onReadiness);
      pods.set(pod, () => pod.events.off('readiness', onReadiness));
      write();
    },
    remove(pod) {
      const untrack = pods.get(pod);
      if (untrack === undefined) return;
      untrack();
      pods.delete(pod);
      write();
    },
    readyIps() {
      if (failed !== undefined) throw failed;
      return [...written];
    },
  };
}
