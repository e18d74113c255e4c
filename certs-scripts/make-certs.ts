#!/usr/bin/env node
// Makes the TLS material for an in-cluster install: a CA (kept once made) and a serving
// certificate for the cordon-guard Service, plus the two kustomize inputs that carry them into
// the cluster (manifests/own-pki/kustomization.yaml uses both; the default install needs none of
// this, cordon-guard makes its own):
//   secret.yaml          the kubernetes.io/tls Secret cordon-guard-tls the Deployment mounts;
//   cabundle-patch.yaml  the CA the API server trusts when it calls the webhooks (the
//                        validating and the mutating one).
// Idempotent: a second run with the same flags changes no byte. The serving certificate is
// issued again (same CA) when it is missing, unreadable, not from this CA, about to expire, or
// for other names than those requested. Usage: node certs-scripts/make-certs.ts --help
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { authorityDue, canonicalSans, day, issueAuthority, issueServing, keyMatches, serviceDnsNames, servingRenewalReason } from '../src/tls/authority.ts';
import { certificateNotAfter, type PemKeyPair } from '../src/tls/certificates.ts';
import { canonicalDnsName, canonicalIp, type SubjectAltNames } from '../src/tls/subjectAltNames.ts';
import { isDns1123Subdomain } from '../src/text/dnsNames.ts';

export const SERVICE_NAME = 'cordon-guard';
export const SERVICE_NAMESPACE = 'cordon-guard';
export const SECRET_NAME = 'cordon-guard-tls';
export const WEBHOOK_CONFIGURATION_NAME = 'cordon-guard';

/** A webhook configuration that calls this Service, and its one webhook. */
export interface WebhookTarget {
  kind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration';
  name: string;
  webhook: string;
}

/**
 * Every webhook that calls this Service; each gets the CA as its caBundle. manifests/own-pki/kustomization.yaml
 * applies cabundle-patch.yaml once to each configuration (a `patches:` entry with this target),
 * to its first and only webhook.
 */
export const WEBHOOK_TARGETS: readonly WebhookTarget[] = [
  { kind: 'ValidatingWebhookConfiguration', name: WEBHOOK_CONFIGURATION_NAME, webhook: 'uncordon.cordon-guard.io' },
  { kind: 'MutatingWebhookConfiguration', name: WEBHOOK_CONFIGURATION_NAME, webhook: 'cordon-owner.cordon-guard.io' },
];
export const CA_COMMON_NAME = 'cordon-guard-ca';
export const SERVING_COMMON_NAME = `${SERVICE_NAME}.${SERVICE_NAMESPACE}.svc`;
/** The names the API server may use for the Service; it calls `<service>.<namespace>.svc`. */
export const DEFAULT_DNS_NAMES: readonly string[] = serviceDnsNames(SERVICE_NAME, SERVICE_NAMESPACE);

/** manifests/own-pki/certs of this repository (the own-pki overlay reads it), wherever the script is run from. */
export const DEFAULT_OUT_DIR = fileURLToPath(new URL('../manifests/own-pki/certs', import.meta.url));

export interface MakeCertsOptions {
  outDir: string;
  /** Extra DNS names, besides DEFAULT_DNS_NAMES. */
  dnsNames: string[];
  ipAddresses: string[];
  validityDays: number;
  caValidityDays: number;
  renewBeforeDays: number;
}

export const DEFAULT_OPTIONS: Omit<MakeCertsOptions, 'outDir'> = {
  dnsNames: [],
  ipAddresses: [],
  validityDays: 365,
  caValidityDays: 3650,
  renewBeforeDays: 30,
};

export const USAGE = `usage: node certs-scripts/make-certs.ts [--out DIR] [--dns NAME]... [--ip IP]...
         [--validity-days 365] [--ca-validity-days 3650] [--renew-before-days 30]

Writes DIR/ca.crt, ca.key, tls.crt, tls.key, secret.yaml and cabundle-patch.yaml
(DIR defaults to manifests/own-pki/certs of this repository; it holds private keys: never commit it).
The CA is kept once made; the serving certificate is issued again when it expires within
--renew-before-days or when the names asked for differ from the ones it has.
The serving certificate always names ${DEFAULT_DNS_NAMES.join(', ')}.`;

export class MakeCertsUsageError extends Error {}

export interface MakeCertsResult {
  /** What was done, one line each, for stdout. */
  messages: string[];
  caCreated: boolean;
  servingIssued: boolean;
  /** The files whose bytes changed in this run. */
  written: string[];
}


function positiveInteger(text: string | undefined, fallback: number, flag: string, min: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min) throw new MakeCertsUsageError(`${flag} must be a whole number >= ${min}, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** The command line; `help` for --help. Throws MakeCertsUsageError naming the problem. */
export function parseMakeCertsArgs(argv: string[], cwd = process.cwd()): MakeCertsOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        dns: { type: 'string', multiple: true },
        ip: { type: 'string', multiple: true },
        'validity-days': { type: 'string' },
        'ca-validity-days': { type: 'string' },
        'renew-before-days': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new MakeCertsUsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help === true) return 'help';
  const dnsNames = (values.dns ?? []).map((name) => {
    const canonical = canonicalDnsName(name);
    // A certificate may name a wildcard: `*.` then a DNS subdomain.
    if (!isDns1123Subdomain(canonical.startsWith('*.') ? canonical.slice(2) : canonical)) throw new MakeCertsUsageError(`--dns: not a DNS name: ${JSON.stringify(name)}`);
    return canonical;
  });
  const ipAddresses = (values.ip ?? []).map((ip) => {
    try {
      return canonicalIp(ip);
    } catch {
      throw new MakeCertsUsageError(`--ip: not an IP address: ${JSON.stringify(ip)}`);
    }
  });
  const options: MakeCertsOptions = {
    outDir: values.out === undefined ? DEFAULT_OUT_DIR : resolve(cwd, values.out),
    dnsNames,
    ipAddresses,
    validityDays: positiveInteger(values['validity-days'], DEFAULT_OPTIONS.validityDays, '--validity-days', 1),
    caValidityDays: positiveInteger(values['ca-validity-days'], DEFAULT_OPTIONS.caValidityDays, '--ca-validity-days', 1),
    renewBeforeDays: positiveInteger(values['renew-before-days'], DEFAULT_OPTIONS.renewBeforeDays, '--renew-before-days', 0),
  };
  // Otherwise every run would find a fresh certificate already "due" and issue it again.
  if (options.renewBeforeDays >= options.validityDays || options.renewBeforeDays >= options.caValidityDays) {
    throw new MakeCertsUsageError('--renew-before-days must be less than --validity-days and --ca-validity-days');
  }
  return options;
}

/** The names a serving certificate must carry for these options, canonical and sorted. */
export function requestedSans(options: Pick<MakeCertsOptions, 'dnsNames' | 'ipAddresses'>): SubjectAltNames {
  return canonicalSans({ dnsNames: [...DEFAULT_DNS_NAMES, ...options.dnsNames], ipAddresses: options.ipAddresses });
}

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

export function secretYaml(caCertPem: string, serving: PemKeyPair): string {
  return `# Generated by certs-scripts/make-certs.ts. Holds a private key: never commit it.
apiVersion: v1
kind: Secret
metadata:
  name: ${SECRET_NAME}
  namespace: ${SERVICE_NAMESPACE}
  labels:
    app.kubernetes.io/name: cordon-guard
    app.kubernetes.io/part-of: cordon-guard
type: kubernetes.io/tls
data:
  ca.crt: ${base64(caCertPem)}
  tls.crt: ${base64(serving.certPem)}
  tls.key: ${base64(serving.keyPem)}
`;
}

/**
 * A JSON patch (RFC 6902) that gives a webhook configuration's first webhook the CA, after
 * checking that this webhook calls cordon-guard's Service. One patch, applied to each
 * configuration of WEBHOOK_TARGETS by its own `patches:` entry: a file of several
 * strategic-merge patches, one per configuration, would match by webhook name, but older
 * kustomize refuses such a file in `patches:` ("trouble configuring builtin
 * PatchTransformer"; seen with v5.0.1, in kubectl 1.27, and v4.5.7, in kubectl 1.25 and 1.26),
 * and one strategic-merge patch naming both webhooks would add each to the other configuration.
 */
export function caBundlePatchYaml(caCertPem: string): string {
  return `# Generated by certs-scripts/make-certs.ts from ca.crt: the CA the API server trusts when it
# calls cordon-guard. A JSON patch (RFC 6902) that manifests/own-pki/kustomization.yaml applies to each
# webhook configuration, each with one webhook, at index 0:
${WEBHOOK_TARGETS.map((t) => `#   ${t.kind} ${t.name}, webhook ${t.webhook}\n`).join('')}# The test operations make kustomize fail, instead of giving the CA to another webhook, if the
# first webhook does not call the Service ${SERVICE_NAMESPACE}/${SERVICE_NAME}.
- op: test
  path: /webhooks/0/clientConfig/service/namespace
  value: ${SERVICE_NAMESPACE}
- op: test
  path: /webhooks/0/clientConfig/service/name
  value: ${SERVICE_NAME}
- op: add
  path: /webhooks/0/clientConfig/caBundle
  value: ${base64(caCertPem)}
`;
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** Writes only when the bytes differ (so an unchanged file keeps its mtime); enforces the mode. */
function writeIfChanged(path: string, content: string, mode: number): boolean {
  const changed = readIfExists(path) !== content;
  if (changed) {
    const temporary = `${path}.tmp-${process.pid}`;
    writeFileSync(temporary, content, { mode });
    renameSync(temporary, path);
  }
  if ((statSync(path).mode & 0o777) !== mode) chmodSync(path, mode);
  return changed;
}

/** Makes or keeps the CA and the serving certificate in options.outDir; see the file header. */
export function ensureCertificates(options: MakeCertsOptions, now = new Date()): MakeCertsResult {
  const messages: string[] = [];
  const written: string[] = [];
  const path = (name: string): string => join(options.outDir, name);
  const shown = (name: string): string => {
    const near = relative(process.cwd(), path(name));
    return near === '' || near.startsWith('..') ? path(name) : near;
  };
  mkdirSync(options.outDir, { recursive: true, mode: 0o700 });

  // The CA: kept while it lives; a half-present or mismatched one is the user's to sort out,
  // never silently replaced (its certificate is already trusted by a cluster).
  let ca: PemKeyPair;
  let caCreated = false;
  const caCertPem = readIfExists(path('ca.crt'));
  const caKeyPem = readIfExists(path('ca.key'));
  if (caCertPem === undefined && caKeyPem === undefined) {
    ca = issueAuthority(CA_COMMON_NAME, options.caValidityDays, now);
    caCreated = true;
    messages.push(`CA: created ${shown('ca.crt')} (valid until ${day(certificateNotAfter(ca.certPem))})`);
  } else if (caCertPem === undefined || caKeyPem === undefined) {
    throw new Error(
      `found ${caCertPem === undefined ? 'ca.key without ca.crt' : 'ca.crt without ca.key'} in ${options.outDir}; ` +
        'restore the missing file, or remove both to make a new CA',
    );
  } else {
    let caCert: X509Certificate;
    try {
      caCert = new X509Certificate(caCertPem);
    } catch (err) {
      throw new Error(`${path('ca.crt')} is not a PEM certificate (${err instanceof Error ? err.message : String(err)}); remove ca.crt and ca.key to make a new CA`, { cause: err });
    }
    if (!caCert.ca) throw new Error(`${path('ca.crt')} is not a CA certificate; remove ca.crt and ca.key to make a new CA`);
    if (!keyMatches(caCert, caKeyPem)) throw new Error(`${path('ca.key')} does not belong to ${path('ca.crt')}; remove both to make a new CA`);
    const caNotAfter = certificateNotAfter(caCertPem);
    if (authorityDue(caCertPem, options.renewBeforeDays, now)) {
      ca = issueAuthority(CA_COMMON_NAME, options.caValidityDays, now);
      caCreated = true;
      messages.push(
        `CA: the old one expires ${day(caNotAfter)}, within ${options.renewBeforeDays} days; created a new CA ${shown('ca.crt')} ` +
          `(valid until ${day(certificateNotAfter(ca.certPem))}); apply secret.yaml and the caBundle patch together`,
      );
    } else {
      ca = { certPem: caCertPem, keyPem: caKeyPem };
      messages.push(`CA: kept ${shown('ca.crt')} (valid until ${day(caNotAfter)})`);
    }
  }

  // The serving certificate: why it must be issued again, if it must.
  const want = requestedSans(options);
  const servingCertPem = readIfExists(path('tls.crt'));
  const servingKeyPem = readIfExists(path('tls.key'));
  const reason = servingRenewalReason({
    serving: { certPem: servingCertPem, keyPem: servingKeyPem },
    authorities: [ca.certPem],
    names: want,
    renewBeforeDays: options.renewBeforeDays,
    now,
  });

  let serving: PemKeyPair;
  if (reason === undefined && servingCertPem !== undefined && servingKeyPem !== undefined) {
    serving = { certPem: servingCertPem, keyPem: servingKeyPem };
    messages.push(`serving certificate: kept ${shown('tls.crt')} (valid until ${day(certificateNotAfter(servingCertPem))})`);
  } else {
    const issued = issueServing(ca, { commonName: SERVING_COMMON_NAME, names: want, validityDays: options.validityDays }, now);
    serving = issued.pair;
    const names = [...want.dnsNames, ...want.ipAddresses].join(', ');
    messages.push(
      `serving certificate: issued ${shown('tls.crt')} because ${reason?.text ?? 'there was none'} ` +
        `(valid until ${day(certificateNotAfter(serving.certPem))}${issued.capped ? ", capped at the CA's expiry" : ''}; names: ${names})`,
    );
  }

  const files: Array<[string, string, number]> = [
    ['ca.crt', ca.certPem, 0o644],
    ['ca.key', ca.keyPem, 0o600],
    ['tls.crt', serving.certPem, 0o644],
    ['tls.key', serving.keyPem, 0o600],
    ['secret.yaml', secretYaml(ca.certPem, serving), 0o600],
    ['cabundle-patch.yaml', caBundlePatchYaml(ca.certPem), 0o644],
  ];
  for (const [name, content, mode] of files) {
    if (writeIfChanged(path(name), content, mode)) written.push(name);
  }
  messages.push(
    written.length === 0
      ? `nothing changed in ${shown('')}`
      : `wrote ${written.join(', ')} in ${shown('')}; next: kubectl apply -k manifests/own-pki/`,
  );
  return { messages, caCreated, servingIssued: reason !== undefined, written };
}

function main(argv: string[]): number {
  try {
    const options = parseMakeCertsArgs(argv);
    if (options === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    for (const line of ensureCertificates(options).messages) process.stdout.write(`${line}\n`);
    return 0;
  } catch (err) {
    if (err instanceof MakeCertsUsageError) {
      process.stderr.write(`make-certs: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`make-certs: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
