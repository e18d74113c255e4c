import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createLogger } from '../observability/logger.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import { LogCapture } from '../../testkit/logCapture.ts';
import { waitFor } from '../../testkit/wait.ts';
import { FilePolicySource } from './fileSource.ts';
import { PolicyStore } from './store.ts';

/**
 * How long a change may take before the source counts as broken: the directory watch sees it at
 * once and the poll (500 ms here) re-reads the file anyway, so only a source that never looks
 * again takes this long, however loaded the machine.
 */
const BROKEN_MS = 30_000;

describe('a policy file is watched', () => {
  let dir: string;
  let path: string;
  let logs: LogCapture;
  let metrics: Metrics;
  let store: PolicyStore;
  let source: FilePolicySource;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cg-policy-'));
    path = join(dir, 'policy.yaml');
    writeFileSync(path, 'mode: enforce\n');
    logs = new LogCapture();
    metrics = createMetrics({ defaultMetrics: false });
    store = new PolicyStore({ logger: createLogger('debug', logs), metrics });
    source = new FilePolicySource({ path, store, logger: createLogger('debug', logs), pollIntervalMs: 500 });
    await source.start();
  });
  afterEach(async () => {
    await source.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the first version is in force once start resolves', () => {
    assert.equal(store.current().mode, 'enforce');
    assert.equal(store.generation, 1);
    assert.match(store.current().origin, /^file .*policy\.yaml$/);
  });

  it('an edit is in force without a restart, as the next generation', async () => {
    writeFileSync(path, 'mode: warn\n');
    await waitFor('mode warn', () => (store.current().mode === 'warn' ? true : undefined), BROKEN_MS);
    assert.equal(store.generation, 2);
    assert.ok(logs.find((l) => l.level === 'info' && l.generation === 2 && l.mode === 'warn'), 'the new version is logged');
  });

  it('a file replaced by rename, as editors and ConfigMap volumes do, is picked up', async () => {
    writeFileSync(join(dir, '.policy.tmp'), 'mode: audit\n');
    renameSync(join(dir, '.policy.tmp'), path);
    await waitFor('mode audit', () => (store.current().mode === 'audit' ? true : undefined), BROKEN_MS);
  });

  it('a bad edit keeps the last good policy, and is logged once and counted', async () => {
    writeFileSync(path, 'mode: warn\n');
    await waitFor('mode warn', () => (store.current().mode === 'warn' ? true : undefined), BROKEN_MS);
    writeFileSync(path, 'mode: block\nextra: 1\n');
    const line = await waitFor('an error line', () => logs.find((l) => l.level === 'error' && /invalid/.test(l.msg)), BROKEN_MS);
    assert.deepEqual(line.errors, ['mode: Invalid option: expected one of "enforce"|"warn"|"audit"|"preserve"', 'unknown key: extra']);
    await new Promise((r) => setTimeout(r, 1200)); // two more polls
    assert.equal(store.current().mode, 'warn');
    assert.equal(logs.lines.filter((l) => l.level === 'error').length, 1);
    assert.match(await metrics.registry.metrics(), /cordon_guard_policy_reloads_total\{source="file",result="invalid"\} 1/);
  });

  it('a deleted file keeps the last good policy', async () => {
    rmSync(path);
    await waitFor('a warning', () => logs.find((l) => l.level === 'warn' && /not found/.test(l.msg)), BROKEN_MS);
    assert.equal(store.current().mode, 'enforce');
  });
});

describe('a policy file that is bad from the start', () => {
  it('leaves the defaults in force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-policy-'));
    const path = join(dir, 'policy.yaml');
    writeFileSync(path, 'mode: nope\n');
    const logs = new LogCapture();
    const store = new PolicyStore({ logger: createLogger('debug', logs), metrics: createMetrics({ defaultMetrics: false }) });
    const source = new FilePolicySource({ path, store, logger: createLogger('debug', logs) });
    await source.start();
    await source.stop();
    assert.equal(store.current().origin, 'defaults');
    assert.equal(store.current().mode, 'enforce');
    assert.equal(store.generation, 0);
    rmSync(dir, { recursive: true, force: true });
  });
});
