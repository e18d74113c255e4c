// Credentials for the API server: --kubeconfig, then KUBECONFIG / ~/.kube/config, then in-cluster;
// `context` (the plugin's --context) picks another context than the current one, as kubectl's does.
// A kubeconfig that cannot be used is a ClusterAccessError (exit 5).
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterAccessError } from '../cli/exitCodes.ts';
import { errorMessage } from '../text/errors.ts';

export function loadKubeConfig(path: string | undefined, context?: string): KubeConfig {
  const config = new KubeConfig();
  try {
    if (path !== undefined) config.loadFromFile(path);
    else config.loadFromDefault();
  } catch (err) {
    throw new ClusterAccessError(`cannot load the kubeconfig${path === undefined ? '' : ` ${path}`}: ${errorMessage(err)}`, { cause: err });
  }
  if (context !== undefined) {
    if (config.getContextObject(context) === null) throw new ClusterAccessError(`context ${JSON.stringify(context)} does not exist in the kubeconfig`);
    config.setCurrentContext(context);
  }
  if (config.getCurrentCluster() === null) {
    throw new ClusterAccessError('no Kubernetes cluster configured: give --kubeconfig, set KUBECONFIG, or run in a pod');
  }
  return config;
}
