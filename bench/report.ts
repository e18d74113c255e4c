// The report of a run, from the phase results and the target table: the tables (for the
// terminal and results.md), the verdicts, the final JSON line, results.json and the chart.
// A pure function: the clock, the host and the files are the caller's.
import type { Config } from './e2e.ts';
import { figuresOf, fix, fixRatio, sat, satRatio, type Figures } from './figures.ts';
import type { Host } from './host.ts';
import { inClusterTables } from './inClusterReport.ts';
import { latencyChart } from './latencyChart.ts';
import type { SaturationResult } from './load.ts';
import type { Mix, Template } from './payloads.ts';
import type { PhaseResults } from './phases/results.ts';
import { KEYS, keyOf, type Guard, type Key, type Name, type Plan } from './plan.ts';
import { median, saturated } from './stats.ts';
import { int, markdownTable, ms, ratio, textTable, type Table } from './table.ts';
import { cellOf, headlineOf, targetText, TARGETS, verdictOf, type Headline, type Verdict } from './targets.ts';

/** What the payload table says of a mix. */
export type Payload = Pick<Mix, 'objectBytes' | 'avgBodyBytes'> & { templates: readonly Pick<Template, 'kind'>[] };

export interface ReportInput {
  results: PhaseResults;
  plan: Plan;
  host: Host;
  builds: { main: string | undefined; compare: string | undefined };
  payloads: ReadonlyMap<Key, Payload>;
  date: Date;
  wallS: number;
}

export interface Report {
  header: string;
  tables: Table[];
  figures: Figures[];
  /** Per server judged, per target key. */
  verdicts: Partial<Record<Guard, Record<string, Verdict>>>;
  /** cordon-guard's headline figures, and the candidate's under `candidate`. */
  summary: Record<string, number | null | Headline>;
  /** The last line of stdout. */
  jsonLine: string;
  /** stdout before the files line: the header and the text tables. */
  text: string;
  markdown: string;
  resultsJson: string;
  svg: string;
}

/** The files a run writes, in --out (bench/results/ by default). */
export const resultFiles = (quick: boolean) => {
  const suffix = quick ? '-quick' : '';
  return { markdown: `results${suffix}.md`, json: `results${suffix}.json`, svg: `latency-vs-rate${suffix}.svg` };
};

/** Other processes' CPU (cores) above which a run's figures are called noisy. */
const NOISE_WARNING_CORES = 0.25;

const CONFIG_LABELS: Record<Config, string> = {
  none: 'no admission',
  webhook: 'cordon-guard validating webhook',
  'webhook+mutate': 'cordon-guard as shipped (+ /mutate)',
  vap: 'ValidatingAdmissionPolicy (CEL)',
  'candidate webhook': 'candidate validating webhook',
  'candidate webhook+mutate': 'candidate as shipped (+ /mutate)',
};

const pct = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : `${v.toFixed(1)}%`);

export function renderReport(input: ReportInput): Report {
  const { results, plan, host, builds } = input;
  const figures = plan.guards.map((name) => figuresOf(results, plan, name));
  const tables: Table[] = [
    payloadTable(input.payloads),
    throughputTable(results, plan),
    latencyTable(results, plan),
    ...sweepTable(results, plan),
    memoryTable(results, plan),
    startupTable(results, plan),
    ...e2eTables(results),
    ...(results.inCluster === undefined ? [] : inClusterTables(results.inCluster)),
    {
      title: 'Targets (issues 5, 14 and 23; a row without a mix is the worse of the two)',
      head: ['target', ...figures.flatMap((f) => [f.name, 'verdict'])],
      rows: TARGETS.map((row) => [targetText(row), ...figures.flatMap((f) => [cellOf(row, f), verdictOf(row, f)])]),
    },
  ];
  const verdicts: Report['verdicts'] = {};
  for (const f of figures) verdicts[f.name] = Object.fromEntries(TARGETS.map((row) => [row.key, verdictOf(row, f)]));

  const [first, candidate] = figures;
  const summary: Report['summary'] = { ...(first === undefined ? {} : headlineOf(first)), ...(candidate === undefined ? {} : { candidate: headlineOf(candidate) }) };
  const jsonLine = JSON.stringify(summary);

  const noise = Math.max(0, ...[...results.saturation, ...results.fixed, ...results.sweep].map((r) => r.otherCores ?? 0));
  const header = [
    `cordon-guard benchmark (${plan.quick ? 'quick' : 'full'}), ${input.date.toISOString()}, ${input.wallS.toFixed(0)} s wall`,
    `machine: ${host.text}`,
    ...(builds.main === undefined ? [] : [`cordon-guard: ${builds.main}`]),
    ...(builds.compare === undefined ? [] : [`candidate: ${builds.compare}`]),
    ...(noise > NOISE_WARNING_CORES ? [`WARNING: other processes used up to ${noise.toFixed(2)} cores during a measurement; figures are noisy (see "other load")`] : []),
  ];
  const files = resultFiles(plan.quick);
  const markdown = [
    `## ${header[0]}`,
    '',
    ...header.slice(1).map((l) => `${l}  `),
    '',
    ...tables.flatMap((t) => [markdownTable(t), '']),
    `![latency against rate](${files.svg})`,
    '',
    '```json',
    jsonLine,
    '```',
    '',
  ].join('\n');
  const resultsJson = `${JSON.stringify({ machine: host, quick: plan.quick, wallS: input.wallS, main: builds.main ?? 'dist/main.js', candidate: builds.compare, run: results, summary }, null, 1)}\n`;
  return {
    header: header.join('\n'),
    tables,
    figures,
    verdicts,
    summary,
    jsonLine,
    text: `${header.join('\n')}\n\n${tables.map(textTable).join('\n\n')}`,
    markdown,
    resultsJson,
    svg: latencyChart(results, plan.sweep?.key ?? 'all-updates/50', plan.subjects, host),
  };
}

function payloadTable(payloads: ReadonlyMap<Key, Payload>): Table {
  return {
    title: 'Payloads (AdmissionReviews from testkit/fixtures.ts)',
    head: ['mix / images', 'Node object', 'avg review body', 'cycle'],
    rows: KEYS.flatMap((key) => {
      const mix = payloads.get(key);
      return mix === undefined ? [] : [[key, `${(mix.objectBytes / 1024).toFixed(1)} KiB`, `${(mix.avgBodyBytes / 1024).toFixed(1)} KiB`, mix.templates.map((t) => t.kind[0]).join('')]];
    }),
    note: 'all-updates: 9 label (l) + 9 annotation (a) changes + 1 denied + 1 allowed uncordon (u) per 20; uncordons: 1 denied + 1 allowed.',
  };
}

function throughputTable(results: PhaseResults, plan: Plan): Table {
  return {
    title: `Throughput at saturation (autocannon, ${plan.connections} keep-alive TLS connections, closed loop, median of ${plan.saturationReps} x ${plan.saturationS} s)`,
    head: ['mix / images', 'server', 'req/s', 'vs baseline', 'server CPU us/req', 'vs baseline', 'other load', 'errors'],
    rows: plan.saturation.flatMap((key) =>
      plan.subjects.map((name) => {
        const r = sat(results, key, name);
        const errors = results.saturation.filter((x) => keyOf(x) === key && x.target === name).reduce((n, x) => n + x.errors + x.non2xx + x.wrongAnswers, 0);
        const vs = (f: (x: SaturationResult) => number): string => (name === 'baseline' ? '' : ratio(satRatio(results, key, name, f)));
        return [key, name, int(r?.rps), vs((x) => x.rps), int(r?.cpuUsPerRequest), vs((x) => x.cpuUsPerRequest!), `${(r?.otherCores ?? 0).toFixed(2)} cores`, String(errors)];
      }),
    ),
    note:
      '"vs baseline": the median over the repetitions of the ratio to the baseline\'s run in the same repetition (paired, seconds apart). ' +
      'The load generator shares the 2 cores with the server: throughput is that of the pair. Server CPU per request (/proc/PID/stat) is the cleaner cost figure. "other load": CPU used meanwhile by other processes on the machine (noise), in cores.',
  };
}

function latencyTable(results: PhaseResults, plan: Plan): Table {
  return {
    title: `Latency at fixed rates (open loop: undici pool of 32 keep-alive TLS connections, requests dispatched on schedule; ms from dispatch to last byte; the median-p99 run of ${plan.fixedReps})`,
    head: ['mix / images', 'rate', 'server', 'achieved/s', 'p50', 'p99', 'p99.9', 'max', 'p99 vs baseline', 'sched lag p99', 'stalled tries', 'other load', 'errors'],
    rows: plan.fixed.flatMap(({ key, rate }) =>
      plan.subjects.map((name) => {
        const r = fix(results, key, rate, name);
        const stalled = results.fixed.filter((x) => keyOf(x) === key && x.rate === rate && x.target === name).reduce((n, x) => n + (x.discardedTries ?? 0), 0);
        return [
          key,
          String(rate),
          name + (r && saturated(r) ? ' (SATURATED)' : ''),
          int(r?.achievedRps),
          ms(r?.latency.p50),
          ms(r?.latency.p99),
          ms(r?.latency.p999),
          ms(r?.latency.max),
          name === 'baseline' ? '' : ratio(fixRatio(results, key, rate, name)),
          ms(r?.scheduleLagP99),
          String(stalled),
          r?.otherCores === undefined ? '-' : r.otherCores.toFixed(2),
          String(r ? r.errors + r.wrongAnswers : '-'),
        ];
      }),
    ),
    note:
      `"p99 vs baseline": the median over the ${plan.fixedReps} repetitions of the ratio to the baseline's p99 in the same repetition. ` +
      `"sched lag p99": how late the generator dispatched (its 1 ms timer included). A try with sched lag p99 over ${plan.stallLagMs} ms measured a stalled host (the VM's vCPUs not running, ` +
      `hitting every server alike) and was repeated, up to ${plan.stallRetries} times per run; "stalled tries" counts those thrown away over all ${plan.fixedReps} runs.`,
  };
}

function sweepTable(results: PhaseResults, plan: Plan): Table[] {
  if (plan.sweep === undefined || results.sweep.length === 0) return [];
  return [
    {
      title: `Latency against rate (${plan.sweep.key}, ${plan.sweep.seconds} s per point; 200 and 1000 rps are in the table above)`,
      head: ['server', 'rate', 'achieved/s', 'p50', 'p99', 'p99.9', 'other load'],
      rows: results.sweep.map((r) => [r.target + (saturated(r) ? ' (SATURATED)' : ''), String(r.rate), int(r.achievedRps), ms(r.latency.p50), ms(r.latency.p99), ms(r.latency.p999), (r.otherCores ?? 0).toFixed(2)]),
    },
  ];
}

function memoryTable(results: PhaseResults, plan: Plan): Table {
  const peak = (name: Name) => results.peak[name]?.hwmMb;
  const drift = (name: Name) => results.drift[name];
  const each = (cell: (name: Name) => string): string[] => plan.subjects.map(cell);
  return {
    title: 'Memory (VmHWM / VmRSS from /proc/PID/status)',
    head: ['figure', ...plan.subjects],
    rows: [
      ['peak RSS over all the load above (MB)', ...each((n) => ms(peak(n)))],
      ['peak RSS vs baseline', ...each((n) => (n === 'baseline' ? '' : ratio((peak(n) ?? Number.NaN) / (peak('baseline') ?? Number.NaN))))],
      [`RSS at ${int(plan.drift.marks[0])} -> ${int(plan.drift.marks[1])} requests (MB, fresh process)`, ...each((n) => { const d = drift(n); return d ? `${ms(d.rssMb[0])} -> ${ms(d.rssMb[1])}` : '-'; })],
      ['RSS drift', ...each((n) => pct(drift(n)?.pct))],
      ['live JS heap after a full GC at the two marks (MB)', ...each((n) => { const d = drift(n); return d ? `${ms(d.liveHeapMb[0])} -> ${ms(d.liveHeapMb[1])}` : '-'; })],
      ['live heap drift', ...each((n) => pct(drift(n)?.livePct))],
    ],
    note:
      'RSS moves in steps when V8 grows its heap (young generation, old-generation limit), and the allocator keeps freed pages: a step between the two marks counts as RSS drift ' +
      'even when the live heap (inspector: HeapProfiler.collectGarbage, then Runtime.getHeapUsage) stays flat. The live heap is what a leak would grow.',
  };
}

function startupTable(results: PhaseResults, plan: Plan): Table {
  return {
    title: `Start-up (median of ${plan.readyRuns}; spawn() to /readyz 200 for cordon-guard, to listening for the baseline)`,
    head: ['server', 'median ms', 'min', 'max'],
    rows: plan.subjects.map((n) => {
      const runs = results.ready[n] ?? [];
      return [n, ms(median(runs)), ms(Math.min(...runs)), ms(Math.max(...runs))];
    }),
  };
}

function e2eTables(results: PhaseResults): Table[] {
  const e2e = results.e2e;
  if (e2e === undefined) return [];
  const kinds = ['uncordon-denied', 'uncordon-allowed', 'cordon', 'label'] as const;
  return [
    {
      title: `End to end through kube-apiserver (direct HTTPS PATCH, one at a time, ${e2e.samplesPerKind} per kind, Node of ${(e2e.nodeObjectBytes / 1024).toFixed(1)} KiB)`,
      head: ['admission', 'PATCH', 'p50 ms', 'p90', 'p99', 'max'],
      rows: e2e.configs.flatMap((config) =>
        kinds.flatMap((kind) => {
          const p = e2e.latency[config]?.[kind];
          return p === undefined ? [] : [[CONFIG_LABELS[config], kind, ms(p.p50), ms(p.p90), ms(p.p99), ms(p.max)]];
        }),
      ),
      note:
        `uncordon p50 ratio, validating webhook / VAP: ${ratio(e2e.ratioVsVap)} (p99: ${ratio(e2e.ratioVsVapP99)}); ` +
        `as shipped (validating + mutating) / VAP: ${ratio(e2e.shippedRatioVsVap)}` +
        (e2e.candidateRatioVsVap === undefined ? '' : `; candidate: ${ratio(e2e.candidateRatioVsVap)}, as shipped ${ratio(e2e.candidateShippedRatioVsVap)}`) +
        `; label PATCH p50 added (vs no admission): validating webhook ${ms(e2e.labelAddedMsValidatingOnly)} ms, as shipped ${ms(e2e.labelAddedMs)} ms` +
        `; cordon PATCH p50 added, as shipped: ${ms(e2e.cordonAddedMs)} ms${e2e.candidateCordonAddedMs === undefined ? '' : ` (candidate ${ms(e2e.candidateCordonAddedMs)} ms)`}` +
        `; cordon-guard calls per label PATCH: ${e2e.configs.filter((c) => c !== 'none' && c !== 'vap').map((c) => `${c} ${e2e.webhookCallsPerLabelPatch[c]?.toFixed(2) ?? '-'}`).join(', ')}`,
    },
    {
      title: "The API server's own view while each set-up was measured (its admission duration histograms, UPDATEs; mean ms per call), and cordon-guard's (its answer duration, by endpoint)",
      head: ['admission', 'histogram', 'calls', 'mean ms'],
      rows: e2e.configs.flatMap((config) =>
        Object.entries({ ...e2e.apiserverView[config], ...e2e.guardView[config] })
          .filter(([key]) => !key.startsWith('plugin ') || /ValidatingAdmissionPolicy|ValidatingAdmissionWebhook|MutatingAdmissionWebhook/.test(key))
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, v]) => [CONFIG_LABELS[config], key, int(v.calls), ms(v.meanMs)]),
      ),
      note: 'Includes the set-up probes, warm-up, cordons and label PATCHes of each set-up, not only the timed uncordons.',
    },
  ];
}
