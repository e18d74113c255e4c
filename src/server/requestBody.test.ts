import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { HttpError } from './httpError.ts';
import { isJsonMediaType, readJsonBody } from './requestBody.ts';

/** A request stream with the given headers; the test writes the body. */
function request(headers: Record<string, string>): PassThrough & IncomingMessage {
  return Object.assign(new PassThrough(), { headers }) as unknown as PassThrough & IncomingMessage;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('isJsonMediaType', () => {
  const cases: [string | undefined, boolean][] = [
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['Application/JSON', true],
    [' application/json ;charset=UTF-8', true],
    ['application/jsonx', false],
    ['application/json-patch+json', false],
    ['text/json', false],
    ['text/plain', false],
    ['', false],
    [undefined, false],
  ];
  for (const [value, expected] of cases) {
    it(`${expected ? 'accepts' : 'refuses'} ${JSON.stringify(value)}`, () => assert.equal(isJsonMediaType(value), expected));
  }
});

describe('readJsonBody', () => {
  it('returns the bytes of a body sent in several chunks, in order', async () => {
    const req = request(JSON_HEADERS);
    const body = readJsonBody(req, 100);
    req.write('{"a":');
    req.write('1}');
    req.end();
    assert.equal((await body).toString(), '{"a":1}');
  });

  it('returns an empty buffer for an empty body (the caller refuses it)', async () => {
    const req = request(JSON_HEADERS);
    const body = readJsonBody(req, 100);
    req.end();
    assert.equal((await body).length, 0);
  });

  it('refuses a wrong content type with 415 before reading', async () => {
    await assert.rejects(readJsonBody(request({ 'content-type': 'text/plain' }), 100), (err: HttpError) => err.status === 415 && /got "text\/plain"/.test(err.message));
  });

  it('refuses a compressed body with 415: inflating it would defeat the cap', async () => {
    await assert.rejects(readJsonBody(request({ ...JSON_HEADERS, 'content-encoding': 'gzip' }), 100), (err: HttpError) => err.status === 415 && /gzip/.test(err.message));
  });

  it('accepts the identity content encoding', async () => {
    const req = request({ ...JSON_HEADERS, 'content-encoding': 'identity' });
    const body = readJsonBody(req, 100);
    req.end('{}');
    assert.equal((await body).toString(), '{}');
  });

  it('refuses a declared length over the cap with 413 before reading', async () => {
    await assert.rejects(readJsonBody(request({ ...JSON_HEADERS, 'content-length': '101' }), 100), (err: HttpError) => err.status === 413 && err.message === 'body exceeds the 100 byte limit');
  });

  it('accepts a body of exactly the cap', async () => {
    const req = request({ ...JSON_HEADERS, 'content-length': '100' });
    const body = readJsonBody(req, 100);
    req.end(Buffer.alloc(100, 0x20));
    assert.equal((await body).length, 100);
  });

  it('refuses a body without a declared length once it outgrows the cap', async () => {
    const req = request(JSON_HEADERS);
    const body = readJsonBody(req, 100);
    req.write(Buffer.alloc(60, 0x20));
    req.write(Buffer.alloc(60, 0x20));
    await assert.rejects(body, (err: HttpError) => err.status === 413);
    assert.equal(req.listenerCount('data'), 0, 'stops collecting the rest');
  });

  it('refuses a request the client aborted', async () => {
    const req = request(JSON_HEADERS);
    const body = readJsonBody(req, 100);
    req.write('{"a":');
    req.emit('aborted');
    await assert.rejects(body, (err: HttpError) => err.status === 400 && /aborted/.test(err.message));
  });

  it('refuses a request whose stream failed, naming the cause', async () => {
    const req = request(JSON_HEADERS);
    const body = readJsonBody(req, 100);
    req.destroy(new Error('socket hang up'));
    await assert.rejects(body, (err: HttpError) => err.status === 400 && /socket hang up/.test(err.message));
  });
});
