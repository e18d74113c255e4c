// A pod network on this machine, made and removed by the test: a bridge with the host's address
// in a private 10.200.N.0/24, and for each pod a network namespace joined to it by a veth pair,
// as a CNI bridge plugin does on a node. Traffic stays between the host's own address on the
// bridge and the namespaces made here; nothing is routed anywhere else.
import { spawnSync } from 'node:child_process';

export interface PodInterface {
  /** The network namespace's name (`ip netns exec NAME ...`). */
  netns: string;
  /** The pod's IP. */
  ip: string;
  /** Deletes the veth pair and the namespace (a process still inside keeps only its loopback). */
  detach(): void;
}

export interface PodNetwork {
  /** The host's address on the bridge: pods reach the host, and the API server, there. */
  hostAddress: string;
  /**
   * A network namespace with its own IP on the bridge and its loopback up. No default route: the
   * pod reaches the host's address on the bridge and nothing beyond it.
   */
  attach(): PodInterface;
  /** Detaches every pod still attached and deletes the bridge. Safe to call twice. */
  destroy(): void;
}

const TOOLS = ['ip', 'unshare', 'setpriv', 'mount', 'mkdir', 'chown'];

/**
 * Fails, never skips, without what the simulated pods need: root (for network and mount
 * namespaces) and the util-linux and iproute2 tools.
 */
export function requirePodSupport(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the in-pod end-to-end suite needs root: it makes network namespaces, veth pairs and mount namespaces (ip netns, unshare, setpriv). CI runs it as root; run make e2e as root.',
    );
  }
  const missing = TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0);
  if (missing.length > 0) throw new Error(`the in-pod end-to-end suite needs ${missing.join(', ')} on the PATH (iproute2 and util-linux)`);
}

function ip(args: string[]): string {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')} failed (${result.status}): ${result.stderr.trim()}`);
  return result.stdout;
}

/** Best effort: for teardown, where the object may already be gone. */
function ipQuietly(args: string[]): void {
  spawnSync('ip', args, { stdio: 'ignore' });
}

/** A 10.200.N.0/24 that no address or route of this machine touches yet. */
function freeSubnet(): number {
  const used = `${ip(['-4', '-o', 'addr', 'show'])}\n${ip(['-4', 'route', 'show', 'table', 'all'])}`;
  const start = process.pid % 256;
  for (let i = 0; i < 256; i += 1) {
    const n = (start + i) % 256;
    if (!used.includes(`10.200.${n}.`)) return n;
  }
  throw new Error('no free 10.200.N.0/24 for the pod network');
}

export function createPodNetwork(): PodNetwork {
  requirePodSupport();
  const id = process.pid;
  const bridge = `cgbr${id}`;
  const subnet = freeSubnet();
  const hostAddress = `10.200.${subnet}.1`;
  const attached = new Map<string, PodInterface>();
  let nextHost = 2;
  let destroyed = false;

  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    for (const pod of [...attached.values()]) pod.detach();
    ipQuietly(['link', 'del', bridge]);
    process.off('exit', destroy);
  };
  // A run that dies without its after hooks still leaves no interface or namespace behind.
  process.on('exit', destroy);

  try {
    ip(['link', 'add', bridge, 'type', 'bridge']);
    ip(['addr', 'add', `${hostAddress}/24`, 'dev', bridge]);
    ip(['link', 'set', bridge, 'up']);
  } catch (err) {
    destroy();
    throw err;
  }

  const attach = (): PodInterface => {
    if (destroyed) throw new Error('the pod network is destroyed');
    if (nextHost > 254) throw new Error('the pod network is full');
    const index = nextHost;
    nextHost += 1;
    const netns = `cg-${id}-${index}`;
    const hostEnd = `cgv${id}x${index}`;
    const podIp = `10.200.${subnet}.${index}`;
    const pod: PodInterface = {
      netns,
      ip: podIp,
      detach() {
        attached.delete(netns);
        // Deleting one end deletes the pair, even while a process keeps the namespace alive.
        ipQuietly(['link', 'del', hostEnd]);
        ipQuietly(['netns', 'del', netns]);
      },
    };
    attached.set(netns, pod);
    try {
      ip(['netns', 'add', netns]);
      ip(['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      ip(['link', 'set', hostEnd, 'master', bridge, 'up']);
      ip(['-n', netns, 'addr', 'add', `${podIp}/24`, 'dev', 'eth0']);
      ip(['-n', netns, 'link', 'set', 'lo', 'up']);
      ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
    } catch (err) {
      pod.detach();
      throw err;
    }
    return pod;
  };

  return { hostAddress, attach, destroy };
}
