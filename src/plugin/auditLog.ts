// Reading a Kubernetes API server audit log (audit.k8s.io/v1 Events, one JSON object a line, as
// --audit-log-path writes them) for the requests that changed, or tried to change, a node's
// spec.unschedulable. Fed one line at a time; it keeps what it learns of each node (its last
// known value, who cordoned it, which field managers own the field) and the changes, never
// the lines. No I/O: `culprits.ts` streams the file into it.
//
// What a request wrote is read from its request body (level Request or RequestResponse):
// - a strategic merge or merge patch: `spec.unschedulable` true, false or null (cleared), also
//   `spec: null` and the strategic directives `$patch: replace|delete` and `$retainKeys`;
// - a JSON patch: add/replace/remove of /spec/unschedulable, /spec or the whole object, and a
//   move away from them;
// - a PUT (verb update): the whole object, re-encoded by the API server, so a cleared field is
//   simply absent and reads as false;
// - a server-side apply: a value written, or the field left out (or null) by the manager that
//   owned it alone, which removes it;
// - a create: a node registered cordoned.
// A request that leaves the value as the log last showed it is not a change; a dry run is
// nothing at all. At level RequestResponse the response body is the truth and wins.
import { isPlainObject } from '../admission/json.ts';

type Unschedulable = boolean | null;

export interface UnschedulableChange {
  /** When the API server received the request (requestReceivedTimestamp). */
  time: string;
  node: string;
  /** The identity the request acted as (the impersonated user if there was one). */
  user: string;
  userAgent: string;
  verb: string;
  /** What it wrote: true, false, or null when it cleared the field. */
  unschedulable: Unschedulable;
  /** The response code; anything but 2xx means the change did not happen. */
  code: number;
}

interface Suspect {
  user: string;
  nodes: string[];
  /** Uncordons that went through, of nodes somebody else had cordoned. */
  uncordons: number;
  /** Tries the API server refused (a webhook's 403, a 409 conflict, ...). */
  refused: number;
}

export interface MalformedLine {
  line: number;
  problem: string;
}

export interface AuditReport {
  changes: UnschedulableChange[];
  suspects: Suspect[];
  /** What the reader could not see or had to assume, one sentence each. */
  notes: string[];
  lines: number;
  malformed: number;
}

/** What a request would do to the field, before knowing the node's state. */
type Write =
  /** A patch that names the field: its value, or null when it clears it; `apply` for a server-side apply. */
  | { kind: 'set'; value: Unschedulable; apply: boolean }
  /** A whole object (PUT or create): absent reads as false. */
  | { kind: 'object'; value: boolean }
  /** A server-side apply that leaves the field out: it removes it only if that manager owned it alone. */
  | { kind: 'release' };

interface NodeState {
  /** spec.unschedulable === true, as the log last showed it; undefined before the log shows it. */
  cordoned: boolean | undefined;
  /** Who the log shows cordoning it (the last transition to cordoned); undefined when not shown. */
  cordonedBy: string | undefined;
  /** The field's managers (`apply:NAME` or `update:NAME`); undefined when unknown. */
  owners: Set<string> | undefined;
}

interface SuspectTally {
  nodes: Set<string>;
  uncordons: number;
  refused: number;
}

type Json = Record<string, unknown>;

function own(obj: Json, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A written value: booleans as they are, null for a clear; anything else the API server refuses. */
function written(value: unknown): Unschedulable | undefined {
  if (value === true || value === false || value === null) return value;
  return undefined;
}

function specOf(object: unknown): unknown {
  return isPlainObject(object) ? own(object, 'spec') : undefined;
}

/** The field in a whole spec that replaces the old one: absent is a clear. */
function inReplacedSpec(spec: unknown): Unschedulable | undefined {
  if (spec === null || spec === undefined) return null;
  if (!isPlainObject(spec)) return undefined;
  return Object.hasOwn(spec, 'unschedulable') ? written(spec.unschedulable) : null;
}

function mergePatchWrite(body: Json): Write | undefined {
  if (own(body, '$patch') === 'replace') {
    const value = inReplacedSpec(own(body, 'spec'));
    return value === undefined ? undefined : { kind: 'set', value, apply: false };
  }
  if (!Object.hasOwn(body, 'spec')) return undefined;
  const spec = body.spec;
  if (spec === null) return { kind: 'set', value: null, apply: false };
  if (!isPlainObject(spec)) return undefined;
  const directive = own(spec, '$patch');
  if (directive === 'delete') return { kind: 'set', value: null, apply: false };
  if (directive === 'replace') {
    const value = inReplacedSpec(spec);
    return value === undefined ? undefined : { kind: 'set', value, apply: false };
  }
  if (Object.hasOwn(spec, 'unschedulable')) {
    const value = written(spec.unschedulable);
    return value === undefined ? undefined : { kind: 'set', value, apply: false };
  }
  const retained = own(spec, '$retainKeys');
  if (Array.isArray(retained) && !retained.includes('unschedulable')) return { kind: 'set', value: null, apply: false };
  return undefined;
}

const FIELD = '/spec/unschedulable';

function jsonPatchWrite(ops: unknown[]): Write | undefined {
  let result: Unschedulable | undefined;
  for (const op of ops) {
    if (!isPlainObject(op)) continue;
    const path = text(op.path);
    const from = text(op.from);
    switch (op.op) {
      case 'add':
      case 'replace': {
        const value = path === FIELD ? written(op.value) : path === '/spec' ? inReplacedSpec(op.value) : path === '' ? inReplacedSpec(specOf(op.value)) : undefined;
        if (value !== undefined) result = value;
        break;
      }
      case 'remove':
        if (path === FIELD || path === '/spec' || path === '') result = null;
        break;
      case 'move':
        if (from === FIELD || from === '/spec') result = null;
        break;
      default:
        // test changes nothing; copy into the field copies a value the log does not show.
        break;
    }
  }
  return result === undefined ? undefined : { kind: 'set', value: result, apply: false };
}

function queryOf(requestURI: string): URLSearchParams {
  const at = requestURI.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : requestURI.slice(at + 1));
}

/** The field manager as the API server names it: the fieldManager parameter, else the user agent's first word. */
function managerOf(query: URLSearchParams, userAgent: string): string {
  return query.get('fieldManager') ?? userAgent.split('/')[0] ?? '';
}

/**
 * A server-side apply: `force` is refused on any other patch; without it, an apply is a whole
 * object (apiVersion and kind) sent with the fieldManager it requires.
 */
function isApply(body: Json, query: URLSearchParams): boolean {
  if (query.has('force')) return true;
  return query.has('fieldManager') && typeof body.apiVersion === 'string' && typeof body.kind === 'string';
}

function patchWrite(body: unknown, query: URLSearchParams): Write | undefined {
  if (Array.isArray(body)) return jsonPatchWrite(body);
  if (!isPlainObject(body)) return undefined;
  if (isApply(body, query)) {
    const spec = own(body, 'spec');
    const value = isPlainObject(spec) ? written(own(spec, 'unschedulable')) : undefined;
    return value === true || value === false ? { kind: 'set', value, apply: true } : { kind: 'release' };
  }
  return mergePatchWrite(body);
}

/** The managers of spec.unschedulable in an object's managedFields. */
function ownersIn(object: Json): Set<string> | undefined {
  const metadata = own(object, 'metadata');
  const entries = isPlainObject(metadata) ? own(metadata, 'managedFields') : undefined;
  if (!Array.isArray(entries)) return undefined;
  const owners = new Set<string>();
  for (const entry of entries) {
    if (!isPlainObject(entry)) continue;
    const fields = own(entry, 'fieldsV1');
    const spec = isPlainObject(fields) ? own(fields, 'f:spec') : undefined;
    if (isPlainObject(spec) && Object.hasOwn(spec, 'f:unschedulable')) {
      owners.add(`${entry.operation === 'Apply' ? 'apply' : 'update'}:${text(entry.manager) ?? ''}`);
    }
  }
  return owners;
}

function nodeNameOf(object: unknown): string | undefined {
  if (!isPlainObject(object)) return undefined;
  const metadata = own(object, 'metadata');
  return isPlainObject(metadata) ? text(own(metadata, 'name')) : undefined;
}

function isNodeObject(object: unknown): object is Json {
  return isPlainObject(object) && object.kind === 'Node';
}

export class AuditLogReader {
  readonly #onlyNode: string | undefined;
  readonly #nodes = new Map<string, NodeState>();
  readonly #changes: UnschedulableChange[] = [];
  readonly #suspects = new Map<string, SuspectTally>();
  /** Nodes whose uncordon the reader judged without seeing the cordon. */
  readonly #cordonNotShown = new Set<string>();
  /** Nodes with a change counted from a state the log had not shown yet. */
  readonly #stateNotShown = new Set<string>();
  #withoutBody = 0;
  #lines = 0;
  #malformed = 0;

  /** `node`: read only this node's requests (culprits --node). */
  constructor(options: { node?: string | undefined } = {}) {
    this.#onlyNode = options.node;
  }

  /** One line of the log; returns the problem when the line is not an audit Event (it is skipped). */
  feed(line: string): MalformedLine | undefined {
    this.#lines += 1;
    if (line.trim() === '') return undefined;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch (err) {
      return this.#bad(err instanceof Error ? `not JSON: ${err.message}` : 'not JSON');
    }
    if (!isPlainObject(event) || event.kind !== 'Event' || !String(event.apiVersion).startsWith('audit.k8s.io/')) {
      return this.#bad('not an audit.k8s.io Event');
    }
    this.#read(event);
    return undefined;
  }

  #bad(problem: string): MalformedLine {
    this.#malformed += 1;
    return { line: this.#lines, problem };
  }

  #read(event: Json): void {
    // One entry per request: the stage after the response (or a panic), not RequestReceived.
    if (event.stage !== 'ResponseComplete' && event.stage !== 'Panic') return;
    const ref = own(event, 'objectRef');
    if (!isPlainObject(ref) || ref.resource !== 'nodes' || (ref.apiGroup ?? '') !== '' || ref.subresource !== undefined) return;
    const requestURI = text(event.requestURI) ?? '';
    const query = queryOf(requestURI);
    // A dry run persists nothing: it is not a change and not an attempt.
    if (query.getAll('dryRun').length > 0) return;
    const verb = text(event.verb) ?? '';
    const status = own(event, 'responseStatus');
    const code = isPlainObject(status) && typeof status.code === 'number' ? status.code : event.stage === 'Panic' ? 500 : 0;
    const succeeded = code >= 200 && code < 300;
    const name = text(ref.name);

    if (name === undefined) {
      // A list at level RequestResponse shows every node's state.
      const list = own(event, 'responseObject');
      const items = isPlainObject(list) && succeeded ? own(list, 'items') : undefined;
      if (Array.isArray(items)) for (const item of items) this.#observe(item);
      if (verb === 'deletecollection' && succeeded) this.#nodes.clear();
      return;
    }
    if (this.#onlyNode !== undefined && name !== this.#onlyNode) return;

    const response = own(event, 'responseObject');
    const truth = succeeded && isNodeObject(response) ? response : undefined;
    if (verb === 'delete') {
      if (succeeded) this.#nodes.delete(name);
      return;
    }
    if (verb !== 'create' && verb !== 'update' && verb !== 'patch') {
      if (truth !== undefined) this.#observe(truth);
      return;
    }

    const user = this.#userOf(event);
    const userAgent = text(event.userAgent) ?? '';
    const manager = managerOf(query, userAgent);
    const body = own(event, 'requestObject');
    if (body === undefined) {
      this.#withoutBody += 1;
      if (truth !== undefined) this.#observe(truth);
      return;
    }
    let write: Write | undefined;
    if (verb === 'patch') write = patchWrite(body, query);
    else {
      const spec = specOf(body);
      write = { kind: 'object', value: isPlainObject(spec) && own(spec, 'unschedulable') === true };
    }
    // A create starts from a node that did not exist: known, and not cordoned.
    const state: NodeState = verb === 'create' ? { cordoned: false, cordonedBy: undefined, owners: new Set() } : this.#state(name);
    if (write === undefined) {
      if (truth !== undefined) this.#observe(truth);
      return;
    }
    this.#judge({ name, state, write, verb, user, userAgent, manager, code, succeeded, truth, time: text(event.requestReceivedTimestamp) ?? text(event.stageTimestamp) ?? '' });
  }

  #userOf(event: Json): string {
    const impersonated = own(event, 'impersonatedUser');
    const user = own(event, 'user');
    return (isPlainObject(impersonated) ? text(impersonated.username) : undefined) ?? (isPlainObject(user) ? text(user.username) : undefined) ?? '';
  }

  #state(name: string): NodeState {
    let state = this.#nodes.get(name);
    if (state === undefined) {
      state = { cordoned: undefined, cordonedBy: undefined, owners: undefined };
      this.#nodes.set(name, state);
    }
    return state;
  }

  /** A node object the API server returned: the truth about its state at that moment. */
  #observe(object: unknown): void {
    const name = nodeNameOf(object);
    if (name === undefined || !isPlainObject(object)) return;
    if (this.#onlyNode !== undefined && name !== this.#onlyNode) return;
    const state = this.#state(name);
    const cordoned = specOf(object) !== undefined && isPlainObject(specOf(object)) && own(specOf(object) as Json, 'unschedulable') === true;
    // A change the log did not show (a YAML apply it could not record): the cordon's author is unknown.
    if (state.cordoned !== cordoned) state.cordonedBy = undefined;
    state.cordoned = cordoned;
    state.owners = ownersIn(object) ?? state.owners;
  }

  #judge(r: {
    name: string;
    state: NodeState;
    write: Write;
    verb: string;
    user: string;
    userAgent: string;
    manager: string;
    code: number;
    succeeded: boolean;
    truth: Json | undefined;
    time: string;
  }): void {
    const { state, write } = r;
    const before = state.cordoned;
    let after: boolean;
    let isChange: boolean;
    if (write.kind === 'release') {
      // Left out of an apply: removed only when that manager was the field's one owner.
      const soleOwner = state.owners?.size === 1 && state.owners.has(`apply:${r.manager}`);
      after = soleOwner ? false : (before ?? false);
      isChange = soleOwner && before === true;
    } else {
      after = write.value === true;
      // A whole object restates every field: from a state the log has not shown, it proves nothing.
      isChange = before === undefined ? write.kind === 'set' : before !== after;
    }
    if (r.truth !== undefined) {
      after = isPlainObject(own(r.truth, 'spec')) && own(own(r.truth, 'spec') as Json, 'unschedulable') === true;
      if (before !== undefined) isChange = before !== after;
    }

    if (isChange) {
      const value = write.kind === 'release' ? null : write.value;
      this.#changes.push({ time: r.time, node: r.name, user: r.user, userAgent: r.userAgent, verb: r.verb, unschedulable: value, code: r.code });
      if (before === undefined) this.#stateNotShown.add(r.name);
      if (!after) this.#uncordon(r.name, state, r.user, r.succeeded);
    }
    if (!r.succeeded) return;

    // The request happened: what the log now knows of the node.
    // Who cordoned it: the writer of a cordon the log shows, not of a PUT that only restated it.
    if (after && isChange) state.cordonedBy = r.user;
    if (!after) state.cordonedBy = undefined;
    state.cordoned = after;
    this.#nodes.set(r.name, state);
    if (r.truth !== undefined) {
      state.owners = ownersIn(r.truth) ?? state.owners;
      return;
    }
    const key = `${write.kind === 'set' && write.apply ? 'apply' : 'update'}:${r.manager}`;
    if (write.kind === 'release') state.owners?.delete(`apply:${r.manager}`);
    else if (before === undefined) state.owners = undefined;
    else if (before !== after) {
      // A changed value moves to its writer alone; false is not stored, so an update leaves it unowned.
      state.owners = after || key.startsWith('apply:') ? new Set([key]) : new Set();
    } else if (key.startsWith('apply:')) state.owners?.add(key);
  }

  #uncordon(node: string, state: NodeState, user: string, succeeded: boolean): void {
    if (state.cordonedBy === user) return; // undoing its own cordon is not the #341 pattern
    if (state.cordonedBy === undefined) this.#cordonNotShown.add(node);
    let tally = this.#suspects.get(user);
    if (tally === undefined) {
      tally = { nodes: new Set(), uncordons: 0, refused: 0 };
      this.#suspects.set(user, tally);
    }
    tally.nodes.add(node);
    if (succeeded) tally.uncordons += 1;
    else tally.refused += 1;
  }

  report(): AuditReport {
    const suspects = [...this.#suspects]
      .map(([user, t]) => ({ user, nodes: [...t.nodes].sort(), uncordons: t.uncordons, refused: t.refused }))
      .sort((a, b) => b.uncordons + b.refused - (a.uncordons + a.refused) || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
    const notes: string[] = [];
    for (const node of [...this.#cordonNotShown].sort()) {
      notes.push(`node ${JSON.stringify(node)}: the log never shows who cordoned it, so its uncordons count as undoing somebody else's cordon`);
    }
    for (const node of [...this.#stateNotShown].sort()) {
      notes.push(`node ${JSON.stringify(node)}: a write is counted as a change although the log had not shown the node's state before it`);
    }
    if (this.#withoutBody > 0) {
      notes.push(`${this.#withoutBody} write(s) to nodes carry no request body (audit level Metadata?): culprits needs level Request for nodes`);
    }
    return { changes: [...this.#changes], suspects, notes, lines: this.#lines, malformed: this.#malformed };
  }
}
