// Start-up: spawn() to /readyz 200 (cordon-guard) or to listening (baseline), one server at a time.
import type { Name } from '../plan.ts';
import type { Rig } from '../rig.ts';

/** ms per server, one entry per run. */
export type ReadyTimes = Partial<Record<Name, number[]>>;

export async function runStartup(input: {
  rig: Pick<Rig, 'start' | 'inTurn'>;
  subjects: readonly Name[];
  runs: number;
  log: (line: string) => void;
}): Promise<ReadyTimes> {
  const { rig, subjects, runs, log } = input;
  const ready: ReadyTimes = {};
  for (let i = 0; i < runs; i++) {
    for (const name of rig.inTurn(subjects)) {
      const server = await rig.start(name);
      (ready[name] ??= []).push(server.readyMs);
      await server.stop();
    }
  }
  log(`ready: ${subjects.map((n) => `${n} ${(ready[n] ?? []).map((v) => v.toFixed(0)).join(', ')} ms`).join('; ')}`);
  return ready;
}
