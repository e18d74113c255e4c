// The RFC 6902 patch from oldObject to object, for the log line of a judged request.
// status (images, conditions) and managedFields are noise for "what did this request change".
import { createPatch, type Operation } from 'rfc6902';
import type { KubeObject } from '../admission/types.ts';

function withoutNoise(node: KubeObject): KubeObject {
  const { status: _status, metadata, ...rest } = node;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return { ...rest, metadata };
  const { managedFields: _managedFields, ...meta } = metadata as Record<string, unknown>;
  return { ...rest, metadata: meta };
}

export function requestPatch(oldObject: KubeObject, object: KubeObject): Operation[] {
  return createPatch(withoutNoise(oldObject), withoutNoise(object));
}
