import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { HttpError } from './httpError.ts';
import { BodyBudget } from './bodyBudget.ts';
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
    const body = readJsonBody(req, { limitBytes: 100 });
    req.write('{"a":');
    req.write('1}');
    req.end();
    assert.equal((await body).toString(), '{"a":1}');
  });

  it('returns an empty buffer for an empty body (the caller refuses it)', async () => {
    const req = request(JSON_HEADERS);
    const body = readJsonBody(req, { limitBytes: 100 });
    req.end();
    assert.equal((await body).length, 0);
  });

  it('refuses a wrong content type with 415 before reading', async () => {
    await assert.rejects(readJsonBody(request({ 'content-type': 'text/plain' }), { limitBytes: 100 }), (err: HttpError) => err.status === 415 && /got "text\/plain"/.test(err.message));
  });

  it('refuses a compressed body with 415: inflating it would defeat the cap', async () => {
    await assert.rejects(readJsonBody(request({ ...JSON_HEADERS, 'content-encoding': 'gzip' }), { limitBytes: 100 }), (err: HttpError) => err.status === 415 && /gzip/.test(err.message));
  });

  it('accepts the identity content encoding', async () => {
    const req = request({ ...JSON_HEADERS, 'content-encoding': 'identity' });
    const body = readJsonBody(req, { limitBytes: 100 });
    req.end('{}');
    assert.equal((await body).toString(), '{}');
  });

  it('refuses a declared length over the cap with 413 before reading', async () => {
    await assert.rejects(readJsonBody(request({ ...JSON_HEADERS, 'content-length': '101' }), { limitBytes: 100 }), (err: HttpError) => err.status === 413 && err.message === 'body exceeds the 100 byte limit');
  });

  it('accepts a body of exactly the cap', async () => {
    const req = request({ ...JSON_HEADERS, 'content-length': '100' });
    const body = readJsonBody(req, { limitBytes: 100 });
    req.end(Buffer.alloc(100, 0x20));
    assert.equal((await body).length, 100);
  });

  it('refuses a body without a declared length once it outgrows the cap', async () => {
    const req = request(JSON_HEADERS);
    const body = readJsonBody(req, { limitBytes: 100 });
    req.write(Buffer.alloc(60, 0x20));
    req.write(Buffer.alloc(60, 0x20));
    await assert.rejects(body, (err: HttpError) => err.status === 413);
    assert.equal(req.listenerCount('data'), 0, 'stops collecting the rest');
  });

  it('refuses a request the client aborted', async () => {
    const req = request(JSON_HEADERS);
    const body = readJsonBody(req, { limitBytes: 100 });
    req.write('{"a":');
    req.emit('aborted');
    await assert.rejects(body, (err: HttpError) => err.status === 400 && /aborted/.test(err.message));
  });

  it('refuses a request whose stream failed, naming the cause', async () => {
    const req = request(JSON_HEADERS);
    const body = readJsonBody(req, { limitBytes: 100 });
    req.destroy(new Error('socket hang up'));
    await assert.rejects(body, (err: HttpError) => err.status === 400 && /socket hang up/.test(err.message));
  });

  it('refuses a declared length that does not fit in the budget with 503, before reading, and closes', async () => {
    const budget = new BodyBudget(150);
    assert.ok(budget.tryReserve(100), 'another body holds 100 bytes');
    await assert.rejects(
      readJsonBody(request({ ...JSON_HEADERS, 'content-length': '60' }), { limitBytes: 100, budget }),
      (err: HttpError) => err.status === 503 && err.closeConnection && /in flight/.test(err.message),
    );
    assert.equal(budget.inFlight, 100, 'the refused body reserved nothing');
  });

  it('a chunked body reserves as it arrives, and is refused with 503 when the budget runs out', async () => {
    const budget = new BodyBudget(100);
    assert.ok(budget.tryReserve(50));
    const req = request(JSON_HEADERS);
    const body = readJsonBody(req, { limitBytes: 100, budget });
    req.write(Buffer.alloc(40, 0x20));
    req.write(Buffer.alloc(40, 0x20));
    await assert.rejects(body, (err: HttpError) => err.status === 503);
    assert.equal(budget.inFlight, 50, 'what the refused body had reserved is released');
  });

  it('a body that was read gives its reservation back, whether it was declared or chunked', async () => {
    const budget = new BodyBudget(1000);
    const declared = request({ ...JSON_HEADERS, 'content-length': '2' });
    const first = readJsonBody(declared, { limitBytes: 100, budget });
    assert.equal(budget.inFlight, 2);
    declared.end('{}');
    await first;
    const chunked = request(JSON_HEADERS);
    const second = readJsonBody(chunked, { limitBytes: 100, budget });
    chunked.end('{"a":1}');
    await second;
    assert.equal(budget.inFlight, 0);
  });

  it('a 413 closes the connection, and so does a 503; a 415 does not', async () => {
    await assert.rejects(readJsonBody(request({ ...JSON_HEADERS, 'content-length': '101' }), { limitBytes: 100 }), (err: HttpError) => err.closeConnection);
    await assert.rejects(readJsonBody(request({ 'content-type': 'text/plain' }), { limitBytes: 100 }), (err: HttpError) => !err.closeConnection);
  });
});
