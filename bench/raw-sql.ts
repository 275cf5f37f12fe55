/**
 * The practical limit for the benchmark (bench/run.ts): a minimal Fastify server whose two routes each run
 * one hand-written, prepared statement (a pg named query, as PostGraphile prepares its own) that builds
 * the whole response with json_build_object / json_agg, and send PostgreSQL's text through untouched.
 * The JSON is shaped exactly like An Sinh's GraphQL response, so the comparison is byte-for-byte modulo
 * list order.
 *
 * It checks the same bearer token with the same code as An Sinh (auth service), so all three endpoints
 * pay the same JWT cost.
 *
 * Env: BENCH_DATABASE_URL, BENCH_JWT_SECRET, PORT (0 = any), POOL_SIZE (default 10).
 * Prints one line `READY <port>` when listening.
 */
import Fastify from 'fastify';
import pg from 'pg';
import { createAuthService } from '../src/modules/auth/auth.service.js';
import { PAGE_SQL, PERSON_SQL } from './queries.js';

async function main() {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) throw new Error('BENCH_DATABASE_URL is required');
  const pool = new pg.Pool({ connectionString: url, max: Number(process.env.POOL_SIZE ?? 10) });
  const auth = createAuthService({ secret: process.env.BENCH_JWT_SECRET, jwksUrl: undefined, issuer: undefined, audience: undefined });
  const app = Fastify({ logger: false });

  app.addHook('onRequest', async (request, reply) => {
    try {
      await auth.authenticate(request.headers.authorization);
    } catch {
      return reply.code(401).send({ errors: [{ message: 'unauthenticated' }] });
    }
  });

  const bad = (reply: import('fastify').FastifyReply, message: string) => reply.code(400).send({ errors: [{ message }] });

  app.post<{ Body: { communeCode?: unknown; asOf?: unknown } | undefined }>('/raw/beneficiaries', async (request, reply) => {
    const { communeCode, asOf } = request.body ?? {};
    if (typeof communeCode !== 'string' || typeof asOf !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) return bad(reply, 'communeCode, asOf');
    const result = await pool.query<{ body: string }>({ name: 'bench_page', text: PAGE_SQL, values: [communeCode, asOf] });
    return reply.type('application/json; charset=utf-8').send(result.rows[0]!.body);
  });

  app.post<{ Body: { nationalId?: unknown } | undefined }>('/raw/person', async (request, reply) => {
    const { nationalId } = request.body ?? {};
    if (typeof nationalId !== 'string' || !/^\d{12}$/.test(nationalId)) return bad(reply, 'nationalId');
    const result = await pool.query<{ body: string }>({ name: 'bench_person', text: PERSON_SQL, values: [nationalId] });
    return reply.type('application/json; charset=utf-8').send(result.rows[0]!.body);
  });

  const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
  console.log(`READY ${new URL(address).port}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      void app.close().finally(() => pool.end().finally(() => process.exit(0)));
    });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
