// An API server for the plugin's unit tests: nodes with resourceVersions, JSON merge patches
// with the resourceVersion precondition (409 when stale), and hooks to refuse a patch or to play
// a concurrent writer.
import type { CommandIo } from '../src/cli/io.ts';
import { ApiError, type MaintenanceApi, type NodeView, type Patched, type PolicyText, type RefusalEvent } from '../src/plugin/api.ts';

interface StoredNode {
  resourceVersion: number;
  cordoned: boolean;
  annotations: Record<string, string>;
}

type MergePatch = { metadata?: { resourceVersion?: string; annotations?: Record<string, string | null> }; spec?: { unschedulable?: boolean | null } };

export class FakeMaintenanceApi implements MaintenanceApi {
  readonly nodes = new Map<string, StoredNode>();
  /** Every patch sent, applied or not. */
  readonly patches: { name: string; patch: MergePatch }[] = [];
  user: string | Error = 'admin';
  /** The installed policy ConfigMap, at the defaults. */
  policy: PolicyText = { kind: 'text', text: 'mode: enforce\n', origin: 'cordon-guard/cordon-guard-policy' };
  refusals: RefusalEvent[] | ApiError = [];
  /** Warning headers for every applied patch. */
  warnings: string[] = [];
  /** Runs before a patch is judged: throw to refuse it, or write the node to play a concurrent writer. */
  beforePatch: (name: string, patch: MergePatch, index: number) => void = () => undefined;

  addNode(name: string, node: { cordoned?: boolean; annotations?: Record<string, string> } = {}): void {
    this.nodes.set(name, { resourceVersion: 100, cordoned: node.cordoned ?? false, annotations: { ...node.annotations } });
  }

  /** Another writer's change: a new resourceVersion. */
  touch(name: string, change: (node: StoredNode) => void = () => undefined): void {
    const node = this.#stored(name);
    change(node);
    node.resourceVersion += 1;
  }

  #stored(name: string): StoredNode {
    const node = this.nodes.get(name);
    if (node === undefined) throw new ApiError(404, 'NotFound', `nodes "${name}" not found`);
    return node;
  }

  #view(name: string): NodeView {
    const node = this.#stored(name);
    return { name, resourceVersion: String(node.resourceVersion), cordoned: node.cordoned, annotations: { ...node.annotations } };
  }

  whoAmI(): Promise<string> {
    return this.user instanceof Error ? Promise.reject(this.user) : Promise.resolve(this.user);
  }

  policyText(): Promise<PolicyText> {
    return Promise.resolve(this.policy);
  }

  getNode(name: string): Promise<NodeView> {
    // A throw in the executor (a 404) becomes the rejection.
    return new Promise((resolve) => resolve(this.#view(name)));
  }

  patchNode(name: string, body: Record<string, unknown>): Promise<Patched> {
    const patch = body as MergePatch;
    this.patches.push({ name, patch });
    return new Promise((resolve) => {
      this.beforePatch(name, patch, this.patches.length - 1);
      const node = this.#stored(name);
      const expected = patch.metadata?.resourceVersion;
      if (expected !== undefined && expected !== String(node.resourceVersion)) {
        throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on nodes "${name}": the object has been modified; please apply your changes to the latest version and try again`);
      }
      for (const [key, value] of Object.entries(patch.metadata?.annotations ?? {})) {
        if (value === null) delete node.annotations[key];
        else node.annotations[key] = value;
      }
      if (patch.spec !== undefined && 'unschedulable' in patch.spec) node.cordoned = patch.spec.unschedulable === true;
      node.resourceVersion += 1;
      resolve({ node: this.#view(name), warnings: [...this.warnings] });
    });
  }

  listNodes(): Promise<NodeView[]> {
    return Promise.resolve([...this.nodes.keys()].map((name) => this.#view(name)));
  }

  listRefusals(): Promise<RefusalEvent[]> {
    return this.refusals instanceof ApiError ? Promise.reject(this.refusals) : Promise.resolve(this.refusals);
  }
}

/** Collects what a command writes. */
export function capturedIo(): { stdout: string[]; stderr: string[]; io: CommandIo } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, io: { stdout: (t) => void stdout.push(t), stderr: (t) => void stderr.push(t) } };
}
