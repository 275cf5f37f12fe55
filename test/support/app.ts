/**
 * A running An Sinh for a test file: real database (see database.ts), real app, requests through
 * app.inject, tokens signed as a real identity provider would.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';
import { createAuthService } from '../../src/modules/auth/auth.service.js';
import type { Role } from '../../src/modules/auth/auth.types.js';
import { seedReferenceData } from '../../src/reference/reference.js';
import { openTestDatabase, type TestDatabase, type TestDatabaseOptions } from './database.js';

export const TEST_JWT = { secret: 'test-secret-test-secret-test-secret-0123', jwksUrl: undefined, issuer: 'an-sinh-test', audience: 'an-sinh' };

/**
 * A parsed JSON response body (what `res.json()` returns). Untyped on purpose: each test asserts the exact
 * shape it expects, and typing every response by hand would restate the schema in each test (eslint.config.js
 * lets tests and benchmarks read such bodies).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the one place the untyped response JSON is named, see above
export type JsonBody = any;

export interface TestApp {
  app: FastifyInstance;
  db: TestDatabase;
  /** A signed token; `subject` tells two people of one role apart (default test-<role>). */
  token(role: Role, communes?: string[], scope?: string, subject?: string): Promise<string>;
  /** POST /graphql with a token; returns status and parsed body. */
  gql(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<{ status: number; body: { data?: JsonBody; errors?: JsonBody; extensions?: JsonBody } }>;
  close(): Promise<void>;
}

/**
 * For afterAll: closes the app if beforeAll got as far as starting it. When it did not, `t` is still unset
 * (whatever its declared type says) and beforeAll's own error is the one to report.
 */
export async function closeTestApp(t: TestApp | undefined): Promise<void> {
  await t?.close();
}

export async function startTestApp(
  opts: {
    seed?: (t: TestDatabase) => Promise<void>;
    clock?: Clock;
    logger?: FastifyBaseLogger;
    database?: TestDatabaseOptions;
    /** A second app on the same database: it shares its data and leaves seeding and disposal to the first. */
    sharedDatabase?: TestDatabase;
    compiledReads?: boolean;
    /** Settings on top of the test defaults (limits, rate limits, CORS, overload, env). */
    config?: Partial<AppDeps['config']>;
  } = {},
): Promise<TestApp> {
  const db = opts.sharedDatabase ?? (await openTestDatabase(opts.database));
  if (!opts.sharedDatabase) await seedReferenceData(db.database.db);
  if (opts.seed) await opts.seed(db);
  const app = await buildApp({
    // TEST_ROW_SECURITY=on runs a test file with every request under the row-security policies (src/db/row-security.ts).
    config: {
      jwt: TEST_JWT,
      graphiql: false,
      env: 'test',
      graphqlCompiledReads: opts.compiledReads,
      rowSecurity: process.env.TEST_ROW_SECURITY === 'on',
      ...opts.config,
    },
    database: db.database,
    clock: opts.clock,
    logger: opts.logger,
  });
  const auth = createAuthService(TEST_JWT);
  let defaultToken: string | undefined;
  const token = (role: Role, communes: string[] = [], scope = '', subject = `test-${role}`) => auth.issueToken({ sub: subject, role, communes, scope });
  return {
    app,
    db,
    token,
    async gql(query, variables, bearer) {
      bearer ??= defaultToken ??= await token('district_officer');
      const res = await app.inject({
        method: 'POST',
        url: '/graphql',
        // The GraphQL-over-HTTP media type: request errors come with 400 (under plain application/json
        // the spec wants 200 for them; test/http-errors.test.ts checks both).
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
        payload: { query, variables },
      });
      return { status: res.statusCode, body: res.json() };
    },
    async close() {
      await app.close();
      if (!opts.sharedDatabase) await db.dispose();
    },
  };
}
