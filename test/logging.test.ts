import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../src/logging.js';
import { makeNationalId } from '../src/core/national-id.js';
import { startTestApp, type TestApp } from './support/app.js';

const lines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ logger: pino(loggerOptions('info'), sink) });
});
afterAll(async () => t?.close());

describe('request logs', () => {
  it('writes one line per request with its request id, and never the token or an identification number', async () => {
    const nationalId = makeNationalId('068', 1961, 'FEMALE', 424242);
    const token = await t.token('district_officer');
    lines.length = 0;
    const reg = await t.gql(
      `mutation($i: RegisterPersonInput!) { registerPerson(input: $i) { id } }`,
      { i: { nationalId, fullName: 'Ka Nhung', dateOfBirth: '1961-04-04', sex: 'FEMALE', communeCode: '24865' } },
      token,
    );
    expect(reg.body.errors).toBeUndefined();
    // The number in a URL (a GET query) must be masked too.
    const get = await t.app.inject({
      method: 'GET',
      url: `/graphql?query=${encodeURIComponent(`{ personByNationalId(nationalId: "${nationalId}") { id } }`)}`,
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'trace-123' },
    });
    expect(get.statusCode).toBe(200);
    expect(get.headers['x-request-id']).toBe('trace-123');

    const requestLines = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
    expect(requestLines).toHaveLength(2);
    expect(requestLines[1]).toMatchObject({ reqId: 'trace-123', statusCode: 200, role: 'district_officer' });
    expect(requestLines[0].reqId).toMatch(/^[0-9a-f-]{36}$/);
    const all = lines.join('\n');
    expect(all).not.toContain(nationalId);
    expect(all).not.toContain(token);
    expect(requestLines[1].path).toBe('/graphql');
  });
});
