// The Deployment: a serve command line that the CLI accepts, certificates made in the cluster,
// a locked-down pod, probes, availability, resources.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseCommandLine } from '../../../src/cli/args.ts';
import { MANIFESTS, argvAfterScript, deploymentParts, dockerfile, entrypoint, list, obj, only, parseYamlFile, portNumber, serveOptions, tlsFromSecretDeploymentParts, yamlFiles, type Json, type Obj } from '../../../testkit/manifests.ts';

const certManagerObjects = (): Obj[] =>
  yamlFiles(join(MANIFESTS, 'cert-manager'))
    .filter((path) => !path.endsWith('kustomization.yaml'))
    .flatMap(parseYamlFile);

describe('the Deployment', () => {
  test('by default, cordon-guard makes and renews its own certificates in the Secret cordon-guard-tls, with no Secret volume', () => {
    const { args, container, podSpec } = deploymentParts();
    assert.deepEqual(args, ['--tls-secret', 'cordon-guard/cordon-guard-tls', '--policy-configmap', 'cordon-guard/cordon-guard-policy', '--port', '9443', '--metrics-port', '8080', '--drain-seconds', '5']);
    const volumes = list(podSpec.volumes, 'volumes').map((v) => obj(v, 'volume'));
    assert.deepEqual(volumes.map((v) => v.name), ['tmp']);
    assert.ok(!volumes.some((v) => v.secret !== undefined));
    assert.deepEqual(list(container.volumeMounts, 'volumeMounts').map((m) => obj(m, 'mount').mountPath), ['/tmp']);
    const options = parseCommandLine(argvAfterScript(args), {});
    assert.ok(options.command === 'serve');
    assert.deepEqual(options.tls, { kind: 'secret', namespace: 'cordon-guard', name: 'cordon-guard-tls', service: 'cordon-guard' });
  });

  test('with the key pair from a Secret volume (own-pki, cert-manager), its args are a serve command line that src/cli/args.ts accepts, with the files and ports of this pod', () => {
    const { containers, container } = deploymentParts();
    const options = serveOptions();
    assert.deepEqual(tlsFromSecretDeploymentParts().args.slice(4), deploymentParts().args.slice(2), "every flag but the TLS source is the default's");
    assert.equal(containers.length, 1);
    assert.equal(container.command, undefined, "the image's ENTRYPOINT runs");
    assert.equal(entrypoint().at(-1), 'serve', 'the image runs serve; args are its flags');
    assert.equal(options.command, 'serve');
    assert.equal(options.port, portNumber('https'));
    assert.equal(options.port, 9443);
    assert.equal(options.metricsPort, portNumber('metrics'));
    assert.equal(options.metricsPort, 8080);
    assert.equal(options.drainSeconds, 5);
    assert.deepEqual(options.tls, { kind: 'files', certPath: '/etc/cordon-guard/tls/tls.crt', keyPath: '/etc/cordon-guard/tls/tls.key' });
  });

  test('an unknown flag in the args would be refused, so the check above means something', () => {
    const { args } = tlsFromSecretDeploymentParts();
    assert.throws(() => parseCommandLine(argvAfterScript([...args, '--no-such-flag']), {}), { name: 'Error', message: /no-such-flag/ });
  });

  test('with the key pair from a Secret volume, the TLS files come read-only from the Secret that make-certs.ts and cert-manager write', () => {
    const { container, podSpec } = tlsFromSecretDeploymentParts();
    const mounts = list(container.volumeMounts, 'volumeMounts').map((m) => obj(m, 'mount'));
    const mount = mounts.find((m) => m.mountPath === '/etc/cordon-guard/tls');
    assert.ok(mount !== undefined);
    assert.equal(mount.readOnly, true);
    const volume = list(podSpec.volumes, 'volumes').map((v) => obj(v, 'volume')).find((v) => v.name === mount.name);
    const secret = obj(volume?.secret, 'secret volume');
    const issued = certManagerObjects().filter((o) => o.kind === 'Certificate').map((c) => obj(c.spec, 'Certificate spec').secretName);
    assert.ok(issued.includes(secret.secretName), `no cert-manager Certificate writes ${String(secret.secretName)} (they write ${issued.join(', ')})`);
    // A kubernetes.io/tls Secret's keys, mounted as they are, are the files serve reads.
    assert.equal(secret.items, undefined, 'no key is renamed or left out');
    const { tls } = serveOptions();
    assert.ok(tls.kind === 'files');
    assert.deepEqual([tls.certPath, tls.keyPath], [`${String(mount.mountPath)}/tls.crt`, `${String(mount.mountPath)}/tls.key`]);
  });

  test('it runs as uid 65532, non-root, read-only, without privilege escalation or capabilities, under RuntimeDefault seccomp', () => {
    const { container, podSpec } = deploymentParts();
    const pod = obj(podSpec.securityContext, 'pod securityContext');
    const c = obj(container.securityContext, 'container securityContext');
    const effective = (key: string): Json | undefined => (c[key] !== undefined ? c[key] : pod[key]);
    assert.equal(effective('runAsNonRoot'), true);
    assert.equal(effective('runAsUser'), 65532);
    assert.equal(c.readOnlyRootFilesystem, true);
    assert.equal(c.allowPrivilegeEscalation, false);
    assert.notEqual(c.privileged, true);
    assert.deepEqual(obj(c.capabilities, 'capabilities').drop, ['ALL']);
    assert.equal(obj(c.capabilities, 'capabilities').add, undefined);
    assert.equal(obj(effective('seccompProfile'), 'seccompProfile').type, 'RuntimeDefault');
    assert.notEqual(podSpec.hostNetwork, true);
    const dockerUser = dockerfile()
      .split('\n')
      .find((line) => line.startsWith('USER '));
    assert.match(dockerUser ?? '', /^USER 65532(:65532)?$/, 'the image runs as the same uid');
  });

  test('liveness is /healthz and readiness /readyz, both on the metrics port', () => {
    const { container } = deploymentParts();
    const liveness = obj(obj(container.livenessProbe, 'livenessProbe').httpGet, 'liveness httpGet');
    const readiness = obj(obj(container.readinessProbe, 'readinessProbe').httpGet, 'readiness httpGet');
    assert.deepEqual([liveness.path, liveness.port], ['/healthz', 'metrics']);
    assert.deepEqual([readiness.path, readiness.port], ['/readyz', 'metrics']);
    assert.equal(portNumber('metrics'), 8080);
  });

  test('two replicas spread over nodes, a PodDisruptionBudget keeps one, and they are system-cluster-critical', () => {
    const { spec, podSpec, podLabels } = deploymentParts();
    assert.equal(spec.replicas, 2);
    const spread = (podSpec.topologySpreadConstraints === undefined ? [] : list(podSpec.topologySpreadConstraints, 'topologySpreadConstraints')).map((t) => obj(t, 'constraint'));
    const antiAffinity = JSON.stringify(obj(podSpec.affinity ?? {}, 'affinity').podAntiAffinity ?? null);
    assert.ok(spread.some((t) => t.topologyKey === 'kubernetes.io/hostname') || antiAffinity.includes('"kubernetes.io/hostname"'));
    const pdb = obj(only('PodDisruptionBudget').spec, 'PDB spec');
    assert.equal(pdb.minAvailable, 1);
    assert.ok(typeof pdb.minAvailable === 'number' && typeof spec.replicas === 'number' && pdb.minAvailable < spec.replicas, 'a drain can still evict one');
    for (const [key, value] of Object.entries(obj(obj(pdb.selector, 'PDB selector').matchLabels, 'matchLabels'))) assert.equal(podLabels[key], value);
    for (const [key, value] of Object.entries(obj(obj(spec.selector, 'selector').matchLabels, 'matchLabels'))) assert.equal(podLabels[key], value);
    assert.equal(podSpec.priorityClassName, 'system-cluster-critical');
  });

  test('the termination grace period covers the drain and the 10 s in-flight grace', () => {
    const { podSpec } = deploymentParts();
    const grace = podSpec.terminationGracePeriodSeconds;
    assert.ok(typeof grace === 'number' && grace >= serveOptions().drainSeconds + 10, `terminationGracePeriodSeconds ${String(grace)}`);
    assert.equal(grace, 30);
  });

  test('it asks for 50m CPU and 96Mi, may use 384Mi, and runs with NODE_ENV=production, a 4 MiB semi-space and malloc giving large blocks back', () => {
    const { container } = deploymentParts();
    assert.deepEqual(container.resources, { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '384Mi' } });
    assert.deepEqual(container.env, [
      { name: 'NODE_ENV', value: 'production' },
      { name: 'NODE_OPTIONS', value: '--max-semi-space-size=4' },
      { name: 'MALLOC_ARENA_MAX', value: '2' },
      { name: 'MALLOC_MMAP_THRESHOLD_', value: '65536' },
    ]);
  });
});
