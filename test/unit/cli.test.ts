// The command line as tests outside this repository drive it: `serve`, `check`, help, version
// and the exit codes of src/cli/exitCodes.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { post } from '../../testkit/httpsClient.ts';
import { MAIN_TS, startServe, type ServeProcess } from '../../testkit/serveProcess.ts';
import { waitFor } from '../../testkit/wait.ts';

const examples = new URL('../../examples/', import.meta.url).pathname;

function check(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN_TS, 'check', ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('cordon-guard check', () => {
  const expected: Record<string, number> = {
    'rogue-uncordon.json': 3,
    'allowlisted-uncordon.json': 0,
    'label-change.json': 0,
    'uncordon-after-maintenance.json': 0,
    'remove-annotation-and-uncordon.json': 3,
  };
  it('covers every example review', () => {
    assert.deepEqual(readdirSync(join(examples, 'reviews')).sort(), Object.keys(expected).sort());
  });
  for (const [name, code] of Object.entries(expected)) {
    it(`prints the documented answer for ${name} and exits ${code}`, () => {
      const result = check('--policy-file', join(examples, 'policy.yaml'), '--review', join(examples, 'reviews', name));
      assert.equal(result.status, code, result.stderr);
      const answer = JSON.parse(result.stdout);
      const golden = JSON.parse(readFileSync(join(examples, 'responses', name), 'utf8'));
      // The golden answers name the policy as examples/policy.yaml; only that path differs.
      assert.deepEqual(JSON.parse(JSON.stringify(answer).replaceAll(join(examples, 'policy.yaml'), 'examples/policy.yaml')), golden);
    });
  }

  it('exits 2 with the named key for an invalid policy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-check-'));
    writeFileSync(join(dir, 'bad.yaml'), 'mode: deny\n');
    const result = check('--policy-file', join(dir, 'bad.yaml'), '--review', join(examples, 'reviews', 'rogue-uncordon.json'));
    assert.equal(result.status, 2);
    assert.match(result.stderr, /mode: Invalid option/);
    assert.equal(result.stdout, '');
  });

  it('exits 2 for a review that is not JSON, and for one without uid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-check-'));
    writeFileSync(join(dir, 'a.json'), '{nope');
    writeFileSync(join(dir, 'b.json'), '{"request":{}}');
    assert.equal(check('--review', join(dir, 'a.json')).status, 2);
    const noUid = check('--review', join(dir, 'b.json'));
    assert.equal(noUid.status, 2);
    assert.match(noUid.stderr, /request\.uid/);
  });

  it('exits 2 for a Node UPDATE without oldObject, and still prints the answer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-check-'));
    const review = JSON.parse(readFileSync(join(examples, 'reviews', 'rogue-uncordon.json'), 'utf8'));
    delete review.request.oldObject;
    writeFileSync(join(dir, 'r.json'), JSON.stringify(review));
    const result = check('--review', join(dir, 'r.json'));
    assert.equal(result.status, 2);
    assert.equal(JSON.parse(result.stdout).response.status.code, 400);
  });

  it('uses the defaults without --policy-file, and reads the review from standard input with -', () => {
    const result = spawnSync(process.execPath, [MAIN_TS, 'check', '--review', '-'], {
      input: readFileSync(join(examples, 'reviews', 'allowlisted-uncordon.json')),
      encoding: 'utf8',
    });
    // alice is not allowlisted by the defaults.
    assert.equal(result.status, 3);
    assert.match(JSON.parse(result.stdout).response.status.message, /\(policy defaults\)/);
  });

  it('with --mutate, prints the /mutate answer and the patch it would apply', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-check-'));
    const review = JSON.parse(readFileSync(join(examples, 'reviews', 'uncordon-after-maintenance.json'), 'utf8'));
    [review.request.oldObject, review.request.object] = [review.request.object, review.request.oldObject]; // a cordon
    writeFileSync(join(dir, 'cordon.json'), JSON.stringify(review));
    const result = check('--mutate', '--review', join(dir, 'cordon.json'));
    assert.equal(result.status, 0, result.stderr);
    const response = JSON.parse(result.stdout).response;
    assert.equal(response.patchType, 'JSONPatch');
    const patch = JSON.parse(Buffer.from(response.patch, 'base64').toString());
    assert.equal(patch[0].path, '/metadata/annotations/cordon-guard.io~1cordoned-by');
    assert.match(result.stderr, /^JSON Patch: \[\{"op":"add","path":"\/metadata\/annotations\/cordon-guard\.io~1cordoned-by"/);
    assert.match(patch[0].value, /^\{"user":"system:serviceaccount:system-upgrade:system-upgrade","at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","v":2\}$/);
  });

  it('with --mutate in mode preserve, prints the repair: the answer with its patch and warning, the message, what was kept', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-check-'));
    const review = JSON.parse(readFileSync(join(examples, 'reviews', 'rogue-uncordon.json'), 'utf8'));
    review.request.object.metadata.labels['example.com/pool'] = 'batch'; // the uncordon comes with another change
    writeFileSync(join(dir, 'bundled.json'), JSON.stringify(review));
    writeFileSync(join(dir, 'policy.yaml'), 'mode: preserve\n');
    const result = check('--policy-file', join(dir, 'policy.yaml'), '--mutate', '--review', join(dir, 'bundled.json'));
    assert.equal(result.status, 0, result.stderr);
    const response = JSON.parse(result.stdout).response;
    assert.equal(response.allowed, true);
    assert.deepEqual(JSON.parse(Buffer.from(response.patch, 'base64').toString()), [{ op: 'add', path: '/spec/unschedulable', value: true }]);
    assert.match(response.warnings[0], /^cordon-guard kept node "worker-3" cordoned: /);
    assert.match(result.stderr, /^cordon-guard kept node "worker-3" cordoned: .*\nkept: cordon\nJSON Patch: \[\{"op":"add","path":"\/spec\/unschedulable","value":true\}\]\n$/);
    const validated = check('--policy-file', join(dir, 'policy.yaml'), '--review', join(examples, 'reviews', 'rogue-uncordon.json'));
    assert.equal(validated.status, 3, 'the plain uncordon is refused by /validate in preserve');
  });

  it('exits 6 when the review or the policy file cannot be read, 2 when one is read but invalid', () => {
    const review = join(examples, 'reviews', 'rogue-uncordon.json');
    const noReview = check('--review', '/nonexistent/review.json');
    assert.equal(noReview.status, 6);
    assert.match(noReview.stderr, /cannot read review \/nonexistent\/review\.json: ENOENT/);
    const noPolicy = check('--policy-file', '/nonexistent/policy.yaml', '--review', review);
    assert.equal(noPolicy.status, 6);
    assert.match(noPolicy.stderr, /cannot read policy file: ENOENT/);
    assert.equal(check('--review', tmpdir()).status, 6, 'a directory is no review');
  });

  it('exits 2 with usage for unknown flags and commands', () => {
    for (const args of [['check', '--nope'], ['frobnicate'], [], ['serve', '--port', 'x', '--self-signed']]) {
      const result = spawnSync(process.execPath, [MAIN_TS, ...args], { encoding: 'utf8' });
      assert.equal(result.status, 2, args.join(' '));
      assert.match(result.stderr, /usage:/);
    }
  });
});

describe('cordon-guard serve', () => {
  let dir: string;
  let policyFile: string;
  let serve: ServeProcess;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cg-serve-'));
    policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, readFileSync(join(examples, 'policy.yaml')));
    serve = await startServe(['--self-signed', '--self-signed-ca-file', join(dir, 'ca.crt'), '--policy-file', policyFile, '--drain-seconds', '0.2']);
  });
  after(() => serve.stop());

  const rogue = () => readFileSync(join(examples, 'reviews', 'rogue-uncordon.json'));

  it('logs where the self-signed CA is, so that curl --cacert works', () => {
    const line = serve.logs.find((l) => typeof l.caFile === 'string');
    assert.equal(line?.caFile, join(dir, 'ca.crt'));
    assert.match(line?.msg ?? '', /curl --cacert/);
  });

  it('is ready on /readyz and alive on /healthz', async () => {
    for (const path of ['/readyz', '/healthz']) {
      const res = await fetch(`http://127.0.0.1:${serve.metricsPort}${path}`);
      assert.equal(res.status, 200, path);
    }
  });

  it('denies the rogue uncordon over HTTPS and serves the metrics counting it', async () => {
    const res = await post(`https://localhost:${serve.port}/validate`, rogue(), { ca: serve.ca });
    assert.equal((res.json as { response: { allowed: boolean } }).response.allowed, false);
    const metrics = await (await fetch(`http://127.0.0.1:${serve.metricsPort}/metrics`)).text();
    assert.match(metrics, /cordon_guard_admission_requests_total\{operation="UPDATE",decision="denied",reason="maintenance-active",mode="enforce",endpoint="\/validate"\} 1/);
    assert.match(metrics, /process_resident_memory_bytes/);
  });

  it('applies an edited policy file within 2 s, and keeps it when the next edit is bad', async () => {
    writeFileSync(policyFile, 'mode: warn\n');
    const warned = await waitFor('warn mode', async () => {
      const res = await post(`https://127.0.0.1:${serve.port}/validate`, rogue(), { ca: serve.ca });
      const response = (res.json as { response: { allowed: boolean; warnings?: string[] } }).response;
      return response.warnings === undefined ? undefined : response;
    }, 2000);
    assert.equal(warned.allowed, true);
    writeFileSync(policyFile, 'mode: warn\nguardAllCordons: maybe\n');
    await waitFor('the error line', () => serve.logs.find((l) => l.level === 'error' && /guardAllCordons/.test(String(l.msg))), 3000);
    const res = await post(`https://127.0.0.1:${serve.port}/validate`, rogue(), { ca: serve.ca });
    assert.ok((res.json as { response: { warnings?: string[] } }).response.warnings);
    assert.equal((await fetch(`http://127.0.0.1:${serve.metricsPort}/readyz`)).status, 200);
  });

  it('drains on SIGTERM: not ready, still serving, then exits 0', async () => {
    serve.child.kill('SIGTERM');
    await waitFor('not ready', async () => ((await fetch(`http://127.0.0.1:${serve.metricsPort}/readyz`)).status === 503 ? true : undefined), 2000);
    const during = await post(`https://127.0.0.1:${serve.port}/validate`, rogue(), { ca: serve.ca });
    assert.equal(during.status, 200);
    assert.equal(during.headers.connection, 'close');
    assert.equal(await serve.stop(), 0);
    assert.ok(serve.logs.some((l) => l.msg === 'shut down cleanly'));
  });
});

describe('cordon-guard serve refuses bad set-ups at start', () => {
  /** serve's JSON log lines on stdout. */
  const logLines = (stdout: string) => stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { level: string; msg: string; err?: { message: string } });

  it('exits 6 when the certificate file cannot be read, saying which, with a fatal log line as its last', () => {
    const result = spawnSync(process.execPath, [MAIN_TS, 'serve', '--tls-cert', '/nonexistent/tls.crt', '--tls-key', '/nonexistent/tls.key', '--port', '0', '--metrics-port', '0'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 6, result.stderr);
    assert.match(result.stderr, /^cordon-guard: cannot read --tls-cert\/--tls-key: ENOENT.*tls\.crt/);
    const last = logLines(result.stdout).at(-1);
    assert.equal(last?.level, 'fatal');
    assert.match(last?.msg ?? '', /^cannot start: cannot read --tls-cert\/--tls-key: ENOENT/);
  });

  it('exits 6 when the client CA file cannot be read, and 1 when it holds no certificate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-client-ca-'));
    writeFileSync(join(dir, 'empty.crt'), 'not a certificate\n');
    const serve = (clientCa: string) => spawnSync(process.execPath, [MAIN_TS, 'serve', '--self-signed', '--self-signed-ca-file', join(dir, 'ca.crt'), '--client-ca', clientCa, '--port', '0', '--metrics-port', '0'], { encoding: 'utf8', timeout: 30_000 });
    const missing = serve(join(dir, 'missing.crt'));
    assert.equal(missing.status, 6, missing.stderr);
    assert.match(missing.stderr, /cannot read --client-ca: ENOENT/);
    const empty = serve(join(dir, 'empty.crt'));
    assert.equal(empty.status, 1, empty.stderr);
    assert.match(empty.stderr, /--client-ca: no PEM certificate in the file/);
    assert.equal(logLines(empty.stdout).at(-1)?.level, 'fatal');
  });

  it('takes its settings from CORDON_GUARD_* environment variables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-env-'));
    const serve = await startServe([], { env: { CORDON_GUARD_SELF_SIGNED: 'true', CORDON_GUARD_SELF_SIGNED_CA_FILE: join(dir, 'ca.crt'), CORDON_GUARD_LOG_LEVEL: 'debug', CORDON_GUARD_DRAIN_SECONDS: '0' } });
    try {
      assert.ok(serve.logs.some((l) => l.caFile === join(dir, 'ca.crt')));
    } finally {
      assert.equal(await serve.stop(), 0);
    }
  });
});

describe('help, version and the exit codes, as kubectl has them', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [MAIN_TS, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig' } });
  const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

  for (const args of [['--help'], ['-h'], ['help'], ['serve', '--help'], ['check', '-h'], ['start', '--help'], ['end', '--help'], ['list', '-h'], ['culprits', '--help'], ['who-can-uncordon', '--help'], ['help', 'list']]) {
    it(`\`${args.join(' ')}\` prints the usage on stdout and exits 0`, () => {
      const result = run(...args);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stderr, '');
      assert.match(result.stdout, /^usage:\n/);
      assert.match(result.stdout, /\nexit codes:\n/);
      const command = args.find((a) => !a.startsWith('-') && a !== 'help');
      if (command !== undefined) assert.match(result.stdout, new RegExp(`^  cordon-guard ${command} `, 'm'));
    });
  }

  for (const args of [['version'], ['--version']]) {
    it(`\`${args.join(' ')}\` prints package.json's version and exits 0`, () => {
      const result = run(...args);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, `cordon-guard ${version}\n`);
    });
  }

  it('exits 5 when the plugin finds no usable kubeconfig, in one line', () => {
    const result = run('list');
    assert.equal(result.status, 5, result.stderr);
    assert.match(result.stderr, /^cordon-guard list: cannot load the kubeconfig: .*\n$/);
    assert.equal(result.stdout, '');
  });

  it('who-can-uncordon is a command: 5 without a usable kubeconfig, 2 for a bad -o, and its usage has the cluster flags', () => {
    const noCluster = run('who-can-uncordon', '-o', 'json');
    assert.equal(noCluster.status, 5, noCluster.stderr);
    assert.match(noCluster.stderr, /^cordon-guard who-can-uncordon: cannot load the kubeconfig: .*\n$/);
    assert.equal(noCluster.stdout, '');
    const badOutput = run('who-can-uncordon', '-o', 'yaml');
    assert.equal(badOutput.status, 2);
    assert.match(badOutput.stderr, /^cordon-guard: -o must be table or json, got "yaml"/);
    const usage = run('who-can-uncordon', '--help');
    assert.match(usage.stdout, /^ {2}CLUSTER FLAGS \(start, end, list, who-can-uncordon\):$/m);
    assert.match(usage.stdout, /^ {2}1 {2}refused by the guard or the API server .*who-can-uncordon: no$/m);
  });
});
