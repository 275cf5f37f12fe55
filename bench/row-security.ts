/**
 * What row-level security costs (issue 11, docs/security.md "Row-level security"): the same reads served by two
 * An Sinh apps on the same data, one with DB_ROW_SECURITY off and one with it on (one transaction per request, as
 * the role ansinh_request, under the policies of migration 0021), each with its own pool of 10 connections.
 *
 *   createdb -h 127.0.0.1 -U postgres rls_bench
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/rls_bench npx tsx bench/row-security.ts
 *
 * The data set is the bench's generator (bench/data-set.ts) at BENCH_SCALE people, 100,000 unless set. The apps run
 * in this process, listening on 127.0.0.1; autocannon runs in a child process (bench/autocannon-worker.mjs). For
 * each read and number of connections: a warm-up per app, then rounds of RLS_BENCH_SECONDS (default 6) in
 * alternating order (off on, then on off) so that drift on a shared machine favours neither. The reads:
 * - `page, district`: page 1 (50) of a commune's elderly with their households and circumstances (the main
 *   bench's page query, bench/queries.ts), communes rotating, as a district officer;
 * - `page, commune`: the same for one commune, as that commune's officer (the policies' per-row checks run);
 * - `person, commune`: one person by identification number with their household, as their commune's officer.
 * Prints a Markdown table (requests per second, p50 and p99 latency in ms, errors) and the load average.
 */
import os from 'node:os';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { createAuthService } from '../src/modules/auth/auth.service.js';
import type { Role } from '../src/modules/auth/auth.types.js';
import { ANSINH_PAGE, ANSINH_PERSON } from './queries.js';
import { runLoadGenerator } from './load-generator.js';

process.env.BENCH_SCALE ??= '100000';
const { ensureDataSet, log } = await import('./data-set.js');

const url = process.env.BENCH_DATABASE_URL;
if (!url) {
  console.error('usage: BENCH_DATABASE_URL=postgres://… npx tsx bench/row-security.ts');
  process.exit(2);
}
const SECONDS = Number(process.env.RLS_BENCH_SECONDS ?? 6);
const ROUNDS = Number(process.env.RLS_BENCH_ROUNDS ?? 2);
const CONNECTIONS = (process.env.RLS_BENCH_CONNECTIONS ?? '1,10,50').split(',').map(Number);
const JWT = { secret: 'bench-secret-bench-secret-bench-secret-01', jwksUrl: undefined, issuer: undefined, audience: undefined };

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
}

async function load(port: number, bodies: string[], token: string, connections: number, seconds: number): Promise<Load> {
  const r = await runLoadGenerator({ url: `http://127.0.0.1:${port}/graphql`, bodies, token, connections, seconds });
  return { rps: r.rps, p50: r.p50, p99: r.p99, errors: r.failed, requests: r.requests };
}

const seed = await ensureDataSet(url);
log(`data set: ${seed.people.toLocaleString('en-US')} people, as of ${seed.asOf}`);

const apps: { name: 'off' | 'on'; app: FastifyInstance; database: Database; port: number }[] = [];
for (const name of ['off', 'on'] as const) {
  const database = await openDatabase({ databaseUrl: url, poolSize: 10 });
  const app = await buildApp({ config: { jwt: JWT, graphiql: false, env: 'production', rowSecurity: name === 'on' }, database });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  apps.push({ name, app, database, port: typeof address === 'object' && address ? address.port : 0 });
}

try {
  const pool = apps[0]!.database.pool!;
  // Communes with more than a page of elderly people, hash-picked (as bench/run.ts does).
  const communes = (
    await pool.query<{ c: string }>(
      `SELECT commune_code c FROM persons WHERE date_of_birth <= $1::date - interval '60 years' GROUP BY 1 HAVING count(*) > 60 ORDER BY md5(commune_code) LIMIT 20`,
      [seed.asOf],
    )
  ).rows.map((r) => r.c);
  const one = communes[0]!;
  const nationalIds = (
    await pool.query<{ n: string }>(
      `SELECT national_id n FROM persons WHERE commune_code = $1 AND national_id IS NOT NULL AND household_id IS NOT NULL ORDER BY md5(id::text) LIMIT 200`,
      [one],
    )
  ).rows.map((r) => r.n);
  const auth = createAuthService(JWT);
  const token = (role: Role, communeCodes: string[] = []) => auth.issueToken({ sub: 'bench', role, communes: communeCodes });
  const reads: { label: string; bodies: string[]; token: string }[] = [
    {
      label: 'page, district',
      bodies: communes.map((c) => JSON.stringify({ query: ANSINH_PAGE, variables: { communeCode: c, asOf: seed.asOf } })),
      token: await token('district_officer'),
    },
    {
      label: 'page, commune',
      bodies: [JSON.stringify({ query: ANSINH_PAGE, variables: { communeCode: one, asOf: seed.asOf } })],
      token: await token('commune_officer', [one]),
    },
    {
      label: 'person, commune',
      bodies: nationalIds.map((n) => JSON.stringify({ query: ANSINH_PERSON, variables: { nationalId: n } })),
      token: await token('commune_officer', [one]),
    },
  ];

  // Same answers both ways, before timing anything.
  for (const read of reads) {
    for (const body of read.bodies.slice(0, 5)) {
      const answers = await Promise.all(
        apps.map(({ app }) =>
          app.inject({
            method: 'POST',
            url: '/graphql',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${read.token}` },
            payload: body,
          }),
        ),
      );
      const [off, on] = answers.map((a) => a.body);
      if (off !== on || off!.includes('"errors"')) throw new Error(`${read.label}: answers differ or fail:\n${off!.slice(0, 300)}\n${on!.slice(0, 300)}`);
    }
  }
  log('answers identical with and without row security');

  const loadBefore = os.loadavg();
  const rows: string[] = [];
  for (const read of reads) {
    for (const connections of CONNECTIONS) {
      const results: Record<'off' | 'on', Load[]> = { off: [], on: [] };
      for (const a of apps) await load(a.port, read.bodies, read.token, connections, 2);
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? apps : [...apps].reverse();
        for (const a of order) results[a.name].push(await load(a.port, read.bodies, read.token, connections, SECONDS));
      }
      const sum = (xs: Load[], k: keyof Load) => xs.reduce((s, x) => s + x[k], 0);
      const avg = (xs: Load[], k: keyof Load) => sum(xs, k) / xs.length;
      const off = results.off;
      const on = results.on;
      const change = (avg(on, 'rps') / avg(off, 'rps') - 1) * 100;
      const row = `| ${read.label} | ${connections} | ${avg(off, 'rps').toFixed(0)} | ${avg(on, 'rps').toFixed(0)} | ${change >= 0 ? '+' : ''}${change.toFixed(1)} % | ${avg(off, 'p50').toFixed(1)} / ${avg(off, 'p99').toFixed(1)} | ${avg(on, 'p50').toFixed(1)} / ${avg(on, 'p99').toFixed(1)} | ${sum(off, 'errors')} / ${sum(on, 'errors')} of ${sum(off, 'requests')} / ${sum(on, 'requests')} |`;
      rows.push(row);
      log(row);
    }
  }
  const loadAfter = os.loadavg();
  console.log(`\n${seed.people.toLocaleString('en-US')} people; ${ROUNDS} rounds of ${SECONDS} s per app and cell; pool of 10 connections per app`);
  console.log(
    `load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}; ${os.cpus().length} CPUs`,
  );
  console.log('| read | connections | req/s off | req/s on | change | p50 / p99 ms off | p50 / p99 ms on | errors off / on of requests |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
} finally {
  for (const { app, database } of apps) {
    await app.close();
    await database.close();
  }
}
