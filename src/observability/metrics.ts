// Prometheus metrics on a registry owned by the caller (one per process, or per test).
import { X509Certificate } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { withinBytes } from '../text/text.ts';
import { VERSION } from '../version.ts';

/**
 * Requesters named in cordon_guard_violations_total at once. Past it, the requester refused
 * least recently is forgotten and its series removed, so that today's culprit is always named.
 */
export const REQUESTER_LABEL_LIMIT = 50;
/**
 * A requester label value is cut to 1 kB, as on the Event: a review may carry a username of
 * megabytes, and a label is kept while its requester is named and sent with every scrape.
 */
const REQUESTER_LABEL_MAX_BYTES = 1024;

/**
 * The answer duration's buckets, in seconds: from 100 us to past the API server's webhook
 * timeout (`timeoutSeconds: 5`), so that a p99 above 1 s can be computed.
 */
const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The `endpoint` label of every metric: the admission endpoint's path, or `other` for any other path. */
type PathLabel = '/validate' | '/mutate' | 'other';


export interface Metrics {
  registry: Registry;
  admissionRequests: Counter<'operation' | 'decision' | 'reason' | 'mode' | 'endpoint'>;
  admissionDuration: Histogram<'endpoint'>;
  policyReloads: Counter<'source' | 'result'>;
  policyGeneration: Gauge;
  /** 1 while the last policy document read was put in force, 0 after one was rejected. */
  policyValid: Gauge;
  eventsDropped: Counter;
  observerFailures: Counter<'endpoint'>;
  webhookSyncFailures: Counter<'configuration'>;
  certificateSyncFailures: Counter;
  /**
   * Counts a violation by reason, decision and requester (the requester label bounded, see
   * REQUESTER_LABEL_LIMIT). The decision says whether it was refused (`denied`; `prevented`: the
   * uncordon undone, the rest of the write applied) or let through (`warned`, `audited`).
   */
  countViolation(violation: { reason: string; decision: string; requester: string }): void;
  /** Counts a request refused before judgement, by its status: 404, 503 and the malformed rest each have their own counter. */
  countRefusedRequest(path: string, status: number): void;
  /** Sets the certificate expiry gauge from the serving certificate (PEM; the first certificate of a chain). */
  recordServingCertificate(certPem: string): void;
}

export interface MetricsOptions {
  defaultMetrics?: boolean;
  /** The version in cordon_guard_build_info; package.json's (src/version.ts) by default. */
  version?: string;
}

/** Bounded label values: a scan of random paths must not grow the metrics without limit. */
function pathLabel(path: string): PathLabel {
  return path === '/validate' || path === '/mutate' ? path : 'other';
}

/** The certificate's notAfter, in seconds since the epoch. */
function certificateExpirySeconds(certPem: string): number {
  return new X509Certificate(certPem).validToDate.getTime() / 1000;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'cordon_guard_build_info',
    help: 'Always 1; the version of cordon-guard running is in the version label.',
    labelNames: ['version'],
    registers: [registry],
  }).set({ version: options.version ?? VERSION }, 1);
  const violations = new Counter({
    name: 'cordon_guard_violations_total',
    help: `Policy violations (in every mode), by reason, decision (denied and prevented are refusals) and requester (the ${REQUESTER_LABEL_LIMIT} refused most recently).`,
    labelNames: ['reason', 'requester', 'decision'],
    registers: [registry],
  });
  const malformedRequests = new Counter({
    name: 'cordon_guard_malformed_requests_total',
    help: 'Requests to an admission endpoint refused before judgement for their content (bad JSON, content type, size, envelope), by endpoint and status.',
    labelNames: ['endpoint', 'status'],
    registers: [registry],
  });
  const notFoundRequests = new Counter({
    name: 'cordon_guard_not_found_requests_total',
    help: 'Requests answered 404: a path or method that is not an admission endpoint.',
    registers: [registry],
  });
  const shedRequests = new Counter({
    name: 'cordon_guard_shed_requests_total',
    help: 'Requests refused with 503 because the request-body budget was spent (load shedding), by endpoint.',
    labelNames: ['endpoint'],
    registers: [registry],
  });
  // Registered with the first certificate: until then there is no series, rather than a 0 that
  // would read as a certificate expired in 1970.
  const certificateExpiryName = 'cordon_guard_certificate_expiry_timestamp_seconds';
  const certificateExpiry = new Gauge({
    name: certificateExpiryName,
    help: 'The serving certificate\'s notAfter, in seconds since the epoch.',
    registers: [],
  });
  const policyValid = new Gauge({
    name: 'cordon_guard_policy_valid',
    help: '1 while the last policy document read was put in force (or none was read yet), 0 after one was rejected and the previous policy kept.',
    registers: [registry],
  });
  policyValid.set(1);

  // Least recently refused first (a Map iterates in insertion order); each requester's series.
  const requesters = new Map<string, Map<string, { reason: string; requester: string; decision: string }>>();
  return {
    registry,
    admissionRequests: new Counter({
      name: 'cordon_guard_admission_requests_total',
      help: 'Admission reviews answered, by endpoint, operation, decision, reason and the mode of the policy in force.',
      labelNames: ['operation', 'decision', 'reason', 'mode', 'endpoint'],
      registers: [registry],
    }),
    admissionDuration: new Histogram({
      name: 'cordon_guard_admission_duration_seconds',
      help: 'Time from the start of reading a review (body read and JSON parse included) to its encoded answer, by endpoint.',
      labelNames: ['endpoint'],
      buckets: DURATION_BUCKETS,
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
    policyValid,
    eventsDropped: new Counter({
      name: 'cordon_guard_events_dropped_total',
      help: 'Kubernetes Events not recorded because the queue was full or the API call failed.',
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
    countViolation(violation) {
      const labels = { ...violation, requester: withinBytes(violation.requester, REQUESTER_LABEL_MAX_BYTES) };
      const key = `${labels.reason}\n${labels.decision}`;
      let series = requesters.get(labels.requester);
      if (series === undefined) {
        series = new Map();
        for (const [forgotten, itsSeries] of requesters) {
          if (requesters.size < REQUESTER_LABEL_LIMIT) break;
          requesters.delete(forgotten);
          for (const labelSet of itsSeries.values()) violations.remove(labelSet);
        }
      } else {
        requesters.delete(labels.requester);
      }
      requesters.set(labels.requester, series);
      if (!series.has(key)) series.set(key, { reason: labels.reason, requester: labels.requester, decision: labels.decision });
      violations.inc({ reason: labels.reason, requester: labels.requester, decision: labels.decision });
    },
    countRefusedRequest(path, status) {
      if (status === 404) notFoundRequests.inc();
      else if (status === 503) shedRequests.inc({ endpoint: pathLabel(path) });
      else malformedRequests.inc({ endpoint: pathLabel(path), status: String(status) });
    },
    recordServingCertificate(certPem) {
      certificateExpiry.set(certificateExpirySeconds(certPem));
      if (registry.getSingleMetric(certificateExpiryName) === undefined) registry.registerMetric(certificateExpiry);
    },
  };
}
