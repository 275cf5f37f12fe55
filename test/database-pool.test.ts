/**
 * Waiting for the database (src/db/client.ts, src/db/faults.ts): a request that finds every pooled connection
 * busy waits its turn, up to DATABASE_ACQUIRE_TIMEOUT_MS, and is then answered OVERLOADED (503, Retry-After); a
 * server that does not answer a new connection still fails it within DATABASE_CONNECT_TIMEOUT_MS as
 * DATABASE_UNAVAILABLE. Before the two waits were told apart, one limit of a second bounded both, and a burst on a
 * busy pool was answered "database unavailable" while the database was fine (a CI run failed that way).
 * PostgreSQL server only: PGlite has no pool.
 */
import net from 'node:net';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';

const READ = '{ beneficiaries(communeCode: "24865", first: 5) { totalCount } }';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Checks out every connection of the pool; `released` settles when they are given back, after `ms`. */
async function holdPool(pool: pg.Pool, size: number, ms: number): Promise<{ released: Promise<void> }> {
  const held = await Promise.all(Array.from({ length: size }, () => pool.connect()));
  const released = sleep(ms).then(() => {
    for (const client of held) client.release();
  });
  return { released };
}

describe.skipIf(!process.env.TEST_DATABASE_URL)('waiting for a database connection', () => {
  let t: TestApp | undefined;
  let extra: Database | undefined;
  afterEach(async () => {
    await extra?.close();
    extra = undefined;
    await closeTestApp(t);
    t = undefined;
  });

  it('a request that finds every connection busy waits for one longer than the connect timeout, and is answered', async () => {
    t = await startTestApp({ database: { poolSize: 2, connectTimeoutMs: 300, acquireTimeoutMs: 5000 } });
    const { released } = await holdPool(t.db.database.pool!, 2, 1000);
    const started = performance.now();
    const r = await t.gql(READ);
    const waited = performance.now() - started;
    await released;
    expect(r.body.errors).toBeUndefined();
    expect(r.status).toBe(200);
    expect(r.body.data.beneficiaries.totalCount).toBeGreaterThanOrEqual(0);
    expect(waited).toBeGreaterThan(800);
  });

  // With the wall, the wait is for the request's transaction, before GraphQL runs: the answer keeps GraphQL's shape.
  it.each([false, true])(
    'past the acquire timeout: 503 OVERLOADED with Retry-After and a Vietnamese message, then answered again (row security %s)',
    async (rowSecurity) => {
      t = await startTestApp({ database: { poolSize: 1, connectTimeoutMs: 300, acquireTimeoutMs: 400 }, config: { rowSecurity } });
      const { released } = await holdPool(t.db.database.pool!, 1, 1500);
      const r = await t.app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { authorization: `Bearer ${await t.token('district_officer')}`, 'content-type': 'application/json' },
        payload: { query: READ },
      });
      expect(r.statusCode).toBe(503);
      expect(r.headers['retry-after']).toBe('5');
      const error = r.json().errors[0];
      expect(error.extensions).toMatchObject({ code: 'OVERLOADED', retryAfterSeconds: 5 });
      expect(error.extensions.messageVi).toMatch(/kết nối cơ sở dữ liệu đang bận/);
      // REST answers the same way.
      const rest = await t.app.inject({
        method: 'GET',
        url: '/exports/beneficiaries.csv?communeCode=24865',
        headers: { authorization: `Bearer ${await t.token('district_officer')}` },
      });
      expect(rest.statusCode).toBe(503);
      expect(rest.json().error).toMatchObject({ code: 'OVERLOADED', retryAfterSeconds: 5 });
      expect(rest.headers['retry-after']).toBe('5');
      await released;
      expect((await t.gql(READ)).status).toBe(200);
    },
  );

  it('a server that accepts but never answers fails a new connection within the connect timeout: DATABASE_UNAVAILABLE', async () => {
    t = await startTestApp();
    // A second pool on the same database, through a relay that can stop answering new connections.
    const target = new URL((t.db.database.pool as unknown as { options: { connectionString: string } }).options.connectionString);
    let stalled = false;
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((client) => {
      sockets.add(client);
      client.on('error', () => client.destroy());
      if (stalled) return; // accepted, never answered
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      sockets.add(upstream);
      upstream.on('error', () => upstream.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    try {
      const via = new URL(target.toString());
      via.hostname = '127.0.0.1';
      via.port = String((relay.address() as net.AddressInfo).port);
      extra = await openDatabase({ databaseUrl: via.toString(), poolSize: 3, connectTimeoutMs: 300, acquireTimeoutMs: 5000 });
      const second = await startTestApp({ sharedDatabase: { database: extra, source: 'server', dispose: () => Promise.resolve() } });
      try {
        expect((await second.gql(READ)).status).toBe(200);
        // Hold the connections the pool has open (fewer than its three), so the next request must open one.
        const pool = extra.pool!;
        expect(pool.totalCount).toBeLessThan(3);
        const held = await Promise.all(Array.from({ length: pool.idleCount }, () => pool.connect()));
        stalled = true;
        const started = performance.now();
        const r = await second.gql(READ);
        const ms = performance.now() - started;
        for (const client of held) client.release();
        expect(r.status).toBe(503);
        expect(r.body.errors[0].extensions.code).toBe('DATABASE_UNAVAILABLE');
        expect(ms).toBeLessThan(2000); // the connect timeout, not the 5 s acquire timeout
      } finally {
        await second.close();
      }
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => relay.close(resolve));
    }
  });
});
