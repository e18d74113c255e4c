// start, end and list: the commands that talk to the API server. The client (and
// @kubernetes/client-node, slow to import) is loaded only for them, never for culprits.
import type { EndOptions, ListOptions, StartOptions } from '../cli/pluginArgs.ts';
import { EXIT, ClusterAccessError } from '../cli/exitCodes.ts';
import type { CommandIo } from '../cli/io.ts';
import { ApiError, type MaintenanceApi } from './api.ts';
import { runList } from './list.ts';
import { runEnd, runStart } from './maintenance.ts';

/**
 * Runs one command. A request the API server refused is printed as kubectl prints it, with its
 * exit code (not found, unauthorized, refused); a cluster that cannot be reached, in one line.
 */
export async function runWithApi(options: StartOptions | EndOptions | ListOptions, api: MaintenanceApi, io: CommandIo): Promise<number> {
  try {
    switch (options.command) {
      case 'start':
        return await runStart(options, api, io);
      case 'end':
        return await runEnd(options, api, io);
      case 'list':
        return await runList(options, api, io);
    }
  } catch (err) {
    if (err instanceof ApiError) {
      io.stderr(`${err.kubectlText()}\n`);
      return err.exitCode();
    }
    if (!(err instanceof ClusterAccessError)) throw err;
    io.stderr(`cordon-guard ${options.command}: ${err.message}\n`);
    return EXIT.cluster;
  }
}

export async function runClusterCommand(options: StartOptions | EndOptions | ListOptions, io: CommandIo): Promise<number> {
  const { connectMaintenanceApi } = await import('../kube/maintenanceClient.ts');
  let api: MaintenanceApi;
  try {
    api = connectMaintenanceApi(options);
  } catch (err) {
    // No kubeconfig, an unknown context: one line, as kubectl says it.
    if (!(err instanceof ClusterAccessError)) throw err;
    io.stderr(`cordon-guard ${options.command}: ${err.message}\n`);
    return EXIT.cluster;
  }
  return runWithApi(options, api, io);
}
