// Credentials for the API server: --kubeconfig, then KUBECONFIG / ~/.kube/config, then in-cluster.
import { KubeConfig } from '@kubernetes/client-node';

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const config = new KubeConfig();
  if (path !== undefined) config.loadFromFile(path);
  else config.loadFromDefault();
  if (config.getCurrentCluster() === null) {
    throw new Error('no Kubernetes cluster configured: give --kubeconfig, set KUBECONFIG, or run in a pod');
  }
  return config;
}
