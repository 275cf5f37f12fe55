/**
 * HTTP hardening (docs/security.md): overload shedding, CORS, security headers, and rate limits per client.
 *
 * Order matters, and buildApp follows it: `registerOverloadAndCors` before authentication (a service that is
 * drowning sheds requests before it verifies tokens; a browser's CORS preflight carries no token and is
 * answered before authentication asks for one), `limitRequestRates` after it, since a client is its token's
 * subject when it has one (several officers behind one office NAT are not one client) and else its address.
 */
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import underPressure, { type FastifyUnderPressureOptions } from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OverloadConfig, RateLimitConfig } from '../config.js';
import { errorBody } from './error-body.js';

/** Paths never limited nor shed: probes and the scraper must see the service as it is. */
const PROBES = new Set(['/healthz', '/metrics']);
const pathOf = (url: string) => url.split('?', 1)[0] ?? url;

/** Seconds a client is told to wait when the service sheds load (Retry-After). */
const OVERLOAD_RETRY_AFTER_S = 10;

type PressureHandler = NonNullable<FastifyUnderPressureOptions['pressureHandler']>;

/**
 * What a shed request is answered (503 with Retry-After), or undefined to let it through. under-pressure
 * sends a value the handler returns (handlePressure in its index.js), though its types say void.
 */
function sheddingAnswer(request: FastifyRequest, reply: FastifyReply, type: string) {
  if (PROBES.has(pathOf(request.url))) return undefined;
  request.log.warn({ type }, 'overloaded: request shed');
  void reply.code(503).header('retry-after', OVERLOAD_RETRY_AFTER_S);
  return errorBody(request, 'OVERLOADED', 'The service is overloaded; retry in a few seconds', 'Hệ thống đang quá tải; vui lòng thử lại sau vài giây', {
    retryAfterSeconds: OVERLOAD_RETRY_AFTER_S,
  });
}

export async function registerOverloadAndCors(
  app: FastifyInstance,
  options: { overload: OverloadConfig & { sampleIntervalMs?: number }; corsOrigins: readonly string[] },
): Promise<void> {
  const { overload } = options;
  await app.register(underPressure, {
    maxEventLoopDelay: overload.maxEventLoopDelayMs,
    maxEventLoopUtilization: overload.maxEventLoopUtilization,
    maxHeapUsedBytes: overload.maxHeapUsedBytes,
    sampleInterval: overload.sampleIntervalMs ?? 1000,
    retryAfter: OVERLOAD_RETRY_AFTER_S,
    // The liveness probe and the scraper still answer: an overloaded instance is alive, and says so.
    pressureHandler: sheddingAnswer as unknown as PressureHandler,
  });
  // Closed unless CORS_ORIGINS lists the origins of the web clients allowed to call from a browser.
  await app.register(cors, {
    origin: options.corsOrigins.length > 0 ? [...options.corsOrigins] : false,
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type', 'accept', 'x-request-id'],
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: 600,
  });
  // Security headers on every response. The API answers JSON only, so its policy allows nothing; the
  // GraphiQL page sets its own (src/http/graphiql.ts).
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
    // GraphiQL's page is framed nowhere either.
    frameguard: { action: 'deny' },
  });
}

class RateLimited {
  constructor(readonly retryAfterSeconds: number) {}
}

export async function limitRequestRates(app: FastifyInstance, limits: RateLimitConfig): Promise<void> {
  if (limits.max <= 0) return;
  await app.register(rateLimit, { global: false });
  const check = app.rateLimit({
    max: limits.max,
    timeWindow: limits.windowMs,
    keyGenerator: (request) => (request.principal ? `sub:${request.principal.subject}` : `ip:${request.ip}`),
    allowList: (request) => PROBES.has(pathOf(request.url)) || pathOf(request.url) === '/readyz',
    errorResponseBuilder: (_request, context) => new RateLimited(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
  app.addHook('onRequest', async (request, reply) => {
    try {
      await check.call(app, request, reply);
    } catch (err) {
      if (!(err instanceof RateLimited)) throw err;
      // The plugin has set Retry-After and the x-ratelimit-* headers.
      request.log.info({ sub: request.principal?.subject }, 'rate limited');
      return reply
        .code(429)
        .send(
          errorBody(
            request,
            'RATE_LIMITED',
            `Too many requests; retry in ${err.retryAfterSeconds} s`,
            `Quá nhiều yêu cầu; vui lòng thử lại sau ${err.retryAfterSeconds} giây`,
            { retryAfterSeconds: err.retryAfterSeconds },
          ),
        );
    }
  });
}
