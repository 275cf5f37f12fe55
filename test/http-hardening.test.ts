/**
 * HTTP hardening (src/http/hardening.ts, docs/security.md): security headers on every answer, rate limits per
 * client (token subject, else address) answered RATE_LIMITED with Retry-After, CORS closed unless configured,
 * and overload shed with 503.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPHIQL_CSP } from '../src/http/graphiql.js';
import { buildApp } from '../src/app.js';
import { closeTestApp, startTestApp, TEST_JWT, type TestApp } from './support/app.js';

const gqlRequest = (token: string | undefined, query = '{ ping }', headers: Record<string, string> = {}) => ({
  method: 'POST' as const,
  url: '/graphql',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  payload: { query },
});

describe('HTTP hardening with its defaults', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => closeTestApp(t));

  it('sends security headers on API answers, errors included, with a policy that allows nothing', async () => {
    for (const res of [
      await t.app.inject(gqlRequest(await t.token('district_officer'))),
      await t.app.inject(gqlRequest(undefined)),
      await t.app.inject({ method: 'GET', url: '/healthz' }),
      await t.app.inject({ method: 'GET', url: '/nope' }),
    ]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'");
    }
  });

  it('sends no CORS headers when no origin is configured, to a preflight or a request', async () => {
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/graphql',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const res = await t.app.inject(gqlRequest(await t.token('district_officer'), '{ ping }', { origin: 'https://elsewhere.example' }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('gives a client 30 s to send its whole request (Fastify would wait forever)', () => {
    expect(t.app.server.requestTimeout).toBe(30_000);
  });

  it('does not rate-limit a test app built without a configuration', async () => {
    const token = await t.token('district_officer');
    for (let i = 0; i < 20; i++) expect((await t.app.inject(gqlRequest(token))).statusCode).toBe(200);
  });
});

describe('rate limits, CORS and GraphiQL as configured', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      config: { rateLimit: { max: 3, windowMs: 60_000 }, corsOrigins: ['https://portal.example'], graphiql: true },
    });
  });
  afterAll(() => closeTestApp(t));

  it('limits each token subject separately: the 4th request in the window is 429 RATE_LIMITED with Retry-After', async () => {
    const alice = await t.token('commune_officer', ['24865'], '', 'alice');
    const bob = await t.token('commune_officer', ['24865'], '', 'bob');
    for (let i = 0; i < 3; i++) expect((await t.app.inject(gqlRequest(alice))).statusCode).toBe(200);
    const refused = await t.app.inject(gqlRequest(alice));
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    const e = refused.json().errors[0];
    expect(e.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(e.extensions.messageVi).toMatch(/thử lại/);
    expect(e.extensions.retryAfterSeconds).toBe(Number(refused.headers['retry-after']));
    // Another officer (another subject) behind the same address is not affected.
    expect((await t.app.inject(gqlRequest(bob))).statusCode).toBe(200);
  });

  it('limits callers without a token by address, with the REST error shape off /graphql; probes are never limited', async () => {
    const from = (remoteAddress: string) => ({ method: 'GET' as const, url: '/', remoteAddress });
    for (let i = 0; i < 3; i++) expect((await t.app.inject(from('10.0.0.7'))).statusCode).toBe(200);
    const refused = await t.app.inject(from('10.0.0.7'));
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.json().error).toMatchObject({ code: 'RATE_LIMITED' });
    expect((await t.app.inject(from('10.0.0.8'))).statusCode).toBe(200);
    for (let i = 0; i < 6; i++) expect((await t.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '10.0.0.7' })).statusCode).toBe(200);
  });

  it('answers a preflight from a configured origin (before authentication) and no other', async () => {
    const preflight = (origin: string) =>
      t.app.inject({
        method: 'OPTIONS',
        url: '/graphql',
        remoteAddress: '10.0.1.1',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
    const allowed = await preflight('https://portal.example');
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://portal.example');
    expect(String(allowed.headers['access-control-allow-headers'])).toMatch(/authorization/);
    const other = await preflight('https://elsewhere.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves GraphiQL under its own policy: its scripts and styles by hash, requests to the service only', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/graphiql', remoteAddress: '10.0.2.1' });
    expect(res.statusCode).toBe(200);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toBe(GRAPHIQL_CSP);
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(csp).toContain("connect-src 'self'");
  });
});

describe('overload', () => {
  it('sheds requests with 503 OVERLOADED and Retry-After past a threshold, and still answers the liveness probe', async () => {
    const t = await startTestApp();
    // A heap threshold of 1 byte is crossed at the first sample (every 10 ms here).
    const app = await buildApp({
      config: {
        jwt: TEST_JWT,
        graphiql: false,
        env: 'test',
        overload: { maxEventLoopDelayMs: 0, maxEventLoopUtilization: 0, maxHeapUsedBytes: 1, sampleIntervalMs: 10 },
      },
      database: t.db.database,
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const res = await app.inject(gqlRequest(await t.token('district_officer')));
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('10');
      expect(res.json().errors[0].extensions).toMatchObject({ code: 'OVERLOADED', retryAfterSeconds: 10 });
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await t.close();
    }
  });
});
