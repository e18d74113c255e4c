// End to end on the control-plane harness (real etcd + kube-apiserver): the latency of an
// uncordon PATCH through the API server, denied and allowed, with cordon-guard's webhook and
// with the same rule as a ValidatingAdmissionPolicy (CEL, params from a ConfigMap through
// paramRef), in one run; and what the webhook adds to label PATCHes, which its matchConditions
// keep away from it.
//
// Requests are direct HTTPS PATCHes with each identity's bearer token (./apiClient.ts), one at a
// time, so the API server (and what it calls) is measured, not kubectl's start-up.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeNode } from '../testkit/fixtures.ts';
import { waitFor } from '../testkit/wait.ts';
import { startControlPlane, type ControlPlane } from '../testkit/e2e/controlPlane.ts';
import { baseManifests, createNode, makeCertificates } from '../testkit/e2e/cordonGuard.ts';
import { apiClient, type Api, type ApiResponse } from './apiClient.ts';
import { percentiles, type Percentiles } from './load.ts';
import { CORDON_STAMP_ANNOTATION } from '../src/policy/annotations.ts';
import { BENCH_POLICY } from './payloads.ts';
import { startCordonGuard, type Server } from './servers.ts';

const KEY = 'cordon-guard.io/maintenance';
const VAP_NAME = 'cordon-guard-bench';
const PARAMS = { namespace: 'default', name: 'cordon-guard-vap-params' };

/** The maintenance rule of POLICY.md as CEL, with the allowlist from the ConfigMap. */
function vapObjects(): Record<string, unknown>[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: PARAMS,
      data: { maintenanceAnnotation: KEY, allowUsers: 'alice,alice@example.com', allowGroups: 'sre-oncall' },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: VAP_NAME },
      spec: {
        failurePolicy: 'Fail',
        paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
        matchConstraints: {
          resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['nodes'] }],
        },
        // The same pre-filter as the webhook's matchConditions: only uncordons are evaluated.
        matchConditions: [
          {
            name: 'uncordon',
            expression:
              'oldObject != null && has(oldObject.spec) && has(oldObject.spec.unschedulable) && oldObject.spec.unschedulable == true && ' +
              '!(has(object.spec) && has(object.spec.unschedulable) && object.spec.unschedulable == true)',
          },
        ],
        variables: [
          { name: 'key', expression: 'params.data.maintenanceAnnotation' },
          { name: 'underMaintenance', expression: 'has(oldObject.metadata.annotations) && variables.key in oldObject.metadata.annotations' },
          {
            name: 'allowlisted',
            expression:
              "request.userInfo.username in params.data.allowUsers.split(',') || " +
              "request.userInfo.groups.exists(g, g in params.data.allowGroups.split(','))",
          },
        ],
        validations: [
          {
            expression: '!variables.underMaintenance || variables.allowlisted',
            messageExpression:
              "'cordon-guard (VAP) denied uncordon of node \"' + object.metadata.name + '\" by \"' + request.userInfo.username + " +
              "'\": node is under maintenance (' + variables.key + '=\"' + oldObject.metadata.annotations[variables.key] + '\")'",
            reason: 'Forbidden',
          },
        ],
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: VAP_NAME },
      spec: {
        policyName: VAP_NAME,
        validationActions: ['Deny'],
        paramRef: { ...PARAMS, parameterNotFoundAction: 'Deny' },
      },
    },
  ];
}

/**
 * none: no admission on nodes. webhook: cordon-guard's ValidatingWebhookConfiguration only (the
 * same rule as the VAP). webhook+mutate: as manifests/base ships it, with the /mutate cordon
 * stamp too (an allowed uncordon of a stamped node then calls cordon-guard twice). vap: the
 * ValidatingAdmissionPolicy above. "candidate ...": the same webhooks served by another build.
 */
export type Config = 'none' | 'webhook' | 'webhook+mutate' | 'vap' | 'candidate webhook' | 'candidate webhook+mutate';
const CONFIGS: readonly Config[] = ['none', 'webhook', 'webhook+mutate', 'vap'];
const CANDIDATE_CONFIGS: readonly Config[] = ['candidate webhook', 'candidate webhook+mutate'];
type Path = 'none' | 'webhook' | 'webhook+mutate' | 'vap';
const pathOf = (config: Config): Path => config.replace('candidate ', '') as Path;
type Kind = 'uncordon-denied' | 'uncordon-allowed' | 'cordon' | 'label';

export interface E2eResult {
  configs: Config[];
  /** ms, per configuration and kind of PATCH. */
  latency: Partial<Record<Config, Partial<Record<Kind, Percentiles>>>>;
  /** p50 of all uncordons (denied and allowed) with cordon-guard's validating webhook over the same with the VAP. */
  ratioVsVap: number;
  ratioVsVapP99: number;
  /** The same with the webhooks as shipped (validating + mutating). */
  shippedRatioVsVap: number;
  /** The same for the candidate build, when there is one. */
  candidateRatioVsVap?: number;
  candidateShippedRatioVsVap?: number;
  /** p50 of a cordon PATCH (the re-cordon of an allowed uncordon) with the webhooks as shipped minus without any admission (ms). */
  cordonAddedMs: number;
  candidateCordonAddedMs?: number;
  /** p50 of label PATCHes with the webhooks as shipped minus without any admission (ms). */
  labelAddedMs: number;
  /** The same with the validating webhook only. */
  labelAddedMsValidatingOnly: number;
  samplesPerKind: number;
  /**
   * The API server's own view (its admission duration histograms, UPDATE only), mean ms per
   * call while each set-up was measured: each webhook call, the ValidatingAdmissionPolicy plugin,
   * and the validate/admit steps.
   */
  apiserverView: Partial<Record<Config, Record<string, { calls: number; meanMs: number }>>>;
  /**
   * cordon-guard's own view: its answer duration histogram (from the request's first byte to the
   * answer sent), mean ms per call and endpoint, while each set-up was measured.
   */
  guardView: Partial<Record<Config, Record<string, { calls: number; meanMs: number }>>>;
  /** cordon-guard calls (admissions counted in its metrics) per label PATCH, per set-up: 0 with matchConditions. */
  webhookCallsPerLabelPatch: Partial<Record<Config, number>>;
  setupS: number;
  nodeObjectBytes: number;
}

/** Sums and counts of the API server's admission histograms, by a short name. */
type AdmissionSums = Record<string, { sum: number; count: number }>;

async function admissionSums(api: Api): Promise<AdmissionSums> {
  const text = await api.get('admin', '/metrics');
  const sums: AdmissionSums = {};
  const add = (key: string, field: 'sum' | 'count', value: number): void => {
    const entry = (sums[key] ??= { sum: 0, count: 0 });
    entry[field] += value;
  };
  for (const m of text.matchAll(/^apiserver_admission_(webhook|controller|step)_admission_duration_seconds_(sum|count)\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...m[3]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]])) as Record<string, string | undefined>;
    if (labels.operation !== 'UPDATE') continue;
    const key = m[1] === 'webhook' ? `webhook ${labels.name}` : m[1] === 'controller' ? `plugin ${labels.name}` : `step ${labels.type}`;
    add(key, m[2] as 'sum' | 'count', Number(m[4]));
  }
  return sums;
}

/** Per set-up, the mean ms per call of each histogram over all its rounds (scrapes in before/after pairs). */
function viewOf(views: Partial<Record<Config, AdmissionSums[]>>): Partial<Record<Config, Record<string, { calls: number; meanMs: number }>>> {
  return Object.fromEntries(
    Object.entries(views).map(([config, scrapes]) => {
      const total: Record<string, { calls: number; sumMs: number }> = {};
      for (let i = 0; i + 1 < scrapes.length; i += 2) {
        for (const [key, v] of Object.entries(meanMs(scrapes[i]!, scrapes[i + 1]!))) {
          const t = (total[key] ??= { calls: 0, sumMs: 0 });
          t.calls += v.calls;
          t.sumMs += v.meanMs * v.calls;
        }
      }
      return [config, Object.fromEntries(Object.entries(total).map(([k, t]) => [k, { calls: t.calls, meanMs: t.sumMs / t.calls }]))];
    }),
  );
}

/** Mean ms per call of each histogram between two scrapes. */
function meanMs(before: AdmissionSums, after: AdmissionSums): Record<string, { calls: number; meanMs: number }> {
  const out: Record<string, { calls: number; meanMs: number }> = {};
  for (const [key, a] of Object.entries(after)) {
    const b = before[key] ?? { sum: 0, count: 0 };
    const calls = a.count - b.count;
    if (calls > 0) out[key] = { calls, meanMs: ((a.sum - b.sum) / calls) * 1000 };
  }
  return out;
}

const UNCORDON = { spec: { unschedulable: null } };
const CORDON = { spec: { unschedulable: true } };

/** A Node with a kubelet-sized status (50 images), so both admission paths see the real object size. */
async function realisticNode(cp: ControlPlane, api: Api, name: string, annotations: Record<string, string>): Promise<number> {
  createNode(cp, name, { cordoned: true, annotations });
  const { status } = makeNode({ name, images: 50 });
  const result = await api.patch('admin', `/api/v1/nodes/${name}/status`, { status }, 'application/merge-patch+json');
  if (result.status !== 200) throw new Error(`status patch of ${name}: ${result.status} ${result.text.slice(0, 300)}`);
  return result.text.length;
}

async function expectStatus(promise: Promise<ApiResponse>, status: number, what: string, match?: RegExp): Promise<number> {
  const result = await promise;
  if (result.status !== status || (match !== undefined && !match.test(result.text))) {
    throw new Error(`${what}: expected ${status}${match ? ` matching ${match}` : ''}, got ${result.status} ${result.text.slice(0, 400)}`);
  }
  return result.ms;
}

/** Sums and counts of cordon-guard's answer duration histogram, by endpoint. */
async function guardSums(guard: Server): Promise<AdmissionSums> {
  const text = await (await fetch(`http://127.0.0.1:${guard.metricsPort}/metrics`)).text();
  const sums: AdmissionSums = {};
  for (const m of text.matchAll(/^cordon_guard_admission_duration_seconds_(sum|count)\{endpoint="([^"]*)"\} (\S+)$/gm)) {
    const entry = (sums[`cordon-guard ${(m[2] ?? '').replace(/^\//, '')}`] ??= { sum: 0, count: 0 });
    entry[m[1] as 'sum' | 'count'] += Number(m[3]);
  }
  return sums;
}

async function admissionCount(guard: Server): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${guard.metricsPort}/metrics`);
  const text = await response.text();
  let sum = 0;
  for (const m of text.matchAll(/^cordon_guard_admission_requests_total\{[^}]*\} (\d+)/gm)) sum += Number(m[1]);
  return sum;
}

/**
 * Runs `iterations` rounds of: denied uncordon, allowed uncordon, the re-cordon of that node (by
 * an administrator: stamped by /mutate where it runs), label PATCH; the first `warmup` are not
 * recorded.
 */
async function measure(api: Api, guard: Server, config: Config, iterations: number, warmup: number, into: Record<Kind, number[]>): Promise<{ labelPatches: number; labelCalls: number }> {
  let labelCalls = 0;
  const path = pathOf(config);
  const denial = path === 'vap' ? /cordon-guard \(VAP\) denied/ : /admission webhook .{0,60}denied the request: cordon-guard denied uncordon/;
  for (let i = 0; i < iterations + warmup; i++) {
    const record = i >= warmup;
    if (path !== 'none') {
      const ms = await expectStatus(api.patch('upgrader', '/api/v1/nodes/bench-denied', UNCORDON), 403, `${config} denied uncordon`, denial);
      if (record) into['uncordon-denied'].push(ms);
    }
    const allowed = await expectStatus(api.patch('alice', '/api/v1/nodes/bench-allowed', UNCORDON), 200, `${config} allowed uncordon`);
    if (record) into['uncordon-allowed'].push(allowed);
    const cordon = await expectStatus(api.patch('admin', '/api/v1/nodes/bench-allowed', CORDON), 200, `${config} cordon`);
    if (record) into.cordon.push(cordon);
    const calls = i % 10 === 0 ? await admissionCount(guard) : undefined;
    const label = await expectStatus(
      api.patch('upgrader', '/api/v1/nodes/bench-label', { metadata: { labels: { 'example.com/rack': `r${i % 7}` } } }),
      200,
      `${config} label patch`,
    );
    if (calls !== undefined) labelCalls += (await admissionCount(guard)) - calls;
    if (record) into.label.push(label);
  }
  return { labelPatches: Math.ceil((iterations + warmup) / 10), labelCalls };
}

function applyJson(cp: ControlPlane, name: string, objects: Record<string, unknown>[]): void {
  const file = join(cp.dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  cp.kubectlOk(['apply', '-f', file]);
}

type WebhookConfiguration = { kind: string; metadata: { name: string }; webhooks: { name: string; clientConfig: Record<string, unknown> }[] };

/** The project's webhook configuration(s) from manifests/base, pointed at the local process. */
function webhookObjects(cp: ControlPlane, guard: Server, caPem: string, withMutating: boolean): WebhookConfiguration[] {
  const kinds = new Set(['ValidatingWebhookConfiguration', ...(withMutating ? ['MutatingWebhookConfiguration'] : [])]);
  const configurations = baseManifests(cp).filter((o) => kinds.has(String(o.kind))) as WebhookConfiguration[];
  for (const configuration of configurations) {
    for (const webhook of configuration.webhooks) {
      const path = String((webhook.clientConfig.service as { path?: string } | undefined)?.path ?? '/validate');
      webhook.clientConfig = { url: `https://127.0.0.1:${guard.port}${path}`, caBundle: Buffer.from(caPem).toString('base64') };
    }
  }
  return configurations;
}

/** Switches the admission path and waits until the API server really uses only that one. */
async function switchTo(cp: ControlPlane, api: Api, guard: Server, caPem: string, config: Config): Promise<void> {
  const path = pathOf(config);
  cp.kubectl(['delete', 'validatingadmissionpolicybinding', VAP_NAME, '--ignore-not-found']);
  cp.kubectl(['delete', 'validatingadmissionpolicy', VAP_NAME, '--ignore-not-found']);
  cp.kubectl(['delete', 'validatingwebhookconfiguration,mutatingwebhookconfiguration', 'cordon-guard', '--ignore-not-found']);
  // The stamps that /mutate wrote on the cordons of the previous set-up: the validating webhook
  // alone refuses an uncordon that keeps one (stale-stamp, POLICY.md). Cleared once the webhooks
  // are gone (until then the removal is refused, as stamp tampering).
  await waitFor('cordon stamps cleared', async () => {
    for (const node of ['bench-denied', 'bench-allowed']) {
      const cleared = await api.patch('admin', `/api/v1/nodes/${node}`, { metadata: { annotations: { [CORDON_STAMP_ANNOTATION]: null } } }, 'application/merge-patch+json');
      if (cleared.status !== 200) return undefined;
    }
    return true;
  }, 60_000, 100);
  const dryRun = '?dryRun=All';
  const viaWebhook = path === 'webhook' || path === 'webhook+mutate';
  if (viaWebhook) applyJson(cp, 'webhooks', webhookObjects(cp, guard, caPem, path === 'webhook+mutate'));
  if (path === 'vap') applyJson(cp, 'vap', vapObjects());
  // Until: the denial (if any) comes from the configured path, and an allowed uncordon no
  // longer (or now does) reach this cordon-guard, three times in a row.
  let streak = 0;
  await waitFor(`admission path ${config}`, async () => {
    const denied = await api.patch('upgrader', '/api/v1/nodes/bench-denied', UNCORDON, undefined, dryRun);
    const deniedOk =
      path === 'none' ? denied.status === 200 : denied.status === 403 && (path === 'vap' ? /\(VAP\) denied/ : /cordon-guard denied/).test(denied.text);
    const before = await admissionCount(guard);
    const allowed = await api.patch('alice', '/api/v1/nodes/bench-allowed', UNCORDON, undefined, dryRun);
    const reached = (await admissionCount(guard)) > before;
    const ok = deniedOk && allowed.status === 200 && reached === viaWebhook;
    streak = ok ? streak + 1 : 0;
    return streak >= 3 ? true : undefined;
  }, 60_000, 200);
}

export async function runE2e(options: { iterations: number; rounds: number; main?: string; candidate?: string; log: (line: string) => void }): Promise<E2eResult> {
  const t0 = performance.now();
  options.log('e2e: starting etcd + kube-apiserver (harness)');
  const cp = await startControlPlane();
  const guards: Partial<Record<'main' | 'candidate', Server>> = {};
  const api = apiClient(cp);
  try {
    const certs = makeCertificates(join(cp.dir, 'certs'));
    const policyFile = join(cp.dir, 'policy.yaml');
    writeFileSync(policyFile, BENCH_POLICY);
    const tls = { certFile: certs.certFile, keyFile: certs.keyFile, caPem: certs.caPem };
    guards.main = await startCordonGuard(tls, policyFile, options.main === undefined ? {} : { main: options.main });
    if (options.candidate !== undefined) guards.candidate = await startCordonGuard(tls, policyFile, { main: options.candidate, name: 'candidate' });
    const guardOf = (config: Config): Server => (config.startsWith('candidate') ? guards.candidate! : guards.main!);
    const nodeObjectBytes = await realisticNode(cp, api, 'bench-denied', { [KEY]: 'kernel 6.8 upgrade, OPS-4411' });
    await realisticNode(cp, api, 'bench-allowed', { [KEY]: 'kernel 6.8 upgrade, OPS-4411' });
    await realisticNode(cp, api, 'bench-label', {});
    const setupS = (performance.now() - t0) / 1000;

    const configs: Config[] = [...CONFIGS, ...(guards.candidate === undefined ? [] : CANDIDATE_CONFIGS)];
    const samples = Object.fromEntries(configs.map((c) => [c, { 'uncordon-denied': [], 'uncordon-allowed': [], cordon: [], label: [] }])) as unknown as Record<Config, Record<Kind, number[]>>;
    // Alternate the paths so that drift of the machine hits all of them alike.
    const order: Config[] = [];
    for (let r = 0; r < options.rounds; r++) order.push(...(r % 2 === 0 ? configs : [...configs].reverse()));
    const labelChecks: Partial<Record<Config, { labelPatches: number; labelCalls: number }>> = {};
    const views: Partial<Record<Config, AdmissionSums[]>> = {};
    const guardViews: Partial<Record<Config, AdmissionSums[]>> = {};
    for (const config of order) {
      await switchTo(cp, api, guardOf(config), certs.caPem, config);
      const started = performance.now();
      const before = await admissionSums(api);
      const guardBefore = await guardSums(guardOf(config));
      const check = await measure(api, guardOf(config), config, options.iterations, 20, samples[config]);
      (views[config] ??= []).push(before, await admissionSums(api));
      (guardViews[config] ??= []).push(guardBefore, await guardSums(guardOf(config)));
      const total = (labelChecks[config] ??= { labelPatches: 0, labelCalls: 0 });
      total.labelPatches += check.labelPatches;
      total.labelCalls += check.labelCalls;
      options.log(`e2e: ${config}: ${options.iterations} rounds in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }

    const latency: E2eResult['latency'] = {};
    for (const config of configs) {
      const byKind: Partial<Record<Kind, Percentiles>> = {};
      for (const kind of Object.keys(samples[config]) as Kind[]) {
        if (samples[config][kind].length > 0) byKind[kind] = percentiles(samples[config][kind]);
      }
      latency[config] = byKind;
    }
    const uncordons = (config: Config) => percentiles([...samples[config]['uncordon-denied'], ...samples[config]['uncordon-allowed']]);
    const vap = uncordons('vap');
    const cg = uncordons('webhook');
    return {
      configs,
      latency,
      ratioVsVap: cg.p50 / vap.p50,
      ratioVsVapP99: cg.p99 / vap.p99,
      shippedRatioVsVap: uncordons('webhook+mutate').p50 / vap.p50,
      ...(guards.candidate === undefined
        ? {}
        : {
            candidateRatioVsVap: uncordons('candidate webhook').p50 / vap.p50,
            candidateShippedRatioVsVap: uncordons('candidate webhook+mutate').p50 / vap.p50,
            candidateCordonAddedMs: latency['candidate webhook+mutate']!.cordon!.p50 - latency.none!.cordon!.p50,
          }),
      cordonAddedMs: latency['webhook+mutate']!.cordon!.p50 - latency.none!.cordon!.p50,
      labelAddedMs: latency['webhook+mutate']!.label!.p50 - latency.none!.label!.p50,
      labelAddedMsValidatingOnly: latency.webhook!.label!.p50 - latency.none!.label!.p50,
      samplesPerKind: options.iterations * options.rounds,
      apiserverView: viewOf(views),
      guardView: viewOf(guardViews),
      webhookCallsPerLabelPatch: Object.fromEntries(Object.entries(labelChecks).map(([c, v]) => [c, v.labelCalls / v.labelPatches])),
      setupS,
      nodeObjectBytes,
    };
  } finally {
    await api.close().catch(() => undefined);
    for (const guard of Object.values(guards)) await guard.stop();
    await cp.stop();
  }
}

if (import.meta.main) {
  const [main, candidate] = process.argv.slice(2);
  const result = await runE2e({
    iterations: Number(process.env.ITERATIONS ?? 30),
    rounds: Number(process.env.ROUNDS ?? 1),
    ...(main === undefined || main === '' ? {} : { main }),
    ...(candidate === undefined ? {} : { candidate }),
    log: (l) => process.stderr.write(`${l}\n`),
  });
  process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
}
