// `cordon-guard culprits --audit-log FILE`: who wrote spec.unschedulable, from the API server's
// audit log. Offline: no cluster, no kubeconfig, no API client. The file is streamed line by line
// (readline), so a log of any size is read in bounded memory.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { CulpritsOptions } from '../cli/pluginArgs.ts';
import { errorMessage } from '../text/errors.ts';
import { age } from './age.ts';
import { AuditLogReader, type AuditReport } from './auditLog.ts';
import { EXIT } from '../cli/exitCodes.ts';
import type { CommandIo } from '../cli/io.ts';
import { formatTable } from './table.ts';

/** Malformed lines named one by one on stderr; the rest are counted. */
const MALFORMED_NAMED = 20;

async function readAuditLog(path: string, options: { node?: string | undefined; onMalformed?: (line: number, problem: string) => void } = {}): Promise<AuditReport> {
  const reader = new AuditLogReader({ node: options.node });
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    const bad = reader.feed(line);
    if (bad !== undefined) options.onMalformed?.(bad.line, bad.problem);
  }
  return reader.report();
}

function tables(report: AuditReport, now: Date): string {
  const changes = formatTable(
    ['AGE', 'NODE', 'USER', 'USER-AGENT', 'VERB', 'UNSCHEDULABLE', 'CODE'],
    report.changes.map((c) => [age(c.time, now), c.node, c.user, c.userAgent, c.verb, String(c.unschedulable), c.code]),
  );
  const suspects = formatTable(
    ['USER', 'NODES', 'UNCORDONS', 'REFUSED'],
    report.suspects.map((s) => [s.user, s.nodes.join(','), s.uncordons, s.refused]),
  );
  const parts = [
    report.changes.length === 0 ? 'No request changed spec.unschedulable.\n' : `Changes of spec.unschedulable:\n${changes}`,
    report.suspects.length === 0
      ? 'No suspects: nobody uncordoned a node that somebody else had cordoned.\n'
      : `Suspects (uncordoned, or tried to, a node somebody else had cordoned):\n${suspects}`,
  ];
  if (report.notes.length > 0) parts.push(`Notes:\n${report.notes.map((n) => `- ${n}`).join('\n')}\n`);
  return parts.join('\n');
}

export async function runCulprits(options: CulpritsOptions, io: CommandIo, now: () => Date = () => new Date()): Promise<number> {
  let named = 0;
  let report: AuditReport;
  try {
    report = await readAuditLog(options.auditLog, {
      node: options.node,
      onMalformed: (line, problem) => {
        named += 1;
        if (named <= MALFORMED_NAMED) io.stderr(`cordon-guard culprits: ${options.auditLog}:${line}: skipped, ${problem}\n`);
      },
    });
  } catch (err) {
    io.stderr(`cordon-guard culprits: cannot read audit log ${options.auditLog}: ${errorMessage(err)}\n`);
    return EXIT.unreadableFile;
  }
  if (report.malformed > 0) {
    const more = report.malformed > MALFORMED_NAMED ? ` (the first ${MALFORMED_NAMED} named above)` : '';
    io.stderr(`cordon-guard culprits: skipped ${report.malformed} malformed line(s) of ${report.lines}${more}\n`);
  }
  if (options.output === 'json') {
    io.stdout(`${JSON.stringify({ changes: report.changes, suspects: report.suspects }, null, 2)}\n`);
    for (const note of report.notes) io.stderr(`note: ${note}\n`);
  } else {
    io.stdout(tables(report, now()));
  }
  return EXIT.ok;
}
