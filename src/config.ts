import { z } from 'zod';
import { ROLES, type Role } from './modules/auth/auth.types.js';

/** Limits on a GraphQL document, checked before it runs (src/graphql/query-limits.ts, docs/security.md). */
export interface QueryLimits {
  /** Highest cost of one operation (GRAPHQL_MAX_COST). */
  maxCost: number;
  /** Most aliases in one document (GRAPHQL_MAX_ALIASES). */
  maxAliases: number;
  /** Most lexical tokens in one document (GRAPHQL_MAX_TOKENS). */
  maxTokens: number;
  /** Longest document, in characters (GRAPHQL_MAX_DOCUMENT_CHARS). */
  maxDocumentChars: number;
}
// A coverageGaps(first: 500) page with each gap's person costs 11,000: one fits, twenty aliased ones (220,000)
// do not; a page of 200 beneficiaries with their household's members and their records fits.
export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxCost: 25_000, maxAliases: 30, maxTokens: 5000, maxDocumentChars: 50_000 };

/** Requests per client (token subject, else IP address) per window (src/http/hardening.ts); max 0: no limit. */
export interface RateLimitConfig {
  max: number;
  windowMs: number;
}
// Generous: an officer's browser or an integration batch stays well under 600 a minute.
export const DEFAULT_RATE_LIMIT: RateLimitConfig = { max: 600, windowMs: 60_000 };

/** Thresholds past which requests are shed with 503 (src/http/hardening.ts); 0 turns a check off. */
export interface OverloadConfig {
  maxEventLoopDelayMs: number;
  maxEventLoopUtilization: number;
  maxHeapUsedBytes: number;
}
// A mean event-loop delay over 1 s means every request already waits that long: shed. Utilisation and heap are
// off by default (an embedded database works on the event loop, so a busy loop is not by itself overload).
export const DEFAULT_OVERLOAD: OverloadConfig = { maxEventLoopDelayMs: 1000, maxEventLoopUtilization: 0, maxHeapUsedBytes: 0 };

/** An Sinh's DCI sender id unless DCI_SENDER_ID says otherwise (docs/integration.md). */
export const DEFAULT_DCI_SENDER_ID = 'an-sinh';
/** The change-event dispatcher (src/modules/changes/changes.dispatcher.ts, docs/integration.md#change-events). */
export interface DispatchSettings {
  /** Run the loop in this instance (CHANGES_DISPATCH). */
  dispatch: boolean;
  /** Pause between ticks (CHANGES_POLL_INTERVAL_MS). */
  pollIntervalMs: number;
  /** Attempts before a delivery is dead-lettered (CHANGES_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Delay after the first failure, doubled after each further one (CHANGES_BACKOFF_BASE_MS)… */
  backoffBaseMs: number;
  /** …up to this (CHANGES_BACKOFF_MAX_MS). */
  backoffMaxMs: number;
  /** A sink that has not acknowledged within this time has failed the attempt (CHANGES_DELIVERY_TIMEOUT_MS). */
  deliveryTimeoutMs: number;
  /** How long a claim of the dispatch lease lasts without renewal (CHANGES_LEASE_MS); longer than a delivery. */
  leaseMs: number;
  /**
   * Events delivered to every sink are deleted once older than this many days (CHANGES_RETENTION_DAYS); a `changes`
   * cursor from before what is kept is refused with CURSOR_EXPIRED (docs/integration.md#retention).
   */
  retentionDays: number;
}

export const DEFAULT_DISPATCH: DispatchSettings = {
  dispatch: true,
  pollIntervalMs: 1000,
  maxAttempts: 10,
  backoffBaseMs: 1000,
  backoffMaxMs: 3_600_000,
  deliveryTimeoutMs: 10_000,
  leaseMs: 30_000,
  retentionDays: 90,
};

/**
 * The service's configuration, read once from the environment at start-up.
 * A bad value stops the process with a message naming the variable, rather than failing later
 * on the first request that happens to need it.
 */
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const ConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    HOST: z.string().min(1).default('127.0.0.1'),
    DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional()),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(15_000),
    DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
    DATABASE_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
    DATA_DIR: z.string().min(1).default('./data'),
    JWT_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    JWKS_URL: optionalString.pipe(z.url().optional()),
    JWT_ISSUER: optionalString,
    JWT_AUDIENCE: optionalString,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    GRAPHIQL: z
      .enum(['true', 'false'])
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'true')),
    SEED_DEMO: z
      .enum(['true', 'false'])
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'true')),
    METRICS_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
    DEMO_PEOPLE: z.coerce.number().int().min(0).max(50_000_000).default(36_000),
    DEMO_PAYMENT_MONTHS: z.coerce.number().int().min(0).max(60).default(24),
    GRAPHQL_COMPILED_READS: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
    // Row-level security as a second wall behind the access policy (src/db/row-security.ts, docs/security.md).
    DB_ROW_SECURITY: z
      .enum(['on', 'off'])
      .default('off')
      .transform((v) => v === 'on'),
    GRAPHQL_MAX_COST: z.coerce.number().int().min(1).max(10_000_000).default(DEFAULT_QUERY_LIMITS.maxCost),
    GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).max(10_000).default(DEFAULT_QUERY_LIMITS.maxAliases),
    GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(10).max(1_000_000).default(DEFAULT_QUERY_LIMITS.maxTokens),
    GRAPHQL_MAX_DOCUMENT_CHARS: z.coerce.number().int().min(100).max(1_048_576).default(DEFAULT_QUERY_LIMITS.maxDocumentChars),
    // Roles that may run only the published operations (persisted/*.graphql); empty: nobody.
    GRAPHQL_PERSISTED_ONLY_ROLES: z
      .string()
      .default('integration')
      .transform((v) =>
        v
          .split(',')
          .map((r) => r.trim())
          .filter((r) => r !== ''),
      )
      .pipe(z.array(z.enum(ROLES, { error: `must be a comma-separated list of ${ROLES.join(', ')}` }))),
    RATE_LIMIT_MAX: z.coerce.number().int().min(0).max(1_000_000).default(DEFAULT_RATE_LIMIT.max),
    RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1000).max(86_400_000).default(DEFAULT_RATE_LIMIT.windowMs),
    CORS_ORIGINS: optionalString,
    REQUEST_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(DEFAULT_OVERLOAD.maxEventLoopDelayMs),
    OVERLOAD_MAX_EVENT_LOOP_UTILIZATION: z.coerce.number().min(0).max(1).default(DEFAULT_OVERLOAD.maxEventLoopUtilization),
    OVERLOAD_MAX_HEAP_BYTES: z.coerce.number().int().min(0).default(DEFAULT_OVERLOAD.maxHeapUsedBytes),
    DCI_SENDER_ID: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,98}$/, 'must be 1–99 letters, digits, . _ : -')
      .default(DEFAULT_DCI_SENDER_ID),
    DCI_SIGNING_KEY: optionalString.pipe(
      z
        .string()
        .refine((v) => {
          try {
            const k = JSON.parse(v) as { kty?: unknown; d?: unknown };
            return typeof k.kty === 'string' && typeof k.d === 'string';
          } catch {
            return false;
          }
        }, 'must be a private JWK (JSON with kty and d)')
        .optional(),
    ),
    CHANGES_DISPATCH: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
    CHANGES_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(3_600_000).default(DEFAULT_DISPATCH.pollIntervalMs),
    CHANGES_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(DEFAULT_DISPATCH.maxAttempts),
    CHANGES_BACKOFF_BASE_MS: z.coerce.number().int().min(1).max(86_400_000).default(DEFAULT_DISPATCH.backoffBaseMs),
    CHANGES_BACKOFF_MAX_MS: z.coerce.number().int().min(1).max(604_800_000).default(DEFAULT_DISPATCH.backoffMaxMs),
    CHANGES_DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(DEFAULT_DISPATCH.deliveryTimeoutMs),
    CHANGES_LEASE_MS: z.coerce.number().int().min(100).max(3_600_000).default(DEFAULT_DISPATCH.leaseMs),
    CHANGES_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(DEFAULT_DISPATCH.retentionDays),
  })
  .superRefine((c, ctx) => {
    if (c.NODE_ENV === 'production' && !c.JWT_SECRET && !c.JWKS_URL) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'JWT_SECRET or JWKS_URL is required in production' });
    }
    // A key generated at start-up changes at every restart and differs between instances: partners could not pin it.
    if (c.NODE_ENV === 'production' && !c.DCI_SIGNING_KEY) {
      ctx.addIssue({ code: 'custom', path: ['DCI_SIGNING_KEY'], message: 'DCI_SIGNING_KEY is required in production' });
    }
    // The holder renews its lease when a third of it has passed, before a delivery that may take a whole timeout:
    // the lease must outlast both, or a second instance could start dispatching while the first still delivers.
    if (c.CHANGES_LEASE_MS < 2 * c.CHANGES_DELIVERY_TIMEOUT_MS) {
      ctx.addIssue({ code: 'custom', path: ['CHANGES_LEASE_MS'], message: 'must be at least twice CHANGES_DELIVERY_TIMEOUT_MS' });
    }
  });

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  /** PostgreSQL cancels any statement running longer (0: no limit), so one request cannot hold a connection for minutes. */
  databaseStatementTimeoutMs: number;
  /** Opening a database connection may take at most this long; then the request gets DATABASE_UNAVAILABLE. */
  databaseConnectTimeoutMs: number;
  /** Wait for a busy pool to free a connection at most this long; then the request gets OVERLOADED. */
  databaseAcquireTimeoutMs: number;
  dataDir: string;
  jwt: { secret: string | undefined; jwksUrl: string | undefined; issuer: string | undefined; audience: string | undefined };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  graphiql: boolean;
  /** Seed the generated demo population when the database is new (default: on for the embedded database). */
  seedDemo: boolean;
  demoPeople: number;
  /** Months of paid payment cycles the demo seeds before its as-of month (seeds/payments.ts); 0: none. */
  demoPaymentMonths: number;
  /** Answer whole registry reads with one compiled SQL statement when possible (src/graphql/compiled/). */
  graphqlCompiledReads: boolean;
  /** Run each request as the database role ansinh_request under the row-security policies (migration 0021). */
  rowSecurity: boolean;
  /** Bearer token of the Prometheus scraper; /metrics is not served without it. */
  metricsToken: string | undefined;
  /** Limits on a GraphQL document, checked before it runs (src/graphql/query-limits.ts). */
  graphqlLimits: QueryLimits;
  /** Roles that may run only the allow-listed operations, persisted/*.graphql (src/graphql/persisted-queries.ts). */
  graphqlPersistedOnlyRoles: Role[];
  /** Requests per client per window (src/http/hardening.ts); max 0: no limit. */
  rateLimit: RateLimitConfig;
  /** Origins allowed to call from a browser (CORS); empty: none. */
  corsOrigins: string[];
  /** Thresholds past which requests are shed with 503 (0: that check off). */
  overload: OverloadConfig;
  /** A client must send its whole request (headers and body) within this time, else 408 (0: no limit). */
  requestTimeoutMs: number;
  /**
   * The DCI Social Registry API (docs/integration.md): An Sinh's sender id, and the private JWK it signs responses
   * and callbacks with (undefined outside production: a key is generated at start-up).
   */
  dci: { senderId: string; signingKey: string | undefined };
  /** The change-event dispatcher (docs/integration.md#change-events). */
  changes: DispatchSettings;
}

/** Development-only secret, so `npm start` works on a fresh machine. Refused in production (see above). */
export const DEVELOPMENT_JWT_SECRET = 'an-sinh-development-secret-do-not-use-in-production';

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(environment)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const embedded = !c.DATABASE_URL;
  return {
    env: c.NODE_ENV,
    port: c.PORT,
    host: c.HOST,
    databaseUrl: c.DATABASE_URL,
    databasePoolSize: c.DATABASE_POOL_SIZE,
    databaseStatementTimeoutMs: c.DATABASE_STATEMENT_TIMEOUT_MS,
    databaseConnectTimeoutMs: c.DATABASE_CONNECT_TIMEOUT_MS,
    databaseAcquireTimeoutMs: c.DATABASE_ACQUIRE_TIMEOUT_MS,
    dataDir: c.DATA_DIR,
    jwt: {
      secret: c.JWT_SECRET ?? (c.JWKS_URL ? undefined : DEVELOPMENT_JWT_SECRET),
      jwksUrl: c.JWKS_URL,
      issuer: c.JWT_ISSUER,
      audience: c.JWT_AUDIENCE,
    },
    logLevel: c.LOG_LEVEL,
    graphiql: c.GRAPHIQL ?? c.NODE_ENV !== 'production',
    seedDemo: c.SEED_DEMO ?? embedded,
    demoPeople: c.DEMO_PEOPLE,
    demoPaymentMonths: c.DEMO_PAYMENT_MONTHS,
    graphqlCompiledReads: c.GRAPHQL_COMPILED_READS,
    rowSecurity: c.DB_ROW_SECURITY,
    metricsToken: c.METRICS_TOKEN,
    graphqlLimits: {
      maxCost: c.GRAPHQL_MAX_COST,
      maxAliases: c.GRAPHQL_MAX_ALIASES,
      maxTokens: c.GRAPHQL_MAX_TOKENS,
      maxDocumentChars: c.GRAPHQL_MAX_DOCUMENT_CHARS,
    },
    graphqlPersistedOnlyRoles: c.GRAPHQL_PERSISTED_ONLY_ROLES,
    rateLimit: { max: c.RATE_LIMIT_MAX, windowMs: c.RATE_LIMIT_WINDOW_MS },
    requestTimeoutMs: c.REQUEST_TIMEOUT_MS,
    dci: { senderId: c.DCI_SENDER_ID, signingKey: c.DCI_SIGNING_KEY },
    corsOrigins: (c.CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== ''),
    overload: {
      maxEventLoopDelayMs: c.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS,
      maxEventLoopUtilization: c.OVERLOAD_MAX_EVENT_LOOP_UTILIZATION,
      maxHeapUsedBytes: c.OVERLOAD_MAX_HEAP_BYTES,
    },
    changes: {
      dispatch: c.CHANGES_DISPATCH,
      pollIntervalMs: c.CHANGES_POLL_INTERVAL_MS,
      maxAttempts: c.CHANGES_MAX_ATTEMPTS,
      backoffBaseMs: c.CHANGES_BACKOFF_BASE_MS,
      backoffMaxMs: c.CHANGES_BACKOFF_MAX_MS,
      deliveryTimeoutMs: c.CHANGES_DELIVERY_TIMEOUT_MS,
      leaseMs: c.CHANGES_LEASE_MS,
      retentionDays: c.CHANGES_RETENTION_DAYS,
    },
  };
}
