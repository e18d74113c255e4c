// What serve keeps true of its own webhook configurations, as a pure function of the object
// read from the API server: every webhook's clientConfig.caBundle is the CA bundle (when serve
// manages the certificates), and the matchCondition that names the maintenance key names the
// policy's key. Everything else is left as found, unknown fields included.
import { keyedCondition, type WebhookConfigurationKind } from './matchConditions.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface WantedState {
  /** The CA bundle, base64 of its PEM text; undefined leaves caBundle to whoever else manages it. */
  caBundle: string | undefined;
  maintenanceAnnotation: string;
}

export interface Reconciled {
  /** The object to write back (a copy), or the same object when nothing changed. */
  object: JsonObject;
  /** What was changed, one phrase each ("caBundle of uncordon.cordon-guard.io"). */
  changes: string[];
  /** Webhooks without the keyed matchCondition: the key cannot be kept in step for them. */
  unkeyed: string[];
}

const isObject = (value: Json | undefined): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

export function reconcileConfiguration(current: JsonObject, kind: WebhookConfigurationKind, want: WantedState): Reconciled {
  const object = structuredClone(current);
  const changes: string[] = [];
  const unkeyed: string[] = [];
  const condition = keyedCondition(kind, want.maintenanceAnnotation);
  const webhooks = Array.isArray(object.webhooks) ? object.webhooks : [];
  for (const webhook of webhooks) {
    if (!isObject(webhook)) continue;
    const name = typeof webhook.name === 'string' ? webhook.name : '(unnamed)';
    if (want.caBundle !== undefined) {
      const clientConfig = isObject(webhook.clientConfig) ? webhook.clientConfig : (webhook.clientConfig = {});
      if (clientConfig.caBundle !== want.caBundle) {
        clientConfig.caBundle = want.caBundle;
        changes.push(`caBundle of ${name}`);
      }
    }
    const conditions = Array.isArray(webhook.matchConditions) ? webhook.matchConditions : [];
    const keyed = conditions.find((c): c is JsonObject => isObject(c) && c.name === condition.name);
    if (keyed === undefined) unkeyed.push(name);
    else if (keyed.expression !== condition.expression) {
      keyed.expression = condition.expression;
      changes.push(`matchCondition ${condition.name} of ${name}`);
    }
  }
  return { object: changes.length === 0 ? current : object, changes, unkeyed };
}

/** The caBundle (base64) of every webhook, undefined for one without. */
export function caBundlesOf(configuration: JsonObject): Array<string | undefined> {
  const webhooks = Array.isArray(configuration.webhooks) ? configuration.webhooks : [];
  return webhooks.map((w) => (isObject(w) && isObject(w.clientConfig) && typeof w.clientConfig.caBundle === 'string' ? w.clientConfig.caBundle : undefined));
}

export type { JsonObject };
