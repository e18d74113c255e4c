// The decision of POLICY.md, first match wins. Pure: no I/O, no clock, no globals.
import type { AdmissionRequest } from '../admission/types.ts';
import { isAllowlisted } from './allowlist.ts';
import { CORDON_STAMP_ANNOTATION } from './annotations.ts';
import { readStamp } from './cordonStamp.ts';
import { erroredMessage, violationMessage, violationWarning } from './message.ts';
import { annotation, isCordoned, nodeWrite } from './nodeState.ts';
import { isRefused, type Endpoint, type Evaluation, type JudgedFacts, type Policy, type Transition, type Violation, type ViolationReason } from './types.ts';

/**
 * The one evaluation of a request, its facts with it, as /validate judges the write. /mutate
 * evaluates before it answers: it removes the stamp of every uncordon that it lets through, so it
 * evaluates an uncordon without its stamp (`endpoint` 'mutate'), which is what /validate then sees.
 */
export function evaluate(request: AdmissionRequest, policy: Policy, endpoint: Endpoint = 'validate'): Evaluation {
  if (nodeWrite(request) !== 'UPDATE') return { verdict: 'allow', reason: 'not-applicable', transition: 'other' };
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
  const maintenanceRemoved = maintenance !== undefined && annotation(object, key) === undefined;
  const stampBefore = annotation(oldObject, CORDON_STAMP_ANNOTATION);
  const stampAfter = annotation(object, CORDON_STAMP_ANNOTATION);
  // Cordons and uncordons carry the stamp /mutate writes; any other change of it is tampering.
  const stampChanged = cordonedBefore === cordonedAfter && stampBefore !== stampAfter;
  if (!uncordon && !maintenanceRemoved && !stampChanged) {
    return { verdict: 'allow', reason: 'not-an-uncordon', transition: 'other', facts: { cordonedBefore, cordonedAfter, maintenance, maintenanceRemoved, stampBefore, stampAfter } };
  }

  const allowlisted = isAllowlisted(request.userInfo, policy);
  const owner = readStamp(oldObject);
  const facts: JudgedFacts = { cordonedBefore, cordonedAfter, maintenance, maintenanceRemoved, stampBefore, stampAfter, allowlisted, owner };
  const violation = (reason: ViolationReason, transition: Exclude<Transition, 'other'>): Violation => {
    const words = { reason, transition, request, policy, maintenance, owner };
    return { verdict: 'violation', reason, transition, message: violationMessage(words), warning: violationWarning(words), facts };
  };

  // Steps 2 to 4 of POLICY.md.
  const decide = (): Evaluation => {
    if (uncordon) {
      if (allowlisted) return { verdict: 'allow', reason: 'allowlisted', transition: 'uncordon', facts };
      if (maintenance !== undefined) return violation('maintenance-active', 'uncordon');
      if (policy.guardAllCordons) {
        if (policy.allowCordonOwner && owner?.user === request.userInfo.username) {
          return { verdict: 'allow', reason: 'cordon-owner', transition: 'uncordon', facts };
        }
        return violation('cordon-guarded', 'uncordon');
      }
      return { verdict: 'allow', reason: 'no-maintenance', transition: 'uncordon', facts };
    }
    if (maintenanceRemoved && policy.guardAnnotationRemoval && !allowlisted) return violation('annotation-removal', 'annotation-removal');
    if (stampChanged && !allowlisted) return violation('stamp-tampering', 'stamp-change');
    return { verdict: 'allow', reason: 'not-an-uncordon', transition: maintenanceRemoved ? 'annotation-removal' : 'stamp-change', facts };
  };

  const decision = decide();
  // A stamp must not outlive its cordon, whoever writes and whatever the mode: a cordon that
  // /mutate then missed would keep it, and it would name the owner of an earlier cordon. A write
  // that is refused anyway leaves no stamp behind, and keeps the reason that tells more.
  const stampLeft = stampAfter !== undefined && !(uncordon && endpoint === 'mutate');
  const staleStamp = (uncordon || stampChanged) && !cordonedAfter && stampLeft;
  const refused = decision.verdict === 'violation' && isRefused(decision.reason, policy.mode);
  return staleStamp && !refused ? violation('stale-stamp', uncordon ? 'uncordon' : 'stamp-change') : decision;
}
