#!/usr/bin/env node
// Entry point: parse the command line and run a command. Exit codes: 0 ok, 2 usage or bad input;
// the plugin's start, end and list: 1 when the API server refused a step or the node is not found.
import { text } from 'node:stream/consumers';
import { USAGE, UsageError, parseCommandLine } from './cli/args.ts';
import { runCheck } from './commands/check.ts';
import { runClusterCommand } from './plugin/clusterCommand.ts';
import { runCulprits } from './plugin/culprits.ts';

const io = { stdout: (t: string) => process.stdout.write(t), stderr: (t: string) => process.stderr.write(t) };

async function main(): Promise<number> {
  let options;
  try {
    options = parseCommandLine(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`cordon-guard: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  switch (options.command) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case 'check':
      return runCheck(options, {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
        readStdin: () => text(process.stdin),
      });
    case 'serve': {
      // Loaded only here: express, pino and prom-client are slow to load, and the plugin's commands need none of them.
      const { runServe } = await import('./commands/serve.ts');
      await runServe(options);
      return 0;
    }
    case 'start':
    case 'end':
    case 'list':
      return runClusterCommand(options, io);
    case 'culprits':
      return runCulprits(options, io);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // System errors (a missing certificate file, a port in use) speak for themselves; others get a stack.
    const systemError = err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
    const text = err instanceof Error ? (systemError ? err.message : (err.stack ?? err.message)) : String(err);
    process.stderr.write(`cordon-guard: ${text}\n`);
    process.exitCode = 1;
  },
);
