// What the admission observer needs from whatever records violations (the Kubernetes Event
// recorder in src/kube), in a module both import: kube does not depend on the server.
import type { AdmissionRequest } from '../admission/types.ts';
import type { Judgement } from '../policy/judge.ts';

/** Records a violation as a Kubernetes Event; must return at once (queue, never await). */
export interface ViolationRecorder {
  record(request: AdmissionRequest, judgement: Judgement): void;
}
