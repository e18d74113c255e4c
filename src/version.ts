// cordon-guard's version, written once: package.json's "version", read at run time. The file
// sits one level above this module both in src/ and in the built dist/ (the image copies
// package.json beside dist/ for this).
import { readFileSync } from 'node:fs';

function readVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof manifest.version !== 'string' || manifest.version === '') throw new Error('package.json has no "version"');
  return manifest.version;
}

export const VERSION = readVersion();
