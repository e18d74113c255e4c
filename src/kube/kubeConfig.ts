// Credentials for the API server: --kubeconfig, then KUBECONFIG / ~/.kube/config, then in-cluster;
// `context` (the plugin's --context) picks another context than the current one, as kubectl's does.
import { KubeConfig } from '@kubernetes/client-node';

export function loadKubeConfig(path: string | undefined, context?: string): KubeConfig {
  const config = new KubeConfig();
  if (path !== undefined) config.loadFromFile(path);
  else config.loadFromDefault();
  if (context !== undefined) {
    if (config.getContextObject(context) === null) throw new Error(`context ${JSON.stringify(context)} does not exist in the kubeconfig`);
    config.setCurrentContext(context);
  }
  if (config.getCurrentCluster() === null) {
    throw new Error('no Kubernetes cluster configured: give --kubeconfig, set KUBECONFIG, or run in a pod');
  }
  return config;
}
