// The kustomize base: what it lists, the image it deploys, the namespace of its objects.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CLUSTER_SCOPED, NAMESPACE, ROOT, deploymentParts, kustomization, list, obj, resources, str } from '../../../testkit/manifests.ts';

describe('kustomize base', () => {
  test('kustomization.yaml lists every manifest in base/ and nothing else', () => {
    const listed = list(kustomization().resources, 'resources').map((r) => str(r, 'resource')).sort();
    const present = [...new Set(resources().map((r) => r.file))].sort();
    assert.deepEqual(listed, present);
  });

  test('the image is cordon-guard at the package version, set through kustomize images so users can override it', () => {
    const { container } = deploymentParts();
    const images = list(kustomization().images, 'images').map((i) => obj(i, 'image'));
    const image = images.find((i) => i.name === container.image);
    assert.ok(image !== undefined, `no images: entry for ${String(container.image)}`);
    const pkg: unknown = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.ok(typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string', 'package.json has a version');
    assert.equal(`${String(image.newName)}:${String(image.newTag)}`, `cordon-guard:${pkg.version}`);
    assert.equal(container.image, 'cordon-guard');
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
