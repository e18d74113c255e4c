// The policy in force, as the pure engine consumes it.

export const MODES = ['enforce', 'warn', 'audit'] as const;
export type Mode = (typeof MODES)[number];

export interface AllowlistPatterns {
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
  allow: AllowlistPatterns;
}

export type Matcher = (value: string) => boolean;

export interface Policy extends PolicySettings {
  /** Where the settings came from, as named in messages: "cordon-guard/cordon-guard-policy". */
  origin: string;
  /** The allowlist compiled once per policy version, not per request. */
  matchers: { users: Matcher; groups: Matcher; serviceAccounts: Matcher };
}

export const DEFAULT_MAINTENANCE_ANNOTATION = 'cordon-guard.io/maintenance';

export const DEFAULT_SETTINGS: PolicySettings = {
  mode: 'enforce',
  maintenanceAnnotation: DEFAULT_MAINTENANCE_ANNOTATION,
  guardAllCordons: false,
  guardAnnotationRemoval: false,
  allowCordonOwner: true,
  allow: { users: [], groups: [], serviceAccounts: [] },
};
