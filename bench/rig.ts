// What every phase shares: one certificate and policy file for all servers, a way to start
// each of them, the mixes (built once, before anything is timed) and the turn order.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, issueServingCertificate } from '../src/tls/certificates.ts';
import { Client, type Target } from './load.ts';
import { BENCH_POLICY, buildMix, type ImageCount, type Mix, type MixName } from './payloads.ts';
import { KEYS, type Key, type Name } from './plan.ts';
import { startBaseline, startCordonGuard, type Server, type TlsFiles } from './servers.ts';

export interface Rig {
  start(name: Name, inspect?: boolean): Promise<Server>;
  targetOf(server: Server): Target;
  mixOf(key: Key): Mix;
  /** The items in the next rotation: each call starts one further along, so that no server is always first. */
  inTurn<T>(xs: readonly T[]): T[];
  /** Starts every server and a keep-alive client to each, for the phases that share long-lived servers. */
  startAll(names: readonly Name[]): Promise<Fleet>;
  /** Removes the temporary directory (certificate, policy, cordon-guard's logs). */
  close(): void;
}

/** Long-lived servers, with their load targets and clients at the same index. */
export interface Fleet {
  servers: Server[];
  targets: Target[];
  clients: Client[];
  close(): Promise<void>;
}

function makeTls(dir: string): TlsFiles {
  const ca = createCertificateAuthority('cordon-guard-bench-ca', 1);
  const serving = issueServingCertificate(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays: 1 });
  writeFileSync(join(dir, 'tls.crt'), serving.certPem);
  writeFileSync(join(dir, 'tls.key'), serving.keyPem, { mode: 0o600 });
  return { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), caPem: ca.certPem };
}

export function openRig(builds: { main: string | undefined; compare: string | undefined }): Rig {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-guard-bench-'));
  const tls = makeTls(dir);
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, BENCH_POLICY);
  const mixes = new Map<Key, Mix>(
    KEYS.map((key) => {
      const [name, images] = key.split('/') as [MixName, string];
      return [key, buildMix(name, Number(images) as ImageCount)];
    }),
  );
  let turn = 0;

  const start = (name: Name, inspect = false): Promise<Server> => {
    if (name === 'baseline') return startBaseline(tls, { inspect });
    const main = name === 'candidate' ? builds.compare : builds.main;
    return startCordonGuard(tls, policyFile, { name, inspect, ...(main === undefined ? {} : { main }) });
  };
  const targetOf = (server: Server): Target => ({ name: server.name, port: server.port, caPem: tls.caPem, checkDecisions: server.name !== 'baseline' });

  return {
    start,
    targetOf,
    mixOf: (key) => mixes.get(key)!,
    inTurn: <T>(xs: readonly T[]): T[] => {
      const k = turn++ % xs.length;
      return [...xs.slice(k), ...xs.slice(0, k)];
    },
    async startAll(names) {
      const servers: Server[] = [];
      try {
        for (const name of names) servers.push(await start(name));
      } catch (err) {
        for (const s of servers) await s.stop();
        throw err;
      }
      const targets = servers.map(targetOf);
      const clients = targets.map((t) => new Client(t));
      return {
        servers,
        targets,
        clients,
        async close() {
          for (const c of clients) await c.close().catch(() => undefined);
          for (const s of servers) await s.stop();
        },
      };
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
