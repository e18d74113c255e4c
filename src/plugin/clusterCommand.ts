// start, end and list: the commands that talk to the API server. The client (and
// @kubernetes/client-node, slow to import) is loaded only for them, never for culprits.
import type { EndOptions, ListOptions, StartOptions } from '../cli/pluginArgs.ts';
import { errorMessage } from '../text/errors.ts';
import { ApiError, type MaintenanceApi } from './api.ts';
import type { PluginIo } from './io.ts';
import { runList } from './list.ts';
import { runEnd, runStart } from './maintenance.ts';

const EXIT_REFUSED = 1;

/** Runs one command; a request the API server refused is printed as kubectl prints it, exit 1. */
export async function runWithApi(options: StartOptions | EndOptions | ListOptions, api: MaintenanceApi, io: PluginIo): Promise<number> {
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
    if (!(err instanceof ApiError)) throw err;
    io.stderr(`${err.kubectlText()}\n`);
    return EXIT_REFUSED;
  }
}

/** An error and its causes on one line: `fetch failed: connect ECONNREFUSED 127.0.0.1:6443`. */
function oneLine(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e !== undefined && parts.length < 4; e = e instanceof Error ? e.cause : undefined) parts.push(errorMessage(e));
  return parts.join(': ');
}

export async function runClusterCommand(options: StartOptions | EndOptions | ListOptions, io: PluginIo): Promise<number> {
  const { connectMaintenanceApi } = await import('../kube/maintenanceClient.ts');
  try {
    return await runWithApi(options, connectMaintenanceApi(options), io);
  } catch (err) {
    // No kubeconfig, an unknown context, an API server that cannot be reached: one line, as kubectl.
    io.stderr(`cordon-guard ${options.command}: ${oneLine(err)}\n`);
    return EXIT_REFUSED;
  }
}
