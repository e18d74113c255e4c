// The node watch's metrics, on the process's registry (src/observability/metrics.ts's). The node
// states are counted from the watch's cache at each scrape, so `overdue` is right at the time of
// the scrape and a busy watch costs nothing between scrapes.
import { Counter, Gauge, type Registry } from 'prom-client';
import { NODE_STATES, type NodeState } from '../fleet/nodeRecord.ts';

export interface FleetMetrics {
  recordons: Counter;
  /** Where the gauge reads its counts; undefined until the watch's first list completes. */
  countNodesWith(counts: () => Record<NodeState, number> | undefined): void;
}

export function createFleetMetrics(registry: Registry): FleetMetrics {
  let counts: () => Record<NodeState, number> | undefined = () => undefined;
  new Gauge({
    name: 'cordon_guard_nodes',
    help: 'Nodes by state (maintenance, cordoned, drifted: under maintenance and schedulable, overdue: under maintenance past maintenanceMaxAge), from this replica\'s node watch; aggregate replicas with max, not sum.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const now = counts();
      // No samples before the first list: a 0 would claim that no node is drifted.
      if (now === undefined) return this.reset();
      for (const state of NODE_STATES) this.set({ state }, now[state]);
    },
  });
  return {
    recordons: new Counter({
      name: 'cordon_guard_recordons_total',
      help: 'Nodes under maintenance found schedulable and cordoned again by this replica (recordon: true).',
      registers: [registry],
    }),
    countNodesWith(source) {
      counts = source;
    },
  };
}
