// testkit/e2e/fleetRunner.ts as a child process: its JSON log lines, its metrics, and kill.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { LogLine } from '../logCapture.ts';
import { waitFor } from '../wait.ts';

const RUNNER = new URL('./fleetRunner.ts', import.meta.url).pathname;

export interface FleetProcess {
  child: ChildProcess;
  logs: LogLine[];
  identity: string;
  /** /metrics, as text. */
  metrics(): Promise<string>;
  /** One sample of cordon_guard_nodes, undefined when the gauge has none. */
  nodes(state: string): Promise<number | undefined>;
  isLeader(): boolean;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startFleetRunner(kubeconfig: string): Promise<FleetProcess> {
  const child = spawn(process.execPath, [RUNNER, '--kubeconfig', kubeconfig], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  const exited = once(child, 'exit');
  const ready = await waitFor('the fleet runner to be ready', () => {
    if (child.exitCode !== null) throw new Error(`the fleet runner exited ${child.exitCode}: ${stderr.join('\n')}`);
    return logs.find((l) => l.msg === 'fleet runner: ready');
  }, 30_000, 50);
  const port = logs.find((l) => l.msg === 'fleet runner: metrics')?.port as number;
  const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const identity = String(ready.identity);
  return {
    child,
    logs,
    identity,
    metrics,
    async nodes(state) {
      const match = new RegExp(`^cordon_guard_nodes\\{state="${state}"\\} (\\d+)$`, 'm').exec(await metrics());
      return match === null ? undefined : Number(match[1]);
    },
    isLeader() {
      const changes = logs.filter((l) => /^leader election: (became the leader|stopped leading)/.test(l.msg));
      return changes.at(-1)?.msg === 'leader election: became the leader';
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}
