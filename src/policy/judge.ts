// From an evaluation to the answer, by mode (POLICY.md "A violation is answered by mode").
import { allowed, allowedWithAuditAnnotations, allowedWithWarnings, denied, errored, type Reply } from '../admission/reply.ts';
import type { AdmissionRequest } from '../admission/types.ts';
import { evaluate } from './engine.ts';
import { isRefused, type Evaluation, type Policy, type Violation } from './types.ts';

/**
 * The record of what was decided about a write: the reply is made from it, and so are the log
 * line, the metrics and the Event. A violation's decision is its mode's; `prevented`: in mode
 * preserve, /mutate repaired the write (src/policy/repair.ts) and let the rest of it through.
 */
export type Judgement =
  | { evaluation: Extract<Evaluation, { verdict: 'allow' }>; decision: 'allowed'; reply: Reply }
  | { evaluation: Violation; decision: 'denied' | 'warned' | 'audited' | 'prevented'; reply: Reply }
  | { evaluation: Extract<Evaluation, { verdict: 'errored' }>; decision: 'errored'; reply: Reply };

/** /validate's judgement of a request. */
export function judge(request: AdmissionRequest, policy: Policy): Judgement {
  const evaluation = evaluate(request, policy);
  switch (evaluation.verdict) {
    case 'allow':
      return { evaluation, decision: 'allowed', reply: allowed() };
    case 'errored':
      return { evaluation, decision: 'errored', reply: errored(400, evaluation.message) };
    case 'violation':
      // preserve: what reaches /validate as a violation was not repaired by /mutate (a write of
      // guarded state alone, or /mutate was skipped), so it is refused as in enforce.
      if (isRefused(evaluation.reason, policy.mode)) return { evaluation, decision: 'denied', reply: denied(evaluation.message) };
      if (policy.mode === 'warn') return { evaluation, decision: 'warned', reply: allowedWithWarnings([evaluation.warning]) };
      return { evaluation, decision: 'audited', reply: allowedWithAuditAnnotations({ violation: evaluation.message }) };
  }
}

/** The reason label for logs and metrics: why allowed, which violation, or `errored`. */
export function reasonOf(evaluation: Evaluation): string {
  return evaluation.verdict === 'errored' ? 'errored' : evaluation.reason;
}
