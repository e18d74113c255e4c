import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { applyPatch, type Operation } from 'rfc6902';
import { parseAllDocuments } from 'yaml';
import {
  DEFAULT_DNS_NAMES,
  DEFAULT_OPTIONS,
  MakeCertsUsageError,
  SECRET_NAME,
  SERVICE_NAMESPACE,
  SERVICE_NAME,
  WEBHOOK_CONFIGURATION_NAME,
  WEBHOOK_TARGETS,
  ensureCertificates,
  parseMakeCertsArgs,
  type MakeCertsOptions,
} from './make-certs.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const T0 = new Date('2030-03-01T12:00:00Z');
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const FILES = ['ca.crt', 'ca.key', 'tls.crt', 'tls.key', 'secret.yaml', 'cabundle-patch.yaml'];

const scratch = mkdtempSync(join(tmpdir(), 'make-certs-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirCount = 0;

function options(overrides: Partial<MakeCertsOptions> = {}): MakeCertsOptions {
  dirCount += 1;
  return { ...DEFAULT_OPTIONS, outDir: join(scratch, `out-${dirCount}`), ...overrides };
}

const read = (o: MakeCertsOptions, name: string): string => readFileSync(join(o.outDir, name), 'utf8');
const cert = (o: MakeCertsOptions, name: string): X509Certificate => new X509Certificate(read(o, name));
const snapshot = (o: MakeCertsOptions): Map<string, { bytes: string; mtimeMs: number }> =>
  new Map(FILES.map((name) => [name, { bytes: read(o, name), mtimeMs: statSync(join(o.outDir, name)).mtimeMs }]));

function decodeData(data: Record<string, string>, key: string): string {
  const value = data[key];
  assert.equal(typeof value, 'string', `data.${key} is missing`);
  return Buffer.from(value ?? '', 'base64').toString('utf8');
}

function onlyValue(text: string): unknown {
  const documents = parseAllDocuments(text);
  assert.ok(Array.isArray(documents), 'not YAML');
  assert.equal(documents.length, 1);
  const [document] = documents;
  assert.equal(document?.errors.length, 0, String(document?.errors));
  return document?.toJS() as unknown;
}

function onlyDocument(text: string): Record<string, unknown> {
  const value = onlyValue(text);
  assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), 'not a mapping');
  return value as Record<string, unknown>;
}

/**
 * RFC 6902 section 5, as kustomize applies a patch: all operations or none; the first failing
 * one (a `test` that does not hold) makes the whole patch fail. Returns the failure, if any.
 */
function applyAll<T extends object>(document: T, ops: Operation[]): { document: T; error: string | undefined } {
  const copy = structuredClone(document);
  for (const op of ops) {
    const [error] = applyPatch(copy, [op]);
    if (error !== null && error !== undefined) return { document, error: `${op.op} ${op.path}: ${String(error.name)}` };
  }
  return { document: copy, error: undefined };
}

/** A webhook configuration as in manifests/base, without its caBundle. */
function webhookConfiguration(kind: string, webhook: string, service = { namespace: SERVICE_NAMESPACE, name: SERVICE_NAME }) {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind,
    metadata: { name: WEBHOOK_CONFIGURATION_NAME },
    webhooks: [{ name: webhook, clientConfig: { service: { ...service, path: '/x', port: 443 } }, sideEffects: 'None' }],
  };
}

describe('make-certs: first run', () => {
  const o = options();
  const result = ensureCertificates(o, T0);

  test('it makes a CA and a serving certificate and writes all six files', () => {
    assert.equal(result.caCreated, true);
    assert.equal(result.servingIssued, true);
    assert.deepEqual([...result.written].sort(), [...FILES].sort());
    assert.deepEqual(readdirSync(o.outDir).sort(), [...FILES].sort());
  });

  test('the serving certificate names the four Service DNS names', () => {
    const sans = cert(o, 'tls.crt').subjectAltName ?? '';
    for (const name of DEFAULT_DNS_NAMES) assert.match(sans, new RegExp(`(^|, )DNS:${name.replaceAll('.', '\\.')}(,|$)`));
    assert.equal(sans.split(', ').length, 4, sans);
    assert.ok(DEFAULT_DNS_NAMES.includes('cordon-guard.cordon-guard.svc'), 'the name the API server dials');
  });

  test('the serving certificate verifies against the CA and is for server authentication only', () => {
    const ca = cert(o, 'ca.crt');
    const serving = cert(o, 'tls.crt');
    assert.equal(ca.ca, true);
    assert.equal(serving.ca, false);
    assert.ok(serving.checkIssued(ca), 'issuer is the CA');
    assert.ok(serving.verify(ca.publicKey), 'signature by the CA key');
    assert.deepEqual(serving.keyUsage, [SERVER_AUTH]);
    assert.equal(serving.validToDate.getTime(), T0.getTime() + 365 * DAY_MS);
    assert.equal(ca.validToDate.getTime(), T0.getTime() + 3650 * DAY_MS);
  });

  test('the private keys and the Secret are readable by their owner only', () => {
    for (const name of ['ca.key', 'tls.key', 'secret.yaml']) {
      assert.equal(statSync(join(o.outDir, name)).mode & 0o777, 0o600, name);
    }
    assert.equal(statSync(o.outDir).mode & 0o077, 0, 'the folder is private too');
  });

  test('secret.yaml parses as the kubernetes.io/tls Secret holding the same certificate, key and CA', () => {
    const secret = onlyDocument(read(o, 'secret.yaml'));
    assert.equal(secret.apiVersion, 'v1');
    assert.equal(secret.kind, 'Secret');
    assert.equal(secret.type, 'kubernetes.io/tls');
    assert.deepEqual(
      { name: (secret.metadata as Record<string, unknown>).name, namespace: (secret.metadata as Record<string, unknown>).namespace },
      { name: SECRET_NAME, namespace: SERVICE_NAMESPACE },
    );
    const data = secret.data as Record<string, string>;
    assert.deepEqual(Object.keys(data).sort(), ['ca.crt', 'tls.crt', 'tls.key']);
    assert.equal(decodeData(data, 'tls.crt'), read(o, 'tls.crt'));
    assert.equal(decodeData(data, 'tls.key'), read(o, 'tls.key'));
    assert.equal(decodeData(data, 'ca.crt'), read(o, 'ca.crt'));
    // The key in the Secret belongs to the certificate in the Secret.
    assert.ok(new X509Certificate(decodeData(data, 'tls.crt')).checkPrivateKey(createPrivateKey(decodeData(data, 'tls.key'))));
  });

  test('the CA goes to both webhook configurations: the validating uncordon webhook and the mutating cordon-owner webhook', () => {
    assert.deepEqual(
      WEBHOOK_TARGETS.map((t) => [t.kind, t.name, t.webhook]),
      [
        ['ValidatingWebhookConfiguration', 'cordon-guard', 'uncordon.cordon-guard.io'],
        ['MutatingWebhookConfiguration', 'cordon-guard', 'cordon-owner.cordon-guard.io'],
      ],
    );
    const header = read(o, 'cabundle-patch.yaml').split('\n').filter((line) => line.startsWith('#')).join('\n');
    for (const target of WEBHOOK_TARGETS) assert.ok(header.includes(`${target.kind} ${target.name}, webhook ${target.webhook}`), header);
  });

  test('cabundle-patch.yaml is a JSON patch that gives the first webhook of each configuration the CA as its caBundle', () => {
    const ops = onlyValue(read(o, 'cabundle-patch.yaml')) as Operation[];
    assert.ok(Array.isArray(ops), 'a list of operations');
    assert.deepEqual(ops.map((op) => [op.op, op.path]), [
      ['test', '/webhooks/0/clientConfig/service/namespace'],
      ['test', '/webhooks/0/clientConfig/service/name'],
      ['add', '/webhooks/0/clientConfig/caBundle'],
    ]);
    for (const target of WEBHOOK_TARGETS) {
      const { document: configuration, error } = applyAll(webhookConfiguration(target.kind, target.webhook), ops);
      assert.equal(error, undefined, target.kind);
      assert.equal(configuration.webhooks.length, 1);
      const [webhook] = configuration.webhooks;
      assert.equal(webhook?.name, target.webhook);
      const caBundle = (webhook?.clientConfig as { caBundle?: string }).caBundle ?? '';
      assert.equal(Buffer.from(caBundle, 'base64').toString('utf8'), read(o, 'ca.crt'), target.kind);
    }
  });

  test('cabundle-patch.yaml fails, instead of giving the CA away, when the first webhook calls another Service', () => {
    const ops = onlyValue(read(o, 'cabundle-patch.yaml')) as Operation[];
    for (const service of [{ namespace: 'elsewhere', name: SERVICE_NAME }, { namespace: SERVICE_NAMESPACE, name: 'other' }]) {
      const { document: configuration, error } = applyAll(webhookConfiguration('MutatingWebhookConfiguration', 'other.example.com', service), ops);
      assert.match(error ?? '', /^test \/webhooks\/0\/clientConfig\/service\/(namespace|name): TestError$/, JSON.stringify(service));
      assert.equal((configuration.webhooks[0]?.clientConfig as { caBundle?: string }).caBundle, undefined);
    }
  });
});

describe('make-certs: later runs', () => {
  test('a second run with the same options changes no byte and says nothing changed', () => {
    const o = options();
    ensureCertificates(o, T0);
    const before = snapshot(o);
    const result = ensureCertificates(o, new Date(T0.getTime() + DAY_MS));
    assert.deepEqual(snapshot(o), before);
    assert.deepEqual(result.written, []);
    assert.equal(result.caCreated, false);
    assert.equal(result.servingIssued, false);
    assert.match(result.messages.join('\n'), /CA: kept/);
    assert.match(result.messages.join('\n'), /serving certificate: kept/);
    assert.match(result.messages.at(-1) ?? '', /nothing changed/);
  });

  test('a serving certificate with more than --renew-before-days left is kept', () => {
    const o = options();
    ensureCertificates(o, T0);
    const before = snapshot(o);
    const result = ensureCertificates(o, new Date(T0.getTime() + 334 * DAY_MS)); // 31 days left
    assert.equal(result.servingIssued, false);
    assert.deepEqual(snapshot(o), before);
  });

  test('a serving certificate that expires within --renew-before-days is issued again, by the same CA', () => {
    const o = options();
    ensureCertificates(o, T0);
    const before = snapshot(o);
    const later = new Date(T0.getTime() + 340 * DAY_MS); // 25 days left
    const result = ensureCertificates(o, later);
    assert.equal(result.caCreated, false);
    assert.equal(result.servingIssued, true);
    assert.match(result.messages.join('\n'), /issued .*because it expires 2031-03-01, within 30 days/);
    assert.equal(read(o, 'ca.crt'), before.get('ca.crt')?.bytes);
    assert.equal(read(o, 'ca.key'), before.get('ca.key')?.bytes);
    assert.equal(read(o, 'cabundle-patch.yaml'), before.get('cabundle-patch.yaml')?.bytes, 'the caBundle stays');
    assert.notEqual(read(o, 'tls.crt'), before.get('tls.crt')?.bytes);
    assert.notEqual(read(o, 'tls.key'), before.get('tls.key')?.bytes);
    assert.notEqual(read(o, 'secret.yaml'), before.get('secret.yaml')?.bytes);
    const serving = cert(o, 'tls.crt');
    assert.ok(serving.verify(cert(o, 'ca.crt').publicKey));
    assert.equal(serving.validToDate.getTime(), later.getTime() + 365 * DAY_MS);
    assert.deepEqual([...result.written].sort(), ['secret.yaml', 'tls.crt', 'tls.key']);
  });

  test('asking for other names issues the serving certificate again and keeps the CA', () => {
    const o = options();
    ensureCertificates(o, T0);
    const caBefore = read(o, 'ca.crt');
    const wider = { ...o, dnsNames: ['webhook.example.com'], ipAddresses: ['10.96.0.42', '::1'] };
    const result = ensureCertificates(wider, T0);
    assert.equal(result.servingIssued, true);
    assert.match(result.messages.join('\n'), /names asked for differ \(\+DNS:webhook\.example\.com \+IP:10\.96\.0\.42 \+IP:::1\)/);
    const sans = cert(o, 'tls.crt').subjectAltName ?? '';
    assert.match(sans, /DNS:webhook\.example\.com/);
    assert.match(sans, /IP Address:10\.96\.0\.42/);
    assert.match(sans, /DNS:cordon-guard\.cordon-guard\.svc(,|$)/);
    assert.equal(read(o, 'ca.crt'), caBefore);
    assert.ok(cert(o, 'tls.crt').verify(cert(o, 'ca.crt').publicKey));

    // Dropping a name is a change too.
    const narrower = ensureCertificates({ ...o, dnsNames: [], ipAddresses: ['10.96.0.42'] }, T0);
    assert.equal(narrower.servingIssued, true);
    assert.match(narrower.messages.join('\n'), /-DNS:webhook\.example\.com -IP:::1/);
    assert.doesNotMatch(cert(o, 'tls.crt').subjectAltName ?? '', /webhook\.example\.com/);
  });

  test('the same names spelled otherwise (case, IPv6 zeros, repeats, order) are no change', () => {
    const o = options({ dnsNames: ['Extra.Example.com', 'a.example.com'], ipAddresses: ['fd00:0:0::1', '10.0.0.1'] });
    ensureCertificates(o, T0);
    const before = snapshot(o);
    const respelled = {
      ...o,
      dnsNames: ['a.example.com', 'extra.example.com', 'cordon-guard', 'A.example.com'],
      ipAddresses: ['10.0.0.1', 'FD00::1'],
    };
    assert.equal(ensureCertificates(respelled, T0).servingIssued, false);
    assert.deepEqual(snapshot(o), before);
  });

  test('a serving certificate from another CA is issued again', () => {
    const mine = options();
    const theirs = options();
    ensureCertificates(mine, T0);
    ensureCertificates(theirs, T0);
    copyFileSync(join(theirs.outDir, 'tls.crt'), join(mine.outDir, 'tls.crt'));
    copyFileSync(join(theirs.outDir, 'tls.key'), join(mine.outDir, 'tls.key'));
    const result = ensureCertificates(mine, T0);
    assert.equal(result.servingIssued, true);
    assert.match(result.messages.join('\n'), /not signed by the current CA/);
    assert.ok(cert(mine, 'tls.crt').checkIssued(cert(mine, 'ca.crt')));
  });

  test('a CA certificate without its key is refused, not replaced', () => {
    const o = options();
    ensureCertificates(o, T0);
    const caBefore = read(o, 'ca.crt');
    unlinkSync(join(o.outDir, 'ca.key'));
    assert.throws(() => ensureCertificates(o, T0), /ca\.crt without ca\.key/);
    assert.equal(read(o, 'ca.crt'), caBefore);
  });

  test('a CA that expires within --renew-before-days is replaced, and the serving certificate with it', () => {
    const o = options({ caValidityDays: 400 });
    ensureCertificates(o, T0);
    const before = snapshot(o);
    const result = ensureCertificates(o, new Date(T0.getTime() + 380 * DAY_MS)); // CA: 20 days left
    assert.equal(result.caCreated, true);
    assert.equal(result.servingIssued, true);
    assert.notEqual(read(o, 'ca.crt'), before.get('ca.crt')?.bytes);
    assert.notEqual(read(o, 'cabundle-patch.yaml'), before.get('cabundle-patch.yaml')?.bytes);
    assert.ok(cert(o, 'tls.crt').verify(cert(o, 'ca.crt').publicKey));
  });

  test('a serving certificate never outlives its CA', () => {
    const o = options({ caValidityDays: 100 });
    ensureCertificates(o, T0);
    assert.ok(cert(o, 'tls.crt').validToDate.getTime() <= cert(o, 'ca.crt').validToDate.getTime());
    // ...and a capped certificate is not issued again on the next run.
    const before = snapshot(o);
    assert.equal(ensureCertificates(o, new Date(T0.getTime() + DAY_MS)).servingIssued, false);
    assert.deepEqual(snapshot(o), before);
  });
});

describe('make-certs: command line', () => {
  test('flags are read, --dns and --ip repeat, and --out is relative to the working directory', () => {
    const parsed = parseMakeCertsArgs(
      ['--out', 'x/certs', '--dns', 'A.example.com', '--dns', 'b.example.com', '--ip', '::1', '--validity-days', '90', '--renew-before-days', '10'],
      '/work/here',
    );
    assert.deepEqual(parsed, {
      outDir: '/work/here/x/certs',
      dnsNames: ['a.example.com', 'b.example.com'],
      ipAddresses: ['::1'],
      validityDays: 90,
      caValidityDays: 3650,
      renewBeforeDays: 10,
    });
  });

  test('without --out it writes to manifests/own-pki/certs of the repository, where the own-pki overlay reads it', () => {
    const parsed = parseMakeCertsArgs([], '/elsewhere');
    assert.notEqual(parsed, 'help');
    assert.equal((parsed as MakeCertsOptions).outDir, fileURLToPath(new URL('../manifests/own-pki/certs', import.meta.url)));
  });

  test('unknown flags, bad names and addresses, and a renewal window as long as the validity are usage errors', () => {
    for (const argv of [
      ['--bogus'],
      ['positional'],
      ['--ip', '300.1.1.1'],
      ['--dns', 'not a name'],
      ['--validity-days', '0'],
      ['--validity-days', '1.5'],
      ['--validity-days', '30', '--renew-before-days', '30'],
      ['--ca-validity-days', '20'],
    ]) {
      assert.throws(() => parseMakeCertsArgs(argv), MakeCertsUsageError, argv.join(' '));
    }
    assert.equal(parseMakeCertsArgs(['--help']), 'help');
  });

  test('run twice as a program, it says what it did and then that nothing changed', () => {
    const out = join(scratch, 'cli');
    const script = fileURLToPath(new URL('./make-certs.ts', import.meta.url));
    const run = () => spawnSync(process.execPath, [script, '--out', out], { encoding: 'utf8' });
    const first = run();
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /CA: created/);
    assert.match(first.stdout, /serving certificate: issued/);
    const second = run();
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /nothing changed/);
    const bad = spawnSync(process.execPath, [script, '--nope'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /usage:/);
  });
});
