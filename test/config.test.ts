import { describe, expect, it } from 'vitest';
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadConfig } from '../src/config.js';

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

  it.each([
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
