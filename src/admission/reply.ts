// Reply builders and the one encoder. A reply is built without a uid; `encodeReview` stamps
// the request's uid and apiVersion on it, so no code path can forget either.
import type { AdmissionApiVersion, AdmissionResponse, AdmissionReviewResponse } from './types.ts';

export type Reply = Omit<AdmissionResponse, 'uid'>;

export function allowed(): Reply {
  return { allowed: true };
}

export function allowedWithWarnings(warnings: string[]): Reply {
  return { allowed: true, warnings };
}

export function allowedWithAuditAnnotations(auditAnnotations: Record<string, string>): Reply {
  return { allowed: true, auditAnnotations };
}

/** A policy refusal: the API server turns it into HTTP 403 for the client. */
export function denied(message: string): Reply {
  return { allowed: false, status: { code: 403, reason: 'Forbidden', message } };
}

/** The request could not be judged (it is malformed); not a policy decision. */
export function errored(code: number, message: string): Reply {
  return { allowed: false, status: { code, message } };
}

/** An allowed answer that carries an RFC 6902 patch (mutating webhooks), and maybe warnings. */
export function patched(patch: readonly unknown[], warnings: string[] = []): Reply {
  const reply: Reply = { allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') };
  return warnings.length === 0 ? reply : { ...reply, warnings };
}

export function encodeReview(apiVersion: AdmissionApiVersion, uid: string, reply: Reply): AdmissionReviewResponse {
  return { apiVersion, kind: 'AdmissionReview', response: { uid, ...reply } };
}
