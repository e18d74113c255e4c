// M and W of POLICY.md: the line an operator reads in the refused controller's log.
// Order: webhook, node, requester, the violation in words, the annotation, the way out.
import type { AdmissionRequest } from '../admission/types.ts';
import { firstChars, printable, quoted, withinBytes } from '../text/text.ts';
import type { Policy, ViolationReason } from './types.ts';
import { CORDON_STAMP_ANNOTATION, type CordonStamp } from './cordonStamp.ts';

export const MESSAGE_MAX_CHARS = 1024;
export const WARNING_MAX_BYTES = 256;
export const ANNOTATION_VALUE_MAX_CHARS = 120;
const NAME_MAX_CHARS = 253;
const ORIGIN_MAX_CHARS = 200;

export interface ViolationFacts {
  reason: ViolationReason;
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

function action(reason: ViolationReason): string {
  if (reason === 'annotation-removal') return 'removal of the maintenance annotation from node';
  if (reason === 'stamp-tampering') return `change of the ${CORDON_STAMP_ANNOTATION} stamp on node`;
  return 'uncordon of node';
}

function ownerWords(facts: ViolationFacts): string {
  const { owner } = facts;
  return owner === undefined ? '' : `; cordoned by ${quoted(owner.user, NAME_MAX_CHARS)} at ${quoted(owner.at, 40)}`;
}

export function violationMessage(facts: ViolationFacts): string {
  const { reason, request, policy } = facts;
  const verb = policy.mode === 'enforce' ? 'denied' : 'would deny';
  const who = `${quoted(request.name, NAME_MAX_CHARS)} by ${quoted(request.userInfo.username, NAME_MAX_CHARS)}`;
  const where = `(policy ${printable(firstChars(policy.origin, ORIGIN_MAX_CHARS))})`;
  const because = {
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
  }[reason];
  return firstChars(`cordon-guard ${verb} ${action(reason)} ${who}: ${because}`, MESSAGE_MAX_CHARS);
}

/** W: node and requester first, then why; the API server may cut warnings past 256 characters. */
export function violationWarning(facts: ViolationFacts): string {
  const { reason, request } = facts;
  const what = { 'annotation-removal': 'maintenance annotation removal', 'stamp-tampering': 'cordon stamp change' }[reason as string] ?? 'uncordon';
  const why = {
    'maintenance-active': `node under maintenance (${maintenanceWords(facts)})`,
    'cordon-guarded': `guardAllCordons is on${ownerWords(facts)}`,
    'annotation-removal': 'guardAnnotationRemoval is on',
    'stamp-tampering': `only cordon-guard writes ${CORDON_STAMP_ANNOTATION}`,
  }[reason];
  return withinBytes(
    `node ${quoted(request.name, 63)} ${what} by ${quoted(request.userInfo.username, 63)} ` +
      `would be denied by cordon-guard in enforce mode: ${why}`,
    WARNING_MAX_BYTES,
  );
}

export function erroredMessage(node: string, missing: 'oldObject' | 'object'): string {
  return `cordon-guard cannot judge UPDATE of node ${quoted(node, NAME_MAX_CHARS)}: the review has no ${missing}`;
}
