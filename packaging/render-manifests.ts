#!/usr/bin/env node
// `make manifests`: from manifests/, the one source of the install's objects,
//   - deploy/cordon-guard.yaml, the whole default install in one file, rendered with kubectl's
//     kustomize (the objects `kubectl apply -k manifests/` applies), under a header that says
//     how to install it;
//   - charts/cordon-guard/files/, the chart's copies of manifests/base/ and of the cert-manager
//     objects, which its templates render with the values applied.
// `make lint` renders into a temporary directory and compares, so neither can go stale.
//   node packaging/render-manifests.ts --kubectl PATH [--into DIR]   (DIR: the repository)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { CHART_FILES, DEPLOY_FILE, ROOT, packageVersion, releaseImage } from './release.ts';

/** The value at a path of mappings, undefined where there is none. */
function at(value: unknown, ...keys: string[]): unknown {
  let here = value;
  for (const key of keys) {
    if (typeof here !== 'object' || here === null || Array.isArray(here)) return undefined;
    here = (here as Record<string, unknown>)[key];
  }
  return here;
}

/** The header of deploy/cordon-guard.yaml. */
export function header(version: string, image: string): string {
  return `# cordon-guard ${version}: the whole install in one file, image ${image}.
#   kubectl apply -f deploy/cordon-guard.yaml
# On K3s, a copy in /var/lib/rancher/k3s/server/manifests/ on a server node does the same (K3s
# applies that directory at start and on every change). Needs Kubernetes 1.30 or later.
# cordon-guard makes its own CA and serving certificate, keeps them in the Secrets
# cordon-guard/cordon-guard-tls and cordon-guard-tls-ca, renews them, and writes the CA into its
# two webhook configurations: no certificate step, no edit. The policy (mode, allowlist) is the
# ConfigMap cordon-guard/cordon-guard-policy. Uninstalling, and the alternatives (cert-manager,
# your own PKI, the Helm chart): manifests/README.md.
# Rendered from manifests/ by \`make manifests\` (kubectl kustomize): change manifests/, not this file.
`;
}

/** The rendered install, header included; throws when it does not name this version's image. */
export function render(kubectl: string): string {
  const result = spawnSync(kubectl, ['kustomize', join(ROOT, 'manifests')], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error !== undefined) throw new Error(`cannot run ${kubectl}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`kubectl kustomize manifests/ failed: ${result.stderr}`);
  const { repository, tag } = releaseImage();
  const image = `${repository}:${tag}`;
  const images = parseAllDocuments(result.stdout).flatMap((document) => {
    const containers = at(document.toJS() as unknown, 'spec', 'template', 'spec', 'containers');
    return Array.isArray(containers) ? containers.map((c: unknown) => String(at(c, 'image'))) : [];
  });
  if (images.length === 0 || images.some((i) => i !== image)) {
    throw new Error(`the rendered containers name ${images.join(', ') || 'no image'}, not ${image}`);
  }
  return `${header(packageVersion(), image)}---\n${result.stdout}`;
}

/** The folders of charts/cordon-guard/files/ that hold copies made here. */
const GENERATED_DIRS = ['base', 'cert-manager'];

/** The manifests the chart renders from, by their path under charts/cordon-guard/files/. */
export function chartFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const copy = (from: string, to: string): void => {
    files.set(to, `# A copy of ${relative(ROOT, from)}, made by \`make manifests\`: edit that file, not this one.\n${readFileSync(from, 'utf8')}`);
  };
  const base = join(ROOT, 'manifests', 'base');
  for (const name of readdirSync(base).filter((n) => n.endsWith('.yaml') && n !== 'kustomization.yaml').sort()) copy(join(base, name), join('base', name));
  copy(join(ROOT, 'manifests', 'cert-manager', 'certificates.yaml'), join('cert-manager', 'certificates.yaml'));
  return files;
}

function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

function main(): void {
  const { values } = parseArgs({ options: { kubectl: { type: 'string' }, into: { type: 'string' } }, allowPositionals: false });
  if (values.kubectl === undefined) throw new Error('usage: node packaging/render-manifests.ts --kubectl PATH [--into DIR]');
  const into = values.into ?? ROOT;
  writeAtomically(join(into, relative(ROOT, DEPLOY_FILE)), render(values.kubectl));
  const filesDir = join(into, relative(ROOT, CHART_FILES));
  // Only the copies are made here; the chart's own files beside them (the alerting rules, the
  // dashboard) are sources, not copies.
  for (const dir of GENERATED_DIRS) rmSync(join(filesDir, dir), { recursive: true, force: true });
  for (const [path, text] of chartFiles()) writeAtomically(join(filesDir, path), text);
}

if (import.meta.main) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`packaging/render-manifests.ts: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
