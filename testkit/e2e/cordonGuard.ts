// cordon-guard as it ships: dist/main.js, a certificate from certs-scripts/, and the webhook
// configuration from manifests/ with only its clientConfig rewritten.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startServe, type ServeProcess } from '../serveProcess.ts';
import { waitFor } from '../wait.ts';
import type { ControlPlane } from './controlPlane.ts';
import { freePort } from './process.ts';

const REPO = new URL('../../', import.meta.url).pathname;
/** The built entry point (npm run build), as the image and the plugin package run it. */
export const DIST_MAIN = join(REPO, 'dist', 'main.js');

export interface Certificates {
  dir: string;
  certFile: string;
  keyFile: string;
  caPem: string;
}

/** A CA and serving certificate for 127.0.0.1, made by the project's own certs script. */
export function makeCertificates(dir: string, extraArgs: string[] = []): Certificates {
  mkdirSync(dir, { recursive: true });
  const result = spawnSync(process.execPath, [join(REPO, 'certs-scripts', 'make-certs.ts'), '--out', dir, '--ip', '127.0.0.1', '--dns', 'localhost', ...extraArgs], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`make-certs failed: ${result.stderr}${result.stdout}`);
  return { dir, certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), caPem: readFileSync(join(dir, 'ca.crt'), 'utf8') };
}

export async function startCordonGuard(certs: Certificates, args: string[]): Promise<ServeProcess> {
  return startServe(['--tls-cert', certs.certFile, '--tls-key', certs.keyFile, '--log-level', 'debug', '--drain-seconds', '0', ...args], {
    main: DIST_MAIN,
    ca: certs.caPem,
  });
}

/** The rendered base manifests (kubectl kustomize), as objects. */
export function baseManifests(cp: ControlPlane): Record<string, unknown>[] {
  const rendered = cp.kubectlOk(['kustomize', join(REPO, 'manifests', 'base')]);
  return parseAllDocuments(rendered).map((d) => d.toJS() as Record<string, unknown>);
}

export type WebhookConfiguration = { kind: string; metadata: { name: string }; webhooks: { name: string; clientConfig: Record<string, unknown> }[] };

/**
 * Installs the project's webhook configuration(s) with clientConfig pointing at the local
 * process, then waits until the API server really calls it (registration is asynchronous).
 */
export async function registerWebhooks(cp: ControlPlane, port: number, caPem: string): Promise<WebhookConfiguration[]> {
  const configurations = baseManifests(cp).filter(
    (o) => o.kind === 'ValidatingWebhookConfiguration' || o.kind === 'MutatingWebhookConfiguration',
  ) as WebhookConfiguration[];
  for (const configuration of configurations) {
    for (const webhook of configuration.webhooks) {
      const path = String((webhook.clientConfig.service as { path?: string } | undefined)?.path ?? '/validate');
      webhook.clientConfig = { url: `https://127.0.0.1:${port}${path}`, caBundle: Buffer.from(caPem).toString('base64') };
    }
  }
  const file = join(cp.dir, 'webhooks.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: configurations }));
  cp.kubectlOk(['apply', '-f', file]);

  createNode(cp, 'probe', { cordoned: true, annotations: { 'cordon-guard.io/maintenance': 'probe' } });
  await waitFor('the webhook to judge a probe uncordon', () => {
    const result = cp.kubectl(['uncordon', 'probe', '--dry-run=server'], { as: 'mallory' });
    return /cordon-guard denied/.test(result.stderr) ? true : undefined;
  }, 30_000, 250);
  return configurations;
}

/**
 * Takes /mutate down (the mutating webhook pointed at a port nobody listens on, so the API server
 * skips it: failurePolicy Ignore) or brings it back, and waits until the API server's view
 * changed: a dry-run cordon of a probe node is stamped exactly when /mutate answers.
 */
export async function setMutateReachable(cp: ControlPlane, configurations: WebhookConfiguration[], reachable: boolean): Promise<void> {
  const closedPort = await freePort();
  const items = configurations
    .filter((c) => c.kind === 'MutatingWebhookConfiguration')
    .map((c) => ({
      ...c,
      webhooks: c.webhooks.map((w) => ({ ...w, clientConfig: reachable ? w.clientConfig : { ...w.clientConfig, url: `https://127.0.0.1:${closedPort}/mutate` } })),
    }));
  const file = join(cp.dir, 'mutating-webhook.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  cp.kubectlOk(['apply', '-f', file]);
  if (cp.kubectl(['get', 'node', 'mutate-probe']).code !== 0) createNode(cp, 'mutate-probe');
  await waitFor(`/mutate to be ${reachable ? 'called' : 'skipped'}`, () => {
    const probe = cp.kubectl(['patch', 'node', 'mutate-probe', '--dry-run=server', '-o', 'json', '-p', '{"spec":{"unschedulable":true}}']);
    if (probe.code !== 0) return undefined;
    const stamped = (JSON.parse(probe.stdout) as NodeView).metadata.annotations?.['cordon-guard.io/cordoned-by'] !== undefined;
    return stamped === reachable ? true : undefined;
  }, 30_000, 250);
}

export interface NodeSpec {
  cordoned?: boolean;
  /** Omitted: the node has no annotations map at all. */
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

/** Creates (or replaces) a Node object; there is no kubelet, so it is only an API object. */
export function createNode(cp: ControlPlane, name: string, spec: NodeSpec = {}): void {
  cp.kubectl(['delete', 'node', name, '--ignore-not-found', '--wait=false']);
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...spec.labels }, ...(spec.annotations === undefined ? {} : { annotations: spec.annotations }) },
    spec: spec.cordoned === true ? { unschedulable: true } : {},
  };
  cp.kubectlOk(['create', '-f', '-'], { input: JSON.stringify(node) });
}

export interface NodeView {
  metadata: { annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: { unschedulable?: boolean; taints?: unknown[] };
}

export function getNode(cp: ControlPlane, name: string): NodeView {
  return JSON.parse(cp.kubectlOk(['get', 'node', name, '-o', 'json'])) as NodeView;
}
