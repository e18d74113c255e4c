// RFC 6901 JSON Pointer, as far as JSON Patch paths need it.

/** One reference token: `~` is written `~0`, then `/` is written `~1`. */
export function pointerToken(key: string): string {
  return key.includes('~') || key.includes('/') ? key.replaceAll('~', '~0').replaceAll('/', '~1') : key;
}
