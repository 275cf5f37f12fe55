/**
 * Database faults, on the real service process against the real PostgreSQL server: backends terminated
 * under load (what a PostgreSQL restart, a failover or an idle timeout does), the database taken away and
 * brought back, and SIGTERM while a request is in flight. On PGlite there is no server to lose: the file
 * then only checks that the embedded database answers /readyz.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthService } from '../src/modules/auth/auth.service.js';
import { startTestApp, TEST_JWT } from './support/app.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { startTcpProxy } from './support/tcp-proxy.js';

const SERVER_URL = process.env.TEST_DATABASE_URL;
const auth = createAuthService(TEST_JWT);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
  status: number;
  code?: string;
  messageVi?: string;
  data?: Record<string, unknown> | null;
  startedAt: number;
  ms: number;
}

async function post(url: string, token: string, query: string, variables?: Record<string, unknown>): Promise<Answer> {
  const startedAt = performance.now();
  try {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as { data?: Record<string, unknown> | null; errors?: { extensions?: { code?: string; messageVi?: string } }[] };
    const first = body.errors?.[0]?.extensions;
    return { status: res.status, code: first?.code, messageVi: first?.messageVi, data: body.data, startedAt, ms: performance.now() - startedAt };
  } catch (err) {
    return { status: 0, code: `NO_ANSWER ${(err as Error).message}`, startedAt, ms: performance.now() - startedAt };
  }
}

const REGISTER = `mutation($input: RegisterHouseholdInput!) { registerHousehold(input: $input) { id code } }`;
const READ = `{ beneficiaries(communeCode: "24865", first: 5) { totalCount nodes { id } } }`;

if (!SERVER_URL) {
  describe('database faults', () => {
    it('need a PostgreSQL server (TEST_DATABASE_URL) to terminate backends; on PGlite only /readyz is checked', async () => {
      const t = await startTestApp();
      try {
        expect(t.db.database.pool).toBeUndefined();
        const res = await t.app.inject({ method: 'GET', url: '/readyz' });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({ status: 'ready', database: 'pglite' });
      } finally {
        await t.close();
      }
    });
  });
} else {
  describe('database faults on the real PostgreSQL server', () => {
    const name = `an_sinh_faults_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    const dbUrl = new URL(SERVER_URL);
    dbUrl.pathname = `/${name}`;
    let token: string;

    async function admin<T>(fn: (c: pg.Client) => Promise<T>, url = SERVER_URL!): Promise<T> {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return await fn(c);
      } finally {
        await c.end();
      }
    }

    beforeAll(async () => {
      await admin((c) => c.query(`CREATE DATABASE ${name}`));
      token = await auth.issueToken({ sub: 'test-faults', role: 'district_officer' });
    });
    afterAll(async () => {
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    });

    const env = (databaseUrl: string) => ({
      DATABASE_URL: databaseUrl,
      SEED_DEMO: 'false',
      JWT_SECRET: TEST_JWT.secret,
      DATABASE_POOL_SIZE: '5',
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      // The load comes from one token by design: this is about the database going away, not rate limits.
      RATE_LIMIT_MAX: '0',
    });

    it('survives pg_terminate_backend during a load of reads and writes; every acknowledged write is there with its audit event', async () => {
      const server = await startServerProcess(env(dbUrl.toString()));
      try {
        const answers: (Answer & { kind: 'read' | 'write'; code_?: string })[] = [];
        const acknowledged: string[] = [];
        let serial = 0;
        let stop = false;
        const prefix = `FAULT-${randomBytes(2).toString('hex')}`;
        const writer = async () => {
          while (!stop) {
            const code = `${prefix}-${serial++}`;
            const a = await post(server.url, token, REGISTER, { input: { code, communeCode: '24865', villageCode: '24865.01' } });
            answers.push({ ...a, kind: 'write' });
            if (a.status === 200 && (a.data?.registerHousehold as { code?: string } | undefined)?.code === code) acknowledged.push(code);
          }
        };
        const reader = async () => {
          while (!stop) answers.push({ ...(await post(server.url, token, READ)), kind: 'read' });
        };
        const load = [writer(), writer(), writer(), reader(), reader()];
        await sleep(1000);
        const terminatedAt = performance.now();
        const terminated = await admin(
          (c) => c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`),
          dbUrl.toString(),
        );
        await sleep(1500);
        stop = true;
        await Promise.all(load);

        // The process lives and answers.
        expect(server.child.exitCode).toBeNull();
        const ready = await fetch(`${server.url}/readyz`);
        expect(ready.status).toBe(200);

        // Failures during the fault are DATABASE_UNAVAILABLE (503, Vietnamese message), fast, never INTERNAL.
        const failed = answers.filter((a) => a.status !== 200);
        for (const f of failed) {
          expect(f.status, JSON.stringify(f)).toBe(503);
          expect(f.code).toBe('DATABASE_UNAVAILABLE');
          expect(f.messageVi).toMatch(/Cơ sở dữ liệu/);
        }
        expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(3000);
        const recovered = answers.filter((a) => a.status === 200 && a.startedAt >= terminatedAt).map((a) => a.startedAt + a.ms);
        expect(recovered.length).toBeGreaterThan(0);
        const recoverMs = Math.round(Math.min(...recovered) - terminatedAt);

        // Every acknowledged write is there; nothing half-written: each household has exactly its one
        // audit event and no registerHousehold event lacks its household.
        const rows = await admin(
          (c) =>
            c.query<{ code: string; events: number }>(
              `SELECT h.code, (SELECT count(*)::int FROM audit_events a WHERE a.entity_type = 'Household' AND a.entity_id = h.id::text) AS events
                 FROM households h WHERE h.code LIKE $1`,
              [`${prefix}-%`],
            ),
          dbUrl.toString(),
        );
        const present = new Set(rows.rows.map((r) => r.code));
        expect(acknowledged.filter((c) => !present.has(c))).toEqual([]);
        expect(rows.rows.filter((r) => r.events !== 1)).toEqual([]);
        const orphanEvents = await admin(
          (c) =>
            c.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM audit_events a WHERE a.action = 'registerHousehold' AND NOT EXISTS (SELECT 1 FROM households h WHERE h.id::text = a.entity_id)`,
            ),
          dbUrl.toString(),
        );
        expect(orphanEvents.rows[0]?.n).toBe(0);
        const auditor = await auth.issueToken({ sub: 'test-auditor', role: 'auditor' });
        const chain = await post(server.url, auditor, `{ verifyAuditChain { ok eventsChecked } }`);
        expect(chain.data?.verifyAuditChain).toMatchObject({ ok: true });

        const writes = answers.filter((a) => a.kind === 'write');
        console.log(
          `[faults] backends terminated: ${terminated.rowCount}; writes sent ${writes.length}, acknowledged ${acknowledged.length}, ` +
            `found ${acknowledged.filter((c) => present.has(c)).length} (+${rows.rows.length - acknowledged.length} committed but not acknowledged); ` +
            `reads ${answers.length - writes.length}; failed ${failed.length} (all DATABASE_UNAVAILABLE 503); recovered in ${recoverMs} ms; ` +
            `slowest answer ${Math.round(Math.max(...answers.map((a) => a.ms)))} ms`,
        );
        expect(server.lines.some((l) => l.includes('database connection lost'))).toBe(true);
      } finally {
        expect(await server.stop(), server.lines.slice(-6).join('\n')).toBe(0);
      }
    });

    it('while the database is away: /readyz 503 and DATABASE_UNAVAILABLE within about a second; back without restart', async () => {
      const proxy = await startTcpProxy({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) });
      const viaProxy = new URL(dbUrl.toString());
      viaProxy.port = String(proxy.port);
      let server: ServerProcess | undefined;
      try {
        server = await startServerProcess(env(viaProxy.toString()));
        expect((await post(server.url, token, READ)).status).toBe(200);

        await proxy.cut();
        const ready = await fetch(`${server.url}/readyz`);
        expect(ready.status).toBe(503);
        const read = await post(server.url, token, READ);
        expect(read).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
        expect(read.messageVi).toMatch(/Cơ sở dữ liệu/);
        expect(read.ms).toBeLessThan(2000);
        const write = await post(server.url, token, REGISTER, { input: { code: `AWAY-${randomBytes(2).toString('hex')}`, communeCode: '24865' } });
        expect(write).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
        expect(write.ms).toBeLessThan(2000);

        await proxy.restore();
        const backAt = performance.now();
        let back: Answer | undefined;
        while (performance.now() - backAt < 5000) {
          back = await post(server.url, token, READ);
          if (back.status === 200) break;
          await sleep(50);
        }
        expect(back?.status).toBe(200);
        expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
        console.log(
          `[faults] database away: answered 503 in ${Math.round(read.ms)} ms (read), ${Math.round(write.ms)} ms (write); back ${Math.round(performance.now() - backAt)} ms after the database returned`,
        );
        expect(server.child.exitCode).toBeNull();
      } finally {
        if (server) await server.stop();
        await proxy.close();
      }
    });

    it('SIGTERM lets an in-flight request finish, then exits 0', async () => {
      const server = await startServerProcess(env(dbUrl.toString()));
      const locker = new pg.Client({ connectionString: dbUrl.toString() });
      await locker.connect();
      try {
        // Hold the households table so the next write waits inside the server.
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE households IN ACCESS EXCLUSIVE MODE');
        const code = `DRAIN-${randomBytes(2).toString('hex')}`;
        const inFlight = post(server.url, token, REGISTER, { input: { code, communeCode: '24865' } });
        await sleep(300);
        server.child.kill('SIGTERM');
        await sleep(300);
        expect(server.child.exitCode).toBeNull(); // still draining
        await locker.query('COMMIT');
        const answer = await inFlight;
        expect(answer.status).toBe(200);
        expect((answer.data?.registerHousehold as { code?: string } | undefined)?.code).toBe(code);
        expect(await server.exited, server.lines.slice(-6).join('\n')).toBe(0);
      } finally {
        await locker.end();
        await server.stop();
      }
    });
  });
}
