import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';

const LOGGER = new URL('./logger.ts', import.meta.url).href;

interface Child {
  lines: Record<string, unknown>[];
  /** Resolves with the first line that `match` accepts, as soon as it arrives. */
  line(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Writes to the child's stdin. */
  tell(text: string): void;
  exited: Promise<{ code: number | null; stderr: string }>;
}

/** Runs `body` in a child whose logger writes to the real stdout, as serve's does. */
function runChild(body: string): Child {
  const script = `import { createLogger, exitOnUncaughtException } from ${JSON.stringify(LOGGER)};\nconst logger = createLogger('info');\n${body}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const waiting: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  let partial = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) {
      if (part === '') continue;
      const line = JSON.parse(part) as Record<string, unknown>;
      lines.push(line);
      for (const w of waiting.filter((w) => w.match(line))) w.resolve(line);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    lines,
    line: (match) => {
      const found = lines.find(match);
      return found !== undefined ? Promise.resolve(found) : new Promise((resolve) => waiting.push({ match, resolve }));
    },
    tell: (text) => child.stdin.write(text),
    exited: new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr }))),
  };
}

describe('the stdout log destination', () => {
  it('delivers a lone line while the process lives, without waiting for the batch to fill or the exit', { timeout: 60_000 }, async () => {
    // The child logs one line, then waits to be told that it arrived before it logs the last and
    // exits: if the line only came out at exit, the child would wait for ever (the test's timeout).
    const child = runChild(`logger.info('lone'); process.stdin.once('data', () => { logger.info('last'); process.exit(0); });`);
    await child.line((l) => l.msg === 'lone');
    child.tell('arrived\n');
    const { code, stderr } = await child.exited;
    assert.equal(code, 0, stderr);
    assert.deepEqual(child.lines.map((l) => l.msg), ['lone', 'last']);
  });

  it('loses no line when the process exits at once', async () => {
    const child = runChild(`for (let i = 0; i < 1000; i++) logger.info({ i }, 'line'); process.exit(0);`);
    await child.exited;
    assert.deepEqual(child.lines.map((l) => l.i), Array.from({ length: 1000 }, (_, i) => i));
  });

  it('on an uncaught exception, logs it at fatal, with its stack, as the last line after every earlier one, and exits 1', async () => {
    const child = runChild(`exitOnUncaughtException(logger);\nfor (let i = 0; i < 100; i++) logger.info({ i }, 'line');\nsetTimeout(() => { throw new Error('boom'); }, 0);`);
    const { code } = await child.exited;
    assert.equal(code, 1);
    assert.deepEqual(child.lines.slice(0, -1).map((l) => l.i), Array.from({ length: 100 }, (_, i) => i));
    const last = child.lines.at(-1);
    assert.equal(last?.level, 'fatal');
    assert.equal(last?.msg, 'uncaught exception, exiting: boom');
    assert.match(String((last?.err as { stack?: unknown } | undefined)?.stack), /^Error: boom\n +at /);
  });
});
