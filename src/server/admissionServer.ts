// The HTTPS server around the admission app, with the timeouts that matter in production.
import { createServer, type Server } from 'node:https';
import type { RequestListener } from 'node:http';
import type { Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { PemKeyPair } from '../tls/certificates.ts';
import type { ClientCaSource, ServingCertificateSource } from '../tls/certificateSource.ts';

/** Above the API server's 90 s idle-connection timeout, so that the server never closes first. */
export const KEEP_ALIVE_TIMEOUT_MS = 120_000;
/** Slowloris: the whole header block must arrive within this. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** A body trickling in slower than this is cut off. */
const REQUEST_TIMEOUT_MS = 30_000;
/** A TLS handshake must finish within this (Node's default is 120 s, long enough to hoard connections). */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * Open connections at once. The API server keeps a few keep-alive connections per replica; an
 * idle TLS connection costs tens of kB, so thousands of them from a hostile pod would eat the
 * pod's memory. Past the cap a new connection is closed as soon as it is accepted: refused at
 * once, never left hanging. Connections already open (the API server's) keep being served.
 */
const MAX_CONNECTIONS = 1024;
/**
 * TLS handshakes in progress at once (a reconnection burst of the API server after a drain
 * stays well under it). A handshake's private-key operation runs on the event
 * loop, so a flood of them would delay the answers on the API server's open connections by
 * seconds. Past the cap a new connection is closed at once; open ones are not affected.
 */
const MAX_HANDSHAKES = 128;

// TLS 1.2+ with forward-secret AEAD suites only (TLS 1.3 suites are always on).
const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export interface AdmissionServerOptions {
  certificate: ServingCertificateSource;
  /** When set, clients (the API server) must present a certificate signed by this CA. */
  clientCa?: ClientCaSource;
  /** Overrides for tests of slow clients; production uses the constants above. */
  timeouts?: { headersMs: number; requestMs: number };
  maxConnections?: number;
  maxHandshakes?: number;
}

/** The TLS settings of the serving context, for the server's creation and for every change of its material. */
function secureContext(keyPair: PemKeyPair, clientCaPem: string | undefined): SecureContextOptions {
  return {
    cert: keyPair.certPem,
    key: keyPair.keyPem,
    minVersion: 'TLSv1.2',
    ciphers: TLS12_CIPHERS,
    honorCipherOrder: true,
    ...(clientCaPem === undefined ? {} : { ca: clientCaPem }),
  };
}

/**
 * The HTTPS server, with the material of its certificate sources in force: when one changes, new
 * handshakes get the new certificate or client CA, and open connections keep theirs.
 */
export function createAdmissionServer(app: RequestListener, options: AdmissionServerOptions): Server {
  const { certificate, clientCa } = options;
  const tls = (): SecureContextOptions => secureContext(certificate.current(), clientCa?.current());
  const server = createServer(
    {
      ...tls(),
      // Whether a client certificate is required is fixed for the server's life; the CA is in the context.
      ...(clientCa === undefined ? {} : { requestCert: true, rejectUnauthorized: true }),
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      keepAlive: true,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      headersTimeout: options.timeouts?.headersMs ?? HEADERS_TIMEOUT_MS,
      requestTimeout: options.timeouts?.requestMs ?? REQUEST_TIMEOUT_MS,
      // Slow clients are checked this often against the two timeouts.
      connectionsCheckingInterval: Math.min(1000, options.timeouts?.headersMs ?? 1000),
    },
    app,
  );
  const renew = (): void => server.setSecureContext(tls());
  certificate.onChange(renew);
  clientCa?.onChange(renew);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.maxConnections = options.maxConnections ?? MAX_CONNECTIONS;
  limitHandshakes(server, options.maxHandshakes ?? MAX_HANDSHAKES);
  return server;
}

/**
 * Closes new connections while `max` handshakes are in progress. A connection is in progress from
 * its accept until it is secured or closed; the two ends are matched by the client's address and
 * port, which no two open connections share, and a close always ends the entry.
 */
function limitHandshakes(server: Server, max: number): void {
  const handshaking = new Map<string, Socket>();
  const key = (socket: Socket): string => `${socket.remoteAddress}|${socket.remotePort}`;
  server.on('connection', (socket: Socket) => {
    if (handshaking.size >= max) {
      socket.destroy();
      return;
    }
    const id = key(socket);
    handshaking.set(id, socket);
    socket.once('close', () => {
      if (handshaking.get(id) === socket) handshaking.delete(id);
    });
  });
  server.on('secureConnection', (tlsSocket: Socket) => handshaking.delete(key(tlsSocket)));
}
