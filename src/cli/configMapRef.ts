// NAMESPACE/NAME of a namespaced object, as serve's --tls-secret and serve's and the plugin's
// --policy-configmap take it.
import { isDns1123Label, isDns1123Subdomain } from '../text/dnsNames.ts';
import { UsageError } from './usageError.ts';

export interface ConfigMapRef {
  namespace: string;
  name: string;
}

/** A namespace (DNS label) and an object name (DNS subdomain), one slash between them. */
export function parseObjectRef(text: string, what: string): ConfigMapRef {
  const [namespace = '', name = '', ...rest] = text.split('/');
  if (rest.length > 0 || !isDns1123Label(namespace) || !isDns1123Subdomain(name)) throw new UsageError(`${what} must be NAMESPACE/NAME, got ${JSON.stringify(text)}`);
  return { namespace, name };
}
