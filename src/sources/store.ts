// Holds the policy in force. Requests read it once, synchronously, so an answer always comes
// from exactly one policy version; sources swap whole versions in.
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { defaultPolicy, parsePolicyDocument, type PolicyParseResult } from '../policy/document.ts';
import type { Policy } from '../policy/types.ts';
import type { PolicySourceKind } from './policySource.ts';

export class PolicyStore {
  #policy: Policy;
  #generation = 0;
  #text: string | undefined;
  /** The last rejected document, so that a poll does not log the same error every second. */
  #rejected: { text: string; origin: string; result: PolicyParseResult } | undefined;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #listeners: Array<(policy: Policy) => void> = [];

  constructor(deps: { logger: Logger; metrics: Metrics; initial?: Policy }) {
    this.#logger = deps.logger;
    this.#metrics = deps.metrics;
    this.#policy = deps.initial ?? defaultPolicy();
  }

  current(): Policy {
    return this.#policy;
  }

  /** Called with each policy that comes into force, after current() returns it. */
  onChange(listener: (policy: Policy) => void): void {
    this.#listeners.push(listener);
  }

  get generation(): number {
    return this.#generation;
  }

  /**
   * Parses a document and, if valid, puts it in force. A bad document never replaces a good
   * one: the error is logged and counted and the previous version stays.
   */
  apply(text: string, origin: string, source: PolicySourceKind): PolicyParseResult {
    if (text === this.#text && this.#policy.origin === origin) {
      // Back to the document in force after a rejected one: the last read is valid again.
      this.#rejected = undefined;
      this.#metrics.policyValid.set(1);
      return { ok: true, policy: this.#policy };
    }
    if (this.#rejected?.text === text && this.#rejected.origin === origin) return this.#rejected.result;
    const result = parsePolicyDocument(text, origin);
    if (!result.ok) {
      this.#rejected = { text, origin, result };
      this.refuse(origin, source, result.errors);
      return result;
    }
    this.#rejected = undefined;
    this.#install(result.policy, text, source);
    return result;
  }

  /** A document that cannot be used: logged and counted; the policy in force stays. */
  refuse(origin: string, source: PolicySourceKind, errors: string[]): void {
    this.#metrics.policyReloads.inc({ source, result: 'invalid' });
    this.#metrics.policyValid.set(0);
    this.#logger.error(
      { source, origin, errors, kept: this.#policy.origin, generation: this.#generation },
      `policy from ${origin} is invalid, keeping the policy in force: ${errors.join('; ')}`,
    );
  }

  /** The source has no document (never created, or deleted). */
  missing(origin: string, source: PolicySourceKind): void {
    this.#metrics.policyReloads.inc({ source, result: 'missing' });
    this.#logger.warn(
      { source, origin, kept: this.#policy.origin },
      this.#generation === 0
        ? `policy ${origin} not found; the defaults are in force (nodes under maintenance stay cordoned, nothing else is blocked)`
        : `policy ${origin} not found; keeping the last good policy`,
    );
  }

  #install(policy: Policy, text: string, source: PolicySourceKind): void {
    this.#policy = policy;
    this.#text = text;
    this.#generation += 1;
    this.#metrics.policyReloads.inc({ source, result: 'success' });
    this.#metrics.policyGeneration.set(this.#generation);
    this.#metrics.policyValid.set(1);
    this.#logger.info(
      {
        source,
        origin: policy.origin,
        generation: this.#generation,
        mode: policy.mode,
        maintenanceAnnotation: policy.maintenanceAnnotation,
        guardAllCordons: policy.guardAllCordons,
        guardAnnotationRemoval: policy.guardAnnotationRemoval,
        allow: policy.allow,
      },
      `policy from ${policy.origin} in force (generation ${this.#generation}, mode ${policy.mode})`,
    );
    for (const listener of this.#listeners) listener(policy);
  }
}
