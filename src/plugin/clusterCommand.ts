// start, end, list and who-can-uncordon: the commands that talk to the API server. The clients
// (and @kubernetes/client-node, slow to import) are loaded only for them, never for culprits.
import type { EndOptions, ListOptions, StartOptions, WhoCanUncordonOptions } from '../cli/pluginArgs.ts';
import { EXIT, ClusterAccessError } from '../cli/exitCodes.ts';
import type { CommandIo } from '../cli/io.ts';
import { ApiError, type MaintenanceApi } from './api.ts';
import { runList } from './list.ts';
import { runEnd, runStart } from './maintenance.ts';
import { runWhoCanUncordon } from './whoCanUncordonCommand.ts';

type ClusterCommandOptions = StartOptions | EndOptions | ListOptions | WhoCanUncordonOptions;

/**
 * Runs one command. A request the API server refused is printed as kubectl prints it, with its
 * exit code (not found, unauthorized, refused); a cluster that cannot be reached, in one line.
 */
async function reportingFailures(command: ClusterCommandOptions['command'], io: CommandIo, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApiError) {
      io.stderr(`${err.kubectlText()}\n`);
      return err.exitCode();
    }
    if (!(err instanceof ClusterAccessError)) throw err;
    io.stderr(`cordon-guard ${command}: ${err.message}\n`);
    return EXIT.cluster;
  }
}

function runCommand(options: StartOptions | EndOptions | ListOptions, api: MaintenanceApi, io: CommandIo): Promise<number> {
  switch (options.command) {
    case 'start':
      return runStart(options, api, io);
    case 'end':
      return runEnd(options, api, io);
    case 'list':
      return runList(options, api, io);
  }
}

export async function runWithApi(options: StartOptions | EndOptions | ListOptions, api: MaintenanceApi, io: CommandIo): Promise<number> {
  return reportingFailures(options.command, io, () => runCommand(options, api, io));
}

export async function runClusterCommand(options: ClusterCommandOptions, io: CommandIo): Promise<number> {
  const { connectMaintenanceApi } = await import('../kube/maintenanceClient.ts');
  // Connecting fails on no kubeconfig or an unknown context: one line, as kubectl says it.
  return reportingFailures(options.command, io, async () => {
    const api = connectMaintenanceApi(options);
    if (options.command !== 'who-can-uncordon') return runCommand(options, api, io);
    const { connectRbacApi } = await import('../kube/rbacClient.ts');
    return runWhoCanUncordon(options, connectRbacApi(options), () => api.policyText(), io);
  });
}
