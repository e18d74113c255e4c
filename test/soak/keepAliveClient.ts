// The API server's side of the hostile-load test, in a process of its own so that the attack's
// own work (10,000 client handshakes, 15 MB writes) cannot delay it: `connections` keep-alive
// clients, each sending one review at a time until stdin closes, then the latencies as JSON.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

const [port, caFile, reviewFile, connections, pauseMs] = process.argv.slice(2);
const ca = readFileSync(String(caFile), 'utf8');
const review = readFileSync(String(reviewFile), 'utf8');
const agent = new Agent({ keepAlive: true, maxSockets: Number(connections) });
const latencies: number[] = [];
const failures: string[] = [];
let stopped = false;
process.stdin.on('end', () => (stopped = true)).resume();

function once(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port: Number(port), path: '/validate', method: 'POST', ca, servername: 'localhost', agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200 ? undefined : `status ${res.statusCode}`));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', (err) => resolve(err.message));
    req.end(review);
  });
}

await Promise.all(
  Array.from({ length: Number(connections) }, async () => {
    while (!stopped) {
      const started = performance.now();
      const failure = await once();
      latencies.push(performance.now() - started);
      if (failure !== undefined) failures.push(failure);
      await new Promise((r) => setTimeout(r, Number(pauseMs)));
    }
  }),
);
agent.destroy();
process.stdout.write(JSON.stringify({ latencies, failures }));
