// Kubernetes qualified-name rules for annotation keys (apimachinery validation.IsQualifiedName).
import { isDns1123Subdomain } from '../text/dnsNames.ts';

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** The problems with `key` as an annotation key; empty when it is valid. */
export function qualifiedNameProblems(key: string): string[] {
  const parts = key.split('/');
  if (parts.length > 2) return ['must be a name with an optional DNS-subdomain prefix and one "/"'];
  const [prefix, name] = parts.length === 2 ? [parts[0] ?? '', parts[1] ?? ''] : ['', parts[0] ?? ''];
  const problems: string[] = [];
  if (parts.length === 2) {
    if (prefix === '') problems.push('prefix part must not be empty');
    else if (prefix.length > 253) problems.push('prefix part must be no more than 253 characters');
    else if (!isDns1123Subdomain(prefix)) {
      problems.push('prefix part must be a lowercase DNS subdomain (e.g. "example.com")');
    }
  }
  if (name === '') problems.push('name part must not be empty');
  else if (name.length > 63) problems.push('name part must be no more than 63 characters');
  else if (!NAME.test(name)) {
    problems.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    );
  }
  return problems;
}
