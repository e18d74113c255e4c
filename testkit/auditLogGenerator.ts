// A large, realistic API server audit log for `culprits` (its memory test and bench/culprits.ts):
// a cluster of nodes whose kubelets renew leases and post status, whose controllers get, list
// and PUT nodes at level RequestResponse (whole 50-image Node objects in both bodies), plus pods
// and configmaps; and, planted in it, the story culprits must find, with the answer it must give.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { KubeObject } from '../src/admission/types.ts';
import { makeNode } from './fixtures.ts';

const ADMIN = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
const KUBECTL = 'kubectl/v1.35.4 (linux/amd64) kubernetes/unknown';
const UPGRADER = { username: 'system:serviceaccount:system-upgrade:system-upgrade', groups: ['system:serviceaccounts', 'system:serviceaccounts:system-upgrade', 'system:authenticated'] };
const AUTOSCALER = { username: 'system:serviceaccount:kube-system:cluster-autoscaler', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] };
const NODE_CONTROLLER = { username: 'system:serviceaccount:kube-system:node-controller', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] };

export interface GeneratedAuditLog {
  bytes: number;
  lines: number;
  malformed: number;
  /** What culprits must report: the planted changes as [node, user, verb, value, code] and the suspects. */
  expected: {
    changes: [string, string, string, boolean | null, number][];
    suspects: { user: string; nodes: string[]; uncordons: number; refused: number }[];
  };
}

/** A small deterministic PRNG (mulberry32): the same log every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuid(next: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

interface Entry {
  verb: string;
  uri: string;
  user: { username: string; groups: string[] };
  userAgent: string;
  objectRef: Record<string, unknown>;
  code: number;
  level: 'Metadata' | 'Request' | 'RequestResponse';
  /** Already JSON, so that big bodies are encoded once per node, not once per line. */
  request?: string;
  response?: string;
}

export function writeAuditLog(path: string, targetBytes: number, options: { nodes?: number; seed?: number } = {}): GeneratedAuditLog {
  const next = random(options.seed ?? 7);
  const nodeCount = options.nodes ?? 60;
  const names = Array.from({ length: nodeCount }, (_, i) => `worker-${i}`);
  const cordoned = new Set<string>();
  const body = new Map<string, string>();
  const nodeJson = (name: string): string => {
    const key = `${name}:${cordoned.has(name)}`;
    let json = body.get(key);
    if (json === undefined) {
      json = JSON.stringify(makeNode({ name, ...(cordoned.has(name) ? { cordoned: true } : {}) }) satisfies KubeObject);
      body.set(key, json);
    }
    return json;
  };

  const fd = openSync(path, 'w');
  let buffer: string[] = [];
  let pending = 0;
  let bytes = 0;
  let lines = 0;
  let now = Date.parse('2026-11-28T06:00:00Z');
  const flush = () => {
    if (buffer.length === 0) return;
    writeSync(fd, buffer.join(''));
    buffer = [];
    pending = 0;
  };
  const raw = (line: string) => {
    buffer.push(`${line}\n`);
    const size = Buffer.byteLength(line) + 1;
    bytes += size;
    pending += size;
    lines += 1;
    if (pending > 1 << 20) flush();
  };
  const emit = (e: Entry) => {
    now += Math.floor(next() * 40);
    const received = microTime(now);
    const stage = microTime(now + 1 + Math.floor(next() * 20));
    const head = JSON.stringify({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: e.level,
      auditID: uuid(next),
      stage: 'ResponseComplete',
      requestURI: e.uri,
      verb: e.verb,
      user: { username: e.user.username, uid: uuid(next), groups: e.user.groups },
      sourceIPs: [`10.0.${Math.floor(next() * 4)}.${10 + Math.floor(next() * 200)}`],
      userAgent: e.userAgent,
      objectRef: e.objectRef,
      responseStatus: e.code < 300 ? { metadata: {}, code: e.code } : { metadata: {}, status: 'Failure', message: 'admission webhook "uncordon.cordon-guard.io" denied the request: cordon-guard denied uncordon', reason: 'Forbidden', code: e.code },
    }).slice(0, -1);
    const bodies = `${e.request === undefined ? '' : `,"requestObject":${e.request}`}${e.response === undefined ? '' : `,"responseObject":${e.response}`}`;
    raw(`${head}${bodies},"requestReceivedTimestamp":"${received}","stageTimestamp":"${stage}","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding"}}`);
  };
  const nodeRef = (name: string, subresource?: string) => ({ resource: 'nodes', name, apiVersion: 'v1', ...(subresource === undefined ? {} : { subresource }) });
  const patch = (name: string, user: Entry['user'], value: boolean | null, code: number) =>
    emit({ verb: 'patch', uri: `/api/v1/nodes/${name}`, user, userAgent: KUBECTL, objectRef: nodeRef(name), code, level: 'Request', request: JSON.stringify({ spec: { unschedulable: value } }) });

  // The planted story. worker-1 and worker-2: the admin cordons them; the upgrade controller
  // uncordons worker-1 (and, later, tries again on worker-2, refused). The autoscaler cordons
  // and uncordons worker-3 itself (no suspect), and a PUT of its is refused on worker-2.
  const story: (() => void)[] = [
    () => { patch('worker-1', ADMIN, true, 200); cordoned.add('worker-1'); },
    () => { patch('worker-2', ADMIN, true, 200); cordoned.add('worker-2'); },
    () => { patch('worker-3', AUTOSCALER, true, 200); cordoned.add('worker-3'); },
    () => { patch('worker-1', UPGRADER, null, 200); cordoned.delete('worker-1'); },
    () => { patch('worker-3', AUTOSCALER, null, 200); cordoned.delete('worker-3'); },
    () => patch('worker-2', UPGRADER, null, 403),
    () => {
      const json = JSON.parse(nodeJson('worker-2')) as { spec: Record<string, unknown> };
      delete json.spec.unschedulable;
      emit({ verb: 'update', uri: '/api/v1/nodes/worker-2', user: AUTOSCALER, userAgent: 'cluster-autoscaler/v1.31.0', objectRef: nodeRef('worker-2'), code: 403, level: 'RequestResponse', request: JSON.stringify(json) });
    },
  ];
  const expected: GeneratedAuditLog['expected'] = {
    changes: [
      ['worker-1', ADMIN.username, 'patch', true, 200],
      ['worker-2', ADMIN.username, 'patch', true, 200],
      ['worker-3', AUTOSCALER.username, 'patch', true, 200],
      ['worker-1', UPGRADER.username, 'patch', null, 200],
      ['worker-3', AUTOSCALER.username, 'patch', null, 200],
      ['worker-2', UPGRADER.username, 'patch', null, 403],
      ['worker-2', AUTOSCALER.username, 'update', false, 403],
    ],
    suspects: [
      { user: UPGRADER.username, nodes: ['worker-1', 'worker-2'], uncordons: 1, refused: 1 },
      { user: AUTOSCALER.username, nodes: ['worker-2'], uncordons: 0, refused: 1 },
    ],
  };

  // Every node is created first, so the log knows each one's state.
  for (const name of names) emit({ verb: 'create', uri: '/api/v1/nodes', user: { username: `system:node:${name}`, groups: ['system:nodes', 'system:authenticated'] }, userAgent: 'kubelet/v1.34.2 (linux/amd64) kubernetes/5864a46', objectRef: nodeRef(name), code: 201, level: 'RequestResponse', request: nodeJson(name), response: nodeJson(name) });
  const storyEvery = Math.max(1, Math.floor(targetBytes / (story.length + 1) / 3_300));
  let step = 0;
  let malformed = 0;
  while (bytes < targetBytes || step < story.length * storyEvery) {
    const name = names[Math.floor(next() * names.length)] ?? 'worker-0';
    const kubelet = { username: `system:node:${name}`, groups: ['system:nodes', 'system:authenticated'] };
    const roll = next();
    if (roll < 0.45) {
      emit({ verb: 'update', uri: `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}?timeout=10s`, user: kubelet, userAgent: 'kubelet/v1.34.2', objectRef: { resource: 'leases', namespace: 'kube-node-lease', name, apiGroup: 'coordination.k8s.io', apiVersion: 'v1' }, code: 200, level: 'Metadata' });
    } else if (roll < 0.51) {
      emit({ verb: 'patch', uri: `/api/v1/nodes/${name}/status?timeout=10s`, user: kubelet, userAgent: 'kubelet/v1.34.2', objectRef: nodeRef(name, 'status'), code: 200, level: 'RequestResponse', request: '{"status":{"$setElementOrder/conditions":[{"type":"Ready"}],"conditions":[{"lastHeartbeatTime":"2026-11-28T06:00:10Z","type":"Ready"}]}}', response: nodeJson(name) });
    } else if (roll < 0.56) {
      emit({ verb: 'get', uri: `/api/v1/nodes/${name}`, user: NODE_CONTROLLER, userAgent: 'kube-controller-manager/v1.34.2', objectRef: nodeRef(name), code: 200, level: 'RequestResponse', response: nodeJson(name) });
    } else if (roll < 0.59) {
      // The autoscaler rewrites the node (a taint, a label) and leaves unschedulable as it is.
      emit({ verb: 'update', uri: `/api/v1/nodes/${name}`, user: AUTOSCALER, userAgent: 'cluster-autoscaler/v1.31.0', objectRef: nodeRef(name), code: 200, level: 'RequestResponse', request: nodeJson(name), response: nodeJson(name) });
    } else if (roll < 0.6) {
      emit({ verb: 'patch', uri: `/api/v1/nodes/${name}`, user: kubelet, userAgent: 'kubelet/v1.34.2', objectRef: nodeRef(name), code: 200, level: 'Request', request: '{"metadata":{"annotations":{"volumes.kubernetes.io/controller-managed-attach-detach":"true"}}}' });
    } else if (roll < 0.602) {
      const items = names.slice(0, 8).map(nodeJson).join(',');
      emit({ verb: 'list', uri: '/api/v1/nodes?limit=500', user: AUTOSCALER, userAgent: 'cluster-autoscaler/v1.31.0', objectRef: { resource: 'nodes', apiVersion: 'v1' }, code: 200, level: 'RequestResponse', response: `{"kind":"NodeList","apiVersion":"v1","metadata":{"resourceVersion":"48213377"},"items":[${items}]}` });
    } else if (roll < 0.9) {
      const pod = `web-${Math.floor(next() * 1e6).toString(36)}`;
      emit({ verb: 'get', uri: `/api/v1/namespaces/shop/pods/${pod}`, user: kubelet, userAgent: 'kubelet/v1.34.2', objectRef: { resource: 'pods', namespace: 'shop', name: pod, apiVersion: 'v1' }, code: 200, level: 'Metadata' });
    } else {
      emit({ verb: 'watch', uri: '/api/v1/configmaps?allowWatchBookmarks=true&watch=true', user: NODE_CONTROLLER, userAgent: 'kube-controller-manager/v1.34.2', objectRef: { resource: 'configmaps', apiVersion: 'v1' }, code: 200, level: 'Metadata' });
    }
    step += 1;
    if (step % storyEvery === 0) story[step / storyEvery - 1]?.();
    // Now and then a line cut short, as a log copied while being written ends.
    if (step % 1_999 === 0) {
      raw('{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"');
      malformed += 1;
    }
  }
  flush();
  closeSync(fd);
  return { bytes, lines, malformed, expected };
}
