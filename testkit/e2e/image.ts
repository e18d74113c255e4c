// The container image as this checkout stands in for it: the final stage of the Dockerfile says
// what the container runtime would run (ENTRYPOINT, CMD, ENV, WORKDIR, USER); the checkout is
// its WORKDIR (dist/, node_modules/ and package.json, as the stage copies them), and the Node
// that runs the tests is the image's node.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const REPO = new URL('../../', import.meta.url).pathname;
const DOCKERFILE = join(REPO, 'Dockerfile');

export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  workdir: string;
  /** USER, e.g. `65532:65532`; undefined when the stage sets none (root). */
  user: string | undefined;
}

/** The image, on this machine. */
export interface LocalImage {
  config: ImageConfig;
  /** Where the image's WORKDIR is here: the checkout. */
  workdir: string;
  /** The host path of an executable or file the container names by its path in the image. */
  hostPath(imagePath: string): string;
}

/** Dockerfile lines of the final stage: continuations joined, comments and blank lines dropped. */
function finalStageInstructions(text: string): { keyword: string; rest: string }[] {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const lastFrom = lines.findLastIndex((l) => /^FROM\s/i.test(l));
  if (lastFrom < 0) throw new Error(`${DOCKERFILE} has no FROM`);
  return lines.slice(lastFrom + 1).map((l) => {
    const match = /^(\S+)\s+(.*)$/.exec(l);
    if (match === null) throw new Error(`${DOCKERFILE}: cannot read '${l}'`);
    return { keyword: (match[1] ?? '').toUpperCase(), rest: match[2] ?? '' };
  });
}

/** ENTRYPOINT or CMD: the exec form (a JSON array) as is, the shell form under /bin/sh -c. */
function commandOf(rest: string): string[] {
  if (!rest.startsWith('[')) return ['/bin/sh', '-c', rest];
  const parsed: unknown = JSON.parse(rest);
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) throw new Error(`${DOCKERFILE}: not a list of strings: ${rest}`);
  return parsed;
}

/** ENV KEY=VALUE [KEY=VALUE...], values bare or in double quotes. */
function envOf(rest: string): Record<string, string> {
  const env: Record<string, string> = {};
  const pattern = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)\s*/gy;
  let consumed = 0;
  for (let match = pattern.exec(rest); match !== null; match = pattern.exec(rest)) {
    const raw = match[2] ?? '';
    env[match[1] ?? ''] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    consumed = pattern.lastIndex;
  }
  if (consumed !== rest.length) throw new Error(`${DOCKERFILE}: ENV ${rest} is not KEY=VALUE pairs`);
  return env;
}

export function imageConfigFromDockerfile(text: string): ImageConfig {
  const config: ImageConfig = { entrypoint: [], cmd: [], env: {}, workdir: '/', user: undefined };
  for (const { keyword, rest } of finalStageInstructions(text)) {
    if (keyword === 'ENTRYPOINT') {
      config.entrypoint = commandOf(rest);
      // A new ENTRYPOINT resets a CMD set before it.
      config.cmd = [];
    } else if (keyword === 'CMD') config.cmd = commandOf(rest);
    else if (keyword === 'ENV') Object.assign(config.env, envOf(rest));
    else if (keyword === 'WORKDIR') config.workdir = rest.startsWith('/') ? rest : join(config.workdir, rest);
    else if (keyword === 'USER') config.user = rest;
  }
  return config;
}

/** This repository's image, run from the checkout (dist/ must be built) under the tests' Node. */
export function localImage(): LocalImage {
  const config = imageConfigFromDockerfile(readFileSync(DOCKERFILE, 'utf8'));
  const workdirPrefix = config.workdir.endsWith('/') ? config.workdir : `${config.workdir}/`;
  return {
    config,
    workdir: REPO,
    hostPath(imagePath) {
      if (basename(imagePath) === 'node') return process.execPath;
      if (imagePath.startsWith(workdirPrefix)) return join(REPO, imagePath.slice(workdirPrefix.length));
      return imagePath;
    },
  };
}
