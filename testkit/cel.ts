// JSON values for @bufbuild/cel, shared by the tests of the webhooks' matchConditions and of the
// admission policies.
import type { CelInput } from '@bufbuild/cel';

/** A JSON value as the API server hands it to CEL: objects as maps, integers as ints. */
export function toCel(value: unknown, what = 'value'): CelInput {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${what}: ${value} is not JSON`);
    return Number.isInteger(value) ? BigInt(value) : value;
  }
  if (Array.isArray(value)) return value.map((item: unknown, i) => toCel(item, `${what}[${i}]`));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: { [key: string]: CelInput } = {};
    for (const [key, item] of Object.entries(value)) out[key] = toCel(item, `${what}.${key}`);
    return out;
  }
  throw new Error(`${what}: ${typeof value} is not JSON`);
}
