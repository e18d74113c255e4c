// Realistic Node objects and AdmissionReviews for tests, examples and benchmarks. The shapes
// follow what a kubelet on a cloud VM reports (kubelet default: 50 images in status).
import type { KubeObject } from '../src/admission/types.ts';

export interface NodeShape {
  name?: string;
  cordoned?: boolean | null;
  annotations?: Record<string, string> | null;
  labels?: Record<string, string>;
  images?: number;
}

function image(i: number): { names: string[]; sizeBytes: number } {
  const repo = `registry.example.com/team-${i % 7}/service-${i}`;
  const digest = (i * 2654435761).toString(16).padStart(8, '0').repeat(8);
  return { names: [`${repo}@sha256:${digest}`, `${repo}:v1.${i}.0`], sizeBytes: 10_000_000 + i * 131_071 };
}

export function makeNode(shape: NodeShape = {}): KubeObject {
  const name = shape.name ?? 'worker-3';
  const annotations = shape.annotations === null ? undefined : {
    'node.alpha.kubernetes.io/ttl': '0',
    'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
    'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///run/containerd/containerd.sock',
    ...shape.annotations,
  };
  const spec: Record<string, unknown> = {
    podCIDR: '10.244.3.0/24',
    podCIDRs: ['10.244.3.0/24'],
    providerID: `aws:///eu-west-1b/i-0${name.length}f3c9a1b2d4e6f8`,
  };
  if (shape.cordoned !== undefined) spec.unschedulable = shape.cordoned;
  if (shape.cordoned === true) {
    spec.taints = [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: '2026-11-27T08:14:02Z' }];
  }
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: '6f1c2a7e-3b0d-4e59-9c1e-2b8f0a7d4c11',
      resourceVersion: '48213377',
      creationTimestamp: '2026-09-02T11:20:45Z',
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': 'm6i.2xlarge',
        'topology.kubernetes.io/region': 'eu-west-1',
        'topology.kubernetes.io/zone': 'eu-west-1b',
        ...shape.labels,
      },
      ...(annotations === undefined ? {} : { annotations }),
      managedFields: [
        {
          manager: 'kubelet',
          operation: 'Update',
          apiVersion: 'v1',
          time: '2026-11-27T08:10:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:kubernetes.io/hostname': {} } } },
        },
      ],
    },
    spec,
    status: {
      capacity: { cpu: '8', 'ephemeral-storage': '104845292Ki', memory: '32386216Ki', pods: '110' },
      allocatable: { cpu: '7910m', 'ephemeral-storage': '95551679124', memory: '31369384Ki', pods: '110' },
      conditions: ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => ({
        type,
        status: type === 'Ready' ? 'True' : 'False',
        lastHeartbeatTime: '2026-11-27T08:13:55Z',
        lastTransitionTime: '2026-09-02T11:21:30Z',
        reason: type === 'Ready' ? 'KubeletReady' : `KubeletHasNo${type}`,
        message: type === 'Ready' ? 'kubelet is posting ready status' : `kubelet has no ${type}`,
      })),
      addresses: [
        { type: 'InternalIP', address: '10.0.3.17' },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: 'ec2b9d1f0c6a4e7b8d3f2a1c0b9e8d7f',
        systemUUID: 'ec2b9d1f-0c6a-4e7b-8d3f-2a1c0b9e8d7f',
        bootID: '0d8e1f6a-2b3c-4d5e-8f9a-1b2c3d4e5f60',
        kernelVersion: '6.8.0-1019-aws',
        osImage: 'Ubuntu 24.04.1 LTS',
        containerRuntimeVersion: 'containerd://1.7.22',
        kubeletVersion: 'v1.34.2',
        kubeProxyVersion: 'v1.34.2',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      images: Array.from({ length: shape.images ?? 50 }, (_, i) => image(i)),
    },
  };
}

export interface ReviewShape {
  uid?: string;
  apiVersion?: string;
  username?: string;
  groups?: string[];
  operation?: string;
  subResource?: string;
  dryRun?: boolean;
  kind?: { group: string; version: string; kind: string };
  oldObject?: KubeObject | null;
  object?: KubeObject | null;
}

export function makeReview(shape: ReviewShape = {}): Record<string, unknown> {
  const object = shape.object === undefined ? makeNode() : shape.object;
  const name = (object?.metadata as { name?: string } | undefined)?.name ?? 'worker-3';
  const request: Record<string, unknown> = {
    uid: shape.uid ?? '705ab4f5-6393-11e8-b7cc-42010a800002',
    kind: shape.kind ?? { group: '', version: 'v1', kind: 'Node' },
    resource: { group: '', version: 'v1', resource: 'nodes' },
    requestKind: shape.kind ?? { group: '', version: 'v1', kind: 'Node' },
    requestResource: { group: '', version: 'v1', resource: 'nodes' },
    name,
    operation: shape.operation ?? 'UPDATE',
    userInfo: {
      username: shape.username ?? 'system:serviceaccount:system-upgrade:system-upgrade',
      uid: 'b1f7e0c4-1d2e-4f3a-9b8c-7d6e5f4a3b2c',
      groups: shape.groups ?? ['system:serviceaccounts', 'system:serviceaccounts:system-upgrade', 'system:authenticated'],
    },
    object,
    oldObject: shape.oldObject === undefined ? makeNode() : shape.oldObject,
    dryRun: shape.dryRun ?? false,
    options: { apiVersion: 'meta.k8s.io/v1', kind: 'UpdateOptions' },
  };
  if (shape.subResource !== undefined) request.subResource = shape.subResource;
  return { apiVersion: shape.apiVersion ?? 'admission.k8s.io/v1', kind: 'AdmissionReview', request };
}

export const MAINTENANCE = { 'cordon-guard.io/maintenance': 'kernel 6.8 upgrade, OPS-4411' };
