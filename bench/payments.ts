/**
 * Payment-cycle generation at scale (issue 10 item 8): `createPaymentCycles` for one month over every commune of
 * the bench's data set, timed through GraphQL. bench/run.ts calls `timeCycleGeneration` against its running An Sinh
 * server; run alone (`npx tsx bench/payments.ts`), this file starts An Sinh in-process on the bench database.
 *
 * The job writes data, and payment lines are never deleted by the application (a trigger refuses it). The bench's
 * own database is not the application's: after timing, the bench removes the month's cycles with the triggers
 * switched off for its session (`session_replication_role = replica`, as a superuser), so every run measures the
 * same work. The audit events of the cycles stay (append-only).
 *
 * Env: BENCH_DATABASE_URL (required; never `test`), BENCH_SCALE, BENCH_CYCLE_PERIOD (yyyy-mm; default the data set's
 * as-of month), BENCH_CYCLE_HISTORY (months created and paid before the month timed; default 0), BENCH_KEEP_HISTORY=1
 * (leave the history months in place after the run and reuse those already there, to time findings again without
 * minutes of set-up; the month timed is still removed).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { loggerOptions } from '../src/logging.js';
import { buildApp } from '../src/app.js';
import { openDatabase } from '../src/db/client.js';
import { createAuthService } from '../src/modules/auth/auth.service.js';
import { addMonths } from '../src/core/period.js';
import { ensureDataSet, log } from './data-set.js';
import { recordDemoCarers } from '../seeds/payments.js';

/** Runs `fn` on a connection of its own to the bench database, closed after. */
async function withClient<T>(databaseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Removes a month's cycles and their lines from the bench database (triggers off for this session only). */
async function removeCycles(databaseUrl: string, period: string): Promise<void> {
  return withClient(databaseUrl, async (client) => {
    await client.query('BEGIN');
    await client.query(`SET LOCAL session_replication_role = replica`);
    const cycles = `SELECT id FROM payment_cycles WHERE period = $1::date`;
    await client.query(`DELETE FROM payment_results WHERE payment_id IN (SELECT id FROM payments WHERE cycle_id IN (${cycles}))`, [`${period}-01`]);
    await client.query(`DELETE FROM payments WHERE cycle_id IN (${cycles})`, [`${period}-01`]);
    await client.query(`DELETE FROM payment_cycles WHERE period = $1::date`, [`${period}-01`]);
    await client.query('COMMIT');
  });
}

async function createCycles(graphqlUrl: string, token: string, period: string) {
  const res = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      query: `mutation($p: Period!) { createPaymentCycles(period: $p) { communeCode controlTotals { lines payableAmount } } }`,
      variables: { p: period },
    }),
  });
  return (await res.json()) as { errors?: unknown[]; data?: { createPaymentCycles: { controlTotals: { lines: number; payableAmount: number } }[] } };
}

/** Marks a month's cycles approved and every line paid, as the bank would (bench database only; triggers allow it). */
async function payMonth(databaseUrl: string, period: string): Promise<void> {
  return withClient(databaseUrl, async (client) => {
    await client.query(`UPDATE payment_cycles SET status = 'APPROVED', approved_by = 'bench-approver', approved_at = now() WHERE period = $1::date`, [
      `${period}-01`,
    ]);
    await client.query(
      `UPDATE payments SET status = 'PAID', reference = 'BENCH', paid_at = $1::date + 19 WHERE amount > 0 AND cycle_id IN (SELECT id FROM payment_cycles WHERE period = $1::date)`,
      [`${period}-01`],
    );
  });
}

/**
 * Times createPaymentCycles for `period` through GraphQL; the cycles are removed before and after. With `history`,
 * that many earlier months are first created and paid (untimed), so the month timed looks back over paid months as
 * in steady operation (arrears and recoveries are checked against them).
 */
export async function timeCycleGeneration(
  graphqlUrl: string,
  token: string,
  databaseUrl: string,
  period: string,
  history = 0,
  /** Run on the data while it holds the history and the month (before they are removed). */
  whileWritten?: () => Promise<void>,
): Promise<string> {
  // Carers of care allowances, as the demo records them: without them every such line is held (ENROLLED_NOT_PAID).
  const database = await openDatabase({ databaseUrl, poolSize: 1 });
  try {
    await recordDemoCarers(database);
  } finally {
    await database.close();
  }
  const earlier = Array.from({ length: history }, (_, i) => addMonths(period, i - history));
  const keep = process.env.BENCH_KEEP_HISTORY === '1';
  for (const m of keep ? [period] : [...earlier, period]) await removeCycles(databaseUrl, m);
  for (const m of earlier) {
    if (keep && (await cycleCount(databaseUrl, m)) > 0) {
      log(`history ${m}: kept from an earlier run`);
      continue;
    }
    const t = performance.now();
    const made = await createCycles(graphqlUrl, token, m);
    if (made.errors) return `error preparing ${m}: ${JSON.stringify(made.errors[0]).slice(0, 200)}`;
    const { computed, people } = await computedPeople(databaseUrl, m);
    log(
      `history ${m}: ${((performance.now() - t) / 1000).toFixed(1)} s, ${made.data?.createPaymentCycles.reduce((n, c) => n + c.controlTotals.lines, 0)} lines, ${computed} of ${people} people computed`,
    );
    await payMonth(databaseUrl, m);
  }
  // Weeks pass between paying a month and creating the next, and autovacuum clears what paying left behind (each
  // line paid is a new row version). Created back to back, the month timed would read twice the heap it does in
  // operation: 0.9 s against 0.17 s for one batch of paid months (EXPLAIN ANALYZE, 5,000 people).
  await vacuumPayments(databaseUrl);
  const t0 = performance.now();
  const json = await createCycles(graphqlUrl, token, period);
  const s = (performance.now() - t0) / 1000;
  const { computed, people } = await computedPeople(databaseUrl, period);
  await whileWritten?.();
  for (const m of keep ? [period] : [period, ...earlier]) await removeCycles(databaseUrl, m);
  if (json.errors || !json.data) return `error: ${JSON.stringify(json.errors?.[0]).slice(0, 200)}`;
  const cycles = json.data.createPaymentCycles;
  const lines = cycles.reduce((n, c) => n + c.controlTotals.lines, 0);
  const amount = cycles.reduce((n, c) => n + c.controlTotals.payableAmount, 0);
  return `${s.toFixed(1)} s for ${period}${history ? ` after ${history} paid months` : ' (first cycles)'} over ${cycles.length} communes (${lines.toLocaleString('en-US')} lines, ${amount.toLocaleString('en-US')} VND; ${Math.round(lines / s).toLocaleString('en-US')} lines/s; ${computed.toLocaleString('en-US')} of ${people.toLocaleString('en-US')} people with a forecast computed, the others' month read from it)`;
}

/** Every finding kind but ELIGIBLE_NOT_ENROLLED (coverage gaps, timed in bench/coverage-gaps.ts). */
export const FINDING_KINDS = [
  'PAID_AFTER_DEATH',
  'PAID_OUTSIDE_ENROLMENT',
  'DUPLICATE_PAYMENT',
  'DUPLICATE_IDENTITY',
  'PAID_TO_MOVED_AWAY',
  'ENROLLED_NOT_PAID',
  'AMOUNT_MISMATCH',
];

/** Times auditFindings over the whole district for some kinds (all pages counted: totalCount and byKind). */
export async function timeFindings(graphqlUrl: string, token: string, from: string, to: string, kinds: string[]): Promise<string> {
  const t0 = performance.now();
  const res = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      query: `query($f: Period!, $t: Period!, $k: [FindingKind!]) { auditFindings(from: $f, to: $t, kinds: $k, first: 10) { totalCount byKind { kind count } } }`,
      variables: { f: from, t: to, k: kinds },
    }),
  });
  const json = (await res.json()) as { errors?: unknown[]; data?: { auditFindings: { totalCount: number } } };
  const s = (performance.now() - t0) / 1000;
  if (json.errors || !json.data) return `error: ${JSON.stringify(json.errors?.[0]).slice(0, 200)}`;
  const payments = await countPayments(process.env.BENCH_DATABASE_URL ?? '');
  return `auditFindings ${kinds.join(', ')}, ${from}..${to}, whole district over ${payments.toLocaleString('en-US')} payment lines: ${s.toFixed(1)} s (${json.data.auditFindings.totalCount.toLocaleString('en-US')} findings)`;
}

/** How many people the month's cycles computed (their forecast is the month's), of all who have a forecast. */
async function computedPeople(databaseUrl: string, period: string): Promise<{ computed: number; people: number }> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ computed: string; people: string }>(
      'SELECT count(*) FILTER (WHERE computed_month = $1::date) AS computed, count(*) AS people FROM entitlement_forecast_people',
      [`${period}-01`],
    );
    return { computed: Number(rows[0]?.computed ?? 0), people: Number(rows[0]?.people ?? 0) };
  });
}

async function vacuumPayments(databaseUrl: string): Promise<void> {
  return withClient(databaseUrl, async (client) => {
    await client.query('VACUUM (ANALYZE) payments, payment_cycles, payment_results');
  });
}

async function cycleCount(databaseUrl: string, period: string): Promise<number> {
  return withClient(databaseUrl, async (client) => {
    return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM payment_cycles WHERE period = $1::date', [`${period}-01`])).rows[0]?.n ?? 0);
  });
}

async function countPayments(databaseUrl: string): Promise<number> {
  return withClient(databaseUrl, async (client) => {
    return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM payments')).rows[0]?.n ?? 0);
  });
}

async function main() {
  const databaseUrl = process.env.BENCH_DATABASE_URL;
  if (!databaseUrl || /\/test(\?|$)/.test(databaseUrl)) throw new Error('set BENCH_DATABASE_URL to a database of the bench’s own (never `test`)');
  const seed = await ensureDataSet(databaseUrl);
  const period = process.env.BENCH_CYCLE_PERIOD ?? seed.asOf.slice(0, 7);
  const jwt = { secret: randomBytes(32).toString('hex'), jwksUrl: undefined, issuer: undefined, audience: undefined };
  const database = await openDatabase({ databaseUrl, poolSize: 10 });
  // The cycles log what planning and writing took (payment cycles created): kept in the bench's output.
  const app = await buildApp({ config: { jwt, graphiql: false, env: 'production' }, database, logger: pino(loggerOptions('info')) });
  try {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const token = await createAuthService(jwt).issueToken({ sub: 'bench', role: 'district_officer' }, '2h');
    log(`payment-cycle generation, ${seed.people.toLocaleString('en-US')} people, ${period}`);
    const history = Number(process.env.BENCH_CYCLE_HISTORY ?? 0);
    const findings: string[] = [];
    // With BENCH_FINDINGS=1 (and a history), the findings are timed on the months just written, before removal.
    const timeFindingsNow =
      process.env.BENCH_FINDINGS === '1' && history > 0
        ? async () => {
            const from = addMonths(period, -history);
            for (const kind of FINDING_KINDS) {
              findings.push(await timeFindings(`${address}/graphql`, token, from, period, [kind]));
              log(findings.at(-1));
            }
          }
        : undefined;
    const result = await timeCycleGeneration(`${address}/graphql`, token, databaseUrl, period, history, timeFindingsNow);
    log(result);
    // The run is recorded (latest first) with what makes it comparable: the machine's load and the commit.
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
    const line = `- ${new Date().toISOString().slice(0, 16)}Z, commit ${commit}, load average ${os.loadavg()[0]!.toFixed(2)} (${os.cpus().length} cores), ${seed.people.toLocaleString('en-US')} people: ${[result, ...findings].join('; ')}`;
    const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results-payments.md');
    const header =
      '# Payment-cycle generation (`npx tsx bench/payments.ts`)\n\n`createPaymentCycles` for one month over every commune of the bench data set, through GraphQL, first cycles of the month or after BENCH_CYCLE_HISTORY paid months (the job removes what it wrote after). Latest first.\n\n';
    const previous = existsSync(file) ? readFileSync(file, 'utf8').replace(header, '') : '';
    writeFileSync(file, `${header}${line}\n${previous}`);
  } finally {
    await app.close();
    await database.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
