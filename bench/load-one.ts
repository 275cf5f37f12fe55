/**
 * Drives one of the benchmark's queries at an An Sinh server that is already running, for profiling:
 *
 *   NODE_ENV=production LOG_LEVEL=warn JWT_SECRET=<32+ chars> DATABASE_URL=$BENCH_DATABASE_URL PORT=4801 \
 *     node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx src/server.ts &
 *   JWT_SECRET=<same> BENCH_DATABASE_URL=... npx tsx bench/load-one.ts 4801 page 10 10
 *   kill -INT <server pid>      # writes the .cpuprofile (open it in Chrome DevTools or speedscope)
 *
 * Arguments: port, query (page | person), seconds (10), connections (10).
 */
import autocannon from 'autocannon';
import pg from 'pg';
import { createAuthService } from '../src/modules/auth/auth.service.js';
import { ANSINH_PAGE, ANSINH_PERSON } from './queries.js';

const [port, q = 'page', secs = '10', conns = '10'] = process.argv.slice(2);
if (!port || !process.env.BENCH_DATABASE_URL || !process.env.JWT_SECRET) {
  console.error('usage: JWT_SECRET=... BENCH_DATABASE_URL=... tsx bench/load-one.ts <port> [page|person] [seconds] [connections]');
  process.exit(2);
}
const pool = new pg.Pool({ connectionString: process.env.BENCH_DATABASE_URL });
const asOf = (await pool.query(`SELECT details->>'asOf' AS a FROM seed_runs WHERE name = 'demo'`)).rows[0].a as string;
const communes = (await pool.query(`SELECT commune_code c FROM persons GROUP BY 1 ORDER BY md5(commune_code) LIMIT 20`)).rows.map((r) => r.c);
const nationalIds = (
  await pool.query(`SELECT national_id n FROM persons WHERE national_id IS NOT NULL AND household_id IS NOT NULL ORDER BY md5(id::text) LIMIT 200`)
).rows.map((r) => r.n);
await pool.end();

const token = await createAuthService({ secret: process.env.JWT_SECRET, jwksUrl: undefined, issuer: undefined, audience: undefined }).issueToken({
  sub: 'bench',
  role: 'district_officer',
});
const bodies =
  q === 'page'
    ? communes.map((c) => JSON.stringify({ query: ANSINH_PAGE, variables: { communeCode: c, asOf } }))
    : nationalIds.map((n) => JSON.stringify({ query: ANSINH_PERSON, variables: { nationalId: n } }));
let i = 0;
const r = await autocannon({
  url: `http://127.0.0.1:${port}/graphql`,
  method: 'POST',
  connections: Number(conns),
  duration: Number(secs),
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  requests: [
    {
      setupRequest: (req: any) => {
        req.body = bodies[i++ % bodies.length];
        return req;
      },
    },
  ],
  verifyBody: (b: string) => !b.includes('"errors"'),
} as autocannon.Options);
console.log(
  `${q}: ${r.requests.average} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, errors ${r.errors + r.non2xx + (r as unknown as { mismatches: number }).mismatches}`,
);
