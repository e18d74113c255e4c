// The answer of each endpoint, decided in one place: the server and `check` both call `answer`,
// so `check` answers as the server does by construction. Pure: the policy and the time are passed in.
import { allowed, patched, type Reply } from '../admission/reply.ts';
import type { AdmissionRequest } from '../admission/types.ts';
import { judge, type Judgement } from './judge.ts';
import { cordonStampMutation, type CordonStampMutation } from './mutation.ts';
import { repairOf, seenByValidate, type Repair } from './repair.ts';
import type { Policy } from './types.ts';

export type Endpoint = 'validate' | 'mutate';

type ValidateAnswer = { endpoint: 'validate'; reply: Reply; judgement: Judgement };
/** `repair`: in mode preserve, what /mutate put back (its patch comes before the stamp's). */
export type MutateAnswer = { endpoint: 'mutate'; reply: Reply; mutation: CordonStampMutation; repair: Repair | undefined };
export type Answer = ValidateAnswer | MutateAnswer;

export function answer(endpoint: 'validate', request: AdmissionRequest, policy: Policy, now: Date): ValidateAnswer;
export function answer(endpoint: 'mutate', request: AdmissionRequest, policy: Policy, now: Date): MutateAnswer;
export function answer(endpoint: Endpoint, request: AdmissionRequest, policy: Policy, now: Date): Answer;
export function answer(endpoint: Endpoint, request: AdmissionRequest, policy: Policy, now: Date): Answer {
  if (endpoint === 'validate') {
    const judgement = judge(request, policy);
    return { endpoint, reply: judgement.reply, judgement };
  }
  const repair = repairOf(request, policy);
  if (repair === undefined) {
    const mutation = cordonStampMutation(request, now);
    // An uncordon that /validate refuses keeps its stamp: the API server would apply the patch
    // (to the whole serialized Node) to a write it then throws away.
    if (mutation.change === 'unstamp' && judge(seenByValidate(request), policy).decision === 'denied') {
      return { endpoint, reply: allowed(), mutation: { change: 'kept', patch: [] }, repair };
    }
    return { endpoint, reply: mutation.patch.length === 0 ? allowed() : patched(mutation.patch), mutation, repair };
  }
  // The stamp is judged on the repaired write: a repaired uncordon is no longer one, a cordon still is.
  const mutation = cordonStampMutation({ ...request, object: repair.object }, now);
  return { endpoint, reply: patched([...repair.patch, ...mutation.patch], [repair.evaluation.warning]), mutation, repair };
}
