// NAMESPACE/NAME of a ConfigMap, as serve's and the plugin's --policy-configmap take it.
import { UsageError } from './usageError.ts';

export interface ConfigMapRef {
  namespace: string;
  name: string;
}

/** A namespace (DNS label) and a ConfigMap name (DNS subdomain). */
const REF = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/;

export function parseConfigMapRef(text: string, what: string): ConfigMapRef {
  const match = REF.exec(text);
  if (match === null) throw new UsageError(`${what} must be NAMESPACE/NAME, got ${JSON.stringify(text)}`);
  return { namespace: match[1] ?? '', name: match[3] ?? '' };
}
