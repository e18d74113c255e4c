// A bounded, fixed-rate HTTPS load on loopback for the under-load tests: every request is
// counted, and every failure is kept with its cause.
import { Agent, request } from 'node:https';

export interface LoadResult {
  sent: number;
  ok: number;
  failures: string[];
  /** Answers that carried `Connection: close` (the server asked the client to reconnect). */
  closeRequested: number;
  /** Responses' bodies, parsed, in completion order (only when `keepBodies`). */
  bodies: unknown[];
}

export interface LoadOptions {
  url: string;
  ca: string;
  body: () => string;
  ratePerSecond: number;
  durationMs: number;
  /** Stop sending new requests when this returns true (endpoints have moved elsewhere). */
  stopSending?: () => boolean;
  /** A fraction of requests on fresh connections, to exercise TLS handshakes. */
  freshConnectionShare?: number;
  keepBodies?: boolean;
  servername?: string;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 32 });
  const result: LoadResult = { sent: 0, ok: 0, failures: [], closeRequested: 0, bodies: [] };
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const interval = 1000 / options.ratePerSecond;
  for (let i = 0; ; i++) {
    const due = started + i * interval;
    if (due - started >= options.durationMs || options.stopSending?.() === true) break;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const fresh = Math.random() < (options.freshConnectionShare ?? 0);
    result.sent += 1;
    const one = send(options, fresh ? undefined : keepAlive, result).finally(() => inFlight.delete(one));
    inFlight.add(one);
  }
  await Promise.all(inFlight);
  keepAlive.destroy();
  return result;
}

function send(options: LoadOptions, agent: Agent | undefined, result: LoadResult): Promise<void> {
  return new Promise((resolve) => {
    const req = request(
      options.url,
      { method: 'POST', ca: options.ca, servername: options.servername, agent: agent ?? false, headers: { 'content-type': 'application/json' }, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.headers.connection === 'close') result.closeRequested += 1;
          if (res.statusCode === 200) {
            result.ok += 1;
            if (options.keepBodies === true) result.bodies.push(JSON.parse(Buffer.concat(chunks).toString()));
          } else result.failures.push(`HTTP ${res.statusCode}`);
          resolve();
        });
        res.on('error', (err) => {
          result.failures.push(`response: ${err.message}`);
          resolve();
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => {
      result.failures.push(`request: ${err.message}`);
      resolve();
    });
    req.end(options.body());
  });
}
