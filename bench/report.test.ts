// The report from fixed phase results: the verdicts, the Targets rows of results.md and the
// final JSON line, one target met and others missed; the candidate's figures; what the e2e
// and in-cluster cells say when there is no figure; the in-cluster table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InClusterBuild, InClusterResult } from './inCluster.ts';
import type { FixedRateResult, SaturationResult } from './load.ts';
import type { PhaseResults } from './phases/results.ts';
import { planFor, type Key, type Name } from './plan.ts';
import { renderReport, type Payload, type ReportInput } from './report.ts';

const sat = (target: Name, key: Key, rps: number, cpuUsPerRequest: number): SaturationResult => {
  const [mix, images] = key.split('/') as [string, string];
  return { target, mix, images: Number(images), connections: 16, durationS: 2.5, requests: rps * 2.5, rps, non2xx: 0, errors: 0, wrongAnswers: 0, p50: 1, p99: 3, otherCores: 0, cpuUsPerRequest };
};

const fixed = (target: Name, key: Key, rate: number, p99: number): FixedRateResult => {
  const [mix, images] = key.split('/') as [string, string];
  return {
    target,
    mix,
    images: Number(images),
    rate,
    durationS: 3,
    sent: rate * 3,
    ok: rate * 3,
    errors: 0,
    wrongAnswers: 0,
    achievedRps: rate,
    latency: { n: rate * 3, p50: p99 / 2, p90: p99 * 0.8, p99, p999: p99 * 1.5, max: p99 * 2, mean: p99 / 2 },
    scheduleLagP99: 1,
    overloaded: false,
    otherCores: 0.01,
    discardedTries: 0,
  };
};

const drift = (pct: number) => ({ at: [10_000, 25_000] as [number, number], rssMb: [100, 100 * (1 + pct / 100)] as [number, number], pct, liveHeapMb: [16, 16] as [number, number], livePct: 0, hwmMb: 110, seconds: 9 });

/** cordon-guard meets the throughput, 500-image, memory and start-up targets and misses the 50-image p99 at 1000 rps (3.5 ms, 1.4x the baseline). */
function results(withCandidate = false): PhaseResults {
  const guards: Name[] = withCandidate ? ['cordon-guard', 'candidate'] : ['cordon-guard'];
  const saturation = [sat('baseline', 'all-updates/50', 1000, 200), sat('cordon-guard', 'all-updates/50', 950, 210), ...(withCandidate ? [sat('candidate', 'all-updates/50', 800, 250)] : [])];
  const fixedRuns = [
    fixed('baseline', 'all-updates/50', 200, 1),
    ...guards.map((g) => fixed(g, 'all-updates/50', 200, 1.1)),
    fixed('baseline', 'all-updates/50', 1000, 2.5),
    ...guards.map((g) => fixed(g, 'all-updates/50', 1000, g === 'candidate' ? 2 : 3.5)),
    fixed('baseline', 'all-updates/500', 200, 10),
    ...guards.map((g) => fixed(g, 'all-updates/500', 200, 8)),
  ];
  return {
    saturation,
    saturationMedian: saturation,
    fixed: fixedRuns,
    fixedMedian: fixedRuns,
    sweep: [],
    peak: { baseline: { hwmMb: 100, rssMb: 90 }, 'cordon-guard': { hwmMb: 120, rssMb: 110 }, ...(withCandidate ? { candidate: { hwmMb: 130, rssMb: 120 } } : {}) },
    drift: { 'cordon-guard': drift(5), ...(withCandidate ? { candidate: drift(12) } : {}) },
    ready: { baseline: [100, 120], 'cordon-guard': [400, 500, 600], ...(withCandidate ? { candidate: [450] } : {}) },
    e2e: undefined,
    e2eError: undefined,
    inCluster: undefined,
    inClusterError: undefined,
  };
}

const TRUTH = { maintenance: 600, cordoned: 1000, drifted: 100, overdue: 0 };

/** A build in the cluster: at rest, and with 5,000 nodes; `gaugeErrors` as the phase names them. */
function inClusterBuild(rest: number, withFleet: number, listedS: number, gaugeErrors: string[] = []): InClusterBuild {
  return {
    atRest: { readyMs: 1200, listedMs: 1100, listedNodes: 10, rssMb: rest, maxRssMb: rest + 2, samples: [[0, rest - 1], [60, rest]] },
    withFleet: {
      listedNodes: 5010,
      listedS,
      listS: listedS - 1,
      readyS: listedS + 0.1,
      rssMb: { listed: withFleet + 10, atRest: withFleet, churnPeak: withFleet + 20, caughtUp: withFleet + 15, after: withFleet + 1.5 },
      hwmMb: withFleet + 25,
      addedMb: withFleet - rest,
      churnDeltaMb: 1.5,
      catchUpS: 0.4,
      gauge: { before: TRUTH, after: { ...TRUTH, maintenance: 601 } },
      gaugeErrors,
      samples: [[1.2, 'listing', withFleet]],
    },
  };
}

function inClusterResult(builds: InClusterResult['builds']): InClusterResult {
  return {
    kubernetesVersion: 'v1.35.4',
    env: { NODE_ENV: 'production', NODE_OPTIONS: '--max-semi-space-size=4' },
    plan: { nodes: 5000, fewNodes: 10, idleS: 60, afterChurnS: 30 },
    nodeObjectBytes: 13_500,
    createS: 17.2,
    churn: { patches: 5010, seconds: 12.5, p99Ms: 80 },
    truth: { before: TRUTH, after: { ...TRUTH, maintenance: 601 } },
    builds,
    wallS: 200,
  };
}

const payload: Payload = { objectBytes: 12_900, avgBodyBytes: 26_600, templates: [{ kind: 'label' }, { kind: 'uncordon-denied' }] };

function input(overrides: Partial<ReportInput> = {}): ReportInput {
  return {
    results: results(),
    plan: planFor({ quick: true, noE2e: false, noInCluster: false, compare: undefined }),
    host: { text: '2 cores, 8 GiB, Test CPU, Node v24.0.0, linux', cpu: 'Test CPU', cores: 2, memGiB: 8, node: 'v24.0.0' },
    builds: { main: undefined, compare: undefined },
    payloads: new Map([['all-updates/50', payload]]),
    date: new Date('2026-01-02T03:04:05.000Z'),
    wallS: 42.4,
    ...overrides,
  };
}

const targetRows = (markdown: string): string[] => {
  const section = markdown.slice(markdown.indexOf('### Targets'));
  return section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| target |'));
};

describe('renderReport', () => {
  it('judges each target, a missed one included', () => {
    assert.deepEqual(renderReport(input()).verdicts, {
      'cordon-guard': {
        throughputRatio: 'met',
        throughputRatioUncordons: 'n/a',
        p99Ms50img: 'MISSED',
        p99RatioVsBaseline: 'MISSED',
        p99RatioVsBaselineUncordons: 'n/a',
        p99Ms500img: 'met',
        rssRatio: 'met',
        rssDriftPct: 'met',
        readyMs: 'met',
        e2eRatioVsVap: 'n/a',
        e2eOwnershipRatioVsVap: 'n/a',
        cordonAddedMs: 'n/a',
        idleRssMbInCluster: 'n/a',
        nodeWatchRssMb5000: 'n/a',
        nodeWatchListS5000: 'n/a',
        nodeWatchGaugesWrong: 'n/a',
      },
    });
  });

  it('writes the Targets rows of results.md', () => {
    assert.deepEqual(targetRows(renderReport(input()).markdown), [
      '| throughput, all node updates >= 0.95x baseline | 0.95x (CPU/req 1.05x) | met |',
      '| ... uncordons >= 0.9x baseline | - (CPU/req -) | n/a |',
      '| 50-image p99 at 1000 rps <= 3 ms | 3.50 ms (all-updates/50) | MISSED |',
      '| ... and, all node updates <= 1.2x baseline p99 | 1.40x baseline p99 | MISSED |',
      '| ... uncordons <= 1.2x baseline p99 | - | n/a |',
      '| 500-image p99 at 200 rps <= 20 ms | 8.00 ms (all-updates/500) | met |',
      '| peak RSS <= 1.25x baseline | 120 MB, 1.20x | met |',
      '| RSS drift <= 10% | 5.0% (10,000 -> 25,000; baseline -; live heap 0.0%) | met |',
      '| ready <= 1000 ms | 500 ms | met |',
      '| e2e uncordon <= 1.25x VAP | skipped (--quick) | n/a |',
      '| ... with /mutate (the ownership profile, as shipped) <= 1.25x VAP | skipped (--quick) | n/a |',
      '| cordon p50 added, as shipped <= 1 ms | skipped (--quick) | n/a |',
      '| RSS at rest in a cluster (ConfigMap policy, Events, node watch) <= 96 MiB | skipped (--quick) | n/a |',
      '| RSS added by the node watch of 5,000 nodes <= 30 MiB | skipped (--quick) | n/a |',
      '| ... its first list, spawn to listed <= 30 s | skipped (--quick) | n/a |',
      '| ... gauges wrong, before and after a heartbeat of every node <= 0 states | skipped (--quick) | n/a |',
    ]);
  });

  it('puts the headline figures, rounded, in the JSON line, in results.md and in results.json', () => {
    const report = renderReport(input());
    const line = JSON.parse(report.jsonLine) as Record<string, unknown>;
    assert.deepEqual(line, {
      throughputRatio: 0.95,
      throughputRatioUncordons: null,
      p99Ms50img: 3.5,
      p99RatioVsBaseline: 1.4,
      p99RatioVsBaselineUncordons: null,
      p99Ms500img: 8,
      rssMb: 120,
      rssRatio: 1.2,
      rssDriftPct: 5,
      readyMs: 500,
      e2eRatioVsVap: null,
      e2eOwnershipRatioVsVap: null,
      cordonAddedMs: null,
      idleRssMbInCluster: null,
      nodeWatchRssMb5000: null,
      nodeWatchListS5000: null,
      nodeWatchChurnRssDeltaMb: null,
      nodeWatchGaugesWrong: null,
    });
    assert.ok(report.markdown.endsWith(`\`\`\`json\n${report.jsonLine}\n\`\`\`\n`));
    const raw = JSON.parse(report.resultsJson) as { quick: boolean; main: string; summary: unknown; run: { ready: unknown } };
    assert.deepEqual(raw.summary, line);
    assert.equal(raw.quick, true);
    assert.equal(raw.main, 'dist/main.js');
    assert.deepEqual(raw.run.ready, results().ready);
  });

  it('starts with the header and names the quick files', () => {
    const report = renderReport(input());
    assert.ok(report.markdown.startsWith('## cordon-guard benchmark (quick), 2026-01-02T03:04:05.000Z, 42 s wall\n\nmachine: 2 cores, 8 GiB, Test CPU, Node v24.0.0, linux  \n'));
    assert.ok(report.markdown.includes('![latency against rate](latency-vs-rate-quick.svg)'));
    assert.ok(report.text.startsWith(report.header));
    assert.ok(report.text.includes('== Targets (issues 5, 14 and 23; a row without a mix is the worse of the two)'));
    assert.ok(report.svg.includes('target 50-image p99 at 1000 rps: 3 ms'));
  });

  it('warns when other processes loaded the machine', () => {
    const noisy = results();
    noisy.fixed = noisy.fixed.map((r) => ({ ...r, otherCores: 0.5 }));
    assert.match(renderReport(input({ results: noisy })).header, /WARNING: other processes used up to 0\.50 cores/);
  });

  it('judges a candidate beside cordon-guard and reports it under "candidate"', () => {
    const report = renderReport(
      input({ results: results(true), plan: planFor({ quick: true, noE2e: false, noInCluster: false, compare: '/tmp/x/main.js' }), builds: { main: undefined, compare: '/tmp/x/main.js' } }),
    );
    const line = JSON.parse(report.jsonLine) as { p99Ms50img: number; candidate: Record<string, number | null> };
    assert.equal(line.p99Ms50img, 3.5);
    assert.equal(line.candidate.p99Ms50img, 2);
    assert.equal(line.candidate.throughputRatio, 0.8);
    assert.equal(report.verdicts.candidate?.throughputRatio, 'MISSED');
    assert.equal(report.verdicts.candidate?.p99Ms50img, 'met');
    assert.equal(report.verdicts.candidate?.rssDriftPct, 'MISSED');
    assert.ok(report.markdown.includes('| target | cordon-guard | verdict | candidate | verdict |'));
    assert.ok(report.header.includes('candidate: /tmp/x/main.js'));
  });

  it('says why there is no e2e figure: skipped, or the failure', () => {
    const e2eCell = (r: ReturnType<typeof renderReport>) => targetRows(r.markdown).find((l) => l.startsWith('| e2e uncordon'));
    const full = planFor({ quick: false, noE2e: false, noInCluster: false, compare: undefined });
    const failed = { ...results(), e2eError: 'Error: etcd did not start\n    at startControlPlane' };
    assert.equal(e2eCell(renderReport(input({ plan: full, results: failed }))), '| e2e uncordon <= 1.25x VAP | failed: Error: etcd did not start | n/a |');
    const skipped = planFor({ quick: false, noE2e: true, noInCluster: false, compare: undefined });
    assert.equal(e2eCell(renderReport(input({ plan: skipped }))), '| e2e uncordon <= 1.25x VAP | skipped (--no-e2e) | n/a |');
  });

  it('judges the in-cluster figures of each build, and puts them in the JSON line', () => {
    const full = planFor({ quick: false, noE2e: true, noInCluster: false, compare: '/tmp/x/main.js' });
    const inCluster = inClusterResult({ 'cordon-guard': inClusterBuild(120, 180, 4.2), candidate: inClusterBuild(90, 110, 31, ['after: maintenance: 600 (truth 601)']) });
    const report = renderReport(input({ plan: full, results: { ...results(true), inCluster }, builds: { main: undefined, compare: '/tmp/x/main.js' } }));
    const pick = (v: Record<string, unknown> | undefined) => Object.fromEntries(['idleRssMbInCluster', 'nodeWatchRssMb5000', 'nodeWatchListS5000', 'nodeWatchGaugesWrong'].map((k) => [k, v?.[k]]));
    assert.deepEqual(pick(report.verdicts['cordon-guard']), { idleRssMbInCluster: 'MISSED', nodeWatchRssMb5000: 'MISSED', nodeWatchListS5000: 'met', nodeWatchGaugesWrong: 'met' });
    assert.deepEqual(pick(report.verdicts.candidate), { idleRssMbInCluster: 'met', nodeWatchRssMb5000: 'met', nodeWatchListS5000: 'MISSED', nodeWatchGaugesWrong: 'MISSED' });
    const line = JSON.parse(report.jsonLine) as Record<string, unknown> & { candidate: Record<string, unknown> };
    assert.deepEqual([line.idleRssMbInCluster, line.nodeWatchRssMb5000, line.nodeWatchListS5000, line.nodeWatchChurnRssDeltaMb, line.nodeWatchGaugesWrong], [120, 60, 4.2, 1.5, 0]);
    assert.deepEqual([line.candidate.idleRssMbInCluster, line.candidate.nodeWatchRssMb5000, line.candidate.nodeWatchGaugesWrong], [90, 20, 1]);
    const rows = targetRows(report.markdown);
    assert.ok(rows.includes('| RSS at rest in a cluster (ConfigMap policy, Events, node watch) <= 96 MiB | 120.0 MiB (max 122.0) | MISSED | 90.0 MiB (max 92.0) | met |'), rows.join('\n'));
    assert.ok(rows.includes('| RSS added by the node watch of 5,000 nodes <= 30 MiB | 60.0 MiB (180.0 MiB at rest) | MISSED | 20.0 MiB (110.0 MiB at rest) | met |'), rows.join('\n'));
    assert.ok(rows.includes('| ... gauges wrong, before and after a heartbeat of every node <= 0 states | 0 | met | 1: after: maintenance: 600 (truth 601) | MISSED |'), rows.join('\n'));
    const raw = JSON.parse(report.resultsJson) as { run: { inCluster: InClusterResult } };
    assert.deepEqual(raw.run.inCluster.builds['cordon-guard']?.atRest.samples, [[0, 119], [60, 120]]);
  });

  it('writes the in-cluster table: each build\'s column, the gauges right or WRONG', () => {
    const inCluster = inClusterResult({ 'cordon-guard': inClusterBuild(120, 180, 4.2, ['before: drifted: 99 (truth 100)']) });
    const markdown = renderReport(input({ plan: planFor({ quick: false, noE2e: true, noInCluster: false, compare: undefined }), results: { ...results(), inCluster } })).markdown;
    assert.ok(markdown.includes('### In a cluster (kube-apiserver v1.35.4; serve --tls-secret --policy-configmap as the Deployment runs it, the Deployment\'s environment NODE_ENV=production NODE_OPTIONS=--max-semi-space-size=4; RSS in MiB)'));
    assert.ok(markdown.includes('| ... RSS 60 s after ready | 120.0 |'));
    assert.ok(markdown.includes('| 5,010 nodes: spawn to "node watch: listed N nodes" (s) | 4.2 (5,010 listed) |'));
    assert.ok(markdown.includes('| ... added by the node watch (over 10 nodes) | +60.0 |'));
    assert.ok(markdown.includes('| gauge cordon_guard_nodes before the heartbeats | WRONG: drifted: 99 (truth 100) |'));
    assert.ok(markdown.includes('| ... after | right |'));
    assert.ok(markdown.includes('Heartbeats: 5,010 status PATCHes in 12.5 s, p99 80.0 ms.'));
  });

  it('says why there is no in-cluster figure: skipped, or the failure', () => {
    const cell = (r: ReturnType<typeof renderReport>) => targetRows(r.markdown).find((l) => l.startsWith('| RSS at rest in a cluster'));
    const full = planFor({ quick: false, noE2e: true, noInCluster: false, compare: undefined });
    const failed = { ...results(), inClusterError: 'Error: creating node node-00042: 500 etcdserver: request timed out\n    at createNodes' };
    assert.equal(cell(renderReport(input({ plan: full, results: failed }))), '| RSS at rest in a cluster (ConfigMap policy, Events, node watch) <= 96 MiB | failed: Error: creating node node-00042: 500 etcdserver: request timed out | n/a |');
    const skipped = planFor({ quick: false, noE2e: true, noInCluster: true, compare: undefined });
    assert.equal(cell(renderReport(input({ plan: skipped }))), '| RSS at rest in a cluster (ConfigMap policy, Events, node watch) <= 96 MiB | skipped (--no-in-cluster) | n/a |');
    assert.ok(!renderReport(input({ plan: skipped })).markdown.includes('### In a cluster'));
  });
});
