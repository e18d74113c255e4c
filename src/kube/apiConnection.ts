// Where serve's API server is and how it authenticates there, read as client-go's rest.Config is:
// --kubeconfig, else KUBECONFIG, else ~/.kube/config, else the pod's ServiceAccount. A user with a
// token, a token file, a client certificate or a username and password is read here; anything
// else (an exec plugin, an auth provider, impersonation, a proxy, several files in KUBECONFIG) is
// handed to client-node's KubeConfig, imported only then: its import holds about 80 MB of RSS,
// more than the rest of a replica at rest (docs/performance.md "Memory").
import { existsSync, readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import { ClusterAccessError } from '../cli/exitCodes.ts';
import { isPlainObject } from '../admission/json.ts';
import { errorMessage } from '../text/errors.ts';

export interface ApiConnection {
  server: URL;
  /** The TLS and auth options of one request; credentials from files are re-read as they rotate. */
  requestOptions(): Promise<RequestOptions>;
}

/** Where a pod's ServiceAccount is mounted (client-go's rest.InClusterConfig). */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** client-go re-reads a token file at most once a minute; the kubelet rotates it long before expiry. */
const TOKEN_REREAD_MS = 60_000;

type Json = Record<string, unknown>;

const text = (object: Json, key: string): string | undefined => {
  const value = object[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/** A token file, re-read when it is older than a minute. */
function tokenFromFile(path: string): () => string {
  let token = '';
  let readAt = Number.NEGATIVE_INFINITY;
  return () => {
    if (Date.now() - readAt >= TOKEN_REREAD_MS) {
      token = readFileSync(path, 'utf8').trim();
      readAt = Date.now();
    }
    return token;
  };
}

function connection(server: string, tls: RequestOptions, authorization: (() => string | undefined) | undefined): ApiConnection {
  let url: URL;
  try {
    url = new URL(server);
  } catch (err) {
    throw new ClusterAccessError(`the API server's address ${JSON.stringify(server)} is not a URL: ${errorMessage(err)}`, { cause: err });
  }
  return {
    server: url,
    requestOptions() {
      const header = authorization?.();
      return Promise.resolve({ ...tls, headers: header === undefined ? {} : { authorization: header } });
    },
  };
}

/** The pod's ServiceAccount: KUBERNETES_SERVICE_HOST/PORT, its CA and its token. */
export function inClusterConnection(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): ApiConnection {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (host === undefined || host === '' || port === undefined || port === '') {
    throw new ClusterAccessError('no Kubernetes cluster configured: give --kubeconfig, set KUBECONFIG, or run in a pod');
  }
  const token = tokenFromFile(join(dir, 'token'));
  let ca: string;
  try {
    ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
    token();
  } catch (err) {
    throw new ClusterAccessError(`cannot read the pod's ServiceAccount in ${dir}: ${errorMessage(err)}`, { cause: err });
  }
  return connection(`https://${host.includes(':') ? `[${host}]` : host}:${port}`, { ca }, () => `Bearer ${token()}`);
}

/** What this reader cannot do itself: fields that need client-node. */
function needsClientNode(cluster: Json, user: Json): boolean {
  return ['exec', 'auth-provider', 'as', 'as-groups', 'as-uid', 'as-user-extra'].some((key) => user[key] !== undefined) || cluster['proxy-url'] !== undefined;
}

function named(list: unknown, name: string, what: string, file: string): Json {
  const entry = Array.isArray(list) ? (list as unknown[]).find((item) => isPlainObject(item) && item.name === name) : undefined;
  const value = isPlainObject(entry) ? entry[what] : undefined;
  if (!isPlainObject(value)) throw new ClusterAccessError(`the kubeconfig ${file} has no ${what} named ${JSON.stringify(name)}`);
  return value;
}

/** A file named in a kubeconfig, read relative to the kubeconfig's directory as kubectl reads it. */
function fileIn(file: string, path: string): Buffer {
  return readFileSync(isAbsolute(path) ? path : join(dirname(file), path));
}

/** PEM data from `KEY-data` (base64) or the file `KEY`, or undefined when neither is given. */
function pem(file: string, object: Json, key: string): Buffer | undefined {
  const data = text(object, `${key}-data`);
  if (data !== undefined) return Buffer.from(data, 'base64');
  const path = text(object, key);
  return path === undefined ? undefined : fileIn(file, path);
}

/** The connection of a kubeconfig file's current context, or undefined when it needs client-node. */
export function kubeconfigConnection(file: string, document: unknown): ApiConnection | undefined {
  if (!isPlainObject(document)) throw new ClusterAccessError(`the kubeconfig ${file} is not a mapping`);
  const contextName = text(document, 'current-context');
  if (contextName === undefined) throw new ClusterAccessError(`the kubeconfig ${file} has no current-context`);
  const context = named(document.contexts, contextName, 'context', file);
  const cluster = named(document.clusters, text(context, 'cluster') ?? '', 'cluster', file);
  const user = context.user === undefined || context.user === '' ? {} : named(document.users, text(context, 'user') ?? '', 'user', file);
  if (needsClientNode(cluster, user)) return undefined;
  const server = text(cluster, 'server');
  if (server === undefined) throw new ClusterAccessError(`the kubeconfig ${file}: cluster ${JSON.stringify(text(context, 'cluster'))} has no server`);
  const tls: RequestOptions = {
    ca: pem(file, cluster, 'certificate-authority'),
    cert: pem(file, user, 'client-certificate'),
    key: pem(file, user, 'client-key'),
    rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
    servername: text(cluster, 'tls-server-name'),
  };
  const token = text(user, 'token');
  const tokenFile = text(user, 'tokenFile');
  const username = text(user, 'username');
  let authorization: (() => string) | undefined;
  if (token !== undefined) authorization = () => `Bearer ${token}`;
  else if (tokenFile !== undefined) {
    const read = tokenFromFile(isAbsolute(tokenFile) ? tokenFile : join(dirname(file), tokenFile));
    read();
    authorization = () => `Bearer ${read()}`;
  } else if (username !== undefined) {
    const basic = Buffer.from(`${username}:${text(user, 'password') ?? ''}`).toString('base64');
    authorization = () => `Basic ${basic}`;
  }
  return connection(server, tls, authorization);
}

/** client-node's KubeConfig for what kubeconfigConnection does not read (exec plugins and the like). */
async function clientNodeConnection(path: string | undefined): Promise<ApiConnection> {
  const { loadKubeConfig } = await import('./kubeConfig.ts');
  const config = loadKubeConfig(path);
  const cluster = config.getCurrentCluster();
  if (cluster === null) throw new ClusterAccessError('no Kubernetes cluster configured');
  return {
    ...connection(cluster.server, {}, undefined),
    async requestOptions() {
      const options: RequestOptions = {};
      await config.applyToHTTPSOptions(options);
      return options;
    },
  };
}

/** The kubeconfig to read: the flag, else KUBECONFIG, else ~/.kube/config when it exists. */
function kubeconfigPath(path: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (path !== undefined) return path;
  const fromEnv = env.KUBECONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  return existsSync(home) ? home : undefined;
}

/** serve's connection to the API server (see the top of this file for the order). */
export async function loadApiConnection(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<ApiConnection> {
  const file = kubeconfigPath(path, env);
  if (file === undefined) return inClusterConnection(env);
  // Several files in KUBECONFIG are merged by client-node's rules.
  if (path === undefined && file.includes(delimiter)) return clientNodeConnection(undefined);
  let document: unknown;
  try {
    document = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ClusterAccessError(`cannot load the kubeconfig ${file}: ${errorMessage(err)}`, { cause: err });
  }
  let read: ApiConnection | undefined;
  try {
    read = kubeconfigConnection(file, document);
  } catch (err) {
    if (err instanceof ClusterAccessError) throw err;
    throw new ClusterAccessError(`cannot load the kubeconfig ${file}: ${errorMessage(err)}`, { cause: err });
  }
  return read ?? clientNodeConnection(file);
}
