// The plugin's API calls through @kubernetes/client-node: who am I (SelfSubjectReview), the policy
// ConfigMap, nodes (get, list, merge patch) and cordon-guard's refused-uncordon Events.
import {
  AuthenticationV1Api,
  CoreV1Api,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
  type EventsV1Event,
  type V1Node,
} from '@kubernetes/client-node';
import type { ConfigMapRef } from '../cli/configMapRef.ts';
import { POLICY_CONFIGMAP_KEY } from '../install.ts';
import { ApiError, type MaintenanceApi, type NodeView, type PolicyText, type RefusalEvent } from '../plugin/api.ts';
import { VERSION } from '../version.ts';
import { callApi } from './apiError.ts';
import { REPORTING_CONTROLLER, REQUESTER_ANNOTATION } from './eventRecorder.ts';
import { loadKubeConfig } from './kubeConfig.ts';

/** The name the API server records for the plugin's writes (managedFields, audit log). */
const FIELD_MANAGER = 'kubectl-cordon_guard';
const USER_AGENT = `${FIELD_MANAGER}/${VERSION}`;
const EVENTS_NAMESPACE = 'default';
/**
 * The Events of an uncordon that did not happen: refused at /validate, or kept cordoned by
 * /mutate in mode preserve (POLICY.md).
 */
const REFUSAL_REASONS = ['UncordonDenied', 'UncordonPrevented'];
const PAGE = 500;

function nodeView(node: V1Node): NodeView {
  return {
    name: node.metadata?.name ?? '',
    resourceVersion: node.metadata?.resourceVersion ?? '',
    cordoned: node.spec?.unschedulable === true,
    annotations: node.metadata?.annotations ?? {},
  };
}

function time(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  return typeof value === 'string' ? value : undefined;
}

/** Warning headers (`299 - "text"`, several joined by commas) as their texts. */
function warningsOf(headers: Record<string, string>): string[] {
  const header = headers.warning;
  if (header === undefined) return [];
  const texts: string[] = [];
  for (const match of header.matchAll(/\d{3} \S+ ("(?:[^"\\]|\\.)*")/g)) {
    try {
      texts.push(JSON.parse(match[1] ?? '""') as string);
    } catch {
      texts.push(match[1] ?? '');
    }
  }
  return texts;
}

export function connectMaintenanceApi(options: { kubeconfig: string | undefined; context: string | undefined; policyConfigMap: ConfigMapRef }): MaintenanceApi {
  const policy = options.policyConfigMap;
  const config = loadKubeConfig(options.kubeconfig, options.context);
  const core = config.makeApiClient(CoreV1Api);
  const auth = config.makeApiClient(AuthenticationV1Api);
  const events = config.makeApiClient(EventsV1Api);
  const agent = setHeaderOptions('User-Agent', USER_AGENT);
  return {
    async whoAmI() {
      const review = await callApi(() => auth.createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } }, agent));
      const username = review.status?.userInfo?.username;
      if (username === undefined) throw new Error('the SelfSubjectReview names no user');
      return username;
    },
    async policyText(): Promise<PolicyText> {
      const origin = `${policy.namespace}/${policy.name}`;
      try {
        const configMap = await callApi(() => core.readNamespacedConfigMap({ namespace: policy.namespace, name: policy.name }, agent));
        const text = configMap.data?.[POLICY_CONFIGMAP_KEY];
        return text === undefined ? { kind: 'unreadable', origin, why: `it has no key ${POLICY_CONFIGMAP_KEY}` } : { kind: 'text', text, origin };
      } catch (err) {
        // A caller the API server does not authenticate gets nothing else either: exit 5, not a note.
        if (!(err instanceof ApiError) || err.code === 401) throw err;
        if (err.code === 404) return { kind: 'missing', origin };
        return { kind: 'unreadable', origin, why: err.kubectlText() };
      }
    },
    async getNode(name) {
      return nodeView(await callApi(() => core.readNode({ name }, agent)));
    },
    async patchNode(name, patch) {
      const options = setHeaderOptions('Content-Type', PatchStrategy.MergePatch, agent);
      const response = await callApi(() => core.patchNodeWithHttpInfo({ name, body: patch, fieldManager: FIELD_MANAGER }, options));
      return { node: nodeView(response.data), warnings: warningsOf(response.headers) };
    },
    async listNodes() {
      const nodes: NodeView[] = [];
      let token: string | undefined;
      do {
        const page = await callApi(() => core.listNode({ limit: PAGE, _continue: token }, agent));
        nodes.push(...page.items.map(nodeView));
        token = page.metadata?._continue;
      } while (token !== undefined && token !== '');
      return nodes;
    },
    async listRefusals() {
      const found: RefusalEvent[] = [];
      // A field selector matches one value: one list per reason.
      for (const reason of REFUSAL_REASONS) {
        let token: string | undefined;
        do {
          const page = await callApi(() => events.listNamespacedEvent({ namespace: EVENTS_NAMESPACE, fieldSelector: `reason=${reason}`, limit: PAGE, _continue: token }, agent));
          for (const event of page.items) {
            const refusal = refusalOf(event);
            if (refusal !== undefined) found.push(refusal);
          }
          token = page.metadata?._continue;
        } while (token !== undefined && token !== '');
      }
      return found;
    },
  };
}

function refusalOf(event: EventsV1Event): RefusalEvent | undefined {
  if (!REFUSAL_REASONS.includes(event.reason ?? '') || event.reportingController !== REPORTING_CONTROLLER || event.regarding?.kind !== 'Node') return undefined;
  const node = event.regarding.name;
  if (node === undefined) return undefined;
  return {
    node,
    count: event.series?.count ?? 1,
    lastSeen: time(event.series?.lastObservedTime) ?? time(event.eventTime),
    requester: event.metadata?.annotations?.[REQUESTER_ANNOTATION],
    note: event.note ?? '',
  };
}
