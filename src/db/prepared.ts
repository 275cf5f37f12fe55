/**
 * Named (server-side prepared) statements for the hot read paths.
 *
 * `db.execute(sql)` sends an unnamed statement, which PostgreSQL parses and plans on every call. A named
 * statement is parsed once per connection and, after a few executions, runs on a cached plan: measured on
 * the national data set (bench/), planning was a visible part of a commune page's database time. The name
 * is derived from the statement's text, so one text always has one name (pg refuses a name reused for
 * another text) and the same query shape shares its preparation across requests.
 *
 * Drizzle prepares named statements for its query builders (`.prepare(name)`); for hand-written SQL its
 * session does the same through `prepareQuery`, which is what this calls. On PGlite the name is ignored.
 */
import { createHash } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import type { DbOrTx } from './client.js';

const names = new Map<string, string>();
function nameOf(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `as_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    // Statement texts come from code, not from requests, so this stays small; the bound is a safeguard.
    if (names.size < 10_000) names.set(text, name);
  }
  return name;
}

interface PreparingSession {
  prepareQuery(
    query: { sql: string; params: unknown[] },
    fields: undefined,
    name: string | undefined,
    isResponseInArrayMode: boolean,
  ): { execute(values?: Record<string, unknown>): Promise<{ rows: Record<string, unknown>[] }> };
}

/**
 * Runs `query` as a named prepared statement; returns the rows as `db.execute` does. `values` binds the query's
 * Drizzle placeholders (`sql.placeholder(name)`), for fragments built once and reused across days (prefetch).
 */
export async function executePrepared<T extends Record<string, unknown>>(db: DbOrTx, query: SQL, values?: Record<string, unknown>): Promise<T[]> {
  const internals = db as unknown as { dialect: { sqlToQuery(q: SQL): { sql: string; params: unknown[] } }; session: PreparingSession };
  const built = internals.dialect.sqlToQuery(query);
  const result = await internals.session.prepareQuery(built, undefined, nameOf(built.sql), false).execute(values);
  return result.rows as T[];
}

/**
 * Prepares `query` once and returns a runner that binds its Drizzle placeholders (`sql.placeholder(name)`)
 * per call: for statements built once per query shape and run many times (the compiled GraphQL reads),
 * so a request does no SQL building at all. Goes through the session like any Drizzle query (the
 * statement counter and logger see it).
 */
export function prepareNamed(db: DbOrTx, query: SQL): (values: Record<string, unknown>) => Promise<Record<string, unknown>[]> {
  const internals = db as unknown as {
    dialect: { sqlToQuery(q: SQL): { sql: string; params: unknown[] } };
    session: {
      prepareQuery(...args: Parameters<PreparingSession['prepareQuery']>): {
        execute(values: Record<string, unknown>): Promise<{ rows: Record<string, unknown>[] }>;
      };
    };
  };
  const built = internals.dialect.sqlToQuery(query);
  const prepared = internals.session.prepareQuery(built, undefined, nameOf(built.sql), false);
  return async (values) => (await prepared.execute(values)).rows;
}
