// What the node watch keeps of each Node, and the states it counts (POLICY.md "Drift"). The
// watch turns every Node it receives into a NodeRecord before storing anything, as
// controller-runtime's cache transforms do: the whole object (images, conditions, managedFields)
// is never kept, so a cache of 5,000 nodes stays small.
import { isPlainObject, ownField } from '../admission/json.ts';
import { readStartRecord } from '../plugin/startRecord.ts';
import { managerTimes, unschedulableOwner, writerBetween, type ManagerTimes } from './managedFields.ts';

/** As the violation messages cut it (POLICY.md "The message M"). */
const REASON_MAX_CHARS = 120;

export interface NodeRecord {
  name: string;
  resourceVersion: string;
  /** spec.unschedulable === true */
  cordoned: boolean;
  /** The maintenance annotation's value (cut), or undefined when the node is not under maintenance. */
  maintenance: string | undefined;
  /** When the maintenance started (ms since the epoch), for a node under maintenance: see sinceOf. */
  maintenanceSince: number | undefined;
  /** For a node under maintenance: its managers' latest write times, to name an uncordoner. */
  managers: ManagerTimes | undefined;
  /** For a drifted node: the field manager that made it schedulable, where managedFields tell. */
  uncordonedBy: string | undefined;
}

export const NODE_STATES = ['maintenance', 'cordoned', 'drifted', 'overdue'] as const;
export type NodeState = (typeof NODE_STATES)[number];

export interface Sighting {
  /** The policy's maintenance annotation. */
  key: string;
  /** The time of the sighting, ms since the epoch. */
  now: number;
  /** What the cache held for this node before, if anything. */
  previous: NodeRecord | undefined;
  /** True when `previous` is the version just before this one (a watch event, not a list). */
  consecutive: boolean;
}

/**
 * The start record's `at`; without a readable one, when a node already under maintenance was
 * first seen so (a lower bound of the age that a restart starts again).
 */
function sinceOf(annotations: Record<string, string>, sighting: Sighting): number {
  const record = readStartRecord(annotations);
  const at = record === undefined ? Number.NaN : Date.parse(record.at);
  if (!Number.isNaN(at)) return at;
  const { previous } = sighting;
  return previous?.maintenance !== undefined && previous.maintenanceSince !== undefined ? previous.maintenanceSince : sighting.now;
}

function stringValues(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) if (typeof item === 'string') out[key] = item;
  return out;
}

/** The uncordoner of a drifted node, by the rules of POLICY.md "Drift" in their order. */
function uncordonerOf(managedFields: unknown, managers: ManagerTimes, sighting: Sighting): string | undefined {
  const owner = unschedulableOwner(managedFields);
  if (owner !== undefined) return owner;
  const { previous, consecutive } = sighting;
  if (!consecutive || previous === undefined) return undefined;
  if (previous.cordoned) return previous.managers === undefined ? undefined : writerBetween(previous.managers, managers);
  // Still drifted since the version before: the same uncordon.
  return previous.maintenance !== undefined ? previous.uncordonedBy : undefined;
}

/** The record of a Node object as received (plain JSON), or undefined when it has no name. */
export function recordOf(node: unknown, sighting: Sighting): NodeRecord | undefined {
  const metadata = ownField(node, 'metadata');
  const name = ownField(metadata, 'name');
  if (typeof name !== 'string' || name === '') return undefined;
  const resourceVersion = ownField(metadata, 'resourceVersion');
  const cordoned = ownField(ownField(node, 'spec'), 'unschedulable') === true;
  const annotations = stringValues(ownField(metadata, 'annotations'));
  const value = Object.hasOwn(annotations, sighting.key) ? annotations[sighting.key] : undefined;
  const record: NodeRecord = {
    name,
    resourceVersion: typeof resourceVersion === 'string' ? resourceVersion : '',
    cordoned,
    maintenance: value?.slice(0, REASON_MAX_CHARS),
    maintenanceSince: undefined,
    managers: undefined,
    uncordonedBy: undefined,
  };
  if (value === undefined) return record;
  const managedFields = ownField(metadata, 'managedFields');
  record.maintenanceSince = sinceOf(annotations, sighting);
  record.managers = managerTimes(managedFields);
  if (!cordoned) record.uncordonedBy = uncordonerOf(managedFields, record.managers, sighting);
  return record;
}

export function isDrifted(record: NodeRecord): boolean {
  return record.maintenance !== undefined && !record.cordoned;
}

/** Under maintenance for longer than maxAgeMs (null: never overdue). */
export function isOverdue(record: NodeRecord, maxAgeMs: number | null, now: number): boolean {
  return record.maintenance !== undefined && maxAgeMs !== null && record.maintenanceSince !== undefined && now - record.maintenanceSince > maxAgeMs;
}

/** The gauge cordon_guard_nodes{state}: how many nodes are in each state. */
export function countStates(records: Iterable<NodeRecord>, maxAgeMs: number | null, now: number): Record<NodeState, number> {
  const counts: Record<NodeState, number> = { maintenance: 0, cordoned: 0, drifted: 0, overdue: 0 };
  for (const record of records) {
    if (record.maintenance !== undefined) counts.maintenance += 1;
    if (record.cordoned) counts.cordoned += 1;
    if (isDrifted(record)) counts.drifted += 1;
    if (isOverdue(record, maxAgeMs, now)) counts.overdue += 1;
  }
  return counts;
}
