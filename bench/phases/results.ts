// Everything the phases measured, as the report reads it and results.json keeps it.
import type { E2ePhaseResult } from './e2e.ts';
import type { InClusterPhaseResult } from './inCluster.ts';
import type { LatencyResult } from './latency.ts';
import type { DriftResult, PeakMemory } from './memory.ts';
import type { ReadyTimes } from './startup.ts';
import type { ThroughputResult } from './throughput.ts';

export interface PhaseResults extends ThroughputResult, LatencyResult, E2ePhaseResult, InClusterPhaseResult {
  peak: PeakMemory;
  drift: DriftResult;
  ready: ReadyTimes;
}
