// Making untrusted strings (node names, usernames, annotation values) safe for one-line
// messages and log lines: no control, format or separator characters survive.

// Cc control, Cf format (bidi marks), Cs lone surrogates, Co private use, Cn unassigned, Zl/Zp separators.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/gu;

/** Printable ASCII: none of it is in UNPRINTABLE, and most names are all of it; a test that skips the Unicode scan. */
const PLAIN_ASCII = /^[\x20-\x7e]*$/;

export function printable(text: string): string {
  return PLAIN_ASCII.test(text) ? text : text.replace(UNPRINTABLE, '');
}

/** The first `max` code points of `text`, never splitting a surrogate pair. */
export function firstChars(text: string, max: number): string {
  if (text.length <= max) return text;
  return Array.from(text).slice(0, max).join('');
}

/** A printable, double-quoted rendering, cut to `max` characters with a marker when longer. */
export function quoted(text: string, max: number): string {
  const clean = printable(text);
  const cut = firstChars(clean, max);
  return JSON.stringify(cut === clean ? cut : `${firstChars(clean, max - 3)}...`);
}

/** Cut to at most `maxBytes` of UTF-8, never splitting a character. */
export function withinBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch);
    if (used + size > maxBytes) break;
    out += ch;
    used += size;
  }
  return out;
}

/** Log fields are capped: a 10 MB username must not become a 10 MB log line. */
export const LOG_FIELD_MAX_CHARS = 1024;

/**
 * A log-safe rendering that keeps every character visible: unprintable ones become `\\u{…}`
 * escapes (JSON would leave bidi overrides and line separators raw), and long text is cut.
 */
export function loggable(text: string): string {
  const cut = text.length > LOG_FIELD_MAX_CHARS ? `${firstChars(text, LOG_FIELD_MAX_CHARS)}...` : text;
  if (PLAIN_ASCII.test(cut)) return cut;
  return cut.replace(UNPRINTABLE, (ch) => `\\u{${(ch.codePointAt(0) ?? 0).toString(16)}}`);
}

/** `loggable` applied to every string (and key) of a JSON value, such as a patch. */
export function loggableDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return loggable(value);
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => loggableDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[loggable(k)] = loggableDeep(v, depth + 1);
  return out;
}
