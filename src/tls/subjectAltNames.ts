// Reading a certificate's subject alternative names with node:crypto, in a form that compares
// equal to what was requested: DNS names lower-cased, IP addresses in one canonical spelling
// (node:crypto prints IPv6 as "FD00:0:0:0:0:0:1:2"; a user types "fd00::1:2").
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

export interface SubjectAltNames {
  dnsNames: string[];
  ipAddresses: string[];
}

/** One spelling per address: IPv4 dotted quad, IPv6 compressed lower-case (RFC 5952). */
export function canonicalIp(ip: string): string {
  const version = isIP(ip);
  if (version === 4) return ip;
  if (version === 6) return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
}

export function canonicalDnsName(name: string): string {
  return name.toLowerCase();
}

/** Splits node:crypto's "DNS:a, IP Address:1.2.3.4" (values with odd characters come JSON-quoted). */
function splitEntries(text: string): string[] {
  const entries: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' && text[i - 1] !== '\\') quoted = !quoted;
    if (!quoted && ch === ',' && text[i + 1] === ' ') {
      entries.push(current);
      current = '';
      i++;
      continue;
    }
    current += ch;
  }
  if (current !== '') entries.push(current);
  return entries;
}

function unquote(value: string): string {
  return value.startsWith('"') ? (JSON.parse(value) as string) : value;
}

/** The DNS and IP subject alternative names of a PEM certificate, canonical and sorted. */
export function readSubjectAltNames(certPem: string): SubjectAltNames {
  const text = new X509Certificate(certPem).subjectAltName ?? '';
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const entry of splitEntries(text)) {
    if (entry.startsWith('DNS:')) dnsNames.push(canonicalDnsName(unquote(entry.slice(4))));
    else if (entry.startsWith('IP Address:')) ipAddresses.push(canonicalIp(unquote(entry.slice(11))));
  }
  return { dnsNames: dnsNames.sort(), ipAddresses: ipAddresses.sort() };
}

/** What differs between two SAN sets, as "+added -removed" words; empty when equal. */
export function describeSanDifference(have: SubjectAltNames, want: SubjectAltNames): string[] {
  const words: string[] = [];
  const diff = (a: readonly string[], b: readonly string[]): string[] => a.filter((x) => !b.includes(x));
  for (const name of diff(want.dnsNames, have.dnsNames)) words.push(`+DNS:${name}`);
  for (const name of diff(have.dnsNames, want.dnsNames)) words.push(`-DNS:${name}`);
  for (const ip of diff(want.ipAddresses, have.ipAddresses)) words.push(`+IP:${ip}`);
  for (const ip of diff(have.ipAddresses, want.ipAddresses)) words.push(`-IP:${ip}`);
  return words;
}
