// TLS wiring: the certificate script's Secret and caBundle patch in the top-level kustomization,
// private keys kept out of git, and the cert-manager overlay.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { applyPatch, type Operation } from 'rfc6902';
import { DEFAULT_DNS_NAMES, DEFAULT_OUT_DIR, SECRET_NAME, WEBHOOK_TARGETS, caBundlePatchYaml } from '../../../certs-scripts/make-certs.ts';
import { MANIFESTS, ROOT, isObj, list, obj, parseYamlFile, parseYamlValue, resources, str, yamlFiles, type Json, type Obj } from '../../../testkit/manifests.ts';

const topKustomization = (): Obj => parseYamlFile(join(MANIFESTS, 'kustomization.yaml'))[0] ?? {};
const overlayKustomization = (): Obj => parseYamlFile(join(MANIFESTS, 'cert-manager', 'kustomization.yaml'))[0] ?? {};
const certManagerObjects = (): Obj[] =>
  yamlFiles(join(MANIFESTS, 'cert-manager'))
    .filter((p) => !p.endsWith('kustomization.yaml'))
    .flatMap(parseYamlFile);

/** A JSON Patch operation as rfc6902 takes it, read field by field. */
function operation(value: Json, what: string): Operation {
  const op = obj(value, what);
  const path = str(op.path, `${what} path`);
  switch (op.op) {
    case 'add':
    case 'replace':
    case 'test':
      assert.ok(Object.hasOwn(op, 'value'), `${what}: ${op.op} without a value`);
      return { op: op.op, path, value: op.value };
    case 'remove':
      return { op: 'remove', path };
    case 'move':
    case 'copy':
      return { op: op.op, from: str(op.from, `${what} from`), path };
    default:
      assert.fail(`${what}: no such op ${JSON.stringify(op.op)}`);
  }
}

describe('TLS wiring', () => {
  test('the top-level kustomization adds the Secret that make-certs.ts writes into manifests/certs, and its caBundle patch to each webhook configuration', () => {
    const top = topKustomization();
    assert.deepEqual(top.resources, ['base', 'certs/secret.yaml']);
    assert.deepEqual(
      top.patches,
      WEBHOOK_TARGETS.map((t) => ({
        path: 'certs/cabundle-patch.yaml',
        target: { group: 'admissionregistration.k8s.io', version: 'v1', kind: t.kind, name: t.name },
      })),
    );
    assert.deepEqual(WEBHOOK_TARGETS.map((t) => t.kind).sort(), ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
    assert.equal(DEFAULT_OUT_DIR, join(MANIFESTS, 'certs'));
  });

  test('the caBundle patch, applied as the kustomization does, gives the CA to both webhooks of the base and nothing else', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const ops = list(parseYamlValue(caBundlePatchYaml(ca), 'caBundle patch'), 'caBundle patch').map((o, i) => operation(o, `caBundle patch[${i}]`));
    for (const target of WEBHOOK_TARGETS) {
      const configuration = resources().find((r) => r.kind === target.kind && r.name === target.name);
      assert.ok(configuration !== undefined, `${target.kind} ${target.name} is in base/`);
      const patched = structuredClone(configuration.doc);
      // As kustomize: all operations or none (its test operations must hold).
      for (const op of ops) assert.equal(applyPatch(patched, [op])[0], null, `${target.kind}: ${op.op} ${op.path}`);
      const patchedWebhooks = list(patched.webhooks, 'webhooks').map((w) => obj(w, 'webhook'));
      assert.deepEqual(patchedWebhooks.map((w) => w.name), [target.webhook], 'its one webhook is the one the script names');
      const caBundle = str(obj(patchedWebhooks[0]?.clientConfig, 'clientConfig').caBundle, 'caBundle');
      assert.equal(Buffer.from(caBundle, 'base64').toString('utf8'), ca);
      const { caBundle: _, ...rest } = obj(patchedWebhooks[0]?.clientConfig, 'clientConfig');
      assert.deepEqual(rest, obj(list(configuration.doc.webhooks, 'webhooks').map((w) => obj(w, 'webhook'))[0]?.clientConfig, 'clientConfig'), 'nothing else changes');
    }
  });

  test('manifests/certs, which holds private keys, is ignored by git', () => {
    for (const path of ['manifests/certs/tls.key', 'manifests/certs/ca.key', 'manifests/certs/secret.yaml']) {
      // Exit status 0: ignored; 1: not ignored; 128: no git or not a repository (a failure too).
      const result = spawnSync('git', ['check-ignore', '--no-index', '-q', path], { cwd: ROOT });
      assert.equal(result.error, undefined, 'git runs');
      assert.equal(result.status, 0, `git check-ignore says ${path} is not ignored (status ${result.status})`);
    }
  });

  test('the cert-manager overlay issues cordon-guard-tls for the four Service names and injects its CA into both webhook configurations', () => {
    const overlay = overlayKustomization();
    const objects = certManagerObjects();
    assert.ok(list(overlay.resources, 'overlay resources').includes('../base'));
    const certificates = objects.filter((o) => o.kind === 'Certificate');
    const serving = certificates.find((c) => obj(c.spec, 'spec').secretName === SECRET_NAME);
    assert.ok(serving !== undefined, 'a Certificate writes the Secret the Deployment mounts');
    const servingSpec = obj(serving.spec, 'spec');
    assert.deepEqual(servingSpec.dnsNames, [...DEFAULT_DNS_NAMES]);
    assert.notEqual(servingSpec.isCA, true);
    const metadata = obj(serving.metadata, 'metadata');
    const issuerName = obj(servingSpec.issuerRef, 'issuerRef').name;
    const issuer = objects.find((o) => o.kind === 'Issuer' && obj(o.metadata, 'metadata').name === issuerName);
    assert.ok(isObj(issuer?.spec) && isObj(issuer.spec.ca), 'signed by a CA Issuer, not self-signed');
    const injectFrom = `${String(metadata.namespace)}/${String(metadata.name)}`;
    assert.equal(injectFrom, 'cordon-guard/cordon-guard-serving');
    const patches = list(overlay.patches, 'overlay patches').map((p) => obj(p, 'patch'));
    for (const target of WEBHOOK_TARGETS) {
      const patch = patches.find((p) => isObj(p.target) && p.target.kind === target.kind && p.target.name === target.name);
      assert.ok(patch !== undefined, `a patch targets ${target.kind} ${target.name}`);
      const document = obj(parseYamlValue(str(patch.patch, 'patch'), `${target.kind} patch`), 'patch document');
      assert.deepEqual([document.kind, obj(document.metadata, 'metadata').name], [target.kind, target.name]);
      assert.equal(obj(obj(document.metadata, 'metadata').annotations, 'annotations')['cert-manager.io/inject-ca-from'], injectFrom, target.kind);
    }
  });
});
