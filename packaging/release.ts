// What a release is made of, read from the files that define it: the version (package.json's
// "version", the one version of the project) and the image the release workflow publishes (the
// `cordon-guard` entry of manifests/base/kustomization.yaml's `images:`, whose tag must be that
// version). The deploy file, the chart and the workflow take both from here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PACKAGE_JSON = join(ROOT, 'package.json');
export const BASE_KUSTOMIZATION = join(ROOT, 'manifests', 'base', 'kustomization.yaml');
export const CHART_YAML = join(ROOT, 'charts', 'cordon-guard', 'Chart.yaml');
export const DEPLOY_FILE = join(ROOT, 'deploy', 'cordon-guard.yaml');
/** The chart's copies of manifests/ (packaging/render-manifests.ts writes them). */
export const CHART_FILES = join(ROOT, 'charts', 'cordon-guard', 'files');
/** The image name the manifests use before kustomize's `images:` sets the published one. */
export const IMAGE_PLACEHOLDER = 'cordon-guard';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** package.json's version: the release's, the image tag's, the chart's. */
export function packageVersion(text = readFileSync(PACKAGE_JSON, 'utf8')): string {
  const pkg: unknown = JSON.parse(text);
  if (!isRecord(pkg) || typeof pkg.version !== 'string' || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(pkg.version)) {
    throw new Error('package.json has no semantic "version"');
  }
  return pkg.version;
}

export interface Image {
  repository: string;
  tag: string;
}

/** The image of manifests/base/kustomization.yaml (`images:`, name cordon-guard). */
export function kustomizationImage(text = readFileSync(BASE_KUSTOMIZATION, 'utf8')): Image {
  const kustomization: unknown = parse(text);
  const images = isRecord(kustomization) && Array.isArray(kustomization.images) ? (kustomization.images as unknown[]) : [];
  const entry = images.find((i) => isRecord(i) && i.name === IMAGE_PLACEHOLDER);
  if (!isRecord(entry) || typeof entry.newName !== 'string' || typeof entry.newTag !== 'string') {
    throw new Error(`${BASE_KUSTOMIZATION}: no images: entry for ${IMAGE_PLACEHOLDER} with a newName and a newTag`);
  }
  return { repository: entry.newName, tag: entry.newTag };
}

/** The published image of this version; throws when the kustomization's tag is not package.json's version. */
export function releaseImage(): Image {
  const version = packageVersion();
  const image = kustomizationImage();
  if (image.tag !== version) {
    throw new Error(`manifests/base/kustomization.yaml names ${image.repository}:${image.tag}, but package.json's version is ${version}: run \`node packaging/sync-version.ts\``);
  }
  return image;
}
