// The fleet parts of serve (src/kube/fleet.ts) as their own process, for test/e2e/fleet.test.ts
// until serve's wiring starts them: the policy from the ConfigMap cordon-guard/cordon-guard-policy,
// Events, the node watch, the leader election and the recordon, with the kubeconfig given, and
// /metrics on a free port. JSON log lines on stdout, as serve's.
//   node testkit/e2e/fleetRunner.ts --kubeconfig FILE
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { ConfigMapWatch, configMapClient } from '../../src/kube/configMapWatch.ts';
import { EventRecorder } from '../../src/kube/eventRecorder.ts';
import { eventsClient } from '../../src/kube/eventsClient.ts';
import { startFleet } from '../../src/kube/fleet.ts';
import { loadKubeConfig } from '../../src/kube/kubeConfig.ts';
import { createFleetMetrics } from '../../src/observability/fleetMetrics.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createOpsServer } from '../../src/server/opsServer.ts';
import { Readiness } from '../../src/server/readiness.ts';
import { ConfigMapPolicySource } from '../../src/sources/configMapSource.ts';
import { PolicyStore } from '../../src/sources/store.ts';

const NAMESPACE = 'cordon-guard';
const POLICY = 'cordon-guard-policy';

const { values } = parseArgs({ options: { kubeconfig: { type: 'string' } }, strict: true });
const logger = createLogger('debug');
const metrics = createMetrics({ defaultMetrics: false });
const fleetMetrics = createFleetMetrics(metrics.registry);
const kubeConfig = loadKubeConfig(values.kubeconfig);
const store = new PolicyStore({ logger, metrics });
const events = new EventRecorder({ client: eventsClient(kubeConfig), logger, metrics });
const source = new ConfigMapPolicySource({
  feed: new ConfigMapWatch({ client: configMapClient(kubeConfig), namespace: NAMESPACE, name: POLICY, logger }),
  namespace: NAMESPACE,
  name: POLICY,
  store,
  events,
});
const readiness = new Readiness();
const ops = createOpsServer({ metrics, readiness });
ops.listen(0, '127.0.0.1');
await once(ops, 'listening');
const address = ops.address();
logger.info({ port: typeof address === 'object' && address !== null ? address.port : 0 }, 'fleet runner: metrics');
await source.start();
const fleet = await startFleet({ kubeConfig, namespace: NAMESPACE, policy: () => store.current(), logger, metrics: fleetMetrics, events });
readiness.listening();
readiness.policyLoaded();
logger.info({ identity: fleet.elector.identity }, 'fleet runner: ready');

process.on('SIGTERM', () => {
  void (async () => {
    await fleet.stop();
    await source.stop();
    await events.flush();
    logger.info('fleet runner: stopped');
    logger.flush();
    ops.close();
    process.exit(0);
  })();
});
