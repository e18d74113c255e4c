// Who made a node schedulable, as far as its metadata.managedFields can tell (POLICY.md "Drift").
// The API server adds a manager's entry, or moves its `time`, only when that manager's write added
// or changed a field (k8s.io/apimachinery managedfields: managedFieldsUpdater). Clearing
// spec.unschedulable removes a field, so a plain uncordon leaves no trace of its writer, and the
// latest entry names whoever wrote last before it: that is never taken for the uncordoner.
import { isPlainObject, ownField } from '../admission/json.ts';

/** A node's managedFields entries on the node itself (not a subresource), as manager -> time (ms). */
export type ManagerTimes = Readonly<Record<string, number>>;

/** An entry's time: a string on the wire, a Date once client-node has deserialized a list. */
function timeOf(value: unknown): number | undefined {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

function entries(managedFields: unknown): Record<string, unknown>[] {
  return Array.isArray(managedFields) ? managedFields.filter(isPlainObject) : [];
}

function managerOf(entry: Record<string, unknown>): string | undefined {
  const manager = ownField(entry, 'manager');
  return typeof manager === 'string' && manager !== '' ? manager : undefined;
}

/** Entries of a subresource (the kubelet's `status`) cannot change spec.unschedulable. */
function onTheNodeItself(entry: Record<string, unknown>): boolean {
  const subresource = ownField(entry, 'subresource');
  return subresource === undefined || subresource === '';
}

/** Each manager's latest write on the node itself; a manager with Update and Apply entries keeps the later. */
export function managerTimes(managedFields: unknown): ManagerTimes {
  const times: Record<string, number> = {};
  for (const entry of entries(managedFields).filter(onTheNodeItself)) {
    const manager = managerOf(entry);
    const time = timeOf(ownField(entry, 'time'));
    if (manager === undefined || time === undefined) continue;
    const known = times[manager];
    if (known === undefined || time > known) times[manager] = time;
  }
  return times;
}

/**
 * The manager that owns spec.unschedulable. On a node that is not cordoned, that manager wrote it
 * false by server-side apply (an Update never owns a false value: it is not in the stored object).
 */
export function unschedulableOwner(managedFields: unknown): string | undefined {
  for (const entry of entries(managedFields)) {
    const owned = ownField(ownField(ownField(entry, 'fieldsV1'), 'f:spec'), 'f:unschedulable');
    if (owned !== undefined) return managerOf(entry);
  }
  return undefined;
}

/**
 * The manager whose write made `current` out of `before`, the version just before it: the one
 * entry that is new or has a new time. undefined when none or several did (then the write added
 * or changed no field, or the versions were not consecutive).
 */
export function writerBetween(before: ManagerTimes, current: ManagerTimes): string | undefined {
  const moved = Object.keys(current).filter((manager) => before[manager] !== current[manager]);
  return moved.length === 1 ? moved[0] : undefined;
}
