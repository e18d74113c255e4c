// The image: its ENTRYPOINT, its NODE_OPTIONS, and a build context that holds what it copies.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { imageConfigFromDockerfile } from '../../../testkit/e2e/image.ts';
import { ROOT, deploymentEnv, dockerfile, entrypoint } from '../../../testkit/manifests.ts';

describe('the image', () => {
  test("the image's ENTRYPOINT is node dist/main.js serve, with no CMD", () => {
    assert.deepEqual(entrypoint(), ['/nodejs/bin/node', 'dist/main.js', 'serve']);
    assert.equal(
      dockerfile()
        .split('\n')
        .filter((line) => line.startsWith('CMD ')).length,
      0,
    );
  });

  test("the image and the Deployment run Node with the same environment (V8's young generation, malloc's settings), which Node accepts", () => {
    const env = imageConfigFromDockerfile(dockerfile()).env;
    assert.deepEqual(deploymentEnv(), env, "the Deployment's env is the image's");
    assert.match(env.NODE_OPTIONS ?? '', /^--max-semi-space-size=\d+$/);
    const run = spawnSync(process.execPath, ['-p', "require('node:v8').getHeapStatistics().heap_size_limit"], { env: { ...process.env, ...env }, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
  });

  test('every file the Dockerfile copies from the build context is let through by .dockerignore', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    assert.equal(ignore[0], '*', 'an allowlist: everything else, such as manifests/certs, stays out');
    const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
    const copied = dockerfile()
      .split('\n')
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    assert.ok(copied.length > 0);
    for (const source of copied) assert.ok(allowed.includes(source.replace(/\/$/, '')), `${source} is not in the build context`);
    assert.ok(!allowed.some((a) => a.startsWith('manifests') || a.startsWith('node_modules')));
  });

  test('it builds for linux/amd64 and linux/arm64: multi-arch base images, no per-architecture download, and a build stage on the build platform, whose output has no native code', () => {
    const froms = dockerfile()
      .split('\n')
      .filter((line) => line.startsWith('FROM '));
    assert.deepEqual(froms, ['FROM --platform=$BUILDPLATFORM node:24-bookworm-slim AS build', 'FROM gcr.io/distroless/nodejs24-debian12:nonroot']);
    const instructions = dockerfile()
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .join('\n');
    assert.doesNotMatch(instructions, /amd64|arm64|x86_64|aarch64|curl |wget |ADD http/);
    // The production dependencies (what the build stage copies into the image) are plain
    // JavaScript: no addon to compile or download for the target architecture.
    const list = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, encoding: 'utf8' });
    const dirs = list.stdout.split('\n').filter((d) => d !== '' && d !== ROOT.replace(/\/$/, ''));
    assert.ok(dirs.length > 10, `npm ls listed ${dirs.length} production packages: ${list.stderr}`);
    for (const dir of dirs) {
      assert.ok(!existsSync(join(dir, 'binding.gyp')), `${dir} has a native addon`);
      assert.ok(!readdirSync(dir, { recursive: true, encoding: 'utf8' }).some((f) => f.endsWith('.node')), `${dir} ships a compiled addon`);
      const scripts: unknown = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts?: unknown }).scripts ?? {};
      assert.ok(typeof scripts === 'object' && scripts !== null && !['preinstall', 'install', 'postinstall'].some((k) => k in scripts), `${dir} runs an install script`);
    }
  });
});
