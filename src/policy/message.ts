// M and W of POLICY.md: the line an operator reads in the refused controller's log.
// Order: webhook, node, requester, the violation in words, the annotation, the way out.
import type { AdmissionRequest } from '../admission/types.ts';
import { firstChars, printable, quoted, withinBytes } from '../text/text.ts';
import { isRefused, type CordonStamp, type Policy, type Transition, type ViolationReason } from './types.ts';
import { CORDON_STAMP_ANNOTATION } from './annotations.ts';

export const MESSAGE_MAX_CHARS = 1024;
export const WARNING_MAX_BYTES = 256;
export const ANNOTATION_VALUE_MAX_CHARS = 120;
const NAME_MAX_CHARS = 253;
const ORIGIN_MAX_CHARS = 200;

export interface ViolationFacts {
  reason: ViolationReason;
  /** What the request does to the guarded state. */
  transition: Exclude<Transition, 'other'>;
  request: AdmissionRequest;
  policy: Policy;
  /** The maintenance annotation's value on oldObject, if it was present. */
  maintenance: string | undefined;
  /** Who cordoned the node, from oldObject's cordon stamp. */
  owner?: CordonStamp | undefined;
}

/** The annotation value: control characters dropped, then cut to 120 characters. */
function annotationValue(value: string): string {
  return JSON.stringify(firstChars(printable(value), ANNOTATION_VALUE_MAX_CHARS));
}

function maintenanceWords(facts: ViolationFacts): string {
  const key = printable(facts.policy.maintenanceAnnotation);
  return facts.maintenance === undefined ? `no ${key} annotation` : `${key}=${annotationValue(facts.maintenance)}`;
}

/** What the request does, in M (`long`) and in W (`short`). */
function action(facts: ViolationFacts): { long: string; short: string } {
  return {
    uncordon: { long: 'uncordon of node', short: 'uncordon' },
    'annotation-removal': { long: 'removal of the maintenance annotation from node', short: 'maintenance annotation removal' },
    'stamp-change': { long: `change of the ${CORDON_STAMP_ANNOTATION} stamp on node`, short: 'cordon stamp change' },
  }[facts.transition];
}

function ownerWords(facts: ViolationFacts): string {
  const { owner } = facts;
  return owner === undefined ? '' : `; cordoned by ${quoted(owner.user, NAME_MAX_CHARS)} at ${quoted(owner.at, 40)}`;
}

/** Why the write is a violation, and the way out: the part of M after the node and requester. */
function because(facts: ViolationFacts): string {
  const { reason, policy } = facts;
  const where = `(policy ${printable(firstChars(policy.origin, ORIGIN_MAX_CHARS))})`;
  return {
    'maintenance-active':
      `node is under maintenance (${maintenanceWords(facts)}); only allowlisted requesters may uncordon it ${where}, ` +
      'or remove the annotation first in a separate request',
    'cordon-guarded':
      `node is cordoned and guardAllCordons is on (${maintenanceWords(facts)}${ownerWords(facts)}); ` +
      `only ${facts.owner !== undefined && policy.allowCordonOwner ? 'the requester who cordoned it or ' : ''}` +
      `allowlisted requesters may uncordon it ${where}`,
    'stamp-tampering':
      `the stamp records who cordoned the node and only cordon-guard writes it (${maintenanceWords(facts)}${ownerWords(facts)}); ` +
      `only allowlisted requesters may change it ${where}; cordon or uncordon the node instead`,
    'annotation-removal':
      `removing the maintenance annotation is guarded (${maintenanceWords(facts)}); ` +
      `only allowlisted requesters may end maintenance ${where}`,
    'stale-stamp':
      `the node would not be cordoned and still carry the ${CORDON_STAMP_ANNOTATION} stamp, which would then name the owner of ` +
      `a later cordon that /mutate missed (${maintenanceWords(facts)}${ownerWords(facts)}); /mutate removes the stamp on an ` +
      `uncordon and did not, so it may be down: retry, or remove the stamp in the same request ${where}`,
  }[reason];
}

export function violationMessage(facts: ViolationFacts): string {
  const { reason, request, policy } = facts;
  const verb = isRefused(reason, policy.mode) ? 'denied' : 'would deny';
  const who = `${quoted(request.name, NAME_MAX_CHARS)} by ${quoted(request.userInfo.username, NAME_MAX_CHARS)}`;
  return firstChars(`cordon-guard ${verb} ${action(facts).long} ${who}: ${because(facts)}`, MESSAGE_MAX_CHARS);
}

/** W: node and requester first, then why; the API server may cut warnings past 256 characters. */
export function violationWarning(facts: ViolationFacts): string {
  const { request } = facts;
  return withinBytes(
    `node ${quoted(request.name, 63)} ${action(facts).short} by ${quoted(request.userInfo.username, 63)} ` +
      `would be denied by cordon-guard in enforce mode: ${shortWhy(facts)}`,
    WARNING_MAX_BYTES,
  );
}

function shortWhy(facts: ViolationFacts): string {
  return {
    'maintenance-active': `node under maintenance (${maintenanceWords(facts)})`,
    'cordon-guarded': `guardAllCordons is on${ownerWords(facts)}`,
    'annotation-removal': 'guardAnnotationRemoval is on',
    'stamp-tampering': `only cordon-guard writes ${CORDON_STAMP_ANNOTATION}`,
    'stale-stamp': `a node that is not cordoned must not carry ${CORDON_STAMP_ANNOTATION}`,
  }[facts.reason];
}

/** What /mutate put back in `preserve` mode (src/policy/repair.ts). */
export type Kept = 'cordon' | 'maintenance-annotation' | 'stamp';

function keptWords(kept: readonly Kept[], node: string): { subject: string; denied: string } {
  if (kept.includes('cordon')) {
    return { subject: `node ${node} cordoned${kept.includes('maintenance-annotation') ? ' and under maintenance' : ''}`, denied: 'uncordon it' };
  }
  if (kept.includes('maintenance-annotation')) return { subject: `the maintenance annotation on node ${node}`, denied: 'remove it' };
  return { subject: `the cordon stamp on node ${node}`, denied: `change ${CORDON_STAMP_ANNOTATION}` };
}

/** M of a repair: the guarded part of the write was undone and the rest applied; then why, as in M. */
export function repairMessage(facts: ViolationFacts, kept: readonly Kept[]): string {
  const { subject, denied } = keptWords(kept, quoted(facts.request.name, NAME_MAX_CHARS));
  const who = quoted(facts.request.userInfo.username, NAME_MAX_CHARS);
  return firstChars(`cordon-guard kept ${subject}: ${who} may not ${denied}, and the rest of the write was applied; ${because(facts)}`, MESSAGE_MAX_CHARS);
}

/** W of a repair, for the answer's `warnings`: node and requester first, at most 256 bytes. */
export function repairWarning(facts: ViolationFacts, kept: readonly Kept[]): string {
  const { subject, denied } = keptWords(kept, quoted(facts.request.name, 63));
  const who = quoted(facts.request.userInfo.username, 63);
  return withinBytes(`cordon-guard kept ${subject}: ${who} may not ${denied}; the rest of the write was applied (${shortWhy(facts)})`, WARNING_MAX_BYTES);
}

export function erroredMessage(node: string, missing: 'oldObject' | 'object'): string {
  return `cordon-guard cannot judge UPDATE of node ${quoted(node, NAME_MAX_CHARS)}: the review has no ${missing}`;
}
