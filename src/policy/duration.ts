// Durations in policy documents, written as Go's time.ParseDuration writes them for hours,
// minutes and seconds ("72h", "1h30m", "90s"): one or more decimal numbers each with a unit.

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000 } as const;
const DURATION = /^(?:\d+(?:\.\d+)?[hms])+$/;
const PART = /(\d+(?:\.\d+)?)([hms])/g;

/** The duration in milliseconds, or a problem that names what is accepted. */
export function parseDuration(text: string): { ok: true; ms: number } | { ok: false; problem: string } {
  if (!DURATION.test(text)) return { ok: false, problem: `${JSON.stringify(text)} is not a duration: write a number with a unit h, m or s, such as "72h" or "1h30m"` };
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  if (ms <= 0) return { ok: false, problem: `${JSON.stringify(text)} must be longer than zero` };
  return { ok: true, ms: Math.round(ms) };
}
