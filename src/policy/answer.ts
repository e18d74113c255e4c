// The answer of each endpoint, decided in one place: the server and `check` both call `answer`,
// so `check` answers as the server does by construction. Pure: the policy and the time are passed in.
import { allowed, patched, type Reply } from '../admission/reply.ts';
import type { AdmissionRequest } from '../admission/types.ts';
import { judge, type Judgement } from './judge.ts';
import { cordonStampMutation, type CordonStampMutation } from './mutation.ts';
import type { Policy } from './types.ts';

export type Endpoint = 'validate' | 'mutate';

export type Answer =
  | { endpoint: 'validate'; reply: Reply; judgement: Judgement }
  | { endpoint: 'mutate'; reply: Reply; mutation: CordonStampMutation };

export function answer(endpoint: Endpoint, request: AdmissionRequest, policy: Policy, now: Date): Answer {
  if (endpoint === 'validate') {
    const judgement = judge(request, policy);
    return { endpoint, reply: judgement.reply, judgement };
  }
  const mutation = cordonStampMutation(request, now);
  return { endpoint, reply: mutation.patch.length === 0 ? allowed() : patched(mutation.patch), mutation };
}
