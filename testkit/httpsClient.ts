// A tiny HTTPS client for tests: POST a body, get status, headers and the parsed JSON.
import { type Agent, request } from 'node:https';

export interface PostResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

export function post(
  url: string,
  body: string | Buffer,
  options: { ca: string; contentType?: string | null; agent?: Agent; headers?: Record<string, string> },
): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
    Object.assign(headers, options.headers);
    const req = request(url, { method: 'POST', ca: options.ca, headers, agent: options.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
