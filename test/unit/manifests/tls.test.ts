// TLS wiring of the alternatives to self-managed certificates: the certificate script's Secret
// and caBundle patch in the own-pki overlay, private keys kept out of git, the cert-manager
// overlay, and the component that has both serve a mounted Secret.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_DNS_NAMES, DEFAULT_OUT_DIR, SECRET_NAME, WEBHOOK_TARGETS, caBundlePatchYaml } from '../../../certs-scripts/make-certs.ts';
import { MANIFESTS, ROOT, isObj, list, obj, parseYamlFile, parseYamlValue, patchOperation, patched, resources, str, tlsFromSecretDeploymentParts, yamlFiles, type Obj } from '../../../testkit/manifests.ts';

const ownPkiKustomization = (): Obj => parseYamlFile(join(MANIFESTS, 'own-pki', 'kustomization.yaml'))[0] ?? {};
const componentKustomization = (): Obj => parseYamlFile(join(MANIFESTS, 'components', 'tls-from-secret', 'kustomization.yaml'))[0] ?? {};
const overlayKustomization = (): Obj => parseYamlFile(join(MANIFESTS, 'cert-manager', 'kustomization.yaml'))[0] ?? {};
const certManagerObjects = (): Obj[] =>
  yamlFiles(join(MANIFESTS, 'cert-manager'))
    .filter((p) => !p.endsWith('kustomization.yaml'))
    .flatMap(parseYamlFile);

describe('TLS wiring', () => {
  test('the own-pki overlay adds the Secret that make-certs.ts writes into manifests/own-pki/certs, and its caBundle patch to each webhook configuration', () => {
    const top = ownPkiKustomization();
    assert.deepEqual(top.resources, ['../base', 'certs/secret.yaml']);
    assert.deepEqual(top.components, ['../components/tls-from-secret']);
    assert.deepEqual(
      top.patches,
      WEBHOOK_TARGETS.map((t) => ({
        path: 'certs/cabundle-patch.yaml',
        target: { group: 'admissionregistration.k8s.io', version: 'v1', kind: t.kind, name: t.name },
      })),
    );
    assert.deepEqual(WEBHOOK_TARGETS.map((t) => t.kind).sort(), ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
    assert.equal(DEFAULT_OUT_DIR, join(MANIFESTS, 'own-pki', 'certs'));
  });

  test('the caBundle patch, applied as the kustomization does, gives the CA to both webhooks of the base and nothing else', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const ops = list(parseYamlValue(caBundlePatchYaml(ca), 'caBundle patch'), 'caBundle patch').map((o, i) => patchOperation(o, `caBundle patch[${i}]`));
    for (const target of WEBHOOK_TARGETS) {
      const configuration = resources().find((r) => r.kind === target.kind && r.name === target.name);
      assert.ok(configuration !== undefined, `${target.kind} ${target.name} is in base/`);
      // As kustomize: all operations or none (its test operations must hold).
      const patchedWebhooks = list(patched(configuration.doc, ops, target.kind).webhooks, 'webhooks').map((w) => obj(w, 'webhook'));
      assert.deepEqual(patchedWebhooks.map((w) => w.name), [target.webhook], 'its one webhook is the one the script names');
      const caBundle = str(obj(patchedWebhooks[0]?.clientConfig, 'clientConfig').caBundle, 'caBundle');
      assert.equal(Buffer.from(caBundle, 'base64').toString('utf8'), ca);
      const { caBundle: _, ...rest } = obj(patchedWebhooks[0]?.clientConfig, 'clientConfig');
      assert.deepEqual(rest, obj(list(configuration.doc.webhooks, 'webhooks').map((w) => obj(w, 'webhook'))[0]?.clientConfig, 'clientConfig'), 'nothing else changes');
    }
  });

  test('manifests/own-pki/certs, which holds private keys, is ignored by git (and manifests/certs, where make-certs.ts wrote them before)', () => {
    for (const path of ['manifests/own-pki/certs/tls.key', 'manifests/own-pki/certs/ca.key', 'manifests/own-pki/certs/secret.yaml', 'manifests/certs/ca.key']) {
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
    assert.deepEqual(overlay.components, ['../components/tls-from-secret']);
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

  test('the overlays\' component has serve read the key pair from the Secret cordon-guard-tls, mounted read-only, instead of making its own', () => {
    assert.equal(componentKustomization().kind, 'Component');
    const { container, podSpec, args } = tlsFromSecretDeploymentParts();
    assert.deepEqual(args.slice(0, 4), ['--tls-cert', '/etc/cordon-guard/tls/tls.crt', '--tls-key', '/etc/cordon-guard/tls/tls.key']);
    assert.ok(!args.includes('--tls-secret'));
    const mounts = list(container.volumeMounts, 'volumeMounts').map((m) => obj(m, 'mount'));
    const mount = mounts.find((m) => m.mountPath === '/etc/cordon-guard/tls');
    assert.ok(mount !== undefined);
    assert.equal(mount.readOnly, true);
    const volume = list(podSpec.volumes, 'volumes').map((v) => obj(v, 'volume')).find((v) => v.name === mount.name);
    assert.deepEqual(volume?.secret, { secretName: SECRET_NAME, defaultMode: 0o440 });
    assert.equal(SECRET_NAME, 'cordon-guard-tls');
    assert.equal(obj(podSpec.securityContext, 'pod securityContext').fsGroup, 65532, 'the key is readable by the fsGroup, 0440');
  });
});
