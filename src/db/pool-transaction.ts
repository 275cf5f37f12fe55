/**
 * Transactions on a pg pool that never leak a connection. Drizzle 0.45 sends BEGIN before its own
 * try/finally, so when the connection is lost at that moment (server restart, terminated backend) the
 * client is never given back: the pool shrinks by one per fault, and closing it on shutdown waits forever.
 * Here the client is checked out and released by us, and drizzle runs the transaction on that one client.
 */
import type { Logger as DrizzleLogger } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { isDatabaseUnavailable } from './faults.js';
import * as schema from './schema/index.js';

/** client.ts's Db, spelled out here: importing it would make the two modules depend on each other. */
type Db = NodePgDatabase<typeof schema>;

/**
 * The client with its statements sent one after another. A transaction's statements may be issued concurrently: under
 * row-level security a GraphQL request's resolvers all use the request's transaction. pg 8 queues a statement sent
 * while another runs, with a deprecation warning, and pg 9 will refuse it ("use an external async flow control
 * mechanism"): this is that mechanism. Callback-style calls (none in the application) pass through unchanged.
 */
export function oneStatementAtATime(client: pg.PoolClient): pg.PoolClient {
  let tail: Promise<unknown> = Promise.resolve();
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const queued = (...args: unknown[]): unknown => {
    if (args.some((a) => typeof a === 'function')) return query(...args);
    const send = () => query(...args);
    const result = tail.then(send, send);
    tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  };
  return new Proxy(client, {
    get: (target, prop) => (prop === 'query' ? queued : (Reflect.get(target, prop, target) as unknown)),
  });
}

export function transactionOnOwnConnection(pool: pg.Pool, logger: DrizzleLogger): Db['transaction'] {
  // One drizzle instance per pooled client, built once (building one costs about a millisecond).
  const onClient = new WeakMap<pg.PoolClient, Db>();
  return async (run, config) => {
    const client = await pool.connect();
    let failure: unknown;
    try {
      let db = onClient.get(client);
      if (!db) {
        db = drizzle({ client: oneStatementAtATime(client), schema, logger });
        onClient.set(client, db);
      }
      return await db.transaction(run, config);
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      // A connection that failed is destroyed rather than handed to the next request.
      client.release(isDatabaseUnavailable(failure) ? (failure as Error) : undefined);
    }
  };
}
