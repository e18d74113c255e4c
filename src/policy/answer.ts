// The answer of each endpoint, decided in one place: the server and `check` both call `answer`,
// so `check` answers as the server does by construction. Pure: the policy and the time are passed in.
import { allowed, patched, type Reply } from '../admission/reply.ts';
import type { AdmissionRequest } from '../admission/types.ts';
import { evaluate } from './engine.ts';
import { readWrite } from './nodeState.ts';
import { judge, type Judgement } from './judge.ts';
import { stampChange, stampPatch, type CordonStampMutation } from './mutation.ts';
import { repairOf, type Repair } from './repair.ts';
import { isRefused, type Endpoint, type Policy } from './types.ts';

/** `judgement`: the decision record the reply was made from; the observer logs, counts and records it. */
type ValidateAnswer = { endpoint: 'validate'; reply: Reply; judgement: Judgement };
/**
 * `judgement`: in mode preserve, the record of the violation /mutate prevented, whose reply is this
 * answer's; `repair`: what /mutate put back (its patch comes before the stamp's).
 */
export type MutateAnswer = { endpoint: 'mutate'; reply: Reply; judgement: Judgement | undefined; mutation: CordonStampMutation; repair: Repair | undefined };
export type Answer = ValidateAnswer | MutateAnswer;

export function answer(endpoint: 'validate', request: AdmissionRequest, policy: Policy, now: Date): ValidateAnswer;
export function answer(endpoint: 'mutate', request: AdmissionRequest, policy: Policy, now: Date): MutateAnswer;
export function answer(endpoint: Endpoint, request: AdmissionRequest, policy: Policy, now: Date): Answer;
export function answer(endpoint: Endpoint, request: AdmissionRequest, policy: Policy, now: Date): Answer {
  if (endpoint === 'validate') {
    const judgement = judge(request, policy);
    return { endpoint, reply: judgement.reply, judgement };
  }
  // What the write does to the cordon and the stamp, read once: the stamp change reads it, and so
  // does the one evaluation of the write (as /validate will see it) when /mutate needs the
  // verdict: to repair in mode preserve, or to keep the stamp of an uncordon /validate refuses.
  const write = readWrite(request);
  const change = stampChange(write);
  const evaluation = policy.mode === 'preserve' || change === 'unstamp' ? evaluate(request, policy, 'mutate', write) : undefined;
  const repair = evaluation?.verdict === 'violation' && policy.mode === 'preserve' ? repairOf(request, policy, evaluation) : undefined;
  if (repair !== undefined) {
    // The stamp follows the repaired write: a repaired uncordon is no longer one, a cordon still is.
    const repairedChange = repair.evaluation.transition === 'uncordon' ? 'none' : change;
    const patch = repairedChange === 'none' ? [] : stampPatch(repair.object, repairedChange, request.userInfo.username, now);
    const reply = patched([...repair.patch, ...patch], [repair.evaluation.warning]);
    return { endpoint, reply, judgement: { evaluation: repair.evaluation, decision: 'prevented', reply }, mutation: { change: repairedChange, patch }, repair };
  }
  if (change === 'none' || request.object === null) return { endpoint, reply: allowed(), judgement: undefined, mutation: { change: 'none', patch: [] }, repair };
  // An uncordon that /validate refuses keeps its stamp: the API server would apply the patch (to
  // the whole serialized Node) to a write it then throws away.
  if (change === 'unstamp' && evaluation?.verdict === 'violation' && isRefused(evaluation.reason, policy.mode)) {
    return { endpoint, reply: allowed(), judgement: undefined, mutation: { change: 'kept', patch: [] }, repair };
  }
  const patch = stampPatch(request.object, change, request.userInfo.username, now);
  return { endpoint, reply: patched(patch), judgement: undefined, mutation: { change, patch }, repair };
}
