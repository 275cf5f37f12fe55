/**
 * PostGraphile v4 over An Sinh's tables, as a separate process for the benchmark (bench/run.ts).
 *
 * v4, not v5: postgraphile v5 declares Node 22 and fails on Node 20 at run time; v4 is the widely
 * deployed line and runs here. Production options: no GraphiQL, no query log, no watch, simple lists for
 * nested relations (An Sinh returns plain lists there), connections at the root.
 *
 * PostGraphile's `condition` argument only matches equality, so "elderly and living on a date" is a
 * custom query: a STABLE SQL function in its own schema (bench_pg), which PostgreSQL inlines into
 * PostGraphile's single statement. The bench creates it (see ensureBenchSchema in run.ts).
 *
 * Authentication: every request carries the same bearer token as An Sinh's and is checked with the
 * same code (An Sinh's auth service) before PostGraphile sees it, so all three endpoints pay the same
 * JWT cost. (PostGraphile's own jwtSecret mode would instead open a transaction per request to set
 * claims, which is its way of doing row security, not an equal comparison.)
 *
 * Env: BENCH_DATABASE_URL, BENCH_JWT_SECRET, PORT (0 = any), POOL_SIZE (default 10).
 * Prints one line `READY <port>` when listening.
 */
import http from 'node:http';
import pg from 'pg';
import { postgraphile } from 'postgraphile';
import { createAuthService } from '../src/modules/auth/auth.service.js';

const url = process.env.BENCH_DATABASE_URL;
if (!url) throw new Error('BENCH_DATABASE_URL is required');
const pool = new pg.Pool({ connectionString: url, max: Number(process.env.POOL_SIZE ?? 10) });
const auth = createAuthService({ secret: process.env.BENCH_JWT_SECRET, jwksUrl: undefined, issuer: undefined, audience: undefined });

const middleware = postgraphile(pool, ['public', 'bench_pg'], {
  graphiql: false,
  watchPg: false,
  disableQueryLog: true,
  dynamicJson: true,
  setofFunctionsContainNulls: false,
  ignoreRBAC: false,
  legacyRelations: 'omit',
  simpleCollections: 'both',
  enableQueryBatching: false,
  extendedErrors: [],
  showErrorStack: false,
  retryOnInitFail: false,
});

const server = http.createServer((req, res) => {
  auth.authenticate(req.headers.authorization).then(
    () => middleware(req, res),
    () => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"errors":[{"message":"unauthenticated"}]}');
    },
  );
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(`READY ${typeof address === 'object' && address ? address.port : ''}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close();
    void middleware.release().finally(() => pool.end().finally(() => process.exit(0)));
  });
}
