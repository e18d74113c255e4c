// The serving certificate and key from files (--tls-cert, --tls-key), re-read when they change.
import { createSecureContext } from 'node:tls';
import type { Logger } from '../observability/logger.ts';
import type { PemKeyPair } from './certificates.ts';
import { WatchedFiles } from './watchedFiles.ts';

/** Throws when the key does not match the certificate, or either is not PEM. */
function keyPair([certPem = '', keyPem = '']: string[]): PemKeyPair {
  createSecureContext({ cert: certPem, key: keyPem });
  return { certPem, keyPem };
}

export class KeyPairWatcher extends WatchedFiles<PemKeyPair> {
  constructor(options: { certPath: string; keyPath: string; logger: Logger; pollIntervalMs?: number }) {
    super({ paths: [options.certPath, options.keyPath], what: 'serving certificate', parse: keyPair, logger: options.logger, pollIntervalMs: options.pollIntervalMs });
  }
}
