// The decision of POLICY.md, first match wins. Pure: no I/O, no clock, no globals.
import type { AdmissionRequest } from '../admission/types.ts';
import { isAllowlisted } from './allowlist.ts';
import { erroredMessage, violationMessage, violationWarning } from './message.ts';
import { CORDON_STAMP_ANNOTATION, readStamp } from './cordonStamp.ts';
import { annotation, isCordoned } from './nodeState.ts';
import { isRefused, type Evaluation, type Policy, type Transition, type ViolationReason } from './types.ts';

function isNodeUpdate(request: AdmissionRequest): boolean {
  const { kind } = request;
  return (
    kind.group === '' &&
    kind.version === 'v1' &&
    kind.kind === 'Node' &&
    request.operation === 'UPDATE' &&
    request.subResource === ''
  );
}

export function evaluate(request: AdmissionRequest, policy: Policy): Evaluation {
  if (!isNodeUpdate(request)) return { verdict: 'allow', reason: 'not-applicable', transition: 'other' };
  const { object, oldObject } = request;
  if (oldObject === null || object === null) {
    return {
      verdict: 'errored',
      message: erroredMessage(request.name, oldObject === null ? 'oldObject' : 'object'),
    };
  }

  const key = policy.maintenanceAnnotation;
  const maintenance = annotation(oldObject, key);
  const cordonedBefore = isCordoned(oldObject);
  const cordonedAfter = isCordoned(object);
  const uncordon = cordonedBefore && !cordonedAfter;
  const annotationRemoval = maintenance !== undefined && annotation(object, key) === undefined;
  // Cordons and uncordons carry the stamp /mutate writes; any other change of it is tampering.
  const stampAfter = annotation(object, CORDON_STAMP_ANNOTATION);
  const stampChanged = cordonedBefore === cordonedAfter && annotation(oldObject, CORDON_STAMP_ANNOTATION) !== stampAfter;
  if (!uncordon && !annotationRemoval && !stampChanged) return { verdict: 'allow', reason: 'not-an-uncordon', transition: 'other' };

  const allowlisted = isAllowlisted(request.userInfo, policy);
  const owner = readStamp(oldObject);
  const violation = (reason: ViolationReason, transition: Exclude<Transition, 'other'>): Evaluation => {
    const facts = { reason, request, policy, maintenance, owner };
    return { verdict: 'violation', reason, transition, message: violationMessage(facts), warning: violationWarning(facts) };
  };

  // Steps 2 to 4 of POLICY.md.
  const decide = (): Evaluation => {
    if (uncordon) {
      if (allowlisted) return { verdict: 'allow', reason: 'allowlisted', transition: 'uncordon' };
      if (maintenance !== undefined) return violation('maintenance-active', 'uncordon');
      if (policy.guardAllCordons) {
        if (policy.allowCordonOwner && owner?.user === request.userInfo.username) {
          return { verdict: 'allow', reason: 'cordon-owner', transition: 'uncordon' };
        }
        return violation('cordon-guarded', 'uncordon');
      }
      return { verdict: 'allow', reason: 'no-maintenance', transition: 'uncordon' };
    }
    if (annotationRemoval && policy.guardAnnotationRemoval && !allowlisted) return violation('annotation-removal', 'annotation-removal');
    if (stampChanged && !allowlisted) return violation('stamp-tampering', 'stamp-change');
    return { verdict: 'allow', reason: 'not-an-uncordon', transition: annotationRemoval ? 'annotation-removal' : 'stamp-change' };
  };

  const decision = decide();
  // A stamp must not outlive its cordon, whoever writes and whatever the mode: a cordon that
  // /mutate then missed would keep it, and it would name the owner of an earlier cordon. A write
  // that is refused anyway leaves no stamp behind, and keeps the reason that tells more.
  const staleStamp = (uncordon || stampChanged) && !cordonedAfter && stampAfter !== undefined;
  const refused = decision.verdict === 'violation' && isRefused(decision.reason, policy.mode);
  return staleStamp && !refused ? violation('stale-stamp', uncordon ? 'uncordon' : 'stamp-change') : decision;
}
