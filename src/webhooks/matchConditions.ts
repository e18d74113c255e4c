// The CEL matchConditions of cordon-guard's two webhooks, made from the policy's
// maintenanceAnnotation. manifests/base/*webhookconfiguration.yaml hold them for the default
// key (test/unit/manifests/ checks that they equal these), and serve keeps the configurations
// in the cluster in step with the policy in force (src/kube/webhookConfigurations.ts). Pure:
// text in, text out.
import { CORDON_STAMP_ANNOTATION } from '../policy/annotations.ts';

/** The validating webhook's one matchCondition: an uncordon, a removal of the key, or a change of the stamp. */
export const VALIDATING_CONDITION = 'uncordon-or-maintenance-annotation-removal-or-stamp-change';
/** The mutating webhook's one matchCondition: a cordon, or what the validating webhook is sent. */
export const MUTATING_CONDITION = 'cordon-or-uncordon-or-annotation-removal-or-stamp-change';

/** A CEL string literal (single-quoted, with \ and ' escaped). */
function celString(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

const indent = (text: string, spaces: number): string =>
  text
    .split('\n')
    .map((line) => ' '.repeat(spaces) + line)
    .join('\n');

/**
 * The validating webhook's expression. Every field that may be absent is tested with has()
 * before it is read: an error counts as a failed call (failurePolicy Fail).
 */
export function validatingExpression(maintenanceAnnotation: string): string {
  const key = celString(maintenanceAnnotation);
  const stamp = celString(CORDON_STAMP_ANNOTATION);
  return `oldObject != null && (
  (
    has(oldObject.spec) && has(oldObject.spec.unschedulable) &&
    oldObject.spec.unschedulable == true &&
    !(has(object.spec) && has(object.spec.unschedulable) &&
      object.spec.unschedulable == true)
  ) || (
    has(oldObject.metadata.annotations) &&
    ${key} in oldObject.metadata.annotations &&
    !(has(object.metadata.annotations) &&
      ${key} in object.metadata.annotations)
  ) || (
    (has(oldObject.spec) && has(oldObject.spec.unschedulable) &&
      oldObject.spec.unschedulable == true) ==
    (has(object.spec) && has(object.spec.unschedulable) &&
      object.spec.unschedulable == true) &&
    (
      (has(oldObject.metadata.annotations) &&
        ${stamp} in oldObject.metadata.annotations) !=
      (has(object.metadata.annotations) &&
        ${stamp} in object.metadata.annotations) ||
      (has(oldObject.metadata.annotations) &&
        ${stamp} in oldObject.metadata.annotations &&
        has(object.metadata.annotations) &&
        ${stamp} in object.metadata.annotations &&
        oldObject.metadata.annotations[${stamp}] !=
          object.metadata.annotations[${stamp}])
    )
  )
)`;
}

/** The mutating webhook's expression: a cordon (CREATE or UPDATE), or the validating expression word for word. */
export function mutatingExpression(maintenanceAnnotation: string): string {
  return `(
  has(object.spec) && has(object.spec.unschedulable) &&
  object.spec.unschedulable == true &&
  (oldObject == null ||
    !(has(oldObject.spec) && has(oldObject.spec.unschedulable) &&
      oldObject.spec.unschedulable == true))
) || (
${indent(validatingExpression(maintenanceAnnotation), 2)}
)`;
}

export type WebhookConfigurationKind = 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration';

/** The matchCondition that carries the maintenance key in a configuration of this kind, and its expression. */
export function keyedCondition(kind: WebhookConfigurationKind, maintenanceAnnotation: string): { name: string; expression: string } {
  return kind === 'ValidatingWebhookConfiguration'
    ? { name: VALIDATING_CONDITION, expression: validatingExpression(maintenanceAnnotation) }
    : { name: MUTATING_CONDITION, expression: mutatingExpression(maintenanceAnnotation) };
}
