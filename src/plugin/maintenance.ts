// `cordon-guard start` and `end`: maintenance in one safe step each.
// - start cordons, sets the maintenance annotation (the reason) and the start record in ONE merge
//   patch, conditional on the resourceVersion it read: a controller cannot slip in between, and a
//   concurrent writer makes it fail (409) rather than be overwritten; a conflict is retried with
//   a fresh read.
// - end removes the annotation and the record in their own request (the webhook only lets an
//   uncordon through once maintenance is over), then uncordons, unless the record says the node
//   was cordoned before start (kured's rule: never bring online a node someone else took offline).
import type { EndOptions, StartOptions } from '../cli/pluginArgs.ts';
import { printable } from '../text/text.ts';
import { errorMessage } from '../text/errors.ts';
import { ApiError, type MaintenanceApi, type NodeView, type Patched } from './api.ts';
import { EXIT } from '../cli/exitCodes.ts';
import type { CommandIo } from '../cli/io.ts';
import { maintenanceKey } from './maintenanceKey.ts';
import { rfc3339 } from '../policy/cordonStamp.ts';
import { START_RECORD_ANNOTATION } from '../policy/annotations.ts';
import { readStartRecord, type StartRecord } from './startRecord.ts';

/** Tries of a conditional patch before a conflict is reported. */
export const CONFLICT_TRIES = 5;


function shown(text: string): string {
  return JSON.stringify(printable(text));
}

function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409;
}

function printWarnings(io: CommandIo, patched: Patched): void {
  for (const warning of patched.warnings) io.stderr(`Warning: ${printable(warning)}\n`);
}

function startedWords(record: StartRecord | undefined): string {
  if (record === undefined) return '';
  return `, started by ${record.by === null ? 'an unknown user' : shown(record.by)} at ${record.at}`;
}

export async function runStart(options: StartOptions, api: MaintenanceApi, io: CommandIo, now: () => Date = () => new Date()): Promise<number> {
  const key = await maintenanceKey(options.annotation, api, io);
  let by: string | null = null;
  try {
    by = await api.whoAmI();
  } catch (err) {
    io.stderr(`note: the API server would not say who you are (${err instanceof ApiError ? err.kubectlText() : errorMessage(err)}); the start record names nobody\n`);
  }
  const name = options.node;
  for (let attempt = 1; ; attempt++) {
    const node = await api.getNode(name);
    const existing = node.annotations[key];
    if (existing !== undefined) {
      io.stdout(`node/${name} is already under maintenance: ${key}=${shown(existing)}${startedWords(readStartRecord(node.annotations))}; nothing changed\n`);
      return EXIT.ok;
    }
    const record: StartRecord = { by, at: rfc3339(now()), wasCordoned: node.cordoned, annotation: key };
    const patch = {
      metadata: { resourceVersion: node.resourceVersion, annotations: { [key]: options.reason, [START_RECORD_ANNOTATION]: JSON.stringify(record) } },
      spec: { unschedulable: true },
    };
    try {
      printWarnings(io, await api.patchNode(name, patch));
    } catch (err) {
      if (isConflict(err) && attempt < CONFLICT_TRIES) continue;
      throw err;
    }
    io.stdout(
      node.cordoned
        ? `node/${name} was already cordoned; now under maintenance: ${key}=${shown(options.reason)} (end will leave it cordoned)\n`
        : `node/${name} cordoned and under maintenance: ${key}=${shown(options.reason)}\n`,
    );
    return EXIT.ok;
  }
}

/** Step 1 of end: the annotation and the record, in their own request. Returns the node after it, or undefined if there was nothing to end. */
async function removeAnnotation(name: string, key: string | undefined, api: MaintenanceApi, io: CommandIo): Promise<{ node: NodeView; record: StartRecord | undefined; key: string } | undefined> {
  for (let attempt = 1; ; attempt++) {
    const node = await api.getNode(name);
    const record = readStartRecord(node.annotations);
    // The key start set is in its record; without one, the flag or the policy's.
    const chosen = key ?? (record !== undefined && record.annotation !== '' ? record.annotation : await maintenanceKey(undefined, api, io));
    if (node.annotations[chosen] === undefined) {
      io.stdout(`node/${name} is not under maintenance (no ${chosen} annotation); nothing changed\n`);
      return undefined;
    }
    const annotations: Record<string, null> = { [chosen]: null };
    if (node.annotations[START_RECORD_ANNOTATION] !== undefined) annotations[START_RECORD_ANNOTATION] = null;
    try {
      const patched = await api.patchNode(name, { metadata: { resourceVersion: node.resourceVersion, annotations } });
      printWarnings(io, patched);
      io.stdout(`node/${name} maintenance ended (${chosen} removed${startedWords(record)})\n`);
      return { node: patched.node, record, key: chosen };
    } catch (err) {
      if (isConflict(err) && attempt < CONFLICT_TRIES) continue;
      throw err;
    }
  }
}

export async function runEnd(options: EndOptions, api: MaintenanceApi, io: CommandIo): Promise<number> {
  const name = options.node;
  const ended = await removeAnnotation(name, options.annotation, api, io);
  if (ended === undefined) return EXIT.ok;
  const { record, key } = ended;
  if (record?.wasCordoned === true) {
    io.stdout(`node/${name} left cordoned: it was cordoned before the maintenance started\n`);
    return EXIT.ok;
  }
  if (record === undefined) io.stdout(`node/${name} has no start record (maintenance not started by cordon-guard start): uncordoning it, as the manual procedure does\n`);
  let node = ended.node;
  for (let attempt = 1; ; attempt++) {
    if (!node.cordoned) {
      io.stdout(`node/${name} is already schedulable\n`);
      return EXIT.ok;
    }
    if (node.annotations[key] !== undefined) {
      io.stdout(`node/${name} is under maintenance again (${key}=${shown(node.annotations[key])}); left cordoned\n`);
      return EXIT.ok;
    }
    try {
      printWarnings(io, await api.patchNode(name, { metadata: { resourceVersion: node.resourceVersion }, spec: { unschedulable: null } }));
      io.stdout(`node/${name} uncordoned\n`);
      return EXIT.ok;
    } catch (err) {
      if (isConflict(err) && attempt < CONFLICT_TRIES) {
        node = await api.getNode(name);
        continue;
      }
      if (!(err instanceof ApiError)) throw err;
      io.stderr(`${err.kubectlText()}\n`);
      io.stderr(`node/${name}: the maintenance annotation was removed, but the node is still cordoned\n`);
      return err.exitCode();
    }
  }
}
