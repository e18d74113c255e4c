// Kubernetes DNS-1123 names (apimachinery validation), checked in one place: node and object
// names, namespaces, the prefix of an annotation key, the DNS names of a certificate.

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** IsDNS1123Label: a namespace, for one; at most 63 characters. */
export function isDns1123Label(text: string): boolean {
  return text.length <= 63 && LABEL.test(text);
}

/** IsDNS1123Subdomain: a Node or ConfigMap name, for one; at most 253 characters. */
export function isDns1123Subdomain(text: string): boolean {
  return text.length <= 253 && SUBDOMAIN.test(text);
}
