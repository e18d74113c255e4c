// An envtest-style control plane: a real etcd and kube-apiserver on loopback, in a temporary
// directory, with static tokens for the identities the scenarios play. No kubelet: Nodes are
// plain API objects.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { waitFor } from '../wait.ts';
import { freePort, startLogged, stopProcess } from './process.ts';

const BUILD_SCRIPT = new URL('../../test/e2e/controlplane/build.sh', import.meta.url).pathname;

export const IDENTITIES = {
  admin: { user: 'admin', groups: ['system:masters'] },
  alice: { user: 'alice', groups: [] },
  bob: { user: 'bob', groups: ['sre-oncall'] },
  upgrader: { user: 'system:serviceaccount:system-upgrade:system-upgrade', groups: ['system:serviceaccounts', 'system:serviceaccounts:system-upgrade'] },
  autoscaler: { user: 'system:serviceaccount:kube-system:cluster-autoscaler', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] },
  mallory: { user: 'mallory', groups: [] },
  // A member of cordon-guard's admin group (manifests/base/protect-admins-configmap.yaml).
  carol: { user: 'carol', groups: ['cordon-guard-admins'] },
  // cert-manager's CA injector, which fills the webhooks' caBundle in the cert-manager overlay.
  cainjector: { user: 'system:serviceaccount:cert-manager:cert-manager-cainjector', groups: ['system:serviceaccounts', 'system:serviceaccounts:cert-manager'] },
} as const;
export type Identity = keyof typeof IDENTITIES;

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ControlPlane {
  dir: string;
  binDir: string;
  /** The Kubernetes version running, e.g. v1.35.4 (see kubernetesVersion). */
  kubernetesVersion: string;
  server: string;
  /** The CA that verifies the API server's serving certificate. */
  caFile: string;
  kubeconfig: string;
  auditLog: string;
  /** kubectl as one of the identities (default admin), with its real exit code and output. */
  kubectl(args: string[], options?: { as?: Identity; input?: string }): KubectlResult;
  /** kubectl that must succeed; returns stdout. */
  kubectlOk(args: string[], options?: { as?: Identity; input?: string }): string;
  stop(): Promise<void>;
}

/**
 * The control-plane binaries, built once per version and cached outside the repository: those of
 * CORDON_GUARD_K8S_VERSION (set by `make e2e`, one of the versions pinned in versions.env), else
 * of build.sh's default version.
 */
function controlPlaneBinaries(): string {
  const fromEnv = process.env.CORDON_GUARD_K8S_BIN_DIR;
  if (fromEnv !== undefined && fromEnv !== '' && existsSync(join(fromEnv, 'kube-apiserver'))) return fromEnv;
  const version = process.env.CORDON_GUARD_K8S_VERSION;
  const result = spawnSync('bash', [BUILD_SCRIPT, 'build', ...(version === undefined || version === '' ? [] : [version])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0) throw new Error(`${BUILD_SCRIPT} failed with exit ${result.status}`);
  const dir = result.stdout.trim().split('\n').pop() ?? '';
  if (!existsSync(join(dir, 'kube-apiserver'))) throw new Error(`${BUILD_SCRIPT} printed ${dir}, which has no kube-apiserver`);
  return dir;
}

/**
 * The Kubernetes version of the binaries in binDir, as kube-apiserver reports it. When
 * CORDON_GUARD_K8S_VERSION is set it must be that version, so that a run labelled with a version
 * really ran it.
 */
function kubernetesVersion(binDir: string): string {
  const reported = spawnSync(join(binDir, 'kube-apiserver'), ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const version = /^Kubernetes (v1\.\d+\.\d+\S*)$/.exec(reported)?.[1];
  if (version === undefined) throw new Error(`${join(binDir, 'kube-apiserver')} --version printed '${reported}'`);
  const wanted = process.env.CORDON_GUARD_K8S_VERSION;
  if (wanted !== undefined && wanted !== '' && wanted !== version) throw new Error(`CORDON_GUARD_K8S_VERSION is ${wanted}, but ${binDir} holds Kubernetes ${version}`);
  return version;
}

// Nodes at Request level, so that `culprits` can read what each write did to spec.unschedulable;
// never nodes/status, which kubelets write every few seconds (the README's recommended policy).
function auditPolicy(nodeLevel: NodeAuditLevel): string {
  return `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  resources: [{group: "", resources: ["nodes/status"]}]
- level: ${nodeLevel}
  resources: [{group: "", resources: ["nodes"]}]
- level: None
`;
}

export type NodeAuditLevel = 'Request' | 'RequestResponse';

export interface ControlPlaneOptions {
  /** How much of each request on nodes the audit log keeps (default Request). */
  nodeAuditLevel?: NodeAuditLevel;
  /**
   * Serve on the host's address of a pod network (./podNetwork.ts) instead of loopback, so that
   * simulated pods reach it and verify it (the address is in its serving certificate), and call
   * webhooks through their Service's endpoints (--enable-aggregator-routing), since there is no
   * kube-proxy to route a ClusterIP.
   */
  podNetwork?: { hostAddress: string };
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binDir = controlPlaneBinaries();
  const version = kubernetesVersion(binDir);
  // On stderr (stdout is make bench's result): the node test runner shows it with the suite.
  console.error(`# control plane: Kubernetes ${version} (${binDir})`);
  const dir = mkdtempSync(join(tmpdir(), 'cordon-guard-e2e-'));
  const processes: ChildProcess[] = [];
  const stop = async () => {
    for (const child of processes.reverse()) await stopProcess(child);
    if (process.env.CORDON_GUARD_E2E_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    processes.push(
      startLogged(join(binDir, 'etcd'), [
        '--name=default',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
      ], join(dir, 'etcd.log')),
    );

    const tokens = Object.fromEntries(Object.keys(IDENTITIES).map((id) => [id, randomBytes(24).toString('hex')])) as Record<Identity, string>;
    writeFileSync(
      join(dir, 'tokens.csv'),
      Object.entries(IDENTITIES)
        // No groups column for an identity without groups: `,""` would give it a group named "".
        .map(([id, { user, groups }]) => [tokens[id as Identity], user, `${id}-uid`, ...(groups.length > 0 ? [`"${groups.join(',')}"`] : [])].join(','))
        .join('\n'),
    );
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    writeFileSync(join(dir, 'sa.key'), privateKey, { mode: 0o600 });
    writeFileSync(join(dir, 'sa.pub'), publicKey);
    writeFileSync(join(dir, 'audit-policy.yaml'), auditPolicy(options.nodeAuditLevel ?? 'Request'));
    const auditLog = join(dir, 'audit.log');

    const address = options.podNetwork?.hostAddress ?? '127.0.0.1';
    const apiserver = startLogged(join(binDir, 'kube-apiserver'), [
      `--etcd-servers=${etcdUrl}`,
      `--bind-address=${address}`,
      `--advertise-address=${address}`,
      ...(options.podNetwork === undefined ? [] : ['--enable-aggregator-routing=true']),
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'pki')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--disable-admission-plugins=ServiceAccount',
      // The advertise address does not back the kubernetes Service; nothing here needs it.
      '--endpoint-reconciler-type=none',
      `--audit-policy-file=${join(dir, 'audit-policy.yaml')}`,
      `--audit-log-path=${auditLog}`,
      '--audit-log-mode=blocking',
    ], join(dir, 'kube-apiserver.log'));
    processes.push(apiserver);

    const server = `https://${address}:${apiPort}`;
    const caFile = join(dir, 'pki', 'apiserver.crt');
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority': caFile } }],
        users: Object.keys(IDENTITIES).map((id) => ({ name: id, user: { token: tokens[id as Identity] } })),
        contexts: Object.keys(IDENTITIES).map((id) => ({ name: id, context: { cluster: 'e2e', user: id } })),
        'current-context': 'admin',
      }),
    );

    const kubectl = (args: string[], options: { as?: Identity; input?: string } = {}): KubectlResult => {
      const result = spawnSync(join(binDir, 'kubectl'), ['--kubeconfig', kubeconfig, '--context', options.as ?? 'admin', ...args], {
        encoding: 'utf8',
        input: options.input,
        timeout: 60_000,
      });
      return { code: result.status, stdout: result.stdout, stderr: result.stderr };
    };
    const kubectlOk = (args: string[], options?: { as?: Identity; input?: string }): string => {
      const result = kubectl(args, options);
      if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
      return result.stdout;
    };

    await waitFor(`kube-apiserver ${version} /readyz`, () => {
      if (apiserver.exitCode !== null) throw new Error(`kube-apiserver ${version} exited: ${readFileSync(join(dir, 'kube-apiserver.log'), 'utf8').slice(-3000)}`);
      if (!existsSync(caFile)) return undefined;
      return kubectl(['get', '--raw', '/readyz']).stdout.trim() === 'ok' ? true : undefined;
    }, 120_000, 250);

    // Every identity may get, patch and update nodes, as the controllers in the field can.
    kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(nodeWriterRbac()) });
    return { dir, binDir, kubernetesVersion: version, server, caFile, kubeconfig, auditLog, kubectl, kubectlOk, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function nodeWriterRbac(): Record<string, unknown> {
  const subjects = Object.entries(IDENTITIES)
    .filter(([id]) => id !== 'admin')
    .map(([, { user }]) => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }));
  return {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'e2e-node-writer' },
        rules: [
          { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
          { apiGroups: [''], resources: ['nodes/status'], verbs: ['get', 'patch', 'update'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'e2e-node-writer' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'e2e-node-writer' },
        subjects,
      },
    ],
  };
}
