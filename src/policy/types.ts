// The shared vocabulary of the pure core: the policy in force, and what the engine says of a request.
import { DEFAULT_MAINTENANCE_ANNOTATION } from './annotations.ts';

/** The two admission endpoints: /validate judges a write, /mutate stamps and, in `preserve`, repairs it. */
export type Endpoint = 'validate' | 'mutate';

export const MODES = ['enforce', 'warn', 'audit', 'preserve'] as const;
export type Mode = (typeof MODES)[number];

interface AllowlistPatterns {
  users: string[];
  groups: string[];
  serviceAccounts: string[];
}

/** The policy document's settings, with every default filled in. */
export interface PolicySettings {
  mode: Mode;
  maintenanceAnnotation: string;
  guardAllCordons: boolean;
  guardAnnotationRemoval: boolean;
  /** Under guardAllCordons, whoever cordoned a node (its cordon stamp) may uncordon it. */
  allowCordonOwner: boolean;
  /** The leader cordons again a node under maintenance found schedulable (POLICY.md "Drift"). */
  recordon: boolean;
  /** Milliseconds after which a maintenance counts as overdue; null: never. */
  maintenanceMaxAge: number | null;
  allow: AllowlistPatterns;
}

export type Matcher = (value: string) => boolean;

export interface Policy extends PolicySettings {
  /** Where the settings came from, as named in messages: "cordon-guard/cordon-guard-policy". */
  origin: string;
  /** The allowlist compiled once per policy version, not per request. */
  matchers: { users: Matcher; groups: Matcher; serviceAccounts: Matcher };
}

export const DEFAULT_SETTINGS: PolicySettings = {
  mode: 'enforce',
  maintenanceAnnotation: DEFAULT_MAINTENANCE_ANNOTATION,
  guardAllCordons: false,
  guardAnnotationRemoval: false,
  allowCordonOwner: true,
  recordon: false,
  maintenanceMaxAge: null,
  allow: { users: [], groups: [], serviceAccounts: [] },
};

type AllowReason = 'not-applicable' | 'allowlisted' | 'no-maintenance' | 'cordon-owner' | 'not-an-uncordon';
export type ViolationReason = 'maintenance-active' | 'cordon-guarded' | 'annotation-removal' | 'stamp-tampering' | 'stale-stamp';

/**
 * Whether a violation is refused: in `enforce` and `preserve` (where /validate is the backstop of
 * /mutate's repair), and `stale-stamp` in every mode (POLICY.md "Cordon ownership").
 */
export function isRefused(reason: ViolationReason, mode: Mode): boolean {
  return reason === 'stale-stamp' || mode === 'enforce' || mode === 'preserve';
}
/** What the request does to the guarded state; only these transitions are judged. */
export type Transition = 'uncordon' | 'annotation-removal' | 'stamp-change' | 'other';

/** What a Node UPDATE does to the cordon and to the stamp it carries: all that /mutate's stamp reads. */
export interface UpdateFacts {
  readonly write: 'update';
  readonly cordonedBefore: boolean;
  readonly cordonedAfter: boolean;
  /** object's cordon stamp as sent, before /mutate removes it from an uncordon. */
  readonly stampAfter: string | undefined;
}

/** What a request writes, read once (src/policy/nodeState.ts): both endpoints decide from it. */
export type NodeWrite =
  /** Not a write of a Node object itself: POLICY.md step 1. */
  | { readonly write: 'other' }
  /** Only /mutate reads a CREATE: it stamps a node created cordoned. */
  | { readonly write: 'create'; readonly cordoned: boolean }
  /** A Node UPDATE that cannot be judged. */
  | { readonly write: 'incomplete'; readonly missing: 'oldObject' | 'object' }
  | UpdateFacts;

/** Who cordoned a node, as its cordon stamp says (src/policy/cordonStamp.ts). */
export interface CordonStamp {
  user: string;
  at: string;
}

/** A judged transition: the facts of the write, and what the evaluation read besides. */
interface Judged {
  facts: UpdateFacts;
  /** oldObject's maintenance annotation; undefined when the node was not under maintenance. */
  maintenance: string | undefined;
  /** object no longer carries the maintenance annotation that oldObject had. */
  maintenanceRemoved: boolean;
  stampBefore: string | undefined;
  allowlisted: boolean;
  /** Who cordoned the node, from oldObject's stamp. */
  owner: CordonStamp | undefined;
}

export type Violation = Judged & {
  verdict: 'violation';
  reason: ViolationReason;
  transition: Exclude<Transition, 'other'>;
  /** M: the one-line message for the client, the log and the Event. */
  message: string;
  /** W: M's short form for `warnings`, at most 256 bytes. */
  warning: string;
};

export type Evaluation =
  /** Not a write of a Node object (POLICY.md step 1). */
  | { verdict: 'allow'; reason: 'not-applicable'; transition: 'other' }
  /** A Node UPDATE that changes no guarded state. */
  | { verdict: 'allow'; reason: 'not-an-uncordon'; transition: 'other'; facts: UpdateFacts }
  | (Judged & { verdict: 'allow'; reason: Exclude<AllowReason, 'not-applicable'>; transition: Exclude<Transition, 'other'> })
  | Violation
  /** The request cannot be judged (a Node UPDATE without oldObject or object). */
  | { verdict: 'errored'; message: string };
