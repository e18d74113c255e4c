// The floor of any Node admission webhook: node:https, read the body, JSON.parse it, answer
// allowed with the uid. Same certificate and keep-alive settings as cordon-guard; nothing else.
// Usage: node bench/baseline.ts --tls-cert FILE --tls-key FILE [--port 0]
// Prints one JSON line {"port": N} once listening.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } },
});
if (values['tls-cert'] === undefined || values['tls-key'] === undefined) {
  process.stderr.write('usage: node bench/baseline.ts --tls-cert FILE --tls-key FILE [--port 0]\n');
  process.exit(2);
}

const server = createServer(
  { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']), keepAlive: true, keepAliveTimeout: 120_000 },
  (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let uid: string;
      try {
        const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { apiVersion?: string; request?: { uid?: string } };
        uid = String(review.request?.uid ?? '');
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad json"}');
        return;
      }
      const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
  },
);
server.keepAliveTimeout = 120_000;
server.listen(Number(values.port), values.host, () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 })}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
