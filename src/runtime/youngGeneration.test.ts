import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MODULE = new URL('./youngGeneration.ts', import.meta.url).href;

/**
 * A child process (V8 flags are per process) that churns the heap the way the webhook does under
 * load: a window of parsed reviews stays alive while new ones are allocated. Prints the largest
 * new space it saw, in MiB.
 */
async function largestNewSpaceMb(capMb: number | undefined): Promise<number> {
  const script = `
    const { capYoungGeneration, newSpaceBytes } = await import(${JSON.stringify(MODULE)});
    ${capMb === undefined ? '' : `capYoungGeneration(${capMb} * 1024 * 1024);`}
    const review = JSON.stringify({ images: Array.from({ length: 500 }, (_, i) => ({ names: ['registry.example.com/image-' + i], sizeBytes: i })) });
    const inFlight = [];
    let largest = 0;
    for (let i = 0; i < 20000; i++) {
      inFlight.push(JSON.parse(review));
      if (inFlight.length > 48) inFlight.shift();
      if (i % 50 === 0) await new Promise((r) => setImmediate(r)); // let the GC observer run, as between requests
      largest = Math.max(largest, newSpaceBytes());
    }
    process.stdout.write(String(largest / 2 ** 20));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, NODE_OPTIONS: '' } });
  return Number(stdout);
}

describe('the young generation cap', () => {
  // At its maximum, V8 lets the new space run past its capacity between scavenges, with the
  // command-line flag as well: with `--max-semi-space-size=8` (a 16 MiB new space) it reached
  // 19 MiB under this churn, and 22.75 MiB with this cap at 16 MiB. Twice the cap is the bound;
  // uncapped, it reached 128 MiB.
  it('V8 left to itself grows the new space past 32 MiB under this churn (the control)', async () => {
    const largest = await largestNewSpaceMb(undefined);
    assert.ok(largest > 32, `new space reached only ${largest} MiB`);
  });

  it('capped at 16 MiB, the new space stays within twice that under the same churn, and grows up to the cap', async () => {
    const largest = await largestNewSpaceMb(16);
    assert.ok(largest <= 32, `new space reached ${largest} MiB`);
    assert.ok(largest >= 16, `new space stayed at ${largest} MiB: growth up to the cap was not allowed`);
  });
});
