// Turns a parsed JSON body into a typed AdmissionReview, or says precisely what is wrong.
// This is the only place that trusts nothing about the wire format.
import {
  SUPPORTED_API_VERSIONS,
  type AdmissionApiVersion,
  type AdmissionRequest,
  type AdmissionReview,
  type GroupVersionKind,
  type GroupVersionResource,
  type KubeObject,
  type UserInfo,
} from './types.ts';
import { errorMessage } from '../text/errors.ts';
import { isPlainObject, ownField } from './json.ts';

export type DecodeResult = { ok: true; review: AdmissionReview } | { ok: false; error: string };

class DecodeError extends Error {}

/** A short, safe rendering of a hostile value for an error message. */
function quote(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // JSON.parse accepts nesting deeper than JSON.stringify can render (a RangeError).
    text = Array.isArray(value) ? '[...]' : '{...}';
  }
  return text.length > 64 ? `${text.slice(0, 64)}...` : text;
}


function optionalString(obj: Record<string, unknown>, key: string, path: string): string {
  const value = ownField(obj, key);
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new DecodeError(`${path}.${key} must be a string`);
  return value;
}

function optionalObject(obj: Record<string, unknown>, key: string, path: string): KubeObject | null {
  const value = ownField(obj, key);
  if (value === undefined || value === null) return null;
  if (!isPlainObject(value)) throw new DecodeError(`${path}.${key} must be an object`);
  return value;
}

function stringList(value: unknown, path: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new DecodeError(`${path} must be an array of strings`);
  }
  return value;
}

function decodeGvk(obj: Record<string, unknown>, path: string): GroupVersionKind {
  const value = optionalObject(obj, 'kind', path) ?? {};
  return {
    group: optionalString(value, 'group', `${path}.kind`),
    version: optionalString(value, 'version', `${path}.kind`),
    kind: optionalString(value, 'kind', `${path}.kind`),
  };
}

function decodeGvr(obj: Record<string, unknown>, path: string): GroupVersionResource {
  const value = optionalObject(obj, 'resource', path) ?? {};
  return {
    group: optionalString(value, 'group', `${path}.resource`),
    version: optionalString(value, 'version', `${path}.resource`),
    resource: optionalString(value, 'resource', `${path}.resource`),
  };
}

function decodeUserInfo(obj: Record<string, unknown>, path: string): UserInfo {
  const value = optionalObject(obj, 'userInfo', path) ?? {};
  const at = `${path}.userInfo`;
  const extraIn = optionalObject(value, 'extra', at) ?? {};
  const extra = Object.create(null) as Record<string, string[]>;
  for (const key of Object.keys(extraIn)) extra[key] = stringList(extraIn[key], `${at}.extra[${quote(key)}]`);
  return {
    username: optionalString(value, 'username', at),
    uid: optionalString(value, 'uid', at),
    groups: stringList(ownField(value, 'groups'), `${at}.groups`),
    extra,
  };
}

function decodeRequest(value: unknown): AdmissionRequest {
  if (value === undefined || value === null) throw new DecodeError('request is missing');
  if (!isPlainObject(value)) throw new DecodeError('request must be an object');
  const uid = ownField(value, 'uid');
  if (typeof uid !== 'string' || uid === '') throw new DecodeError('request.uid must be a non-empty string');
  const dryRun = ownField(value, 'dryRun');
  if (dryRun !== undefined && dryRun !== null && typeof dryRun !== 'boolean') {
    throw new DecodeError('request.dryRun must be a boolean');
  }
  return {
    uid,
    kind: decodeGvk(value, 'request'),
    resource: decodeGvr(value, 'request'),
    subResource: optionalString(value, 'subResource', 'request'),
    operation: optionalString(value, 'operation', 'request'),
    name: optionalString(value, 'name', 'request'),
    namespace: optionalString(value, 'namespace', 'request'),
    userInfo: decodeUserInfo(value, 'request'),
    object: optionalObject(value, 'object', 'request'),
    oldObject: optionalObject(value, 'oldObject', 'request'),
    dryRun: dryRun === true,
  };
}

function decodeApiVersion(value: unknown): AdmissionApiVersion {
  // The API server always sets apiVersion; a hand-written review without one is read as v1.
  if (value === undefined) return 'admission.k8s.io/v1';
  const known = SUPPORTED_API_VERSIONS.find((v) => v === value);
  if (known === undefined) {
    throw new DecodeError(
      `unsupported apiVersion ${quote(value)}; expected one of ${SUPPORTED_API_VERSIONS.join(', ')}`,
    );
  }
  return known;
}

/** A request body as read off the wire: empty and non-JSON bodies are named errors too. */
export function parseAdmissionReview(body: string): DecodeResult {
  if (body.length === 0) return { ok: false, error: 'body is empty; expected an AdmissionReview' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    return { ok: false, error: `body is not valid JSON: ${errorMessage(err)}` };
  }
  return decodeAdmissionReview(parsed);
}

export function decodeAdmissionReview(body: unknown): DecodeResult {
  try {
    if (!isPlainObject(body)) return { ok: false, error: 'body must be a JSON object (an AdmissionReview)' };
    const kind = ownField(body, 'kind');
    if (kind !== undefined && kind !== 'AdmissionReview') {
      return { ok: false, error: `kind must be "AdmissionReview", got ${quote(kind)}` };
    }
    const apiVersion = decodeApiVersion(ownField(body, 'apiVersion'));
    return { ok: true, review: { apiVersion, request: decodeRequest(ownField(body, 'request')) } };
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, error: err.message };
    throw err;
  }
}
