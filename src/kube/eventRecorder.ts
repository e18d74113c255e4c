// Kubernetes Events (events.k8s.io/v1) for violations and bad policy edits. Recording never
// waits on the API server: events go into a bounded queue drained by one worker; when the
// queue is full they are dropped and counted. Repeats of the same (object, requester, reason)
// within the series window update the first Event's series count instead of creating new ones.
import { hostname } from 'node:os';
import type { AdmissionRequest } from '../admission/types.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Judgement } from '../policy/judge.ts';
import { withinBytes } from '../text/text.ts';
import type { ViolationRecorder } from '../observability/violationRecorder.ts';

export const REPORTING_CONTROLLER = 'cordon-guard.io/cordon-guard';
/**
 * The requester of a violation, on its Event, so that `cordon-guard list` need not parse the note
 * (a series folds repeats of one requester, so one Event has one). Cut to 1 kB: the API server
 * refuses annotations past 256 kB in all.
 */
export const REQUESTER_ANNOTATION = 'cordon-guard.io/requester';
const REQUESTER_MAX_BYTES = 1024;
export const SERIES_WINDOW_MS = 10 * 60 * 1000;
const DEFAULT_QUEUE_LIMIT = 1000;
/** The API server refuses notes over 1 kB. */
const NOTE_MAX_BYTES = 1024;
/** Node events live in `default`, as the kubelet's do, so `kubectl describe node` finds them. */
const NODE_EVENT_NAMESPACE = 'default';

interface ObjectReference {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

export interface EventDraft {
  namespace: string;
  regarding: ObjectReference;
  reason: string;
  action: string;
  note: string;
  /** Identifies repeats: same key within the window means the same series. */
  seriesKey: string;
  annotations?: Record<string, string>;
}

/** The two API calls the recorder needs; the real one is `eventsApi(kubeConfig)`. */
export interface EventsClient {
  create(namespace: string, event: Record<string, unknown>): Promise<string>;
  updateSeries(namespace: string, name: string, series: { count: number; lastObservedTime: Date }): Promise<void>;
}

interface Series {
  name: string;
  namespace: string;
  firstSeen: number;
  count: number;
}

/** metav1.MicroTime: RFC 3339 with six fractional digits (the API server refuses fewer). */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const ACTIONS = {
  uncordon: { reason: 'Uncordon', action: 'Uncordon' },
  'annotation-removal': { reason: 'MaintenanceAnnotationRemoval', action: 'RemoveMaintenanceAnnotation' },
  'stamp-change': { reason: 'CordonStampChange', action: 'ChangeCordonStamp' },
} as const;
// `prevented` (mode preserve): /mutate kept the guarded state and let the rest of the write
// through, so `UncordonPrevented`: the uncordon did not happen, yet the request was not denied.
const OUTCOMES = { denied: 'Denied', warned: 'Warned', audited: 'Audited', prevented: 'Prevented' } as const;

export class EventRecorder implements ViolationRecorder {
  readonly #client: EventsClient;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #queueLimit: number;
  readonly #now: () => number;
  readonly #instance: string;
  readonly #queue: EventDraft[] = [];
  readonly #series = new Map<string, Series>();
  #draining: Promise<void> | undefined;

  constructor(deps: { client: EventsClient; logger: Logger; metrics: Metrics; queueLimit?: number; now?: () => number; instance?: string }) {
    this.#client = deps.client;
    this.#logger = deps.logger;
    this.#metrics = deps.metrics;
    this.#queueLimit = deps.queueLimit ?? DEFAULT_QUEUE_LIMIT;
    this.#now = deps.now ?? Date.now;
    this.#instance = deps.instance ?? `cordon-guard-${hostname()}`;
  }

  record(request: AdmissionRequest, judgement: Judgement): void {
    if (judgement.decision === 'allowed' || judgement.decision === 'errored') return;
    const { evaluation } = judgement;
    const { reason, action } = ACTIONS[evaluation.transition];
    const eventReason = `${reason}${OUTCOMES[judgement.decision]}`;
    this.enqueue({
      namespace: NODE_EVENT_NAMESPACE,
      // kubectl describe node matches node events by uid == name, as the kubelet writes them.
      regarding: { apiVersion: 'v1', kind: 'Node', name: request.name, uid: request.name },
      reason: eventReason,
      action,
      note: evaluation.message,
      seriesKey: JSON.stringify(['Node', request.name, request.userInfo.username, eventReason]),
      annotations: { [REQUESTER_ANNOTATION]: withinBytes(request.userInfo.username, REQUESTER_MAX_BYTES) },
    });
  }

  /** A bad policy edit, recorded on the ConfigMap it came from. */
  recordInvalidPolicy(configMap: { namespace: string; name: string; uid?: string }, errors: string[]): void {
    const note = `cordon-guard kept the last good policy: policy.yaml is invalid: ${errors.join('; ')}`;
    this.enqueue({
      namespace: configMap.namespace,
      regarding: { apiVersion: 'v1', kind: 'ConfigMap', ...configMap },
      reason: 'InvalidPolicy',
      action: 'LoadPolicy',
      note,
      seriesKey: JSON.stringify(['ConfigMap', configMap.namespace, configMap.name, note]),
    });
  }

  enqueue(draft: EventDraft): void {
    if (this.#queue.length >= this.#queueLimit) {
      this.#metrics.eventsDropped.inc();
      return;
    }
    this.#queue.push(draft);
    this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
  }

  /** Resolves when every queued event was sent (or failed). */
  async flush(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }

  async #drain(): Promise<void> {
    for (let draft = this.#queue.shift(); draft !== undefined; draft = this.#queue.shift()) {
      try {
        await this.#send(draft);
      } catch (err) {
        this.#metrics.eventsDropped.inc();
        this.#logger.warn({ err: errorSummary(err), reason: draft.reason, regarding: draft.regarding.name }, 'could not record a Kubernetes Event');
      }
    }
  }

  async #send(draft: EventDraft): Promise<void> {
    const now = this.#now();
    for (const [key, series] of this.#series) if (now - series.firstSeen > SERIES_WINDOW_MS) this.#series.delete(key);
    const series = this.#series.get(draft.seriesKey);
    if (series !== undefined) {
      series.count += 1;
      await this.#client.updateSeries(series.namespace, series.name, { count: series.count, lastObservedTime: new Date(now) });
      return;
    }
    const name = `${draft.regarding.name.slice(0, 200)}.${now.toString(16)}${Math.floor(Math.random() * 0xfff).toString(16)}`;
    await this.#client.create(draft.namespace, {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace: draft.namespace, ...(draft.annotations === undefined ? {} : { annotations: draft.annotations }) },
      eventTime: microTime(new Date(now)),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: this.#instance.slice(0, 128),
      action: draft.action,
      reason: draft.reason,
      regarding: draft.regarding,
      note: withinBytes(draft.note, NOTE_MAX_BYTES),
      type: 'Warning',
    });
    this.#series.set(draft.seriesKey, { name, namespace: draft.namespace, firstSeen: now, count: 1 });
  }
}

function errorSummary(err: unknown): string {
  if (err instanceof Error) return err.message.slice(0, 500);
  return String(err).slice(0, 500);
}
