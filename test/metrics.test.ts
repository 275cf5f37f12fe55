/**
 * Prometheus metrics: served only with METRICS_TOKEN, counting GraphQL requests by operation name, errors
 * by code, the pg pool and the event loop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { createAuthService } from '../src/modules/auth/auth.service.js';
import { seedReferenceData } from '../src/reference/reference.js';
import { TEST_JWT } from './support/app.js';
import { openTestDatabase, type TestDatabase } from './support/database.js';

const METRICS_TOKEN = 'scraper-secret-0123456789';

describe('metrics', () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let bearer: string;
  beforeAll(async () => {
    db = await openTestDatabase();
    await seedReferenceData(db.database.db);
    app = await buildApp({ config: { jwt: TEST_JWT, graphiql: false, env: 'test' }, database: db.database, metricsToken: METRICS_TOKEN });
    bearer = `Bearer ${await createAuthService(TEST_JWT).issueToken({ sub: 'test-metrics', role: 'district_officer' })}`;
  });
  afterAll(async () => {
    await app.close();
    await db.dispose();
  });

  it('needs its own token, not a user token', async () => {
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: bearer } })).statusCode).toBe(401);
  });

  it('counts requests by operation name, errors by code, the pool and the event loop', async () => {
    const gql = (payload: object) => app.inject({ method: 'POST', url: '/graphql', headers: { authorization: bearer }, payload });
    expect((await gql({ query: 'query Communes { adminUnits(level: COMMUNE) { code } }', operationName: 'Communes' })).statusCode).toBe(200);
    expect((await gql({ query: 'query Communes { adminUnits(level: COMMUNE) { code } }', operationName: 'Communes' })).statusCode).toBe(200);
    await gql({ query: '{ nope }' });
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('ansinh_graphql_request_duration_seconds_count{operation="Communes",status="200"} 2');
    expect(res.body).toMatch(/ansinh_graphql_errors_total\{code="VALIDATION_FAILED"\} 1/);
    expect(res.body).toMatch(/ansinh_nodejs_eventloop_lag_seconds \d/);
    if (db.database.pool) expect(res.body).toMatch(/ansinh_db_pool_connections\{state="total"\} \d+/);
    else expect(res.body).not.toMatch(/ansinh_db_pool_connections\{/);
  });

  it('does not exist without METRICS_TOKEN', async () => {
    const plain = await buildApp({ config: { jwt: TEST_JWT, graphiql: false, env: 'test' }, database: db.database });
    try {
      expect((await plain.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).statusCode).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
