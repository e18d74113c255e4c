// What the plugin's cluster commands need from the API server, as plain data. The real client is
// src/kube/maintenanceClient.ts (client-node); tests use testkit/fakeMaintenanceApi.ts.
import { EXIT } from '../cli/exitCodes.ts';

export interface NodeView {
  name: string;
  resourceVersion: string;
  /** spec.unschedulable === true */
  cordoned: boolean;
  annotations: Readonly<Record<string, string>>;
}

/** An events.k8s.io/v1 Event on a Node from cordon-guard, reason UncordonDenied. */
export interface RefusalEvent {
  node: string;
  /** series.count, or 1 for an Event seen once. */
  count: number;
  /** RFC 3339: series.lastObservedTime, else eventTime. */
  lastSeen: string | undefined;
  /** The requester as the recorder wrote it in the Event's annotation; undefined on Events recorded before it did. */
  requester: string | undefined;
  note: string;
}

export interface Patched {
  node: NodeView;
  /** The API server's Warning headers (a webhook in warn mode), as kubectl prints them. */
  warnings: string[];
}

/** The policy ConfigMap's `policy.yaml`, or why it could not be read. */
export type PolicyText = { kind: 'text'; text: string; origin: string } | { kind: 'missing'; origin: string } | { kind: 'unreadable'; origin: string; why: string };

export interface MaintenanceApi {
  /** The caller's username, from a SelfSubjectReview (authentication.k8s.io/v1). */
  whoAmI(): Promise<string>;
  policyText(): Promise<PolicyText>;
  getNode(name: string): Promise<NodeView>;
  /** A JSON merge patch (RFC 7386); a `metadata.resourceVersion` in it makes it conditional. */
  patchNode(name: string, patch: Record<string, unknown>): Promise<Patched>;
  listNodes(): Promise<NodeView[]>;
  listRefusals(): Promise<RefusalEvent[]>;
}

/** The API server refused a request; `reason` and `message` are its Status's. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string | undefined;

  constructor(code: number, reason: string | undefined, message: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }

  /** 404: not found (the node); 401: cannot authenticate; anything else: refused (403, 409, 422...). */
  exitCode(): number {
    if (this.code === 404) return EXIT.notFound;
    if (this.code === 401) return EXIT.cluster;
    return EXIT.refused;
  }

  /** As kubectl prints it: `Error from server (Forbidden): ...`. */
  kubectlText(): string {
    return `Error from server${this.reason === undefined || this.reason === '' ? '' : ` (${this.reason})`}: ${this.message}`;
  }
}
