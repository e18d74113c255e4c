// `culprits` on a large audit log: time and peak memory.
//   make bench-culprits                (node bench/culprits.ts [--mb 100] [--runs 3])
// Writes a realistic log (testkit/auditLogGenerator.ts: leases, pods and watches at Metadata,
// node gets, lists and PUTs with whole 50-image Nodes at RequestResponse, kubelet status
// patches, a planted story, a few cut lines), runs `node dist/main.js culprits -o json` on it
// under /usr/bin/time -v, checks the answer, and prints one JSON line with the figures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeAuditLog } from '../testkit/auditLogGenerator.ts';

const MAIN = new URL('../dist/main.js', import.meta.url).pathname;
const { values } = parseArgs({ options: { mb: { type: 'string', default: '100' }, runs: { type: 'string', default: '3' } } });
const megabytes = Number(values.mb);
const runs = Number(values.runs);

const dir = mkdtempSync(join(tmpdir(), 'cg-culprits-bench-'));
try {
  const file = join(dir, 'audit.log');
  const generated = performance.now();
  const log = writeAuditLog(file, megabytes * 1_000_000);
  console.error(`wrote ${(log.bytes / 1e6).toFixed(1)} MB, ${log.lines} lines (${log.malformed} cut short) in ${Math.round(performance.now() - generated)} ms`);
  const results: { seconds: number; maxRssMb: number }[] = [];
  for (let run = 1; run <= runs; run++) {
    const result = spawnSync('/usr/bin/time', ['-v', process.execPath, MAIN, 'culprits', '--audit-log', file, '-o', 'json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (result.status !== 0) throw new Error(`culprits exited ${result.status}: ${result.stderr.slice(-2000)}`);
    const report = JSON.parse(result.stdout) as { changes: Record<string, unknown>[]; suspects: unknown[] };
    const changes = report.changes.map((c) => [c.node, c.user, c.verb, c.unschedulable, c.code]);
    if (JSON.stringify(changes) !== JSON.stringify(log.expected.changes) || JSON.stringify(report.suspects) !== JSON.stringify(log.expected.suspects)) {
      throw new Error(`culprits got the planted story wrong: ${result.stdout}`);
    }
    const elapsed = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(result.stderr);
    const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr);
    if (elapsed === null || rss === null) throw new Error(`no figures from /usr/bin/time -v:\n${result.stderr}`);
    const seconds = Number(elapsed[1] ?? 0) * 3600 + Number(elapsed[2]) * 60 + Number(elapsed[3]);
    results.push({ seconds, maxRssMb: Math.round(Number(rss[1]) / 1024) });
    console.error(`run ${run}: ${seconds.toFixed(2)} s, peak RSS ${Math.round(Number(rss[1]) / 1024)} MiB`);
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)] ?? 0;
  console.log(
    JSON.stringify({
      logMb: Number((log.bytes / 1e6).toFixed(1)),
      lines: log.lines,
      runs,
      medianSeconds: Number(median(results.map((r) => r.seconds)).toFixed(2)),
      maxSeconds: Number(Math.max(...results.map((r) => r.seconds)).toFixed(2)),
      medianRssMb: median(results.map((r) => r.maxRssMb)),
      maxRssMb: Math.max(...results.map((r) => r.maxRssMb)),
      mbPerSecond: Number((log.bytes / 1e6 / median(results.map((r) => r.seconds))).toFixed(1)),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
