import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { LOG_FLUSH_INTERVAL_MS } from './logger.ts';

const LOGGER = new URL('./logger.ts', import.meta.url).href;

/** Runs `body` in a child whose logger writes to the real stdout; resolves each line with its arrival time. */
function runChild(body: string): Promise<{ lines: { at: number; line: Record<string, unknown> }[]; code: number | null; stderr: string }> {
  const script = `import { createLogger } from ${JSON.stringify(LOGGER)};\nconst logger = createLogger('info');\n${body}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const started = performance.now();
  const lines: { at: number; line: Record<string, unknown> }[] = [];
  let partial = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) if (part !== '') lines.push({ at: performance.now() - started, line: JSON.parse(part) as Record<string, unknown> });
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ lines, code, stderr })));
}

describe('the stdout log destination', () => {
  it('delivers a lone line within the flush interval, without waiting for the batch to fill', async () => {
    const { lines, code, stderr } = await runChild(`logger.info('lone'); const t = performance.now(); setTimeout(() => logger.info({ waitedMs: performance.now() - t }, 'last'), 1500);`);
    assert.equal(code, 0, stderr);
    const lone = lines.find((l) => l.line.msg === 'lone');
    const last = lines.find((l) => l.line.msg === 'last');
    assert.ok(lone !== undefined && last !== undefined, JSON.stringify(lines));
    // The lone line arrived while the child was still waiting to write the last one.
    assert.ok(lone.at < last.at - 1000 + LOG_FLUSH_INTERVAL_MS, `lone line after ${lone.at.toFixed(0)} ms, last after ${last.at.toFixed(0)} ms`);
  });

  it('loses no line when the process exits at once, or crashes', async () => {
    const exiting = await runChild(`for (let i = 0; i < 1000; i++) logger.info({ i }, 'line'); process.exit(0);`);
    assert.equal(exiting.lines.length, 1000);
    assert.deepEqual(exiting.lines.map((l) => l.line.i), Array.from({ length: 1000 }, (_, i) => i));
    const crashing = await runChild(`logger.warn('before the crash'); setTimeout(() => { throw new Error('boom'); }, 10);`);
    assert.notEqual(crashing.code, 0);
    assert.deepEqual(crashing.lines.map((l) => l.line.msg), ['before the crash']);
  });
});
