// The kustomize base: what it lists, the image it deploys, the namespace of its objects; the
// default install and the overlays built on it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { IMAGE_PLACEHOLDER, kustomizationImage, packageVersion, releaseImage } from '../../../packaging/release.ts';
import { CLUSTER_SCOPED, MANIFESTS, NAMESPACE, deploymentParts, kustomization, list, obj, parseYamlFile, resources, str } from '../../../testkit/manifests.ts';

describe('kustomize base', () => {
  test('kustomization.yaml lists every manifest in base/ and nothing else', () => {
    const listed = list(kustomization().resources, 'resources').map((r) => str(r, 'resource')).sort();
    const present = [...new Set(resources().map((r) => r.file))].sort();
    assert.deepEqual(listed, present);
  });

  test('the image is the one the release workflow publishes, at package.json\'s version, set through kustomize images so users can override it', () => {
    const { container } = deploymentParts();
    const images = list(kustomization().images, 'images').map((i) => obj(i, 'image'));
    const image = images.find((i) => i.name === container.image);
    assert.ok(image !== undefined, `no images: entry for ${String(container.image)}`);
    assert.equal(container.image, IMAGE_PLACEHOLDER);
    assert.deepEqual(kustomizationImage(), { repository: 'ghcr.io/cordon-guard/cordon-guard', tag: packageVersion() });
    assert.deepEqual(releaseImage(), kustomizationImage());
    assert.equal(`${String(image.newName)}:${String(image.newTag)}`, `ghcr.io/cordon-guard/cordon-guard:${packageVersion()}`);
  });

  test('a kustomization whose image tag is not package.json\'s version is named as such', () => {
    assert.throws(() => packageVersion('{"version": "1"}'), /no semantic "version"/);
    assert.throws(() => kustomizationImage('images: [{name: other, newName: x, newTag: "1"}]'), /no images: entry for cordon-guard/);
  });

  test('the default install is base/ alone; the alternatives are overlays of it with the TLS component', () => {
    const top = parseYamlFile(join(MANIFESTS, 'kustomization.yaml'))[0] ?? {};
    assert.deepEqual(top.resources, ['base']);
    assert.equal(top.patches, undefined);
    for (const overlay of ['own-pki', 'cert-manager']) {
      const k = parseYamlFile(join(MANIFESTS, overlay, 'kustomization.yaml'))[0] ?? {};
      assert.ok(list(k.resources, `${overlay} resources`).includes('../base'), overlay);
      assert.deepEqual(k.components, ['../components/tls-from-secret'], overlay);
    }
  });

  test('every namespaced object is in the cordon-guard namespace, and the Namespace is there', () => {
    for (const r of resources()) {
      if (CLUSTER_SCOPED.has(r.kind)) assert.equal(r.namespace, undefined, `${r.kind} ${r.name} is cluster-scoped`);
      else assert.equal(r.namespace, NAMESPACE, `${r.kind} ${r.name}`);
    }
    assert.equal(resources().find((r) => r.kind === 'Namespace')?.name, NAMESPACE);
    assert.equal(resources().find((r) => r.kind === 'ServiceAccount')?.name, 'cordon-guard');
  });
});
