// The fleet parts of `serve` (POLICY.md "Drift"), wired from injected pieces: the node watch
// (every replica, for the gauges), the leader election and the recordon (only the leader
// writes). `serve` calls startFleet whenever it has cluster access.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FleetMetrics } from '../observability/fleetMetrics.ts';
import type { Logger } from '../observability/logger.ts';
import type { Policy } from '../policy/types.ts';
import type { EventDraft } from './eventRecorder.ts';
import { LeaderElector } from './leaderElection.ts';
import { leaseClient } from './leaseClient.ts';
import { nodeListWatchClient } from './nodeListWatch.ts';
import { NodeWatch, realScheduler } from './nodeWatch.ts';
import { nodeWriter } from './nodeWriter.ts';
import { Recordon } from './recordon.ts';
import type { KubeClient } from './rest.ts';

export interface FleetDeps {
  rest: KubeClient;
  /** cordon-guard's namespace, where the leader Lease lives. */
  namespace: string;
  policy: () => Policy;
  logger: Logger;
  metrics: FleetMetrics;
  events: { enqueue(draft: EventDraft): void } | undefined;
}

export interface Fleet {
  watch: NodeWatch;
  elector: LeaderElector;
  /** Releases the lease (if held) and stops watching. */
  stop(): Promise<void>;
}

/** The pod's name (its host name) and a random suffix, as client-go's callers build it. */
function holderIdentity(): string {
  return `${hostname()}_${randomBytes(4).toString('hex')}`;
}

/** Starts the fleet parts; resolves after the node watch's first list attempt. */
export async function startFleet(deps: FleetDeps): Promise<Fleet> {
  const { rest, namespace, policy, logger, metrics, events } = deps;
  const scheduler = realScheduler;
  // The callbacks run only once the parts are started, below: recordon is defined by then.
  const watch = new NodeWatch({ client: nodeListWatchClient(rest), policy, logger, scheduler, onRecord: (record) => recordon.sighted(record) });
  const elector = new LeaderElector({
    client: leaseClient(rest, namespace),
    identity: holderIdentity(),
    logger,
    scheduler,
    onStartedLeading: () => recordon.healAll(),
  });
  const recordon = new Recordon({ writer: nodeWriter(rest), events, logger, recordons: metrics.recordons, policy, isLeader: () => elector.isLeader(), nodes: watch, scheduler });
  metrics.countNodesWith(() => watch.counts());
  logger.info({ identity: elector.identity, namespace }, 'node watch and leader election starting');
  recordon.start();
  elector.start();
  await watch.start();
  return {
    watch,
    elector,
    async stop() {
      watch.stop();
      await recordon.stop();
      await elector.stop();
    },
  };
}
