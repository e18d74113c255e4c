// A pod of a Deployment, as near as this machine allows without a kubelet or a container engine:
// the container's command, args and env as the kubelet resolves them against the image
// (./image.ts), its Secret, ConfigMap and emptyDir volumes and the ServiceAccount token bind-mounted where
// the pod spec says, in a private mount namespace; its own IP in a network namespace
// (./podNetwork.ts); its name as hostname, in its own UTS namespace; its user, groups, no_new_privs, capabilities and read-only root from the
// securityContext; and a readiness probe run from the host, as the kubelet probes a pod's IP.
// Nothing is mounted or left on the host: the mounts live and die with the mount namespace.
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import type { V1Container, V1Deployment, V1EnvVar, V1Probe, V1Volume } from '@kubernetes/client-node';
import type { LogLine } from '../logCapture.ts';
import type { ControlPlane } from './controlPlane.ts';
import type { LocalImage } from './image.ts';
import type { PodInterface, PodNetwork } from './podNetwork.ts';
import { startLogged } from './process.ts';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
// What containerd gives a container whose image sets no PATH.
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface SimulatedPod {
  name: string;
  namespace: string;
  uid: string;
  ip: string;
  /** Its network namespace. */
  netns: string;
  /** The container's process (ip netns exec, unshare and setpriv exec it in place). */
  pid: number;
  /** The container's ports by name (containerPort), for the Service's named targetPorts. */
  containerPorts: Record<string, number>;
  /** The container's JSON log lines (stdout and stderr), parsed. */
  logs: LogLine[];
  /** Its other output lines, and those of the mount set-up before it. */
  output: string[];
  /** As the kubelet would report it: the readiness probe's verdict while the container runs. */
  readonly ready: boolean;
  /** Fires 'readiness' (ready: boolean) on each change. */
  events: EventEmitter;
  exited: Promise<number | null>;
  /** Resolves once ready; rejects if the container exits first or after timeoutMs. */
  waitReady(timeoutMs: number): Promise<void>;
  /** The container dies (SIGKILL by default): no longer ready, the endpoint goes. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Kills the container, removes its network namespace and its files. Safe to call twice. */
  destroy(): Promise<void>;
}

export interface PodOptions {
  cp: ControlPlane;
  network: PodNetwork;
  image: LocalImage;
  deployment: V1Deployment;
  /** The container to run (default: the first). */
  container?: string;
}

/** The Deployment as the API server stores it (defaults filled in), as its ReplicaSet's pods get it. */
export function readDeployment(cp: ControlPlane, namespace: string, name: string): V1Deployment {
  return JSON.parse(cp.kubectlOk(['get', 'deployment', name, '-n', namespace, '-o', 'json'])) as V1Deployment;
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** `$(VAR)` in command, args and env values, as the kubelet expands it; `$$` is a literal `$`. */
function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => (name === undefined ? '$' : (env[name] ?? whole)));
}

function commandLine(container: V1Container, image: LocalImage, env: Record<string, string>): string[] {
  // Kubernetes: command replaces ENTRYPOINT (and drops CMD); args replace CMD.
  const argv = container.command !== undefined ? [...container.command, ...(container.args ?? [])] : [...image.config.entrypoint, ...(container.args ?? image.config.cmd)];
  if (argv.length === 0) throw new Error(`container ${container.name} has no command and the image no ENTRYPOINT or CMD`);
  const expanded = argv.map((a) => expand(a, env));
  return [image.hostPath(expanded[0] ?? ''), ...expanded.slice(1)];
}

interface PodIdentity {
  name: string;
  namespace: string;
  uid: string;
  ip: string;
  hostIp: string;
  serviceAccount: string;
}

function fieldValue(path: string, pod: PodIdentity): string {
  const fields: Record<string, string> = {
    'metadata.name': pod.name,
    'metadata.namespace': pod.namespace,
    'metadata.uid': pod.uid,
    'status.podIP': pod.ip,
    'status.podIPs': pod.ip,
    'status.hostIP': pod.hostIp,
    'spec.nodeName': 'simulated-node',
    'spec.serviceAccountName': pod.serviceAccount,
  };
  const value = fields[path];
  if (value === undefined) throw new Error(`env valueFrom.fieldRef ${path} is not simulated`);
  return value;
}

function keyOf(cp: ControlPlane, kind: 'configmap' | 'secret', namespace: string, ref: { name?: string; key: string; optional?: boolean }): string | undefined {
  const result = cp.kubectl(['get', kind, ref.name ?? '', '-n', namespace, '-o', 'json']);
  const data = result.code === 0 ? (JSON.parse(result.stdout) as { data?: Record<string, string> }).data : undefined;
  const raw = data?.[ref.key];
  if (raw === undefined) {
    if (ref.optional === true) return undefined;
    throw new Error(`${kind} ${namespace}/${ref.name} has no key ${ref.key} (the kubelet would not start the container)`);
  }
  return kind === 'secret' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
}

function environment(cp: ControlPlane, container: V1Container, image: LocalImage, pod: PodIdentity): Record<string, string> {
  const api = new URL(cp.server);
  const env: Record<string, string> = {
    PATH: DEFAULT_PATH,
    ...image.config.env,
    HOSTNAME: pod.name,
    // Where the container runtime cannot read the image's /etc/passwd, HOME is /.
    HOME: '/',
    // Set for every pod, enableServiceLinks or not: client libraries' in-cluster configuration.
    KUBERNETES_SERVICE_HOST: api.hostname,
    KUBERNETES_SERVICE_PORT: api.port,
    KUBERNETES_SERVICE_PORT_HTTPS: api.port,
    KUBERNETES_PORT: `tcp://${api.hostname}:${api.port}`,
  };
  if ((container.envFrom ?? []).length > 0) throw new Error(`container ${container.name}: envFrom is not simulated`);
  for (const variable of container.env ?? []) env[variable.name] = envValue(cp, variable, env, pod) ?? env[variable.name] ?? '';
  return env;
}

function envValue(cp: ControlPlane, variable: V1EnvVar, env: Record<string, string>, pod: PodIdentity): string | undefined {
  if (variable.valueFrom === undefined) return expand(variable.value ?? '', env);
  const from = variable.valueFrom;
  if (from.fieldRef !== undefined) return fieldValue(from.fieldRef.fieldPath, pod);
  if (from.configMapKeyRef !== undefined) return keyOf(cp, 'configmap', pod.namespace, from.configMapKeyRef);
  if (from.secretKeyRef !== undefined) return keyOf(cp, 'secret', pod.namespace, from.secretKeyRef);
  throw new Error(`env ${variable.name}: only fieldRef, configMapKeyRef and secretKeyRef are simulated`);
}

interface VolumeFile {
  content: Buffer;
  mode: number;
}

/**
 * A volume's files as the kubelet's atomic writer lays them out: the data in a timestamped
 * directory, `..data` pointing at it, and each key a symlink through `..data`; with an fsGroup,
 * the files belong to that group.
 */
function writeAtomicVolume(dir: string, files: Record<string, VolumeFile>, group: number | undefined): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const stamp = `..${new Date().toISOString().replace(/[-:]/g, '_').replace('T', '_').replace('Z', '')}.${randomBytes(4).toString('hex')}`;
  const dataDir = join(dir, stamp);
  mkdirSync(dataDir, { mode: 0o755 });
  for (const [key, { content, mode }] of Object.entries(files)) {
    const file = join(dataDir, key);
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    writeFileSync(file, content);
    chmodSync(file, mode);
    if (group !== undefined) chownSync(file, 0, group);
  }
  symlinkSync(stamp, join(dir, '..data'));
  for (const key of new Set(Object.keys(files).map((k) => k.split('/')[0] ?? k))) symlinkSync(join('..data', key), join(dir, key));
  chmodSync(dir, 0o755);
  if (group !== undefined) chownSync(dir, 0, group);
}

/** A Secret or ConfigMap volume: its keys (or its items) as files, read from the API server now. */
function keyedVolume(cp: ControlPlane, namespace: string, volume: V1Volume, dir: string, group: number | undefined): void {
  const kind = volume.secret !== undefined ? 'secret' : 'configmap';
  const source = volume.secret ?? volume.configMap ?? {};
  const objectName = volume.secret?.secretName ?? volume.configMap?.name ?? '';
  const result = cp.kubectl(['get', kind, objectName, '-n', namespace, '-o', 'json']);
  if (result.code !== 0) {
    if (source.optional === true) return writeAtomicVolume(dir, {}, group);
    throw new Error(`${kind} ${namespace}/${objectName} of volume ${volume.name}: ${result.stderr.trim()} (the kubelet would keep the pod in ContainerCreating)`);
  }
  const object = JSON.parse(result.stdout) as { data?: Record<string, string>; binaryData?: Record<string, string> };
  // A Secret's data and a ConfigMap's binaryData are base64; a ConfigMap's data is text.
  const values = new Map<string, Buffer>([
    ...Object.entries(object.data ?? {}).map(([k, v]) => [k, kind === 'secret' ? Buffer.from(v, 'base64') : Buffer.from(v)] as const),
    ...Object.entries(object.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')] as const),
  ]);
  const defaultMode = source.defaultMode ?? 0o644;
  const items = source.items ?? [...values.keys()].map((key) => ({ key, path: key, mode: undefined }));
  const files: Record<string, VolumeFile> = {};
  for (const item of items) {
    const content = values.get(item.key);
    if (content === undefined) throw new Error(`${kind} ${namespace}/${objectName} has no key ${item.key}`);
    files[item.path] = { content, mode: item.mode ?? defaultMode };
  }
  writeAtomicVolume(dir, files, group);
}

function serviceAccountVolume(cp: ControlPlane, namespace: string, serviceAccount: string, dir: string, group: number | undefined): void {
  // The kubelet's projected token lives an hour and is refreshed; the suites are shorter.
  const token = cp.kubectlOk(['create', 'token', serviceAccount, '-n', namespace, '--duration', '1h']).trim();
  const file = (content: Buffer) => ({ content, mode: 0o644 });
  writeAtomicVolume(dir, { token: file(Buffer.from(token)), 'ca.crt': file(readFileSync(cp.caFile)), namespace: file(Buffer.from(namespace)) }, group);
}

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

/**
 * The deepest directory that exists on the host on the way to `target` (symlinks such as
 * /var/run resolved), and the rest of the path below it.
 */
/** Where the checkout is bound in a container whose volumes would hide it at its own path. */
const CHECKOUT_STAND_IN = '/opt/cordon-guard-checkout';

function existingAncestor(target: string): { ancestor: string; rest: string } {
  let ancestor = target;
  while (!existsSync(ancestor)) ancestor = dirname(ancestor);
  const real = realpathSync(ancestor);
  return { ancestor: real, rest: relative(ancestor, target) };
}

interface SecurityProfile {
  uid: number;
  gid: number;
  groups: number[];
  noNewPrivs: boolean;
  dropAllCapabilities: boolean;
  readOnlyRoot: boolean;
}

function securityProfile(deployment: V1Deployment, container: V1Container, image: LocalImage): SecurityProfile {
  const podContext = deployment.spec?.template.spec?.securityContext ?? {};
  const context = container.securityContext ?? {};
  const [imageUser, imageGroup] = (image.config.user ?? '0').split(':');
  const uid = context.runAsUser ?? podContext.runAsUser ?? Number(imageUser);
  const gid = context.runAsGroup ?? podContext.runAsGroup ?? Number(imageGroup ?? 0);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`USER ${image.config.user} of the image is not numeric`);
  if ((context.runAsNonRoot ?? podContext.runAsNonRoot) === true && uid === 0) throw new Error(`container ${container.name} has runAsNonRoot and would run as root`);
  if (context.privileged === true || (context.capabilities?.add ?? []).length > 0) throw new Error(`container ${container.name}: privileged or added capabilities are not simulated`);
  return {
    uid,
    gid,
    groups: [...(podContext.fsGroup === undefined ? [] : [podContext.fsGroup]), ...(podContext.supplementalGroups ?? [])],
    noNewPrivs: context.allowPrivilegeEscalation === false,
    dropAllCapabilities: (context.capabilities?.drop ?? []).includes('ALL'),
    readOnlyRoot: context.readOnlyRootFilesystem === true,
  };
}

/**
 * The shell script run as root in the pod's fresh mount namespace: a tmpfs for scratch, an
 * overlay (upper layer on that tmpfs) over each existing directory that must gain a mount point,
 * the bind mounts, the read-only root, then the container's process under its user.
 */
function setupScript(hostname: string, podDir: string, mounts: Mount[], profile: SecurityProfile, workdir: string, env: Record<string, string>, argv: string[]): string {
  const scratch = join(podDir, 'scratch');
  // Run under unshare --uts: the pod's hostname is its name, in its own UTS namespace only.
  const lines = ['set -eu', `printf %s ${shellQuote(hostname)} > /proc/sys/kernel/hostname`, `mount -t tmpfs -o mode=0700,size=16m cg-scratch ${shellQuote(scratch)}`];
  const targets: { target: string; readOnly: boolean; source: string }[] = [];
  const overlays: string[] = [];
  for (const mount of mounts) {
    const { ancestor, rest } = existingAncestor(mount.target);
    if (rest !== '' && !overlays.includes(ancestor)) {
      if (ancestor === '/') throw new Error(`mountPath ${mount.target}: a new top-level directory is not simulated`);
      overlays.push(ancestor);
    }
    targets.push({ target: join(ancestor, rest), readOnly: mount.readOnly, source: mount.source });
  }
  overlays.sort((a, b) => a.length - b.length);
  overlays.forEach((dir, i) => {
    const upper = join(scratch, `overlay-${i}`);
    lines.push(
      `mkdir -p ${shellQuote(join(upper, 'upper'))} ${shellQuote(join(upper, 'work'))}`,
      `mount -t overlay cg-overlay -o ${shellQuote(`lowerdir=${dir},upperdir=${join(upper, 'upper')},workdir=${join(upper, 'work')}`)} ${shellQuote(dir)}`,
    );
  });
  // Parents before children, and last whatever hides the pod's own directory (an emptyDir on /tmp).
  const hidesPodDir = (t: string) => podDir.startsWith(`${t}/`);
  targets.sort((a, b) => Number(hidesPodDir(a.target)) - Number(hidesPodDir(b.target)) || a.target.split('/').length - b.target.split('/').length);
  for (const { target, readOnly, source } of targets) {
    if (targets.some((t) => hidesPodDir(t.target) && target.startsWith(`${t.target}/`))) throw new Error(`mountPath ${target} lies under a mountPath that hides the pod's directory ${podDir}`);
    lines.push(`mkdir -p ${shellQuote(target)}`, `mount --bind ${shellQuote(source)} ${shellQuote(target)}`);
    if (readOnly) lines.push(`mount -o remount,bind,ro ${shellQuote(target)}`);
  }
  // A per-mount read-only flag (remount,bind): the host's filesystems are not touched.
  if (profile.readOnlyRoot) for (const dir of ['/', ...overlays]) lines.push(`mount -o remount,bind,ro ${shellQuote(dir)}`);
  const setpriv = [
    'setpriv',
    `--reuid=${profile.uid}`,
    `--regid=${profile.gid}`,
    profile.groups.length > 0 ? `--groups=${profile.groups.join(',')}` : '--clear-groups',
    ...(profile.noNewPrivs ? ['--no-new-privs'] : []),
    ...(profile.dropAllCapabilities ? ['--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all'] : []),
    '--',
  ];
  const command = [...setpriv, 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv];
  lines.push(`cd ${shellQuote(workdir)}`, `exec ${command.map(shellQuote).join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The kubelet's prober for one readiness probe against the pod's IP: a check per call. An
 * unsupported probe is an error when the pod starts, not a pod that is never ready.
 */
function prober(probe: V1Probe, ip: string, ports: Record<string, number>): () => Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  const portOf = (port: number | string): number => {
    if (typeof port === 'number') return port;
    const named = ports[port];
    if (named === undefined) throw new Error(`probe port ${port} names no container port`);
    return named;
  };
  const get = probe.httpGet;
  if (get !== undefined) {
    const scheme = get.scheme ?? 'HTTP';
    if (scheme !== 'HTTP' && scheme !== 'HTTPS') throw new Error(`probe scheme ${scheme}`);
    const port = portOf(get.port);
    const headers = Object.fromEntries((get.httpHeaders ?? []).map((h) => [h.name, h.value]));
    const send = scheme === 'HTTPS' ? httpsRequest : httpRequest;
    return () =>
      new Promise((resolve) => {
        // A new connection each time and, for HTTPS, no verification: as the kubelet probes.
        const req = send({ host: get.host ?? ip, port, path: get.path ?? '/', agent: false, timeout: timeoutMs, headers, rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
        });
        req.on('timeout', () => req.destroy());
        req.on('error', () => resolve(false));
        req.end();
      });
  }
  const tcp = probe.tcpSocket;
  if (tcp !== undefined) {
    const port = portOf(tcp.port);
    return () =>
      new Promise((resolve) => {
        const socket = connect({ host: tcp.host ?? ip, port, timeout: timeoutMs });
        socket.on('connect', () => (socket.destroy(), resolve(true)));
        socket.on('timeout', () => (socket.destroy(), resolve(false)));
        socket.on('error', () => resolve(false));
      });
  }
  throw new Error('only httpGet and tcpSocket probes are simulated');
}

/**
 * The readiness the kubelet reports: the probe run every periodSeconds from initialDelaySeconds,
 * ready after successThreshold successes in a row, not ready after failureThreshold failures in a
 * row or as soon as the container exits; ready from the start when there is no probe.
 */
function trackReadiness(probe: V1Probe | undefined, check: (() => Promise<boolean>) | undefined, exited: Promise<unknown>): { events: EventEmitter; isReady: () => boolean } {
  const events = new EventEmitter();
  let ready = probe === undefined;
  let running = true;
  const set = (value: boolean) => {
    if (value === ready) return;
    ready = value;
    events.emit('readiness', value);
  };
  void exited.then(() => {
    running = false;
    set(false);
  });
  if (probe !== undefined && check !== undefined) {
    let successes = 0;
    let failures = 0;
    const tick = async () => {
      if (!running) return;
      const ok = await check();
      if (!running) return;
      successes = ok ? successes + 1 : 0;
      failures = ok ? 0 : failures + 1;
      if (successes >= (probe.successThreshold ?? 1)) set(true);
      if (failures >= (probe.failureThreshold ?? 3)) set(false);
      setTimeout(() => void tick(), (probe.periodSeconds ?? 10) * 1000).unref();
    };
    setTimeout(() => void tick(), (probe.initialDelaySeconds ?? 0) * 1000).unref();
  }
  return { events, isReady: () => ready };
}

/** The container's output: pino's JSON lines parsed, anything else (the mount set-up's errors) kept as text. */
function collectOutput(child: ChildProcess): { logs: LogLine[]; output: string[] } {
  const logs: LogLine[] = [];
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream }).on('line', (line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        if (typeof parsed === 'object' && parsed !== null && 'msg' in parsed) logs.push(parsed as LogLine);
        else output.push(line);
      } catch {
        output.push(line);
      }
    });
  }
  return { logs, output };
}

/** Starts one pod of the Deployment now; it is ready when its readiness probe says so. */
export function startPod(options: PodOptions): SimulatedPod {
  const { cp, network, image, deployment } = options;
  const spec = deployment.spec?.template.spec;
  if (spec === undefined) throw new Error('the Deployment has no pod template');
  const container = options.container === undefined ? spec.containers[0] : spec.containers.find((c) => c.name === options.container);
  if (container === undefined) throw new Error(`the Deployment has no container ${options.container ?? ''}`);
  const namespace = deployment.metadata?.namespace ?? 'default';
  const name = `${deployment.metadata?.name ?? 'pod'}-${randomBytes(5).toString('hex')}-${randomBytes(3).toString('hex').slice(0, 5)}`;
  const serviceAccount = spec.serviceAccountName ?? 'default';
  const profile = securityProfile(deployment, container, image);
  const group = spec.securityContext?.fsGroup;
  const containerPorts = Object.fromEntries((container.ports ?? []).filter((p) => p.name !== undefined).map((p) => [p.name ?? '', p.containerPort]));

  const podDir = mkdtempSync(join(tmpdir(), 'cordon-guard-pod-'));
  chmodSync(podDir, 0o755);
  mkdirSync(join(podDir, 'scratch'));
  let netif: PodInterface | undefined;
  let child: ChildProcess | undefined;
  const cleanUp = () => {
    process.off('exit', cleanUp);
    netif?.detach();
    rmSync(podDir, { recursive: true, force: true });
  };
  // A run that dies without its after hooks leaves neither the namespace nor the files.
  process.on('exit', cleanUp);
  try {
    netif = network.attach();
    const identity: PodIdentity = { name, namespace, uid: randomUUID(), ip: netif.ip, hostIp: network.hostAddress, serviceAccount };
    const check = container.readinessProbe === undefined ? undefined : prober(container.readinessProbe, identity.ip, containerPorts);

    const mounts: Mount[] = [];
    for (const volumeMount of container.volumeMounts ?? []) {
      const volume = (spec.volumes ?? []).find((v) => v.name === volumeMount.name);
      if (volume === undefined) throw new Error(`volumeMount ${volumeMount.name} names no volume`);
      const dir = join(podDir, 'volumes', volume.name);
      if (volume.secret !== undefined || volume.configMap !== undefined) keyedVolume(cp, namespace, volume, dir, group);
      else if (volume.emptyDir !== undefined) {
        mkdirSync(dir, { recursive: true });
        chmodSync(dir, 0o777);
      } else throw new Error(`volume ${volume.name}: only secret, configMap and emptyDir volumes are simulated`);
      mounts.push({ source: join(dir, volumeMount.subPath ?? ''), target: volumeMount.mountPath, readOnly: volumeMount.readOnly === true });
    }
    if ((spec.automountServiceAccountToken ?? true) && !mounts.some((m) => m.target === SERVICE_ACCOUNT_DIR)) {
      const dir = join(podDir, 'volumes', 'kube-api-access');
      serviceAccountVolume(cp, namespace, serviceAccount, dir, group);
      mounts.push({ source: dir, target: SERVICE_ACCOUNT_DIR, readOnly: true });
    }

    // The checkout stands in for the image's files. A volume over a directory that holds it (the
    // emptyDir on /tmp, with the checkout under /tmp as in a CI clone) would hide it from the
    // container: then it is bound, read-only, at CHECKOUT_STAND_IN first, and the command line,
    // the environment and the working directory name it there.
    const checkout = image.workdir.replace(/\/+$/, '');
    const hidesCheckout = mounts.some((m) => `${checkout}/`.startsWith(`${m.target}/`));
    if (hidesCheckout) mounts.push({ source: checkout, target: CHECKOUT_STAND_IN, readOnly: true });
    const inContainer = (value: string): string => (hidesCheckout && `${value}/`.startsWith(`${checkout}/`) ? join(CHECKOUT_STAND_IN, relative(checkout, value)) : value);
    const env = Object.fromEntries(Object.entries(environment(cp, container, image, identity)).map(([k, v]) => [k, inContainer(v)]));
    const argv = commandLine(container, image, env).map(inContainer);
    const workdir = inContainer(container.workingDir === undefined ? image.workdir : image.hostPath(container.workingDir));
    const script = join(podDir, 'start.sh');
    writeFileSync(script, setupScript(name, podDir, mounts, profile, workdir, env, argv));

    const logDir = join(cp.dir, 'pods');
    mkdirSync(logDir, { recursive: true });
    // ip netns exec and unshare exec in turn (no fork): the child's pid is the container's process.
    const running = startLogged('ip', ['netns', 'exec', netif.netns, 'unshare', '--mount', '--uts', '--propagation', 'private', '--', 'sh', script], join(logDir, `${name}.log`), { PATH: process.env.PATH ?? DEFAULT_PATH });
    child = running;
    const { logs, output } = collectOutput(running);
    const exited = once(running, 'exit').then(([code]) => code as number | null);
    const { events, isReady } = trackReadiness(container.readinessProbe, check, exited);
    const describe = () => `${output.join('\n')}\n${logs.map((l) => l.msg).join('\n')}`;

    let destroyed: Promise<void> | undefined;
    const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
      if (running.exitCode === null && running.signalCode === null) running.kill(signal);
      await exited;
    };
    return {
      name,
      namespace,
      uid: identity.uid,
      ip: identity.ip,
      netns: netif.netns,
      pid: running.pid ?? -1,
      containerPorts,
      logs,
      output,
      get ready() {
        return isReady();
      },
      events,
      exited,
      waitReady(timeoutMs) {
        return new Promise<void>((resolve, reject) => {
          const onReadiness = (value: boolean) => value && finish();
          const timer = setTimeout(() => finish(new Error(`pod ${name} not ready after ${timeoutMs} ms:\n${describe()}`)), timeoutMs);
          const finish = (err?: Error) => {
            clearTimeout(timer);
            events.off('readiness', onReadiness);
            if (err === undefined) resolve();
            else reject(err);
          };
          if (isReady()) return finish();
          events.on('readiness', onReadiness);
          void exited.then((code) => finish(new Error(`pod ${name} exited with ${code} before it was ready:\n${describe()}`)));
        });
      },
      kill,
      destroy() {
        destroyed ??= kill('SIGKILL').then(cleanUp);
        return destroyed;
      },
    };
  } catch (err) {
    child?.kill('SIGKILL');
    cleanUp();
    throw err;
  }
}
