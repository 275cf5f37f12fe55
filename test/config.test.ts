import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEFAULT_DISPATCH,
  DEFAULT_OVERLOAD,
  DEFAULT_QUERY_LIMITS,
  DEFAULT_RATE_LIMIT,
  DEVELOPMENT_JWT_SECRET,
  loadConfig,
} from '../src/config.js';

describe('configuration', () => {
  it('has working defaults for the embedded database', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 4000, host: '127.0.0.1', databaseUrl: undefined, dataDir: './data', seedDemo: true, graphiql: true });
    expect(c.jwt.secret).toBe(DEVELOPMENT_JWT_SECRET);
  });

  it('does not seed demo people on a real server unless asked', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).seedDemo).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', SEED_DEMO: 'true' }).seedDemo).toBe(true);
  });

  it('answers whole reads with compiled SQL unless GRAPHQL_COMPILED_READS=false', () => {
    expect(loadConfig({}).graphqlCompiledReads).toBe(true);
    expect(loadConfig({ GRAPHQL_COMPILED_READS: 'false' }).graphqlCompiledReads).toBe(false);
  });

  it('reads the GraphQL limits, rate limit, CORS origins and overload thresholds, with defaults', () => {
    expect(loadConfig({})).toMatchObject({
      graphqlLimits: DEFAULT_QUERY_LIMITS,
      rateLimit: DEFAULT_RATE_LIMIT,
      corsOrigins: [],
      overload: DEFAULT_OVERLOAD,
    });
    const c = loadConfig({
      GRAPHQL_MAX_COST: '1000',
      GRAPHQL_MAX_ALIASES: '5',
      GRAPHQL_MAX_TOKENS: '300',
      GRAPHQL_MAX_DOCUMENT_CHARS: '2000',
      RATE_LIMIT_MAX: '0',
      RATE_LIMIT_WINDOW_MS: '10000',
      CORS_ORIGINS: ' https://a.example , https://b.example,',
      OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '200',
      OVERLOAD_MAX_EVENT_LOOP_UTILIZATION: '0.9',
      OVERLOAD_MAX_HEAP_BYTES: '1000000000',
      REQUEST_TIMEOUT_MS: '5000',
    });
    expect(c.requestTimeoutMs).toBe(5000);
    expect(loadConfig({}).requestTimeoutMs).toBe(30_000);
    expect(c.graphqlLimits).toEqual({ maxCost: 1000, maxAliases: 5, maxTokens: 300, maxDocumentChars: 2000 });
    expect(c.rateLimit).toEqual({ max: 0, windowMs: 10_000 });
    expect(c.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(c.overload).toEqual({ maxEventLoopDelayMs: 200, maxEventLoopUtilization: 0.9, maxHeapUsedBytes: 1_000_000_000 });
  });

  it('reads the two database waits, with defaults, and refuses one out of range naming it', () => {
    expect(loadConfig({})).toMatchObject({ databaseConnectTimeoutMs: 1000, databaseAcquireTimeoutMs: 5000 });
    expect(loadConfig({ DATABASE_CONNECT_TIMEOUT_MS: '300', DATABASE_ACQUIRE_TIMEOUT_MS: '20000' })).toMatchObject({
      databaseConnectTimeoutMs: 300,
      databaseAcquireTimeoutMs: 20_000,
    });
    expect(() => loadConfig({ DATABASE_ACQUIRE_TIMEOUT_MS: '50' })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_ACQUIRE_TIMEOUT_MS: 'soon' })).toThrow(/DATABASE_ACQUIRE_TIMEOUT_MS/);
  });

  it('reads the change dispatcher settings, with defaults', () => {
    expect(loadConfig({}).changes).toEqual(DEFAULT_DISPATCH);
    expect(
      loadConfig({
        CHANGES_DISPATCH: 'false',
        CHANGES_POLL_INTERVAL_MS: '250',
        CHANGES_MAX_ATTEMPTS: '5',
        CHANGES_BACKOFF_BASE_MS: '500',
        CHANGES_BACKOFF_MAX_MS: '60000',
        CHANGES_DELIVERY_TIMEOUT_MS: '2000',
        CHANGES_LEASE_MS: '4000',
        CHANGES_RETENTION_DAYS: '30',
      }).changes,
    ).toEqual({
      dispatch: false,
      pollIntervalMs: 250,
      maxAttempts: 5,
      backoffBaseMs: 500,
      backoffMaxMs: 60_000,
      deliveryTimeoutMs: 2000,
      leaseMs: 4000,
      retentionDays: 30,
    });
    expect(loadConfig({}).changes.retentionDays).toBe(90);
  });

  it.each([
    [{ CHANGES_DISPATCH: 'yes' }, 'CHANGES_DISPATCH'],
    [{ CHANGES_MAX_ATTEMPTS: '0' }, 'CHANGES_MAX_ATTEMPTS'],
    [{ CHANGES_RETENTION_DAYS: '0' }, 'CHANGES_RETENTION_DAYS'],
    [{ CHANGES_RETENTION_DAYS: 'forever' }, 'CHANGES_RETENTION_DAYS'],
    [{ CHANGES_DELIVERY_TIMEOUT_MS: '20000', CHANGES_LEASE_MS: '30000' }, 'CHANGES_LEASE_MS'],
    [{ GRAPHQL_MAX_COST: '0' }, 'GRAPHQL_MAX_COST'],
    [{ RATE_LIMIT_MAX: 'many' }, 'RATE_LIMIT_MAX'],
    [{ OVERLOAD_MAX_EVENT_LOOP_UTILIZATION: '1.5' }, 'OVERLOAD_MAX_EVENT_LOOP_UTILIZATION'],
    [{ GRAPHQL_COMPILED_READS: 'no' }, 'GRAPHQL_COMPILED_READS'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET'],
  ])('stops on %o naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration:\\n  ${variable}:`));
  });
});
