import { decodeAdmissionReview } from '../src/admission/decode.ts';
import type { AdmissionRequest } from '../src/admission/types.ts';
import { makeReview, type ReviewShape } from './fixtures.ts';

/** A decoded request built from a realistic review; throws if the fixture does not decode. */
export function requestOf(shape: ReviewShape = {}): AdmissionRequest {
  const decoded = decodeAdmissionReview(makeReview(shape));
  if (!decoded.ok) throw new Error(`fixture did not decode: ${decoded.error}`);
  return decoded.review.request;
}
