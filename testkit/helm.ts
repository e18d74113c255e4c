// helm, built from the Go module proxy by `make helm` (cached in ~/.cache/cordon-guard/bin), for
// the chart's tests: `make unit` and `make e2e` pass its path in CORDON_GUARD_HELM.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, parseYaml, type Obj } from './manifests.ts';

export const CHART = join(ROOT, 'charts', 'cordon-guard');

export function helm(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const path = process.env.CORDON_GUARD_HELM;
  assert.ok(path !== undefined && path !== '', 'CORDON_GUARD_HELM is not set: run the chart tests with `make unit` or `make e2e`, which build helm and set it');
  const result = spawnSync(path, args, { encoding: 'utf8', cwd: ROOT, env: { ...process.env, HELM_CACHE_HOME: join(ROOT, '.tools', 'helm', 'cache'), HELM_CONFIG_HOME: join(ROOT, '.tools', 'helm', 'config'), HELM_DATA_HOME: join(ROOT, '.tools', 'helm', 'data') } });
  assert.equal(result.error, undefined, `helm runs: ${String(result.error)}`);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `helm template cordon-guard charts/cordon-guard --namespace cordon-guard` with these flags, as objects. */
export function helmTemplate(flags: string[] = [], namespace = 'cordon-guard'): Obj[] {
  const result = helm(['template', 'cordon-guard', CHART, '--namespace', namespace, ...flags]);
  assert.equal(result.code, 0, result.stderr);
  return parseYaml(result.stdout, 'helm template');
}

/** The error of a `helm template` that must fail. */
export function helmTemplateError(flags: string[], namespace = 'cordon-guard'): string {
  const result = helm(['template', 'cordon-guard', CHART, '--namespace', namespace, ...flags]);
  assert.notEqual(result.code, 0, 'helm template succeeded');
  return result.stderr;
}
