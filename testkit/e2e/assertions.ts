import assert from 'node:assert/strict';
import type { KubectlResult } from './controlPlane.ts';

/**
 * kubectl cordon/uncordon exit 0 even when the API server refuses the patch: drain.go's
 * RunCordonOrUncordon prints `error: unable to uncordon node "N": ...` and returns nil
 * (kubectl v1.35.4). So the refusal is read from stderr and from the node, never the exit code.
 */
export function assertUncordonRefused(result: KubectlResult, node: string, pattern: RegExp | string): void {
  assert.equal(result.code, 0, 'kubectl uncordon reports a refused patch on stderr only');
  assert.ok(result.stderr.startsWith(`error: unable to uncordon node "${node}": `), result.stderr);
  if (typeof pattern === 'string') assert.ok(result.stderr.includes(pattern), result.stderr);
  else assert.match(result.stderr, pattern);
}
