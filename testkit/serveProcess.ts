// Runs `cordon-guard serve` as a child process and reads its JSON log lines, as an operator would.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { LogLine } from './logCapture.ts';
import { waitFor } from './wait.ts';

export const MAIN_TS = new URL('../src/main.ts', import.meta.url).pathname;

export interface ServeProcess {
  child: ChildProcess;
  logs: LogLine[];
  stderr: string[];
  port: number;
  metricsPort: number;
  /** The CA to trust: the self-signed one the process wrote, or the one given. */
  ca: string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startServe(args: string[], options: { main?: string; env?: NodeJS.ProcessEnv; ca?: string; timeoutMs?: number } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [options.main ?? MAIN_TS, 'serve', '--host', '127.0.0.1', '--port', '0', '--metrics-port', '0', ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      stderr.push(line);
    }
  });
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  const listening = await Promise.race([
    waitFor('the admission listener', () => logs.find((l) => /admission webhook on https/.test(l.msg)), options.timeoutMs ?? 15_000),
    exited.then((code) => {
      throw new Error(`serve exited with ${code} before listening:\n${stderr.join('\n')}\n${logs.map((l) => l.msg).join('\n')}`);
    }),
  ]).catch((err: unknown) => {
    // A process that never listened must not outlive the test that started it.
    child.kill('SIGKILL');
    throw err;
  });
  const metricsLine = logs.find((l) => /health and metrics/.test(l.msg));
  const caLine = logs.find((l) => typeof l.caFile === 'string');
  return {
    child,
    logs,
    stderr,
    port: listening.port as number,
    metricsPort: metricsLine?.port as number,
    ca: options.ca ?? readFileSync(String(caLine?.caFile), 'utf8'),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}
