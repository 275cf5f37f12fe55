/**
 * Prometheus metrics at GET /metrics (prom-client): GraphQL requests and their latency by operation name
 * and status, errors by `extensions.code`, the pg pool (total, idle, waiting), and the process' own
 * metrics (event-loop lag, memory, CPU). Served only when METRICS_TOKEN is set, and only to a caller
 * presenting it as `Authorization: Bearer <METRICS_TOKEN>` — a scraper is not a user, so it gets its own
 * secret rather than a JWT; without the variable the route does not exist.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Operation names come from clients: keep sane ones, at most this many distinct, the rest are "other". */
const MAX_OPERATION_NAMES = 100;

export function registerMetrics(app: FastifyInstance, options: { token: string; pool: pg.Pool | undefined; graphqlPath?: string }): void {
  const graphqlPath = options.graphqlPath ?? '/graphql';
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ansinh_' });

  const duration = new Histogram({
    name: 'ansinh_graphql_request_duration_seconds',
    help: 'GraphQL requests by operation name and HTTP status, with their latency',
    labelNames: ['operation', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'ansinh_graphql_errors_total',
    help: 'GraphQL errors by extensions.code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const pool = options.pool;
  new Gauge({
    name: 'ansinh_db_pool_connections',
    help: 'Connections of the pg pool: total open, idle, and requests waiting for one',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      if (!pool) return;
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });

  const seen = new Set<string>();
  const operationOf = (body: unknown): string => {
    const name = typeof body === 'object' && body !== null ? (body as { operationName?: unknown }).operationName : undefined;
    if (typeof name !== 'string' || name === '') return 'anonymous';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) return 'other';
    if (!seen.has(name)) {
      if (seen.size >= MAX_OPERATION_NAMES) return 'other';
      seen.add(name);
    }
    return name;
  };

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.routeOptions.url !== graphqlPath) return payload;
    if (typeof payload === 'string') {
      const at = payload.indexOf('"errors":[');
      if (at !== -1) for (const m of payload.slice(at).matchAll(/"code":"([A-Z_]{2,40})"/g)) if (m[1]) errors.inc({ code: m[1] });
    }
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.url !== graphqlPath) return;
    const operation = request.method === 'GET' ? operationOf(request.query) : operationOf(request.body);
    duration.observe({ operation, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  const expected = Buffer.from(`Bearer ${options.token}`);
  app.get('/metrics', async (request, reply) => {
    const given = Buffer.from(request.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply.code(401).send({
        error: { code: 'UNAUTHENTICATED', message: 'The metrics token is missing or wrong', messageVi: 'Thiếu hoặc sai mã truy cập số liệu giám sát' },
      });
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
