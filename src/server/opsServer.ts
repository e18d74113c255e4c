// Plain HTTP for the kubelet's probes and Prometheus: /healthz, /readyz, /metrics.
import { createServer, type Server } from 'node:http';
import type { Metrics } from '../observability/metrics.ts';
import type { Readiness } from './readiness.ts';

export function createOpsServer(deps: { metrics: Metrics; readiness: Readiness }): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    switch (path) {
      case '/healthz':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      case '/readyz': {
        const reason = deps.readiness.notReadyBecause();
        if (reason === undefined) res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        else res.writeHead(503, { 'content-type': 'text/plain' }).end(`not ready: ${reason}\n`);
        return;
      }
      case '/metrics':
        deps.metrics.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': deps.metrics.registry.contentType }).end(text),
          (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}\n`),
        );
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
}
