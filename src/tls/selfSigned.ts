// `--self-signed`: a throwaway CA and a localhost serving certificate, made in memory at start.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createCertificateAuthority, issueServingCertificate, type PemKeyPair } from './certificates.ts';

export interface SelfSignedPair {
  serving: PemKeyPair;
  caFile: string;
}

export function makeSelfSignedPair(caFile: string | undefined): SelfSignedPair {
  const ca = createCertificateAuthority('cordon-guard self-signed CA', 30);
  const serving = issueServingCertificate(ca, {
    commonName: 'localhost',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
    validityDays: 30,
  });
  const path = caFile ?? join(tmpdir(), `cordon-guard-${process.pid}`, 'ca.crt');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, ca.certPem, { mode: 0o644 });
  return { serving, caFile: path };
}
