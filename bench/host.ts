// The machine a run is on, for the report's header and the chart's subtitle.
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';

export interface Host {
  text: string;
  cpu: string;
  cores: number;
  memGiB: number;
  node: string;
}

export function describeHost(): Host {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const cpu = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown CPU';
  const cores = availableParallelism();
  const memGiB = totalmem() / 2 ** 30;
  return { text: `${cores} cores, ${memGiB.toFixed(0)} GiB, ${cpu}, Node ${process.version}, ${process.platform}`, cpu, cores, memGiB, node: process.version };
}
