/**
 * Independent queries, at once where that is possible. Through the pool each takes its own connection and they run
 * in parallel; a transaction has one connection, which runs one query at a time: node-postgres queues a second one
 * today with a deprecation warning ("client.query() when the client is already executing a query"), and pg 9 will
 * refuse it. So on a transaction they run one after another.
 */
import { PgTransaction } from 'drizzle-orm/pg-core';
import type { DbOrTx } from './client.js';

export async function concurrently<const T extends readonly unknown[]>(db: DbOrTx, queries: { [K in keyof T]: () => PromiseLike<T[K]> }): Promise<T> {
  if (!(db instanceof PgTransaction)) return (await Promise.all(queries.map((q) => q()))) as unknown as T;
  const results: unknown[] = [];
  for (const q of queries) results.push(await q());
  return results as unknown as T;
}
