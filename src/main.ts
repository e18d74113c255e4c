#!/usr/bin/env node
// Entry point: parse the command line, run a command, exit with its code (src/cli/exitCodes.ts).
import { text } from 'node:stream/consumers';
import { UsageError, parseCommandLine, usageOf } from './cli/args.ts';
import { EXIT, ClusterAccessError, UnreadableFileError } from './cli/exitCodes.ts';
import { processIo } from './cli/io.ts';
import { runCheck } from './commands/check.ts';
import { runClusterCommand } from './plugin/clusterCommand.ts';
import { runCulprits } from './plugin/culprits.ts';
import { VERSION } from './version.ts';

async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseCommandLine(argv, process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    processIo.stderr(`cordon-guard: ${err.message}\n\n${usageOf(argv[0])}\n`);
    return EXIT.usage;
  }
  switch (options.command) {
    case 'help':
      processIo.stdout(`${usageOf(options.topic)}\n`);
      return EXIT.ok;
    case 'version':
      processIo.stdout(`cordon-guard ${VERSION}\n`);
      return EXIT.ok;
    case 'check':
      return runCheck(options, { ...processIo, readStdin: () => text(process.stdin) });
    case 'serve': {
      // Loaded only here: express, pino and prom-client are slow to load, and the plugin's commands need none of them.
      const { runServe } = await import('./commands/serve.ts');
      await runServe(options);
      return EXIT.ok;
    }
    case 'start':
    case 'end':
    case 'list':
    case 'who-can-uncordon':
      return runClusterCommand(options, processIo);
    case 'culprits':
      return runCulprits(options, processIo);
  }
}

/** The exit code of a failure that no command turned into one. */
function exitCodeOf(err: unknown): number {
  if (err instanceof UnreadableFileError) return EXIT.unreadableFile;
  if (err instanceof ClusterAccessError) return EXIT.cluster;
  return EXIT.refused;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Errors that say what went wrong (a missing file, a port in use) need no stack; others get one.
    const plain = err instanceof UnreadableFileError || err instanceof ClusterAccessError || (err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string');
    const text = err instanceof Error ? (plain ? err.message : (err.stack ?? err.message)) : String(err);
    processIo.stderr(`cordon-guard: ${text}\n`);
    process.exitCode = exitCodeOf(err);
  },
);
