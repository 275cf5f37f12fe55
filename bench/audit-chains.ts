/**
 * npx tsx bench/audit-chains.ts — what splitting the audit log into chains buys: many concurrent audited
 * mutations (one small INSERT plus its audit event, one transaction each) with every event in 1 chain (the old
 * single lock) and spread over N chains, then the cost of verifying and anchoring. Figures go to stdout; see
 * docs/architecture.md, "Audit log".
 *
 * Env: BENCH_DATABASE_URL (required: a server URL; a database of its own is created and dropped on it),
 * AUDIT_BENCH_CHAINS (default "1,16"), AUDIT_BENCH_WORKERS (concurrent transactions, default 32),
 * AUDIT_BENCH_SECONDS (per measured run, default 8), AUDIT_BENCH_ROUNDS (default 2), AUDIT_BENCH_DELAYS_MS (default
 * "0,2": milliseconds each transaction waits after its audit append, lock held, before COMMIT — what a commit
 * waiting for a synchronous standby, or a database across a network, adds to the time a chain stays locked).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { anchorRoot, recordAudit, verifyChain, type AuditActor } from '../src/modules/audit/audit.service.js';

const env = process.env;
const SERVER_URL = env.BENCH_DATABASE_URL;
if (!SERVER_URL) throw new Error('BENCH_DATABASE_URL is required (a PostgreSQL server; the bench creates its own database on it)');
const CHAINS = (env.AUDIT_BENCH_CHAINS ?? '1,16').split(',').map(Number);
const WORKERS = Number(env.AUDIT_BENCH_WORKERS ?? 32);
const SECONDS = Number(env.AUDIT_BENCH_SECONDS ?? 8);
const ROUNDS = Number(env.AUDIT_BENCH_ROUNDS ?? 2);
const DELAYS = (env.AUDIT_BENCH_DELAYS_MS ?? '0,2').split(',').map(Number);

const actor: AuditActor = { principal: { subject: 'bench', role: 'admin', communes: [], scopes: new Set() }, requestId: undefined };

async function run(database: Database, chains: number, delayMs: number): Promise<{ tps: number; p50: number; p95: number; p99: number; n: number }> {
  const latencies: number[] = [];
  const until = Date.now() + SECONDS * 1000;
  const worker = async () => {
    while (Date.now() < until) {
      const started = performance.now();
      const id = randomUUID();
      await database.db.transaction(async (tx) => {
        // The mutation itself: a row written, then its event appended in the same transaction.
        await tx.execute(sql`INSERT INTO bench_audit_work (id, note) VALUES (${id}, 'x')`);
        await recordAudit(tx, actor, [{ action: 'benchMutation', entityType: 'Household', entityId: id, after: { id, note: 'x' } }], chains);
        if (delayMs > 0) await tx.execute(sql`SELECT pg_sleep(${delayMs / 1000})`);
      });
      latencies.push(performance.now() - started);
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: WORKERS }, worker));
  const elapsed = (Date.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0);
  return { tps: Math.round(latencies.length / elapsed), p50: q(0.5), p95: q(0.95), p99: q(0.99), n: latencies.length };
}

const name = `an_sinh_bench_audit_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const admin = new pg.Client({ connectionString: SERVER_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
await admin.end();
const url = new URL(SERVER_URL);
url.pathname = `/${name}`;
const database = await openDatabase({ databaseUrl: url.toString(), poolSize: WORKERS, connectTimeoutMs: 30_000 });
try {
  await runMigrations(database);
  await database.db.execute(sql`CREATE TABLE bench_audit_work (id uuid PRIMARY KEY, note text NOT NULL)`);
  const settings = await database.db.execute<{ v: string }>(
    sql`SELECT current_setting('server_version') || ', synchronous_commit=' || current_setting('synchronous_commit') AS v`,
  );
  console.log(`PostgreSQL ${settings.rows[0]?.v}; ${WORKERS} concurrent transactions, ${SECONDS} s per run, ${ROUNDS} rounds`);
  console.log('| delay before commit | chains | round | transactions/s | p50 ms | p95 ms | p99 ms | transactions |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const delay of DELAYS) {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const chains of CHAINS) {
        const r = await run(database, chains, delay);
        console.log(`| ${delay} ms | ${chains} | ${round} | ${r.tps} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.n} |`);
      }
    }
  }
  let started = performance.now();
  const check = await verifyChain(database.db);
  const verifyMs = performance.now() - started;
  if (!check.ok) throw new Error(`the chains are broken after the bench: ${JSON.stringify(check.firstBroken)}`);
  console.log(
    `verify: ${check.eventsChecked} events in ${check.chainsChecked} chains, ${Math.round(verifyMs)} ms (${Math.round(check.eventsChecked / (verifyMs / 1000))} events/s)`,
  );
  started = performance.now();
  await anchorRoot(database.db, check.heads);
  console.log(`anchor: a root over ${check.heads.length} heads in ${Math.round(performance.now() - started)} ms`);
  const size = await database.db.execute<{ table: string; index: string; n: string }>(sql`
    SELECT pg_size_pretty(pg_relation_size('audit_events')) AS table,
      pg_size_pretty(pg_relation_size('audit_events_chain_idx')) AS index, count(*)::text AS n FROM audit_events`);
  const s = size.rows[0];
  console.log(`storage: audit_events ${s?.table} for ${s?.n} events; the (chain, seq) index adds ${s?.index}`);
} finally {
  await database.close();
  const c = new pg.Client({ connectionString: SERVER_URL });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.end();
}
