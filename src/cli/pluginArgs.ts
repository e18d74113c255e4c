// The kubectl plugin's commands (`kubectl cordon-guard start|end|list|culprits`), a contract that
// tests outside this repository drive: names, flags, exit codes and JSON keys stay as they are.
import { parseArgs } from 'node:util';
import { qualifiedNameProblems } from '../policy/qualifiedName.ts';
import { UsageError } from './usageError.ts';

export const PLUGIN_USAGE = `  cordon-guard start NODE --reason TEXT [--annotation KEY]
                     cordon NODE and put it under maintenance in one request
  cordon-guard end NODE [--annotation KEY]
                     end the maintenance (its own request), then uncordon unless NODE was
                     cordoned before start
  cordon-guard list [-o table|json] [--annotation KEY]
                     nodes that are cordoned or under maintenance, with refused uncordons
  cordon-guard culprits --audit-log FILE [--node NAME] [-o table|json]
                     who wrote spec.unschedulable, from an API server audit log (offline)
  start, end and list also take --kubeconfig FILE and --context NAME (default: as kubectl);
  as a kubectl plugin: kubectl cordon-guard COMMAND ... (exit 0 done, 1 refused by the API
  server or node not found, 2 bad usage)`;

type OutputFormat = 'table' | 'json';

interface ClusterFlags {
  /** Like kubectl: --kubeconfig, else KUBECONFIG, else ~/.kube/config. */
  kubeconfig: string | undefined;
  context: string | undefined;
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

export type PluginOptions = StartOptions | EndOptions | ListOptions | CulpritsOptions;

const CLUSTER_FLAGS = { kubeconfig: { type: 'string' }, context: { type: 'string' } } as const;
const ANNOTATION_FLAG = { annotation: { type: 'string' } } as const;
const OUTPUT_FLAG = { output: { type: 'string', short: 'o' } } as const;

/** Node names are DNS subdomains (apimachinery ValidateNodeName). */
const NODE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function nodeName(command: string, positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(`${command} needs exactly one NODE, got ${positionals.length}`);
  const name = positionals[0] ?? '';
  if (name.length > 253 || !NODE_NAME.test(name)) throw new UsageError(`${JSON.stringify(name)} is not a node name (a lowercase DNS subdomain)`);
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

export function parsePluginCommand(command: PluginOptions['command'], args: string[]): PluginOptions {
  switch (command) {
    case 'start': {
      const { values, positionals } = parseArgs({ args, options: { reason: { type: 'string' }, ...ANNOTATION_FLAG, ...CLUSTER_FLAGS }, allowPositionals: true, strict: true });
      const node = nodeName('start', positionals);
      if (values.reason === undefined) throw new UsageError('start needs --reason TEXT (why the node is under maintenance, e.g. a ticket)');
      if (values.reason.trim() === '') throw new UsageError('start: --reason must not be empty');
      return { command, node, reason: values.reason, annotation: annotationKey(values.annotation), kubeconfig: values.kubeconfig, context: values.context };
    }
    case 'end': {
      const { values, positionals } = parseArgs({ args, options: { ...ANNOTATION_FLAG, ...CLUSTER_FLAGS }, allowPositionals: true, strict: true });
      return { command, node: nodeName('end', positionals), annotation: annotationKey(values.annotation), kubeconfig: values.kubeconfig, context: values.context };
    }
    case 'list': {
      const { values, positionals } = parseArgs({ args, options: { ...OUTPUT_FLAG, ...ANNOTATION_FLAG, ...CLUSTER_FLAGS }, allowPositionals: true, strict: true });
      noPositionals('list', positionals);
      return { command, output: outputFormat(values.output), annotation: annotationKey(values.annotation), kubeconfig: values.kubeconfig, context: values.context };
    }
    case 'culprits': {
      const { values, positionals } = parseArgs({ args, options: { 'audit-log': { type: 'string' }, node: { type: 'string' }, ...OUTPUT_FLAG }, allowPositionals: true, strict: true });
      noPositionals('culprits', positionals);
      const auditLog = values['audit-log'];
      if (auditLog === undefined || auditLog === '') throw new UsageError('culprits needs --audit-log FILE (the API server\'s --audit-log-path)');
      return { command, auditLog, node: values.node, output: outputFormat(values.output) };
    }
  }
}
