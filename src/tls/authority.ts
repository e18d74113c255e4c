// The certificates of a self-managed install, judged and issued in one place for `serve
// --tls-secret` and certs-scripts/make-certs.ts: a CA, and a serving certificate it signs for a
// Service's names. No files and no API calls here: callers read and write the PEM text.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { certificateNotAfter, createCertificateAuthority, issueServingCertificate, type PemKeyPair } from './certificates.ts';
import { canonicalDnsName, canonicalIp, describeSanDifference, readSubjectAltNames, type SubjectAltNames } from './subjectAltNames.ts';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The names the API server and clients may dial for a Service; it calls `<service>.<namespace>.svc`. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

/** A date as YYYY-MM-DD, for messages. */
export const day = (date: Date): string => date.toISOString().slice(0, 10);

/** The certificate in a PEM text, or undefined when there is none readable. */
function readCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

export function keyMatches(cert: X509Certificate, keyPem: string): boolean {
  try {
    return cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/** Was `cert` issued and signed by `ca`? */
function signedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

/** The names a serving certificate must carry, canonical and sorted. */
export function canonicalSans(names: { dnsNames: readonly string[]; ipAddresses: readonly string[] }): SubjectAltNames {
  return {
    dnsNames: [...new Set(names.dnsNames.map(canonicalDnsName))].sort(),
    ipAddresses: [...new Set(names.ipAddresses.map(canonicalIp))].sort(),
  };
}

/** Why a CA pair cannot sign serving certificates, or undefined when it can. */
export function authorityProblem(ca: { certPem?: string | undefined; keyPem?: string | undefined }): string | undefined {
  if (ca.certPem === undefined || ca.certPem === '') return 'it has no CA certificate';
  if (ca.keyPem === undefined || ca.keyPem === '') return 'it has no CA key';
  const cert = readCertificate(ca.certPem);
  if (cert === undefined) return 'its CA certificate is not a readable PEM certificate';
  if (!cert.ca) return 'its certificate is not a CA certificate';
  if (!keyMatches(cert, ca.keyPem)) return 'its key does not belong to its CA certificate';
  return undefined;
}

export interface ServingJudgement {
  /** The pair as found; a field is undefined when it is missing. */
  serving: { certPem?: string | undefined; keyPem?: string | undefined };
  /** The CA certificates (PEM) that may have signed it. */
  authorities: readonly string[];
  names: SubjectAltNames;
  renewBeforeDays: number;
  now: Date;
}

export interface RenewalReason {
  /** Why, as a phrase after "because" ("it expires 2031-03-01, within 30 days"). */
  text: string;
  /** The pair found is unusable (unreadable, incomplete, or a key of another certificate), not merely due. */
  broken: boolean;
}

/** Why the serving pair must be issued again, or undefined when it may be kept. */
export function servingRenewalReason(j: ServingJudgement): RenewalReason | undefined {
  const { certPem, keyPem } = j.serving;
  const broken = (text: string): RenewalReason => ({ text, broken: true });
  const due = (text: string): RenewalReason => ({ text, broken: false });
  if ((certPem === undefined || certPem === '') && (keyPem === undefined || keyPem === '')) return due('there was none');
  if (certPem === undefined || certPem === '') return broken('tls.crt is missing');
  if (keyPem === undefined || keyPem === '') return broken('tls.key is missing');
  const cert = readCertificate(certPem);
  if (cert === undefined) return broken('tls.crt is not a readable certificate');
  const cas = j.authorities.flatMap((pem) => readCertificate(pem) ?? []);
  if (!cas.some((ca) => signedBy(cert, ca))) return due(`it was not signed by ${j.authorities.length > 1 ? 'a CA of the bundle' : 'the current CA'}`);
  if (!keyMatches(cert, keyPem)) return broken('tls.key does not belong to tls.crt');
  const notAfter = certificateNotAfter(certPem);
  if (notAfter.getTime() - j.now.getTime() < j.renewBeforeDays * DAY_MS) return due(`it expires ${day(notAfter)}, within ${j.renewBeforeDays} days`);
  const difference = describeSanDifference(readSubjectAltNames(certPem), j.names);
  if (difference.length > 0) return due(`the names asked for differ (${difference.join(' ')})`);
  return undefined;
}

/** Does the CA pair expire within renewBeforeDays? */
export function authorityDue(caCertPem: string, renewBeforeDays: number, now: Date): boolean {
  return certificateNotAfter(caCertPem).getTime() - now.getTime() < renewBeforeDays * DAY_MS;
}

export function issueAuthority(commonName: string, validityDays: number, now: Date): PemKeyPair {
  return createCertificateAuthority(commonName, validityDays, now);
}

export interface IssuedServing {
  pair: PemKeyPair;
  /** Shortened to end with its CA: a chain stops verifying when its CA expires. */
  capped: boolean;
}

export function issueServing(ca: PemKeyPair, request: { commonName: string; names: SubjectAltNames; validityDays: number }, now: Date): IssuedServing {
  const caDaysLeft = (certificateNotAfter(ca.certPem).getTime() - now.getTime()) / DAY_MS;
  const validityDays = Math.min(request.validityDays, caDaysLeft);
  const pair = issueServingCertificate(ca, { commonName: request.commonName, dnsNames: request.names.dnsNames, ipAddresses: request.names.ipAddresses, validityDays }, now);
  return { pair, capped: validityDays < request.validityDays };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle, each as its own PEM text with \n line ends (forge writes \r\n). */
export function splitBundle(bundle: string): string[] {
  return [...bundle.matchAll(PEM_CERTIFICATE)].map((m) => `${m[0].replaceAll('\r\n', '\n')}\n`);
}

/**
 * A CA bundle: `newest` first, then those of `previous` that are readable CA certificates, still
 * valid at `now` and not already in it. Old CAs stay in it while they live, so that certificates
 * they signed keep verifying while a new CA takes over.
 */
export function caBundle(newest: string, previous: readonly string[], now: Date): string {
  const kept: string[] = splitBundle(newest).slice(0, 1);
  const fingerprints = new Set([readCertificate(newest)?.fingerprint256]);
  for (const pem of previous.flatMap(splitBundle)) {
    const cert = readCertificate(pem);
    if (cert === undefined || !cert.ca || cert.validToDate.getTime() <= now.getTime() || fingerprints.has(cert.fingerprint256)) continue;
    fingerprints.add(cert.fingerprint256);
    kept.push(pem);
  }
  return kept.join('');
}

/** Does a CA of the PEM bundle verify this certificate (issuer and signature)? */
export function bundleVerifies(bundle: string, certPem: string): boolean {
  const cert = readCertificate(certPem);
  if (cert === undefined) return false;
  return splitBundle(bundle).some((pem) => {
    const ca = readCertificate(pem);
    return ca !== undefined && signedBy(cert, ca);
  });
}
