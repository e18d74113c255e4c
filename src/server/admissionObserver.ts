// Everything that happens after an answer is decided: the log line, the metrics and the
// Kubernetes Event. Nothing here can change or delay the answer.
import type { AdmissionRequest } from '../admission/types.ts';
import type { Judgement } from '../policy/judge.ts';
import { reasonOf } from '../policy/judge.ts';
import type { Policy } from '../policy/types.ts';
import { forBuiltLines, type Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Answer, MutateAnswer } from '../policy/answer.ts';
import { loggable, loggableDeep, quoted } from '../text/text.ts';
import { errorMessage } from '../text/errors.ts';
import { requestPatch } from './auditPatch.ts';

/** Records a violation as a Kubernetes Event; must return at once (queue, never await). */
export interface ViolationRecorder {
  record(request: AdmissionRequest, judgement: Judgement): void;
}

export interface AdmissionObserverDeps {
  logger: Logger;
  metrics: Metrics;
  events?: ViolationRecorder;
}

export type AdmissionObserver = (
  request: AdmissionRequest,
  judgement: Judgement,
  policy: Policy,
  latencySeconds: number,
) => void;

function safePatch(request: AdmissionRequest): unknown {
  if (request.oldObject === null || request.object === null) return undefined;
  try {
    return loggableDeep(requestPatch(request.oldObject, request.object));
  } catch (err) {
    // A pathological object (say, nested 100k deep) must not cost the answer or the log line.
    return `unavailable: ${errorMessage(err)}`;
  }
}

/** The fields of the log line of a judged request, the same for /validate and a /mutate repair. */
function judgedFields(request: AdmissionRequest, policy: Policy, decision: string, reason: string, latencySeconds: number): Record<string, unknown> {
  return {
    uid: loggable(request.uid),
    node: loggable(request.name),
    user: loggable(request.userInfo.username),
    groups: request.userInfo.groups.slice(0, 64).map(loggable),
    decision,
    reason,
    mode: policy.mode,
    dryRun: request.dryRun,
    latencyMs: Math.round(latencySeconds * 1e6) / 1e3,
    policy: policy.origin,
    patch: safePatch(request),
  };
}

export function createAdmissionObserver({ logger: parent, metrics, events }: AdmissionObserverDeps): AdmissionObserver {
  const logger = forBuiltLines(parent);
  return (request, judgement, policy, latencySeconds) => {
    const { evaluation, decision } = judgement;
    const reason = reasonOf(evaluation);
    metrics.admissionRequests.inc({ operation: request.operation, decision, reason, mode: policy.mode, endpoint: '/validate' });
    metrics.admissionDuration.observe({ endpoint: '/validate' }, latencySeconds);

    const isViolation = evaluation.verdict === 'violation';
    const judged = evaluation.verdict !== 'allow' || evaluation.transition !== 'other';
    if (isViolation) metrics.countViolation({ reason, decision: judgement.decision, requester: request.userInfo.username });
    if (isViolation && !request.dryRun) events?.record(request, judgement);

    const level = isViolation ? 'warn' : evaluation.verdict === 'errored' ? 'info' : 'debug';
    if (!judged || !logger.isLevelEnabled(level)) return;
    logger[level](
      judgedFields(request, policy, decision, reason, latencySeconds),
      evaluation.verdict === 'allow' ? `${evaluation.transition} allowed: ${reason}` : evaluation.message,
    );
  };
}

export type MutationObserver = (request: AdmissionRequest, answer: MutateAnswer, policy: Policy, latencySeconds: number) => void;

const MUTATION_REASONS = { stamp: 'cordon-stamped', unstamp: 'stamp-removed', kept: 'uncordon-refused', none: 'not-a-cordon-transition' } as const;

export function createMutationObserver({ logger: parent, metrics, events }: AdmissionObserverDeps): MutationObserver {
  const logger = forBuiltLines(parent);
  return (request, { mutation: { change, patch }, repair, reply }, policy, latencySeconds) => {
    metrics.admissionDuration.observe({ endpoint: '/mutate' }, latencySeconds);
    if (repair !== undefined) {
      // mode preserve: a violation like any other, prevented rather than denied.
      const { evaluation } = repair;
      const { reason } = evaluation;
      metrics.admissionRequests.inc({ operation: request.operation, decision: 'prevented', reason, mode: policy.mode, endpoint: '/mutate' });
      metrics.countViolation({ reason, decision: 'prevented', requester: request.userInfo.username });
      if (!request.dryRun) events?.record(request, { evaluation, decision: 'prevented', reply });
      logger.warn(
        { ...judgedFields(request, policy, 'prevented', reason, latencySeconds), kept: repair.kept, repair: loggableDeep(repair.patch) },
        evaluation.message,
      );
      return;
    }
    const reason = MUTATION_REASONS[change];
    const unchanged = change === 'none' || change === 'kept';
    metrics.admissionRequests.inc({ operation: request.operation, decision: unchanged ? 'allowed' : 'patched', reason, mode: policy.mode, endpoint: '/mutate' });
    // A kept stamp is the violation's business: /validate logs it.
    if (unchanged) return;
    logger.info(
      { uid: loggable(request.uid), node: loggable(request.name), user: loggable(request.userInfo.username), reason, dryRun: request.dryRun, latencyMs: Math.round(latencySeconds * 1e6) / 1e3, patch: loggableDeep(patch) },
      `${change === 'stamp' ? 'stamped the cordon' : 'removed the cordon stamp'} of node ${quoted(request.name, 253)} by ${quoted(request.userInfo.username, 253)}`,
    );
  };
}

/** Both endpoints' observers behind the one call the server makes after each answer. */
export type AnswerObserver = (request: AdmissionRequest, answer: Answer, policy: Policy, latencySeconds: number) => void;

export function createAnswerObserver(deps: AdmissionObserverDeps): AnswerObserver {
  const validate = createAdmissionObserver(deps);
  const mutate = createMutationObserver(deps);
  return (request, answer, policy, latencySeconds) => {
    if (answer.endpoint === 'validate') validate(request, answer.judgement, policy, latencySeconds);
    else mutate(request, answer, policy, latencySeconds);
  };
}
