/**
 * Client mistakes look like client mistakes: malformed GraphQL requests get 4xx with VALIDATION_FAILED
 * and a Vietnamese message, logged at info (not error); unknown routes get a JSON 404; `GET /` says where
 * to go; the development token route exists only in development.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { DEVELOPMENT_JWT_SECRET } from '../src/config.js';
import { startTestApp, type TestApp } from './support/app.js';
import { household, person } from './support/people.js';

describe('errors everywhere', () => {
  let t: TestApp;
  let bearer: string;
  const logLines: { level: number; msg: string }[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) logLines.push(JSON.parse(line) as { level: number; msg: string });
        done();
      },
    });
    t = await startTestApp({ logger: pino({ level: 'info' }, sink) });
    bearer = `Bearer ${await t.token('district_officer')}`;
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (payload: string, accept = 'application/json') =>
    t.app.inject({ method: 'POST', url: '/graphql', headers: { authorization: bearer, 'content-type': 'application/json', accept }, payload });

  // Statuses under application/graphql-response+json and under application/json: a document that does not
  // parse or validate is a well-formed GraphQL response, 200 under application/json (the spec's legacy rule).
  it.each([
    ['truncated JSON', '{"query": ', 400, 400],
    ['an empty body', '', 400, 400],
    ['no query', '{"variables":{}}', 400, 400],
    ['a query that is not a string', '{"query":42}', 400, 400],
    ['variables that are not an object', '{"query":"{ ping }","variables":"x"}', 400, 400],
    ['a query that does not parse', '{"query":"{ beneficiaries("}', 400, 200],
    ['a field that does not exist', '{"query":"{ nope }"}', 400, 200],
    ['a variable of the wrong type', '{"query":"query($c: String!) { beneficiaries(communeCode: $c) { totalCount } }","variables":{"c":5}}', 400, 200],
  ])(
    '%s → 4xx (or 200 under application/json for document errors), VALIDATION_FAILED in both languages, no data, logged below error level',
    async (_name, payload, status, statusJson) => {
      const before = logLines.length;
      const underJson = await post(payload);
      expect(underJson.statusCode, underJson.body).toBe(statusJson);
      expect(underJson.headers['content-type']).toMatch(/^application\/json/);
      const res = await post(payload, 'application/graphql-response+json');
      expect(res.headers['content-type']).toMatch(/^application\/graphql-response\+json/);
      expect(res.statusCode, res.body).toBe(status);
      const body = res.json<{ data?: unknown; errors: { message: string; extensions: { code: string; messageVi: string } }[] }>();
      expect(body).not.toHaveProperty('data');
      expect(body.errors.length).toBeGreaterThan(0);
      for (const e of body.errors) {
        expect(e.extensions.code).toBe('VALIDATION_FAILED');
        expect(e.message.length).toBeGreaterThan(0);
        expect(e.extensions.messageVi).toMatch(/[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹáàãéèíìóòõúùý]/i);
      }
      const lines = logLines.slice(before);
      expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    },
  );

  it('a 20 MiB body → 413, bilingual', async () => {
    const big = JSON.stringify({ query: `{ ping }`, variables: { pad: 'x'.repeat(20 * 1024 * 1024) } });
    const res = await post(big);
    expect(res.statusCode).toBe(413);
    const e = res.json<{ errors: { extensions: { code: string; messageVi: string } }[] }>().errors[0];
    expect(e?.extensions).toMatchObject({ code: 'VALIDATION_FAILED', messageVi: 'Nội dung yêu cầu quá lớn (tối đa 1 MiB)' });
  });

  it('a mutation with GET → 405', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent('mutation { _noop }')}`, headers: { authorization: bearer } });
    expect(res.statusCode).toBe(405);
    expect(res.json().errors[0].extensions.messageVi).toMatch(/POST/);
  });

  it('unknown routes → JSON 404 in both languages', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nothing/here', headers: { authorization: bearer } });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: { code: 'NOT_FOUND', message: expect.stringContaining('/nothing/here'), messageVi: expect.stringContaining('Không có đường dẫn') },
    });
  });

  it('GET / answers without a token and points to GraphiQL and the SDL', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ graphql: '/graphql', schema: '/graphql/schema.graphql', rest: { docs: '/docs', openapi: '/docs/json' } });
  });

  it('the development token route exists only in development with the development secret', async () => {
    const jwt = { secret: DEVELOPMENT_JWT_SECRET, jwksUrl: undefined, issuer: undefined, audience: undefined };
    const dev = await buildApp({ config: { jwt, graphiql: true, env: 'development' }, database: t.db.database });
    const prod = await buildApp({ config: { jwt: { ...jwt, secret: 'x'.repeat(40) }, graphiql: true, env: 'production' }, database: t.db.database });
    try {
      const minted = await dev.inject({ method: 'POST', url: '/graphiql/dev-token' });
      expect(minted.statusCode).toBe(200);
      const token = minted.json<{ token: string }>().token;
      const ping = await dev.inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${token}` }, payload: { query: '{ ping }' } });
      expect(ping.json()).toEqual({ data: { ping: 'pong' } });
      expect((await prod.inject({ method: 'POST', url: '/graphiql/dev-token' })).statusCode).toBe(404);
    } finally {
      await dev.close();
      await prod.close();
    }
  });

  it('Vietnamese messages name records and codes in Vietnamese, never in English or as raw codes', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const missing = await t.gql(`mutation { approveEnrolment(id: "${id}") { id } }`);
    expect(missing.body.errors[0].extensions.messageVi).toBe(`Không tìm thấy hồ sơ hưởng trợ cấp có mã ${id}`);
    const personId = await person(t, { dateOfBirth: '2015-03-01', householdId: await household(t) });
    const e = await t.gql(`query($id: ID!) { eligibility(personId: $id, asOf: "2026-01-01") { conditions { textVi } } }`, { id: personId });
    const texts = (e.body.data.eligibility as { conditions: { textVi: string }[] }[]).flatMap((p) => p.conditions.map((c) => c.textVi));
    expect(texts.length).toBeGreaterThan(10);
    const raw = texts.filter((x) => /\b(?:[A-Z]+_[A-Z_]+|NONE|POOR|MALE|FEMALE|MILD|SEVERE)\b|enrolment|includes|excludes/.test(x));
    expect(raw).toEqual([]);
  });
});
