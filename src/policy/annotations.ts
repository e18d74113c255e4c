// Every annotation key cordon-guard reads or writes on a Node, defined once (POLICY.md).

/** The policy's `maintenanceAnnotation` when the document names none. */
export const DEFAULT_MAINTENANCE_ANNOTATION = 'cordon-guard.io/maintenance';

/** Who cordoned the node: written by /mutate alone (POLICY.md "Cordon ownership"). */
export const CORDON_STAMP_ANNOTATION = 'cordon-guard.io/cordoned-by';

/**
 * The start record of `kubectl cordon-guard start` (POLICY.md "Maintenance started by the kubectl
 * plugin"): it belongs to the maintenance, so a repair that puts the maintenance annotation back
 * puts it back too, and a later `end` still knows whether the node was cordoned before.
 */
export const START_RECORD_ANNOTATION = 'cordon-guard.io/maintenance-started';
