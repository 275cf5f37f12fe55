/**
 * The database a test file runs on, chosen in this order: TEST_DATABASE_URL (a real server: each
 * test file gets a fresh database on it), else a testcontainers PostgreSQL when a Docker engine answers,
 * else an in-memory PGlite. Each is migrated; the caller seeds what it needs.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database, type DatabaseOptions } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';

export interface TestDatabase {
  database: Database;
  /** How it was obtained, for the test report. */
  source: 'server' | 'testcontainers' | 'pglite';
  dispose(): Promise<void>;
}

/** Options of the database under test (e.g. a short statement timeout, a pool of one). */
export type TestDatabaseOptions = Pick<DatabaseOptions, 'statementTimeoutMs' | 'poolSize' | 'connectTimeoutMs' | 'acquireTimeoutMs'>;

async function onServer(url: string, options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const name = `an_sinh_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const testUrl = new URL(url);
  testUrl.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: testUrl.toString(), poolSize: 5, ...options });
  return {
    database,
    source: 'server',
    async dispose() {
      await database.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function inContainer(options: TestDatabaseOptions): Promise<TestDatabase | undefined> {
  if (process.env.TEST_NO_CONTAINERS === '1') return undefined;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient(); // throws quickly when no Docker engine answers
  } catch {
    return undefined;
  }
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:15-alpine').start();
  const inner = await onServer(container.getConnectionUri(), options);
  return {
    ...inner,
    source: 'testcontainers',
    async dispose() {
      await inner.dispose();
      await container.stop();
    },
  };
}

export async function openTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const url = process.env.TEST_DATABASE_URL;
  const t = url
    ? await onServer(url, options)
    : ((await inContainer(options)) ?? {
        database: await openDatabase({ dataDir: 'memory://', ...options }),
        source: 'pglite' as const,
        async dispose() {
          await this.database.close();
        },
      });
  await runMigrations(t.database);
  return t;
}
