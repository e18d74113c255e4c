// `cordon-guard list`: every node that is cordoned or under maintenance, with who started the
// maintenance and when (the start record), who cordoned it (the cordon stamp) and how many
// uncordons cordon-guard refused on it (its UncordonDenied and UncordonPrevented Events), and its
// drift (src/plugin/listDrift.ts): under maintenance but schedulable, or past maintenanceMaxAge.
import type { ListOptions } from '../cli/pluginArgs.ts';
import { readStamp } from '../policy/cordonStamp.ts';
import { ApiError, type MaintenanceApi, type NodeView, type RefusalEvent } from './api.ts';
import { EXIT } from '../cli/exitCodes.ts';
import type { CommandIo } from '../cli/io.ts';
import { age } from './age.ts';
import { driftCell, withDrift } from './listDrift.ts';
import { listSettings } from './maintenanceKey.ts';
import { readStartRecord } from './startRecord.ts';
import { formatTable } from './table.ts';

/** One row; the JSON keys are a contract. A key without a value is null. */
export interface ListRow {
  name: string;
  cordoned: boolean;
  reason: string | null;
  since: string | null;
  startedBy: string | null;
  cordonedBy: string | null;
  /** null when the Events could not be read. */
  refusedUncordons: number | null;
  lastRefusedBy: string | null;
}

const QUOTED = '"(?:[^"\\\\]|\\\\.)*"';
/**
 * M of POLICY.md, `cordon-guard denied uncordon of node "N" by "U": ...`, and M' of mode
 * preserve, `cordon-guard kept node "N" cordoned: "U" may not uncordon it, ...`.
 */
const NOTES = [
  new RegExp(`^cordon-guard (?:denied|would deny) uncordon of node ${QUOTED} by (${QUOTED}):`),
  new RegExp(`^cordon-guard kept node ${QUOTED} cordoned(?: and under maintenance)?: (${QUOTED}) may not uncordon it`),
];

/** The requester named in an Event's note, for Events written before the requester annotation. */
export function requesterFromNote(note: string): string | undefined {
  const quoted = NOTES.map((pattern) => pattern.exec(note)?.[1]).find((q) => q !== undefined);
  if (quoted === undefined) return undefined;
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return undefined;
  }
}

export function listRows(nodes: readonly NodeView[], refusals: readonly RefusalEvent[] | undefined, key: string): ListRow[] {
  const byNode = new Map<string, RefusalEvent[]>();
  for (const event of refusals ?? []) byNode.set(event.node, [...(byNode.get(event.node) ?? []), event]);
  // A node put under maintenance by start under another key (--annotation, or an older policy)
  // is read with the key its start record names.
  const reasonOf = (node: NodeView): string | undefined => {
    const record = readStartRecord(node.annotations);
    return node.annotations[key] ?? (record === undefined || record.annotation === '' ? undefined : node.annotations[record.annotation]);
  };
  return nodes
    .filter((n) => n.cordoned || reasonOf(n) !== undefined)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((node) => {
      const record = readStartRecord(node.annotations);
      const stamp = readStamp({ metadata: { annotations: node.annotations } });
      const events = byNode.get(node.name) ?? [];
      let last: RefusalEvent | undefined;
      for (const event of events) if (last === undefined || (event.lastSeen ?? '') > (last.lastSeen ?? '')) last = event;
      return {
        name: node.name,
        cordoned: node.cordoned,
        reason: reasonOf(node) ?? null,
        since: record?.at ?? null,
        startedBy: record?.by ?? null,
        cordonedBy: stamp?.user ?? null,
        refusedUncordons: refusals === undefined ? null : events.reduce((sum, e) => sum + e.count, 0),
        lastRefusedBy: last === undefined ? null : (last.requester ?? requesterFromNote(last.note) ?? null),
      };
    });
}

export async function runList(options: ListOptions, api: MaintenanceApi, io: CommandIo, now: () => Date = () => new Date()): Promise<number> {
  const { key, maintenanceMaxAge } = await listSettings(options.annotation, api, io);
  const nodes = await api.listNodes();
  let refusals: RefusalEvent[] | undefined;
  try {
    refusals = await api.listRefusals();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    io.stderr(`note: cannot list Events in namespace default (${err.kubectlText()}); REFUSED is unknown\n`);
  }
  const at = now();
  const rows = withDrift(listRows(nodes, refusals, key), maintenanceMaxAge, at.getTime());
  if (options.output === 'json') {
    io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    return EXIT.ok;
  }
  if (rows.length === 0) {
    io.stdout('No nodes are cordoned or under maintenance.\n');
    return EXIT.ok;
  }
  io.stdout(
    formatTable(
      ['NAME', 'CORDONED', 'REASON', 'AGE', 'STARTED-BY', 'CORDONED-BY', 'REFUSED', 'LAST-REFUSED-BY', 'DRIFT'],
      rows.map((r) => [r.name, r.cordoned, r.reason, r.since === null ? null : age(r.since, at), r.startedBy, r.cordonedBy, r.refusedUncordons ?? 'unknown', r.lastRefusedBy, driftCell(r)]),
    ),
  );
  return EXIT.ok;
}
