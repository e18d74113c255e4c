// The CA bundle that clients' certificates must chain to (--client-ca), re-read when it changes:
// the API server's client certificate may be rotated to a new CA without a restart.
import { X509Certificate } from 'node:crypto';
import type { Logger } from '../observability/logger.ts';
import { WatchedFiles } from './watchedFiles.ts';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The bundle as given, once every certificate in it parses; throws when one does not, or there is none. */
function caBundle([pem = '']: string[]): string {
  const certificates = pem.match(PEM_CERTIFICATE) ?? [];
  if (certificates.length === 0) throw new Error('no PEM certificate in the file');
  for (const certificate of certificates) new X509Certificate(certificate);
  return pem;
}

export class ClientCaWatcher extends WatchedFiles<string> {
  constructor(options: { path: string; logger: Logger; pollIntervalMs?: number }) {
    super({ paths: [options.path], what: 'client CA', parse: caBundle, logger: options.logger, pollIntervalMs: options.pollIntervalMs });
  }
}
