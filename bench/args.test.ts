// bench/run.ts's and bench/phases/inCluster.ts's command lines: the flags, and a bad one refused
// with the usage and exit code 2 before anything is started.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { IN_CLUSTER_USAGE, parseBenchArgs, parseInClusterArgs, USAGE } from './args.ts';

describe('parseBenchArgs', () => {
  it('defaults to a full run of dist/main.js into bench/results/', () => {
    assert.deepEqual(parseBenchArgs([]), { quick: false, noE2e: false, noInCluster: false, help: false, main: undefined, compare: undefined, out: undefined });
  });

  it('reads every flag', () => {
    assert.deepEqual(parseBenchArgs(['--quick', '--no-e2e', '--no-in-cluster', '--main', 'a/main.js', '--compare=b/main.js', '--out', '/tmp/o']), {
      quick: true,
      noE2e: true,
      noInCluster: true,
      help: false,
      main: 'a/main.js',
      compare: 'b/main.js',
      out: '/tmp/o',
    });
  });

  it('refuses an unknown flag, a missing value and a positional argument', () => {
    assert.throws(() => parseBenchArgs(['--quik']), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
    assert.throws(() => parseBenchArgs(['--main']), { code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' });
    assert.throws(() => parseBenchArgs(['quick']), { code: 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' });
  });
});

describe('parseInClusterArgs', () => {
  it('defaults to the full plan for dist/main.js', () => {
    assert.deepEqual(parseInClusterArgs([]), { help: false, main: undefined, compare: undefined, nodes: undefined, idleS: undefined });
  });

  it('reads every flag', () => {
    assert.deepEqual(parseInClusterArgs(['--main', 'a/main.js', '--compare=b/main.js', '--nodes', '500', '--idle-s', '0']), {
      help: false,
      main: 'a/main.js',
      compare: 'b/main.js',
      nodes: 500,
      idleS: 0,
    });
  });

  it('refuses a count that is not a whole number in range, with the flag named', () => {
    assert.throws(() => parseInClusterArgs(['--nodes', '0']), { message: '--nodes must be a whole number >= 1, got "0"' });
    assert.throws(() => parseInClusterArgs(['--nodes', '1e3']), { message: '--nodes must be a whole number >= 1, got "1e3"' });
    assert.throws(() => parseInClusterArgs(['--idle-s=-1']), { message: '--idle-s must be a whole number >= 0, got "-1"' });
  });

  it('refuses run.ts\'s flags, a missing value and a positional argument', () => {
    assert.throws(() => parseInClusterArgs(['--quick']), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
    assert.throws(() => parseInClusterArgs(['--nodes']), { code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' });
    assert.throws(() => parseInClusterArgs(['5000']), { code: 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' });
  });
});

describe('node bench/phases/inCluster.ts', () => {
  const script = new URL('./phases/inCluster.ts', import.meta.url).pathname;

  it('prints the usage and exits 2 on a bad flag or count, before starting anything', () => {
    for (const args of [['--quik'], ['--nodes', 'many']]) {
      const run = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.status, 2, args.join(' '));
      assert.ok(run.stderr.endsWith(`${IN_CLUSTER_USAGE}\n`), run.stderr);
      assert.equal(run.stdout, '');
    }
  });

  it('prints the usage and exits 0 on --help', () => {
    const run = spawnSync(process.execPath, [script, '--help'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0);
    assert.equal(run.stdout, `${IN_CLUSTER_USAGE}\n`);
  });
});

describe('node bench/run.ts', () => {
  it('prints the usage and exits 2 on a bad flag', () => {
    const run = spawnSync(process.execPath, [new URL('./run.ts', import.meta.url).pathname, '--quik'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 2);
    assert.ok(run.stderr.includes(USAGE), run.stderr);
    assert.equal(run.stdout, '');
  });

  it('prints the usage and exits 0 on --help', () => {
    const run = spawnSync(process.execPath, [new URL('./run.ts', import.meta.url).pathname, '--help'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0);
    assert.equal(run.stdout, `${USAGE}\n`);
  });
});
