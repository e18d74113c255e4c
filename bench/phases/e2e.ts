// End to end through a real kube-apiserver (bench/e2e.ts). A failure there is reported in the
// tables, not fatal: the micro benchmark's figures are still worth writing.
import type { E2eResult } from '../e2e.ts';

export interface E2ePhaseResult {
  e2e: E2eResult | undefined;
  /** The failure's stack, when the control plane or a measurement failed. */
  e2eError: string | undefined;
}

export async function runE2ePhase(input: {
  iterations: number;
  rounds: number;
  main: string | undefined;
  candidate: string | undefined;
  log: (line: string) => void;
}): Promise<E2ePhaseResult> {
  const { iterations, rounds, main, candidate, log } = input;
  try {
    // Imported only when the part runs: it loads the control-plane harness.
    const { runE2e } = await import('../e2e.ts');
    const e2e = await runE2e({ iterations, rounds, log, ...(main === undefined ? {} : { main }), ...(candidate === undefined ? {} : { candidate }) });
    return { e2e, e2eError: undefined };
  } catch (err) {
    const e2eError = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`e2e failed: ${e2eError}`);
    return { e2e: undefined, e2eError };
  }
}
