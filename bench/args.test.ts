// bench/run.ts's command line: the flags, and a bad one refused with the usage and exit code 2
// before anything is started.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseBenchArgs, USAGE } from './args.ts';

describe('parseBenchArgs', () => {
  it('defaults to a full run of dist/main.js into bench/results/', () => {
    assert.deepEqual(parseBenchArgs([]), { quick: false, noE2e: false, help: false, main: undefined, compare: undefined, out: undefined });
  });

  it('reads every flag', () => {
    assert.deepEqual(parseBenchArgs(['--quick', '--no-e2e', '--main', 'a/main.js', '--compare=b/main.js', '--out', '/tmp/o']), {
      quick: true,
      noE2e: true,
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
