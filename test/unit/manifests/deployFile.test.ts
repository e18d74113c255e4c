// deploy/cordon-guard.yaml, the one-file install, and the chart's copies of manifests/: both
// made by `make manifests` from manifests/ (`make lint` renders them again and compares).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, test } from 'node:test';
import { CHART_FILES, DEPLOY_FILE, packageVersion, releaseImage } from '../../../packaging/release.ts';
import { chartFiles, header } from '../../../packaging/render-manifests.ts';
import { ROOT, obj, parseYamlFile, partsOf, resources, str, yamlFiles, type Obj } from '../../../testkit/manifests.ts';

const deployObjects = (): Obj[] => parseYamlFile(DEPLOY_FILE);
const key = (o: Obj): string => `${str(o.kind, 'kind')} ${String(obj(o.metadata, 'metadata').namespace ?? '')}/${str(obj(o.metadata, 'metadata').name, 'name')}`;

describe('deploy/cordon-guard.yaml', () => {
  test('starts with how to install it: kubectl apply -f, or K3s\' manifests directory, for this version', () => {
    const text = readFileSync(DEPLOY_FILE, 'utf8');
    const { repository, tag } = releaseImage();
    assert.ok(text.startsWith(header(packageVersion(), `${repository}:${tag}`)), 'the header of packaging/render-manifests.ts');
    assert.match(text, /^# {3}kubectl apply -f deploy\/cordon-guard\.yaml$/m);
    assert.match(text, /\/var\/lib\/rancher\/k3s\/server\/manifests\//);
  });

  test('holds every object of manifests/base, once, and nothing else', () => {
    assert.deepEqual(deployObjects().map(key).sort(), resources().map((r) => key(r.doc)).sort());
  });

  test('runs the image this version publishes, with the default serve flags, and needs no certificate of the operator', () => {
    const deployment = deployObjects().find((o) => o.kind === 'Deployment');
    assert.ok(deployment !== undefined);
    const { container, args, podSpec } = partsOf(deployment);
    const { repository, tag } = releaseImage();
    assert.equal(container.image, `${repository}:${tag}`);
    assert.equal(tag, packageVersion());
    assert.deepEqual(args.slice(0, 2), ['--tls-secret', 'cordon-guard/cordon-guard-tls']);
    assert.ok(!JSON.stringify(podSpec.volumes).includes('"secret"'), 'no Secret volume');
    assert.ok(!deployObjects().some((o) => o.kind === 'Secret'), 'no TLS material in the file');
  });

  test('lists the Namespace first and the webhook configurations after the Deployment, so kubectl apply -f creates them in order', () => {
    const kinds = deployObjects().map((o) => o.kind);
    assert.equal(kinds[0], 'Namespace');
    assert.ok(kinds.indexOf('ValidatingWebhookConfiguration') > kinds.indexOf('Deployment'));
    assert.ok(kinds.indexOf('ConfigMap') < kinds.indexOf('ValidatingAdmissionPolicyBinding'), 'the binding\'s params exist before it');
  });
});

describe("the chart's copies of manifests/", () => {
  test('charts/cordon-guard/files holds exactly the files make manifests copies, as they are in manifests/ now', () => {
    const expected = chartFiles();
    // The copies live in files/base and files/cert-manager; the chart's own files (alert rules, dashboard) sit beside them.
    const present = yamlFiles(CHART_FILES).map((p) => relative(CHART_FILES, p)).filter((p) => p.startsWith(`base${sep}`) || p.startsWith(`cert-manager${sep}`));
    assert.deepEqual(present.sort(), [...expected.keys()].sort(), 'run `make manifests`');
    for (const [path, text] of expected) assert.equal(readFileSync(join(CHART_FILES, path), 'utf8'), text, `charts/cordon-guard/files/${path} is stale: run \`make manifests\``);
    assert.ok(expected.has(join('base', 'deployment.yaml')));
    assert.equal(relative(ROOT, CHART_FILES), join('charts', 'cordon-guard', 'files'));
  });
});
