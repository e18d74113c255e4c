// Collects pino's JSON lines so tests can assert on what was logged.
import { Writable } from 'node:stream';

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export class LogCapture extends Writable {
  readonly lines: LogLine[] = [];
  #partial = '';

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const text = this.#partial + chunk.toString('utf8');
    const parts = text.split('\n');
    this.#partial = parts.pop() ?? '';
    for (const part of parts) if (part.trim() !== '') this.lines.push(JSON.parse(part) as LogLine);
    done();
  }

  find(predicate: (line: LogLine) => boolean): LogLine | undefined {
    return this.lines.find(predicate);
  }
}
