#!/usr/bin/env node
// `npm version X.Y.Z` runs this (package.json "scripts.version") after it wrote the new version
// into package.json: it writes the same version into the image tag of
// manifests/base/kustomization.yaml and into charts/cordon-guard/Chart.yaml (version and
// appVersion), keeping their comments; npm's "version" script then renders the deploy file and
// stages all three for the version commit. Tests hold the four together.
import { readFileSync, writeFileSync } from 'node:fs';
import { isMap, isSeq, parseDocument } from 'yaml';
import { BASE_KUSTOMIZATION, CHART_YAML, IMAGE_PLACEHOLDER, packageVersion } from './release.ts';

function update(path: string, edit: (document: ReturnType<typeof parseDocument>) => void): void {
  const document = parseDocument(readFileSync(path, 'utf8'));
  if (document.errors.length > 0) throw new Error(`${path}: ${document.errors.map(String).join('; ')}`);
  edit(document);
  writeFileSync(path, document.toString({ lineWidth: 0 }));
}

const version = packageVersion();
update(BASE_KUSTOMIZATION, (document) => {
  const images: unknown = document.get('images');
  const entry = isSeq(images) ? images.items.find((i) => isMap(i) && i.get('name') === IMAGE_PLACEHOLDER) : undefined;
  if (!isMap(entry)) throw new Error(`${BASE_KUSTOMIZATION}: no images: entry for ${IMAGE_PLACEHOLDER}`);
  entry.set('newTag', version);
});
update(CHART_YAML, (document) => {
  document.set('version', version);
  document.set('appVersion', version);
});
process.stdout.write(`version ${version}: manifests/base/kustomization.yaml, charts/cordon-guard/Chart.yaml\n`);
