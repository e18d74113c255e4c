// The kubectl plugin's commands (`kubectl cordon-guard start|end|list|culprits|who-can-uncordon`), a contract that
// tests outside this repository drive: names, flags, exit codes and JSON keys stay as they are.
import { parseArgs } from 'node:util';
import { qualifiedNameProblems } from '../policy/qualifiedName.ts';
import { INSTALLED_POLICY_CONFIGMAP } from '../install.ts';
import { isDns1123Subdomain } from '../text/dnsNames.ts';
import { parseObjectRef, type ConfigMapRef } from './configMapRef.ts';
import { UsageError } from './usageError.ts';

/** Each plugin command's usage, as the full USAGE and `COMMAND --help` print it. */
export const PLUGIN_USAGE = {
  start: `  cordon-guard start NODE --reason TEXT [--annotation KEY] [CLUSTER FLAGS]
                     cordon NODE and put it under maintenance in one request`,
  end: `  cordon-guard end NODE [--annotation KEY] [CLUSTER FLAGS]
                     end the maintenance (its own request), then uncordon unless NODE was
                     cordoned before start`,
  list: `  cordon-guard list [-o table|json] [--annotation KEY] [CLUSTER FLAGS]
                     nodes that are cordoned or under maintenance, with refused uncordons`,
  culprits: `  cordon-guard culprits --audit-log FILE [--node NAME] [-o table|json]
                     who wrote spec.unschedulable, from an API server audit log (offline)`,
  'who-can-uncordon': `  cordon-guard who-can-uncordon [-o table|json] [CLUSTER FLAGS]
                     every user, group and service account that RBAC allows to update or
                     patch nodes, with the bindings that grant it and whether the policy
                     allowlists it (read rights on ClusterRoles and ClusterRoleBindings)`,
} as const;

/** The commands that take the CLUSTER FLAGS. */
export const CLUSTER_COMMANDS: ReadonlySet<string> = new Set(['start', 'end', 'list', 'who-can-uncordon']);

export const CLUSTER_FLAGS_USAGE = `  CLUSTER FLAGS (start, end, list, who-can-uncordon):
    --kubeconfig FILE, --context NAME   the cluster and credentials, as kubectl finds them
    --policy-configmap NAMESPACE/NAME   where cordon-guard reads its policy (default
                     ${INSTALLED_POLICY_CONFIGMAP.namespace}/${INSTALLED_POLICY_CONFIGMAP.name}, or CORDON_GUARD_POLICY_CONFIGMAP), for its
                     maintenanceAnnotation and allowlist; --annotation KEY names the
                     annotation instead
  As a kubectl plugin: kubectl cordon-guard COMMAND ...`;

type OutputFormat = 'table' | 'json';

interface ClusterFlags {
  /** Like kubectl: --kubeconfig, else KUBECONFIG, else ~/.kube/config. */
  kubeconfig: string | undefined;
  context: string | undefined;
  /** Where to read the policy (its maintenanceAnnotation, its allowlist): --policy-configmap, CORDON_GUARD_POLICY_CONFIGMAP, or the install's. */
  policyConfigMap: ConfigMapRef;
}

export interface StartOptions extends ClusterFlags {
  command: 'start';
  node: string;
  reason: string;
  /** --annotation; otherwise the policy ConfigMap's maintenanceAnnotation, or the default. */
  annotation: string | undefined;
}

export interface EndOptions extends ClusterFlags {
  command: 'end';
  node: string;
  annotation: string | undefined;
}

export interface ListOptions extends ClusterFlags {
  command: 'list';
  output: OutputFormat;
  annotation: string | undefined;
}

export interface CulpritsOptions {
  command: 'culprits';
  auditLog: string;
  node: string | undefined;
  output: OutputFormat;
}

export interface WhoCanUncordonOptions extends ClusterFlags {
  command: 'who-can-uncordon';
  output: OutputFormat;
}

export type PluginOptions = StartOptions | EndOptions | ListOptions | CulpritsOptions | WhoCanUncordonOptions;

const CLUSTER_FLAGS = { kubeconfig: { type: 'string' }, context: { type: 'string' }, 'policy-configmap': { type: 'string' } } as const;
const POLICY_CONFIGMAP_ENV = 'CORDON_GUARD_POLICY_CONFIGMAP';

function clusterFlags(values: { kubeconfig?: string; context?: string; 'policy-configmap'?: string }, env: NodeJS.ProcessEnv): ClusterFlags {
  const fromEnv = env[POLICY_CONFIGMAP_ENV];
  const ref = values['policy-configmap'] ?? (fromEnv === '' ? undefined : fromEnv);
  return {
    kubeconfig: values.kubeconfig,
    context: values.context,
    policyConfigMap: ref === undefined ? { ...INSTALLED_POLICY_CONFIGMAP } : parseObjectRef(ref, values['policy-configmap'] === undefined ? POLICY_CONFIGMAP_ENV : '--policy-configmap'),
  };
}
const ANNOTATION_FLAG = { annotation: { type: 'string' } } as const;
const OUTPUT_FLAG = { output: { type: 'string', short: 'o' } } as const;

function nodeName(command: string, positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(`${command} needs exactly one NODE, got ${positionals.length}`);
  const name = positionals[0] ?? '';
  // Node names are DNS subdomains (apimachinery ValidateNodeName).
  if (!isDns1123Subdomain(name)) throw new UsageError(`${JSON.stringify(name)} is not a node name (a lowercase DNS subdomain)`);
  return name;
}

function annotationKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const problems = qualifiedNameProblems(value);
  if (problems.length > 0) throw new UsageError(`--annotation ${JSON.stringify(value)}: ${problems.join('; ')}`);
  return value;
}

function outputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === 'table') return 'table';
  if (value === 'json') return 'json';
  throw new UsageError(`-o must be table or json, got ${JSON.stringify(value)}`);
}

function noPositionals(command: string, positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`${command} takes no arguments, got ${JSON.stringify(positionals[0])}`);
}

export function parsePluginCommand(command: PluginOptions['command'], args: string[], env: NodeJS.ProcessEnv): PluginOptions {
  switch (command) {
    case 'start': {
      const { values, positionals } = parseArgs({ args, options: { reason: { type: 'string' }, ...ANNOTATION_FLAG, ...CLUSTER_FLAGS }, allowPositionals: true, strict: true });
      const node = nodeName('start', positionals);
      if (values.reason === undefined) throw new UsageError('start needs --reason TEXT (why the node is under maintenance, e.g. a ticket)');
      if (values.reason.trim() === '') throw new UsageError('start: --reason must not be empty');
      return { command, node, reason: values.reason, annotation: annotationKey(values.annotation), ...clusterFlags(values, env) };
    }
    case 'end': {
      const { values, positionals } = parseArgs({ args, options: { ...ANNOTATION_FLAG, ...CLUSTER_FLAGS }, allowPositionals: true, strict: true });
      return { command, node: nodeName('end', positionals), annotation: annotationKey(values.annotation), ...clusterFlags(values, env) };
    }
    case 'list': {
      const { values, positionals } = parseArgs({ args, options: { ...OUTPUT_FLAG, ...ANNOTATION_FLAG, ...CLUSTER_FLAGS }, allowPositionals: true, strict: true });
      noPositionals('list', positionals);
      return { command, output: outputFormat(values.output), annotation: annotationKey(values.annotation), ...clusterFlags(values, env) };
    }
    case 'culprits': {
      const { values, positionals } = parseArgs({ args, options: { 'audit-log': { type: 'string' }, node: { type: 'string' }, ...OUTPUT_FLAG }, allowPositionals: true, strict: true });
      noPositionals('culprits', positionals);
      const auditLog = values['audit-log'];
      if (auditLog === undefined || auditLog === '') throw new UsageError('culprits needs --audit-log FILE (the API server\'s --audit-log-path)');
      return { command, auditLog, node: values.node, output: outputFormat(values.output) };
    }
    case 'who-can-uncordon': {
      const { values, positionals } = parseArgs({ args, options: { ...OUTPUT_FLAG, ...CLUSTER_FLAGS }, allowPositionals: true, strict: true });
      noPositionals('who-can-uncordon', positionals);
      return { command, output: outputFormat(values.output), ...clusterFlags(values, env) };
    }
  }
}
