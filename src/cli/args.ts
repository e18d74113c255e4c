// The command line, a contract that tests outside this repository drive. Every serve flag has
// an environment equivalent, CORDON_GUARD_<FLAG_IN_CAPS>; a flag wins over the environment.
import { parseArgs } from 'node:util';
import { LOG_LEVELS, isLogLevel, type LogLevel } from '../observability/logLevels.ts';
import { parseObjectRef } from './configMapRef.ts';
import { isDns1123Label, isDns1123Subdomain } from '../text/dnsNames.ts';
import { EXIT_CODES_TEXT } from './exitCodes.ts';
import { CLUSTER_COMMANDS, CLUSTER_FLAGS_USAGE, PLUGIN_USAGE, parsePluginCommand, type PluginOptions } from './pluginArgs.ts';
import { UsageError } from './usageError.ts';

export { UsageError };

const SERVE_USAGE = `  cordon-guard serve [--host ADDRESS] [--port 9443] [--metrics-port 8080]
                     (--tls-cert FILE --tls-key FILE | --self-signed [--self-signed-ca-file FILE]
                      | --tls-secret NAMESPACE/NAME [--service cordon-guard])
                     [--webhook-configuration cordon-guard]
                     [--client-ca FILE]
                     [--policy-file FILE | --policy-configmap NAMESPACE/NAME [--kubeconfig FILE]]
                     [--events | --no-events] [--drain-seconds 5] [--log-level info]
                     the admission webhook. --host: by default every address, IPv6 and IPv4
                     (where the host has no IPv6, every IPv4 address). The files given are
                     re-read when they change. Every flag can also be set in the environment
                     as CORDON_GUARD_<FLAG>, e.g. CORDON_GUARD_PORT=9443,
                     CORDON_GUARD_SELF_SIGNED=true; a flag wins over the environment`;

const CHECK_USAGE = `  cordon-guard check [--policy-file FILE] --review FILE|- [--mutate]
                     the answer to one AdmissionReview, offline (--mutate: the /mutate answer
                     and its patch)`;

const VERSION_USAGE = `  cordon-guard version   (or --version)
                     the version`;

const HELP_USAGE = `  cordon-guard help      (or --help, -h; COMMAND --help for one command)`;

const COMMAND_USAGE = { serve: SERVE_USAGE, check: CHECK_USAGE, ...PLUGIN_USAGE, version: VERSION_USAGE } as const;

type CommandName = keyof typeof COMMAND_USAGE;

function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMAND_USAGE, name);
}

/** Every command, its flags, and the exit codes. */
export const USAGE = `usage:
${Object.values(COMMAND_USAGE).join('\n')}
${HELP_USAGE}
${CLUSTER_FLAGS_USAGE}

${EXIT_CODES_TEXT}`;

/** One command's usage (with the cluster flags where it takes them) and the exit codes; for anything else, USAGE. */
export function usageOf(command: string | undefined): string {
  if (command === undefined || !isCommandName(command)) return USAGE;
  const clusterFlags = CLUSTER_COMMANDS.has(command) ? `\n${CLUSTER_FLAGS_USAGE}` : '';
  return `usage:\n${COMMAND_USAGE[command]}${clusterFlags}\n\n${EXIT_CODES_TEXT}`;
}

export interface ServeOptions {
  command: 'serve';
  /** undefined: every address, `::` dual-stack where the host has IPv6, else 0.0.0.0 (Node's default). */
  host: string | undefined;
  port: number;
  metricsPort: number;
  tls:
    | { kind: 'files'; certPath: string; keyPath: string }
    | { kind: 'self-signed'; caFile: string | undefined }
    /** Self-managed: the pair in Secret NAMESPACE/NAME, its CA in NAME-ca, for Service `service` of that namespace. */
    | { kind: 'secret'; namespace: string; name: string; service: string };
  /** The Validating- and MutatingWebhookConfiguration whose caBundle and matchConditions serve keeps in step. */
  webhookConfiguration: string;
  clientCaPath: string | undefined;
  policy: { kind: 'file'; path: string } | { kind: 'configmap'; namespace: string; name: string } | { kind: 'defaults' };
  kubeconfig: string | undefined;
  /** Record violations as Events; on by default when cordon-guard can reach the API server. */
  events: boolean | undefined;
  drainSeconds: number;
  logLevel: LogLevel;
}

export interface CheckOptions {
  command: 'check';
  policyFile: string | undefined;
  reviewFile: string;
  /** Answer as /mutate does (the cordon stamp patch) instead of /validate. */
  mutate: boolean;
}

export type CliOptions = ServeOptions | CheckOptions | PluginOptions | { command: 'help'; topic: CommandName | undefined } | { command: 'version' };

const SERVE_FLAGS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'metrics-port': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'self-signed': { type: 'boolean' },
  'self-signed-ca-file': { type: 'string' },
  'tls-secret': { type: 'string' },
  service: { type: 'string' },
  'webhook-configuration': { type: 'string' },
  'client-ca': { type: 'string' },
  'policy-file': { type: 'string' },
  'policy-configmap': { type: 'string' },
  kubeconfig: { type: 'string' },
  events: { type: 'boolean' },
  'no-events': { type: 'boolean' },
  'drain-seconds': { type: 'string' },
  'log-level': { type: 'string' },
} as const;

type ServeFlag = keyof typeof SERVE_FLAGS;

function envName(flag: string): string {
  return `CORDON_GUARD_${flag.toUpperCase().replaceAll('-', '_')}`;
}

function parseBoolean(text: string, name: string): boolean {
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off)$/i.test(text)) return false;
  throw new UsageError(`${name} must be true or false, got ${JSON.stringify(text)}`);
}

function parsePort(text: string, name: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`${name} must be a port number 0-65535, got ${JSON.stringify(text)}`);
  return port;
}

/** Seconds as a plain decimal (`5`, `0.5`): no hex, exponents, signs or spaces. */
function parseSeconds(text: string, name: string): number {
  if (!/^\d+(\.\d+)?$/.test(text)) throw new UsageError(`${name} must be a number of seconds such as 5 or 0.5, got ${JSON.stringify(text)}`);
  return Number(text);
}

function parseServe(args: string[], env: NodeJS.ProcessEnv): ServeOptions {
  const { values } = parseArgs({ args, options: SERVE_FLAGS, strict: true, allowPositionals: false });
  const text = (flag: ServeFlag): string | undefined => {
    const value = values[flag];
    if (typeof value === 'string') return value;
    const fromEnv = env[envName(flag)];
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  };
  const flag = (name: ServeFlag): boolean | undefined => {
    const value = values[name];
    if (typeof value === 'boolean') return value;
    const fromEnv = env[envName(name)];
    return fromEnv === undefined || fromEnv === '' ? undefined : parseBoolean(fromEnv, envName(name));
  };
  // A flag wins over the environment, but two flags (or two variables) that say opposite
  // things are a mistake to report, not a tie to break silently.
  const eventsFlag = values.events === true;
  const noEventsFlag = values['no-events'] === true;
  if (eventsFlag && noEventsFlag) throw new UsageError('--events and --no-events contradict each other; give one');
  if (!eventsFlag && !noEventsFlag && flag('events') === true && flag('no-events') === true) {
    throw new UsageError(`${envName('events')} and ${envName('no-events')} contradict each other; set one`);
  }

  const certPath = text('tls-cert');
  const keyPath = text('tls-key');
  const selfSigned = flag('self-signed') === true;
  const tlsSecret = text('tls-secret');
  const service = text('service');
  if (tlsSecret !== undefined && (selfSigned || certPath !== undefined || keyPath !== undefined)) {
    throw new UsageError('--tls-secret, --tls-cert/--tls-key and --self-signed are mutually exclusive: give one way to get the serving certificate');
  }
  if (tlsSecret === undefined && service !== undefined) throw new UsageError('--service only applies with --tls-secret (the names of the certificate it makes)');
  if (service !== undefined && !isDns1123Label(service)) throw new UsageError(`--service must be a Service name, got ${JSON.stringify(service)}`);
  const webhookConfiguration = text('webhook-configuration') ?? 'cordon-guard';
  if (!isDns1123Subdomain(webhookConfiguration)) throw new UsageError(`--webhook-configuration must be an object name, got ${JSON.stringify(webhookConfiguration)}`);
  if (selfSigned && (certPath !== undefined || keyPath !== undefined)) {
    throw new UsageError('--self-signed and --tls-cert/--tls-key are mutually exclusive');
  }
  if (tlsSecret === undefined && !selfSigned && (certPath === undefined || keyPath === undefined)) {
    throw new UsageError('give --tls-secret NAMESPACE/NAME (certificates managed in the cluster), both --tls-cert and --tls-key, or --self-signed for local use');
  }
  if (!selfSigned && text('self-signed-ca-file') !== undefined) {
    throw new UsageError('--self-signed-ca-file only applies with --self-signed (with --tls-cert the CA is yours already)');
  }

  const policyFile = text('policy-file');
  const policyConfigMap = text('policy-configmap');
  if (policyFile !== undefined && policyConfigMap !== undefined) {
    throw new UsageError('--policy-file and --policy-configmap are mutually exclusive');
  }
  let policy: ServeOptions['policy'] = { kind: 'defaults' };
  if (policyFile !== undefined) policy = { kind: 'file', path: policyFile };
  if (policyConfigMap !== undefined) policy = { kind: 'configmap', ...parseObjectRef(policyConfigMap, '--policy-configmap') };

  const logLevel = text('log-level') ?? 'info';
  if (!isLogLevel(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  const drainSeconds = parseSeconds(text('drain-seconds') ?? '5', '--drain-seconds');
  const events = noEventsFlag ? false : eventsFlag ? true : flag('no-events') === true ? false : flag('events');
  const kubeconfig = text('kubeconfig');
  if (kubeconfig !== undefined && policy.kind !== 'configmap' && events !== true && tlsSecret === undefined) {
    throw new UsageError('--kubeconfig is only used with --policy-configmap, --tls-secret or --events; without them cordon-guard never calls the API server');
  }
  let tls: ServeOptions['tls'];
  if (tlsSecret !== undefined) tls = { kind: 'secret', ...parseObjectRef(tlsSecret, '--tls-secret'), service: service ?? 'cordon-guard' };
  else if (selfSigned || certPath === undefined || keyPath === undefined) tls = { kind: 'self-signed', caFile: text('self-signed-ca-file') };
  else tls = { kind: 'files', certPath, keyPath };

  return {
    command: 'serve',
    host: text('host'),
    port: parsePort(text('port') ?? '9443', '--port'),
    metricsPort: parsePort(text('metrics-port') ?? '8080', '--metrics-port'),
    tls,
    webhookConfiguration,
    clientCaPath: text('client-ca'),
    policy,
    kubeconfig,
    events,
    drainSeconds,
    logLevel,
  };
}

function parseCheck(args: string[]): CheckOptions {
  const { values } = parseArgs({
    args,
    options: { 'policy-file': { type: 'string' }, review: { type: 'string' }, mutate: { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.review === undefined) throw new UsageError('check needs --review FILE (use - for standard input)');
  return { command: 'check', policyFile: values['policy-file'], reviewFile: values.review, mutate: values.mutate === true };
}

/** `--help` or `-h` among a command's arguments (before a `--`), as kubectl takes it anywhere. */
function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  const [command, ...rest] = argv;
  if (command !== undefined && isCommandName(command) && asksForHelp(rest)) return { command: 'help', topic: command };
  try {
    switch (command) {
      case 'serve':
        return parseServe(rest, env);
      case 'check':
        return parseCheck(rest);
      case 'start':
      case 'end':
      case 'list':
      case 'culprits':
      case 'who-can-uncordon':
        return parsePluginCommand(command, rest, env);
      case 'version':
      case '--version':
        if (rest.length > 0) throw new UsageError(`version takes no arguments, got ${JSON.stringify(rest[0])}`);
        return { command: 'version' };
      case 'help':
      case '--help':
      case '-h': {
        const [topic, ...more] = rest;
        if (topic !== undefined && !isCommandName(topic)) throw new UsageError(`no help for ${JSON.stringify(topic)}: not a command`);
        if (more.length > 0) throw new UsageError(`help takes one COMMAND at most, got ${JSON.stringify(more[0])}`);
        return { command: 'help', topic };
      }
      default:
        throw new UsageError(command === undefined ? 'no command given' : `unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // parseArgs reports unknown or malformed flags with its own error codes.
    if (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) throw new UsageError(err.message);
    throw err;
  }
}
