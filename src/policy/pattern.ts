// Allowlist patterns: exact, case-sensitive strings in which `*` matches any run of
// characters (possibly empty). No other character is special.
import type { Matcher } from './types.ts';

function patternSource(pattern: string): string {
  return pattern
    .split('*')
    .map((literal) => literal.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'))
    .join('.*');
}

/** One anchored regular expression for a whole list, built once per policy version. */
export function compilePatterns(patterns: readonly string[]): Matcher {
  if (patterns.length === 0) return () => false;
  // `s`: a `*` also spans newlines; `u`: patterns and names are matched by code point.
  const regex = new RegExp(`^(?:${patterns.map(patternSource).join('|')})$`, 'su');
  return (value) => regex.test(value);
}
