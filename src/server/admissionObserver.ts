// Everything that happens after an answer is decided: the log line, the metrics and the
// Kubernetes Event. Nothing here can change or delay the answer.
import type { AdmissionRequest } from '../admission/types.ts';
import { reasonOf, type Judgement } from '../policy/judge.ts';
import type { Policy } from '../policy/types.ts';
import { forBuiltLines, type Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Answer, MutateAnswer } from '../policy/answer.ts';
import { loggable, loggableDeep, quoted } from '../text/text.ts';
import { errorMessage } from '../text/errors.ts';
import { requestPatch } from './auditPatch.ts';
import type { ViolationRecorder } from '../observability/violationRecorder.ts';

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
    latencyMs: milliseconds(latencySeconds),
    policy: policy.origin,
    patch: safePatch(request),
  };
}

/** The milliseconds of a latency, to the microsecond. */
function milliseconds(latencySeconds: number): number {
  return Math.round(latencySeconds * 1e6) / 1e3;
}

/**
 * The maintenance that an allowlisted requester ended by an uncordon: the emergency way out that
 * an auditor asks about, logged at info rather than debug. Undefined for any other judgement.
 */
function maintenanceOverridden(judgement: Judgement): string | undefined {
  const { evaluation } = judgement;
  return evaluation.verdict === 'allow' && evaluation.reason === 'allowlisted' ? evaluation.maintenance : undefined;
}

type JudgementObserver = (request: AdmissionRequest, judgement: Judgement, policy: Policy, latencySeconds: number, answer?: MutateAnswer) => void;

/**
 * The log line, metrics and Event of a judgement: /validate's, or in mode preserve the violation
 * that /mutate prevented (`answer`, whose repair the line carries too).
 */
function createJudgementObserver({ logger: parent, metrics, events }: AdmissionObserverDeps): JudgementObserver {
  const logger = forBuiltLines(parent);
  return (request, judgement, policy, latencySeconds, answer) => {
    const { evaluation, decision } = judgement;
    const reason = reasonOf(evaluation);
    metrics.admissionRequests.inc({ operation: request.operation, decision, reason, mode: policy.mode, endpoint: answer === undefined ? '/validate' : '/mutate' });

    const isViolation = evaluation.verdict === 'violation';
    const judged = evaluation.verdict !== 'allow' || evaluation.transition !== 'other';
    if (isViolation) metrics.countViolation({ reason, decision: judgement.decision, requester: request.userInfo.username });
    if (isViolation && !request.dryRun) events?.record(request, judgement);

    const overridden = maintenanceOverridden(judgement);
    const level = isViolation ? 'warn' : evaluation.verdict === 'errored' || overridden !== undefined ? 'info' : 'debug';
    if (!judged || !logger.isLevelEnabled(level)) return;
    const fields = judgedFields(request, policy, decision, reason, latencySeconds);
    if (overridden !== undefined) fields.maintenance = { key: loggable(policy.maintenanceAnnotation), value: loggable(overridden) };
    const repair = answer?.repair;
    if (repair !== undefined) {
      fields.kept = repair.kept;
      fields.repair = loggableDeep(repair.patch);
    }
    logger[level](fields, evaluation.verdict === 'allow' ? `${evaluation.transition} allowed: ${reason}` : evaluation.message);
  };
}

/** /validate's observer: the log line, metrics and Event of its judgement. */
export function createAdmissionObserver(deps: AdmissionObserverDeps): AdmissionObserver {
  const judged = createJudgementObserver(deps);
  return (request, judgement, policy, latencySeconds) => {
    deps.metrics.admissionDuration.observe({ endpoint: '/validate' }, latencySeconds);
    judged(request, judgement, policy, latencySeconds);
  };
}

export type MutationObserver = (request: AdmissionRequest, answer: MutateAnswer, policy: Policy, latencySeconds: number) => void;

const MUTATION_REASONS = { stamp: 'cordon-stamped', unstamp: 'stamp-removed', kept: 'uncordon-refused', none: 'not-a-cordon-transition' } as const;

/** /mutate's observer: a prevented violation is recorded as /validate records one; a stamp is logged at info. */
export function createMutationObserver(deps: AdmissionObserverDeps): MutationObserver {
  const judged = createJudgementObserver(deps);
  const logger = forBuiltLines(deps.logger);
  const { metrics } = deps;
  return (request, answer, policy, latencySeconds) => {
    metrics.admissionDuration.observe({ endpoint: '/mutate' }, latencySeconds);
    if (answer.judgement !== undefined) {
      judged(request, answer.judgement, policy, latencySeconds, answer);
      return;
    }
    const { change, patch } = answer.mutation;
    const reason = MUTATION_REASONS[change];
    const unchanged = change === 'none' || change === 'kept';
    metrics.admissionRequests.inc({ operation: request.operation, decision: unchanged ? 'allowed' : 'patched', reason, mode: policy.mode, endpoint: '/mutate' });
    // A kept stamp is the violation's business: /validate logs it.
    if (unchanged) return;
    logger.info(
      { uid: loggable(request.uid), node: loggable(request.name), user: loggable(request.userInfo.username), reason, dryRun: request.dryRun, latencyMs: milliseconds(latencySeconds), patch: loggableDeep(patch) },
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
