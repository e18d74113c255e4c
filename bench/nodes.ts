// The Nodes of the in-cluster phase: realistic objects (testkit/fixtures.ts, a kubelet-sized
// status of 50 images) in a mix of states, what state the API server's copies are in (counted
// here by POLICY.md's definitions, not by cordon-guard's code, so that its gauge can be checked
// against them), and cordon-guard's gauge and log lines as it reports them.
import { NODE_STATES, type NodeState } from '../src/fleet/nodeRecord.ts';
import { makeNode } from '../testkit/fixtures.ts';
import type { LogLine } from '../testkit/logCapture.ts';

export type Counts = Record<NodeState, number>;

export const MAINTENANCE_REASON = 'kernel 6.8 upgrade, OPS-4411';

/**
 * The state node i is created in: every tenth cordoned and under maintenance, every tenth
 * (offset 1) cordoned only, every fiftieth (offset 2) under maintenance but schedulable (drifted;
 * the shipped policy has recordon off, so it stays so); the rest schedulable.
 */
export function shapeOf(i: number): { cordoned: boolean; maintenance: boolean } {
  return { cordoned: i % 10 === 0 || i % 10 === 1, maintenance: i % 10 === 0 || i % 50 === 2 };
}

/** The body of a POST /api/v1/nodes: makeNode's object without what the API server sets. */
export function nodeBody(name: string, i: number, key: string): Record<string, unknown> {
  const shape = shapeOf(i);
  const node = makeNode({ name, images: 50, ...(shape.cordoned ? { cordoned: true } : {}), annotations: shape.maintenance ? { [key]: MAINTENANCE_REASON } : {} });
  const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, managedFields: _mf, ...metadata } = node.metadata as Record<string, unknown>;
  return { ...node, metadata };
}

/** A kubelet's heartbeat: a status-only strategic merge patch of the Ready condition's lastHeartbeatTime. */
export function heartbeatPatch(at: Date): Record<string, unknown> {
  return { status: { conditions: [{ type: 'Ready', lastHeartbeatTime: at.toISOString().replace(/\.\d+Z$/, 'Z') }] } };
}

const zero = (): Counts => Object.fromEntries(NODE_STATES.map((s) => [s, 0])) as Counts;

/**
 * The states of Node objects as the API server returns them: under maintenance (the annotation
 * present, whatever its value), cordoned (spec.unschedulable true), drifted (both of: under
 * maintenance and not cordoned). Overdue is 0: it needs a maintenanceMaxAge, and the caller
 * checks that the policy in force has none.
 */
export function statesOf(nodes: Iterable<unknown>, key: string): Counts {
  const counts = zero();
  for (const node of nodes) {
    const { metadata, spec } = node as { metadata?: { annotations?: Record<string, unknown> }; spec?: { unschedulable?: unknown } };
    const maintenance = metadata?.annotations !== undefined && Object.hasOwn(metadata.annotations, key);
    const cordoned = spec?.unschedulable === true;
    if (maintenance) counts.maintenance += 1;
    if (cordoned) counts.cordoned += 1;
    if (maintenance && !cordoned) counts.drifted += 1;
  }
  return counts;
}

/** cordon_guard_nodes{state} from a /metrics page; undefined when the gauge has no sample (before the first list). */
export function nodeGauge(metrics: string): Counts | undefined {
  const counts = zero();
  let seen = 0;
  for (const m of metrics.matchAll(/^cordon_guard_nodes\{state="([a-z]+)"\} (\d+)$/gm)) {
    if (!(NODE_STATES as readonly string[]).includes(m[1]!)) continue;
    counts[m[1] as NodeState] = Number(m[2]);
    seen += 1;
  }
  return seen === 0 ? undefined : counts;
}

/** "drifted: 3 (truth 4)" for each state whose gauge differs from the truth; empty when all agree. */
export function gaugeErrors(gauge: Counts | undefined, truth: Counts): string[] {
  if (gauge === undefined) return ['no cordon_guard_nodes samples'];
  return NODE_STATES.filter((s) => gauge[s] !== truth[s]).map((s) => `${s}: ${gauge[s]} (truth ${truth[s]})`);
}

/** The node watch's first `node watch: listed N nodes` line: N, and when it was logged (ms since the epoch). */
export function listedLine(logs: readonly LogLine[]): { nodes: number; at: number } | undefined {
  for (const line of logs) {
    const m = /^node watch: listed (\d+) nodes$/.exec(line.msg);
    if (m !== null) return { nodes: Number(m[1]), at: Date.parse(String(line.time)) };
  }
  return undefined;
}

/** When the fleet parts started (`node watch and leader election starting`), ms since the epoch. */
export function watchStartingAt(logs: readonly LogLine[]): number | undefined {
  const line = logs.find((l) => l.msg === 'node watch and leader election starting');
  return line === undefined ? undefined : Date.parse(String(line.time));
}
