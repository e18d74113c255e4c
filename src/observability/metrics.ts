// Prometheus metrics on a registry owned by the caller (one per process, or per test).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { withinBytes } from '../text/text.ts';

/** Distinct requester label values kept before the rest are counted as `other`. */
const REQUESTER_LABEL_LIMIT = 50;
/**
 * A requester label value is cut to 1 kB, as on the Event: a review may carry a username of
 * megabytes, and a label is kept for the life of the process and sent with every scrape.
 */
const REQUESTER_LABEL_MAX_BYTES = 1024;

export interface Metrics {
  registry: Registry;
  admissionRequests: Counter<'operation' | 'decision' | 'reason' | 'mode'>;
  admissionDuration: Histogram<'endpoint'>;
  violations: Counter<'reason' | 'requester'>;
  policyReloads: Counter<'source' | 'result'>;
  policyGeneration: Gauge;
  eventsDropped: Counter;
  malformedRequests: Counter<'endpoint' | 'status'>;
  observerFailures: Counter<'endpoint'>;
  webhookSyncFailures: Counter<'configuration'>;
  certificateSyncFailures: Counter;
  servingCertificateExpiry: Gauge;
  /** The requester label value, capped in cardinality. */
  requesterLabel(username: string): string;
}

export function createMetrics(options: { defaultMetrics: boolean } = { defaultMetrics: true }): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const requesters = new Set<string>();
  return {
    registry,
    admissionRequests: new Counter({
      name: 'cordon_guard_admission_requests_total',
      help: 'Admission reviews answered, by operation, decision, reason and mode.',
      labelNames: ['operation', 'decision', 'reason', 'mode'],
      registers: [registry],
    }),
    admissionDuration: new Histogram({
      name: 'cordon_guard_admission_duration_seconds',
      help: 'Time from the start of reading a review (body read and JSON parse included) to its encoded answer.',
      labelNames: ['endpoint'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    violations: new Counter({
      name: 'cordon_guard_violations_total',
      help: `Policy violations (in every mode), by reason and requester (at most ${REQUESTER_LABEL_LIMIT} requesters, then "other").`,
      labelNames: ['reason', 'requester'],
      registers: [registry],
    }),
    policyReloads: new Counter({
      name: 'cordon_guard_policy_reloads_total',
      help: 'Policy documents read, by source and result (success, invalid, missing).',
      labelNames: ['source', 'result'],
      registers: [registry],
    }),
    policyGeneration: new Gauge({
      name: 'cordon_guard_policy_generation',
      help: 'Increments each time a new valid policy comes into force.',
      registers: [registry],
    }),
    eventsDropped: new Counter({
      name: 'cordon_guard_events_dropped_total',
      help: 'Kubernetes Events not recorded because the queue was full or the API call failed.',
      registers: [registry],
    }),
    malformedRequests: new Counter({
      name: 'cordon_guard_malformed_requests_total',
      help: 'Requests refused before judgement (bad JSON, content type, size, envelope).',
      labelNames: ['endpoint', 'status'],
      registers: [registry],
    }),
    observerFailures: new Counter({
      name: 'cordon_guard_observer_failures_total',
      help: 'Answers sent whose log line, metrics or Event could not be recorded, by endpoint.',
      labelNames: ['endpoint'],
      registers: [registry],
    }),
    webhookSyncFailures: new Counter({
      name: 'cordon_guard_webhook_sync_failures_total',
      help: "Failed attempts to keep a webhook configuration's caBundle and matchConditions in step with the CA and the policy, by configuration kind.",
      labelNames: ['configuration'],
      registers: [registry],
    }),
    certificateSyncFailures: new Counter({
      name: 'cordon_guard_certificate_sync_failures_total',
      help: 'Failed checks of the serving certificate and CA Secrets (--tls-secret); the certificate in use stays.',
      registers: [registry],
    }),
    servingCertificateExpiry: new Gauge({
      name: 'cordon_guard_serving_certificate_expiry_timestamp_seconds',
      help: 'When the serving certificate in use expires (--tls-secret), in seconds since the epoch.',
      registers: [registry],
    }),
    requesterLabel(username) {
      const label = withinBytes(username, REQUESTER_LABEL_MAX_BYTES);
      if (requesters.has(label)) return label;
      if (requesters.size >= REQUESTER_LABEL_LIMIT) return 'other';
      requesters.add(label);
      return label;
    },
  };
}
