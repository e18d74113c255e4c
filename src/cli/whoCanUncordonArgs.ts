// `cordon-guard who-can-uncordon [-o table|json] [--kubeconfig FILE] [--context NAME]`, parsed on
// its own until src/cli/pluginArgs.ts dispatches to it.
import { parseArgs } from 'node:util';
import { UsageError } from './usageError.ts';

export const WHO_CAN_UNCORDON_USAGE = `  cordon-guard who-can-uncordon [-o table|json]
                     every user, group and service account that RBAC allows to update or
                     patch nodes, with the bindings that grant it and whether the policy
                     allowlists it (read rights on ClusterRoles and ClusterRoleBindings)`;

export interface WhoCanUncordonOptions {
  command: 'who-can-uncordon';
  output: 'table' | 'json';
  kubeconfig: string | undefined;
  context: string | undefined;
}

export function parseWhoCanUncordon(args: string[]): WhoCanUncordonOptions {
  const { values, positionals } = parseArgs({ args, options: { output: { type: 'string', short: 'o' }, kubeconfig: { type: 'string' }, context: { type: 'string' } }, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new UsageError(`who-can-uncordon takes no arguments, got ${JSON.stringify(positionals[0])}`);
  const output = values.output ?? 'table';
  if (output !== 'table' && output !== 'json') throw new UsageError(`-o must be table or json, got ${JSON.stringify(output)}`);
  return { command: 'who-can-uncordon', output, kubeconfig: values.kubeconfig, context: values.context };
}
