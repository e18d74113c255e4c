// The command line of bench/run.ts. Parsed when main asks, not at import, so that importing a
// bench module (a test does) never reads process.argv.
import { parseArgs } from 'node:util';

export interface BenchArgs {
  quick: boolean;
  noE2e: boolean;
  help: boolean;
  /** cordon-guard's build to benchmark (default dist/main.js). */
  main: string | undefined;
  /** A candidate build, measured in every phase next to the others. */
  compare: string | undefined;
  /** Where the result files go (default bench/results/). */
  out: string | undefined;
}

export const USAGE = 'usage: node bench/run.ts [--quick] [--no-e2e] [--main PATH/TO/main.js] [--compare OTHER/main.js] [--out DIR]';

/** Throws node:util's ERR_PARSE_ARGS_* errors on an unknown flag, a missing value or a positional argument. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: 'boolean', default: false },
      'no-e2e': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      main: { type: 'string' },
      compare: { type: 'string' },
      out: { type: 'string' },
    },
  });
  return { quick: values.quick, noE2e: values['no-e2e'], help: values.help, main: values.main, compare: values.compare, out: values.out };
}
