// The decision of POLICY.md, first match wins. Pure: no I/O, no clock, no globals.
import type { AdmissionRequest, KubeObject } from '../admission/types.ts';
import { isAllowlisted } from './allowlist.ts';
import { readStamp } from './cordonStamp.ts';
import { erroredMessage, violationMessage, violationWarning, type ViolationFacts } from './message.ts';
import { CORDON_STAMP_ANNOTATION } from './annotations.ts';
import { annotation, readWrite } from './nodeState.ts';
import { isRefused, type CordonStamp, type Endpoint, type Evaluation, type NodeWrite, type Policy, type Transition, type UpdateFacts, type Violation, type ViolationReason } from './types.ts';

/** A violation whose M and W are written when first read: /validate reads them; /mutate, which words its repair itself, does not. */
class WordedLater implements Violation {
  readonly verdict = 'violation';
  readonly reason: ViolationReason;
  readonly transition: Exclude<Transition, 'other'>;
  readonly facts: UpdateFacts;
  readonly maintenance: string | undefined;
  readonly maintenanceRemoved: boolean;
  readonly stampBefore: string | undefined;
  readonly allowlisted: boolean;
  readonly owner: CordonStamp | undefined;
  readonly #request: AdmissionRequest;
  readonly #policy: Policy;
  #message: string | undefined;
  #warning: string | undefined;

  constructor(request: AdmissionRequest, policy: Policy, reason: ViolationReason, transition: Exclude<Transition, 'other'>, judged: Omit<Violation, 'verdict' | 'reason' | 'transition' | 'message' | 'warning'>) {
    this.reason = reason;
    this.transition = transition;
    this.facts = judged.facts;
    this.maintenance = judged.maintenance;
    this.maintenanceRemoved = judged.maintenanceRemoved;
    this.stampBefore = judged.stampBefore;
    this.allowlisted = judged.allowlisted;
    this.owner = judged.owner;
    this.#request = request;
    this.#policy = policy;
  }

  #words(): ViolationFacts {
    return { reason: this.reason, transition: this.transition, request: this.#request, policy: this.#policy, maintenance: this.maintenance, owner: this.owner };
  }

  get message(): string {
    return (this.#message ??= violationMessage(this.#words()));
  }

  get warning(): string {
    return (this.#warning ??= violationWarning(this.#words()));
  }
}

/**
 * The one evaluation of a request, as /validate judges the write, from the facts of the write
 * (read here unless the caller read them already). /mutate evaluates before it answers: it
 * removes the stamp of every uncordon that it lets through, so it evaluates an uncordon without
 * its stamp (`endpoint` 'mutate'), which is what /validate then sees.
 */
export function evaluate(request: AdmissionRequest, policy: Policy, endpoint: Endpoint = 'validate', write: NodeWrite = readWrite(request)): Evaluation {
  if (write.write === 'incomplete') return { verdict: 'errored', message: erroredMessage(request.name, write.missing) };
  if (write.write !== 'update') return { verdict: 'allow', reason: 'not-applicable', transition: 'other' };
  const facts = write;
  const { cordonedBefore, cordonedAfter, stampAfter } = facts;
  // The write passed the checks of readWrite: both objects are there.
  const oldObject = request.oldObject as KubeObject;
  const object = request.object as KubeObject;
  const key = policy.maintenanceAnnotation;
  const maintenance = annotation(oldObject, key);
  const maintenanceRemoved = maintenance !== undefined && annotation(object, key) === undefined;
  const stampBefore = annotation(oldObject, CORDON_STAMP_ANNOTATION);
  const uncordon = cordonedBefore && !cordonedAfter;
  // Cordons and uncordons carry the stamp /mutate writes; any other change of it is tampering.
  const stampChanged = cordonedBefore === cordonedAfter && stampBefore !== stampAfter;
  if (!uncordon && !maintenanceRemoved && !stampChanged) return { verdict: 'allow', reason: 'not-an-uncordon', transition: 'other', facts };

  const allowlisted = isAllowlisted(request.userInfo, policy);
  const owner = readStamp(oldObject);
  const judged = { facts, maintenance, maintenanceRemoved, stampBefore, allowlisted, owner };
  const violation = (reason: ViolationReason, transition: Exclude<Transition, 'other'>): Violation => new WordedLater(request, policy, reason, transition, judged);

  // Steps 2 to 4 of POLICY.md.
  const decide = (): Evaluation => {
    if (uncordon) {
      if (allowlisted) return { verdict: 'allow', reason: 'allowlisted', transition: 'uncordon', ...judged };
      if (maintenance !== undefined) return violation('maintenance-active', 'uncordon');
      if (policy.guardAllCordons) {
        if (policy.allowCordonOwner && owner?.user === request.userInfo.username) {
          return { verdict: 'allow', reason: 'cordon-owner', transition: 'uncordon', ...judged };
        }
        return violation('cordon-guarded', 'uncordon');
      }
      return { verdict: 'allow', reason: 'no-maintenance', transition: 'uncordon', ...judged };
    }
    if (maintenanceRemoved && policy.guardAnnotationRemoval && !allowlisted) return violation('annotation-removal', 'annotation-removal');
    if (stampChanged && !allowlisted) return violation('stamp-tampering', 'stamp-change');
    return { verdict: 'allow', reason: 'not-an-uncordon', transition: maintenanceRemoved ? 'annotation-removal' : 'stamp-change', ...judged };
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
