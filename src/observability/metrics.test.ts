import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { certificateNotAfter, createCertificateAuthority, issueServingCertificate } from '../tls/certificates.ts';
import { createMetrics, REQUESTER_LABEL_LIMIT, type Metrics } from './metrics.ts';

type Sample = { labels: Record<string, string | number>; value: number };

async function samples(metrics: Metrics, name: string): Promise<Sample[]> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) return [];
  return (await metric.get()).values as Sample[];
}

async function requesters(metrics: Metrics): Promise<string[]> {
  return [...new Set((await samples(metrics, 'cordon_guard_violations_total')).map((s) => String(s.labels.requester)))];
}

function refuse(metrics: Metrics, requester: string, times = 1): void {
  for (let i = 0; i < times; i += 1) metrics.countViolation({ reason: 'maintenance-active', decision: 'denied', requester });
}

describe('cordon_guard_violations_total names today\'s culprit with a bounded requester label', () => {
  it('is the username, cut to 1 kB without splitting a character; two long usernames that share their first 1 kB are one requester', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    refuse(metrics, 'system:serviceaccount:kube-system:cluster-autoscaler');
    refuse(metrics, 'u'.repeat(3 * 1024 * 1024));
    refuse(metrics, `${'v'.repeat(1023)}é`);
    refuse(metrics, `${'p'.repeat(1024)}a`);
    refuse(metrics, `${'p'.repeat(1024)}b`);
    assert.deepEqual((await requesters(metrics)).sort(), ['system:serviceaccount:kube-system:cluster-autoscaler', 'u'.repeat(1024), 'v'.repeat(1023), 'p'.repeat(1024)].sort());
  });

  it('after 500 distinct requesters, fewer than 500 requester values remain, and none of them is "other"', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    for (let i = 0; i < 500; i += 1) refuse(metrics, `system:serviceaccount:team-${i}:controller`);
    const named = await requesters(metrics);
    assert.ok(named.length < 500, `${named.length} requester values`);
    assert.ok(named.length > 0);
    assert.ok(!named.includes('other'));
  });

  it('a new requester refused three times after 500 others is named, with its count of 3', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    for (let i = 0; i < 500; i += 1) refuse(metrics, `system:serviceaccount:team-${i}:controller`);
    refuse(metrics, 'system:serviceaccount:system-upgrade:system-upgrade', 3);
    const culprit = (await samples(metrics, 'cordon_guard_violations_total')).filter((s) => s.labels.requester === 'system:serviceaccount:system-upgrade:system-upgrade');
    assert.deepEqual(culprit, [{ labels: { reason: 'maintenance-active', requester: 'system:serviceaccount:system-upgrade:system-upgrade', decision: 'denied' }, value: 3 }]);
  });

  it('forgets the requester refused least recently, with all of its series, and keeps one refused again', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.countViolation({ reason: 'maintenance-active', decision: 'denied', requester: 'first' });
    metrics.countViolation({ reason: 'annotation-removal', decision: 'warned', requester: 'first' });
    refuse(metrics, 'second');
    for (let i = 0; i < REQUESTER_LABEL_LIMIT - 2; i += 1) refuse(metrics, `filler-${i}`);
    assert.equal((await requesters(metrics)).length, REQUESTER_LABEL_LIMIT);
    refuse(metrics, 'first');
    refuse(metrics, 'newcomer');
    const named = await requesters(metrics);
    assert.equal(named.length, REQUESTER_LABEL_LIMIT);
    assert.ok(named.includes('newcomer'));
    assert.ok(!named.includes('second'), 'the least recently refused is forgotten');
    const first = (await samples(metrics, 'cordon_guard_violations_total')).filter((s) => s.labels.requester === 'first');
    assert.deepEqual(first.map((s) => [s.labels.reason, s.labels.decision, s.value]), [['maintenance-active', 'denied', 2], ['annotation-removal', 'warned', 1]]);
  });

  it('a forgotten requester refused again starts a new series from 1', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    refuse(metrics, 'comes-back', 5);
    for (let i = 0; (await requesters(metrics)).includes('comes-back'); i += 1) refuse(metrics, `filler-${i}`);
    refuse(metrics, 'comes-back');
    const series = (await samples(metrics, 'cordon_guard_violations_total')).filter((s) => s.labels.requester === 'comes-back');
    assert.deepEqual(series.map((s) => s.value), [1]);
  });
});

describe('refused requests are counted by why they were refused', () => {
  const cases: { status: number; path: string; metric: string; labels: Record<string, string> }[] = [
    { status: 400, path: '/validate', metric: 'cordon_guard_malformed_requests_total', labels: { endpoint: '/validate', status: '400' } },
    { status: 413, path: '/mutate', metric: 'cordon_guard_malformed_requests_total', labels: { endpoint: '/mutate', status: '413' } },
    { status: 415, path: '/scan/me', metric: 'cordon_guard_malformed_requests_total', labels: { endpoint: 'other', status: '415' } },
    { status: 404, path: '/wp-admin', metric: 'cordon_guard_not_found_requests_total', labels: {} },
    { status: 503, path: '/validate', metric: 'cordon_guard_shed_requests_total', labels: { endpoint: '/validate' } },
  ];
  for (const { status, path, metric, labels } of cases) {
    it(`a ${status} on ${path} counts in ${metric} only`, async () => {
      const metrics = createMetrics({ defaultMetrics: false });
      metrics.countRefusedRequest(path, status);
      for (const name of ['cordon_guard_malformed_requests_total', 'cordon_guard_not_found_requests_total', 'cordon_guard_shed_requests_total']) {
        const counted = (await samples(metrics, name)).filter((s) => s.value > 0);
        assert.deepEqual(counted, name === metric ? [{ labels, value: 1 }] : [], name);
      }
    });
  }
});

describe('the metrics the alerts need', () => {
  it('cordon_guard_build_info is 1 with the version of package.json', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.deepEqual(await samples(createMetrics({ defaultMetrics: false }), 'cordon_guard_build_info'), [{ labels: { version: pkg.version }, value: 1 }]);
    assert.deepEqual(await samples(createMetrics({ defaultMetrics: false, version: '9.9.9' }), 'cordon_guard_build_info'), [{ labels: { version: '9.9.9' }, value: 1 }]);
  });

  it('cordon_guard_policy_valid is 1 before any policy is read', async () => {
    assert.deepEqual((await samples(createMetrics({ defaultMetrics: false }), 'cordon_guard_policy_valid')).map((s) => s.value), [1]);
  });

  it('cordon_guard_certificate_expiry_timestamp_seconds is absent until a certificate is served, then its notAfter, then the rotated one\'s', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    assert.doesNotMatch(await metrics.registry.metrics(), /cordon_guard_certificate_expiry_timestamp_seconds/);
    const ca = createCertificateAuthority('test CA', 30);
    for (const days of [10, 3]) {
      const serving = issueServingCertificate(ca, { commonName: 'cordon-guard', dnsNames: ['localhost'], ipAddresses: [], validityDays: days });
      metrics.recordServingCertificate(`${serving.certPem}${ca.certPem}`);
      assert.deepEqual((await samples(metrics, 'cordon_guard_certificate_expiry_timestamp_seconds')).map((s) => s.value), [certificateNotAfter(serving.certPem).getTime() / 1000]);
    }
    assert.equal((await metrics.registry.metrics()).match(/^cordon_guard_certificate_expiry_timestamp_seconds /gm)?.length, 1);
  });

  it('the duration buckets reach past the API server\'s 5 s webhook timeout', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.admissionDuration.observe({ endpoint: '/validate' }, 4);
    const bounds = (await samples(metrics, 'cordon_guard_admission_duration_seconds'))
      .filter((s) => s.labels.le !== undefined && s.labels.le !== '+Inf')
      .map((s) => Number(s.labels.le));
    assert.ok(bounds.some((b) => b > 5), `buckets: ${bounds.join(', ')}`);
    assert.ok(bounds.includes(1) && bounds.some((b) => b > 1 && b < 5), 'a quantile between 1 s and 5 s can be told apart');
  });
});
