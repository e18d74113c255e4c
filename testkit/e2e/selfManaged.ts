// cordon-guard with its certificates managed in the cluster (serve --tls-secret), as the shipped
// Deployment runs it, but as a local process with a kubeconfig for its ServiceAccount.
import { connect } from 'node:tls';
import { startServe, type ServeProcess } from '../serveProcess.ts';
import { DIST_MAIN } from './cordonGuard.ts';

export interface SelfManagedOptions {
  /** The build to run (default dist/main.js). */
  main?: string;
  /** Default debug, for the tests' assertions on log lines; the Deployment runs serve's default, info. */
  logLevel?: string;
  /** Added to this process's environment (the Deployment's NODE_OPTIONS, say). */
  env?: NodeJS.ProcessEnv;
}

/** The flags of the shipped Deployment's certificate and policy, with a kubeconfig instead of the pod's token. */
export function startSelfManaged(kubeconfig: string, extraArgs: string[] = [], options: SelfManagedOptions = {}): Promise<ServeProcess> {
  return startServe(
    [
      '--tls-secret', 'cordon-guard/cordon-guard-tls',
      '--policy-configmap', 'cordon-guard/cordon-guard-policy',
      '--kubeconfig', kubeconfig,
      '--log-level', options.logLevel ?? 'debug',
      '--drain-seconds', '0',
      ...extraArgs,
    ],
    // No CA file: the CA is in the cluster.
    { main: options.main ?? DIST_MAIN, ca: '', timeoutMs: 60_000, ...(options.env === undefined ? {} : { env: options.env }) },
  );
}

export interface Handshake {
  authorized: boolean;
  error: string | undefined;
  fingerprint: string;
}

/** A TLS handshake with a new connection, verified against `ca` for `servername` as the API server verifies it. */
export function handshake(port: number, ca: string, servername: string): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername, rejectUnauthorized: false }, () => {
      resolve({ authorized: socket.authorized, error: socket.authorizationError?.message, fingerprint: socket.getPeerX509Certificate()?.fingerprint256 ?? '' });
      socket.end();
    });
    socket.on('error', reject);
  });
}
