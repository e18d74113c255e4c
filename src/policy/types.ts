// The shared vocabulary of the pure core: the policy in force, and what the engine says of a request.

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

const DEFAULT_MAINTENANCE_ANNOTATION = 'cordon-guard.io/maintenance';

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

export type Evaluation =
  | { verdict: 'allow'; reason: AllowReason; transition: Transition }
  | {
      verdict: 'violation';
      reason: ViolationReason;
      transition: Exclude<Transition, 'other'>;
      /** M: the one-line message for the client, the log and the Event. */
      message: string;
      /** W: M's short form for `warnings`, at most 256 bytes. */
      warning: string;
    }
  /** The request cannot be judged (a Node UPDATE without oldObject or object). */
  | { verdict: 'errored'; message: string };
