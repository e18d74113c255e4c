// The command lines of bench/run.ts and bench/inCluster.ts. Parsed when main asks, not at
// import, so that importing a bench module (a test does) never reads process.argv.
import { parseArgs } from 'node:util';

export interface BenchArgs {
  quick: boolean;
  noE2e: boolean;
  noInCluster: boolean;
  help: boolean;
  /** cordon-guard's build to benchmark (default dist/main.js). */
  main: string | undefined;
  /** A candidate build, measured in every phase next to the others. */
  compare: string | undefined;
  /** Where the result files go (default bench/results/). */
  out: string | undefined;
}

export const USAGE = 'usage: node bench/run.ts [--quick] [--no-e2e] [--no-in-cluster] [--main PATH/TO/main.js] [--compare OTHER/main.js] [--out DIR]';

/** Throws node:util's ERR_PARSE_ARGS_* errors on an unknown flag, a missing value or a positional argument. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: 'boolean', default: false },
      'no-e2e': { type: 'boolean', default: false },
      'no-in-cluster': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      main: { type: 'string' },
      compare: { type: 'string' },
      out: { type: 'string' },
    },
  });
  return { quick: values.quick, noE2e: values['no-e2e'], noInCluster: values['no-in-cluster'], help: values.help, main: values.main, compare: values.compare, out: values.out };
}

export interface InClusterArgs {
  help: boolean;
  main: string | undefined;
  compare: string | undefined;
  /** Nodes of part 2 (default: the full plan's). */
  nodes: number | undefined;
  /** Seconds at rest (default: the full plan's). */
  idleS: number | undefined;
}

export const IN_CLUSTER_USAGE = 'usage: node bench/inCluster.ts [--main PATH/TO/main.js] [--compare OTHER/main.js] [--nodes N] [--idle-s S]';

/** A whole number of at least `min`, or a clear error. */
function count(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new Error(`--${flag} must be a whole number >= ${min}, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** As parseBenchArgs; also throws on a --nodes or --idle-s that is not a whole number in range. */
export function parseInClusterArgs(argv: readonly string[]): InClusterArgs {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      main: { type: 'string' },
      compare: { type: 'string' },
      nodes: { type: 'string' },
      'idle-s': { type: 'string' },
    },
  });
  return { help: values.help, main: values.main, compare: values.compare, nodes: count('nodes', values.nodes, 1), idleS: count('idle-s', values['idle-s'], 0) };
}
