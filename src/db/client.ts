/**
 * The database: PGlite (PostgreSQL compiled to WASM, in process) in a data folder when no DATABASE_URL is
 * set, else a real PostgreSQL server through a `pg` pool. Both are driven through the same Drizzle API;
 * the rest of the code never knows which one it has.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger as DrizzleLogger } from 'drizzle-orm';
import { drizzle as drizzlePg, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { listenOnServer, type Unlisten } from './listen.js';
import { transactionOnOwnConnection } from './pool-transaction.js';
import * as schema from './schema/index.js';

export type Db = NodePgDatabase<typeof schema>;
/** A transaction handle: repositories accept either the database or a transaction. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /** Number of SQL statements sent so far (tests use it to prove nested pages cost a constant number). */
  statementCount(): number;
  /** Runs a multi-statement SQL script (PGlite prepares one statement per query, so scripts need exec). */
  execScript(sqlText: string): Promise<void>;
  /**
   * Calls `onNotify` for every NOTIFY on `channel` (with its payload), from any connection to this database,
   * once the sending transaction commits; on a server also after a lost listening connection is back
   * (payload undefined: what was sent meanwhile is unknown). Returns the function that stops listening.
   */
  listen(channel: string, onNotify: (payload: string | undefined) => void): Promise<Unlisten>;
  /** The pg pool, for bulk paths (COPY) on a real server; undefined on PGlite. */
  readonly pool: pg.Pool | undefined;
  close(): Promise<void>;
}

// DATE and NUMERIC come back as strings: dates stay calendar dates ('yyyy-mm-dd'), never shifted by a
// time zone, and big money sums are never rounded through a float.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

class CountingLogger implements DrizzleLogger {
  count = 0;
  logQuery(): void {
    this.count++;
  }
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  /** Folder for the embedded database; 'memory://' for a throw-away one. */
  dataDir?: string;
  poolSize?: number;
  /**
   * Cancel any statement running longer than this (SQLSTATE 57014, answered as TIMEOUT); 0 or absent: no
   * limit. PGlite takes the setting but, single-threaded in WASM, has no timer to enforce it.
   */
  statementTimeoutMs?: number;
  /** How long a new connection to the server may take to open before failing (DATABASE_UNAVAILABLE); default 1000 ms. */
  connectTimeoutMs?: number;
  /** How long to wait for a pooled connection to come free while all are busy (then OVERLOADED); default 5000 ms. */
  acquireTimeoutMs?: number;
  /** Told about errors of idle pooled connections (server restart, failover, terminated backend). */
  onPoolError?: (err: Error) => void;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const counter = new CountingLogger();
  if (options.databaseUrl) {
    // Two waits, two limits. pg-pool bounds both with its one connectionTimeoutMillis, so a burst (one request's
    // aliased fields, a report beside ordinary reads) that waited a second for a busy pool was answered "database
    // unavailable" while the database was fine. Opening a connection keeps the short limit, on the client itself:
    // a server that does not answer fails the request fast with DATABASE_UNAVAILABLE. Waiting for a free
    // connection gets the pool's longer one; past it the answer is OVERLOADED (src/db/faults.ts).
    const connectTimeoutMs = options.connectTimeoutMs ?? 1000;
    class ClientOpeningWithin extends pg.Client {
      constructor(config?: pg.ClientConfig) {
        super({ ...config, connectionTimeoutMillis: connectTimeoutMs });
      }
    }
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
      Client: ClientOpeningWithin,
      connectionTimeoutMillis: Math.max(options.acquireTimeoutMs ?? 5000, connectTimeoutMs),
      // Notices a dead peer (a host gone without closing the connection) instead of waiting forever.
      keepAlive: true,
    });
    // An idle connection the server drops emits 'error' on the pool; unhandled, that kills the process.
    // The pool has already discarded the client, so the next query simply opens a new connection.
    pool.on('error', (err) => options.onPoolError?.(err));
    // A connection checked out between two statements of a transaction gets the same error on the client
    // itself, where pg-pool has no listener: handle it there too. The pending statement fails (answered
    // DATABASE_UNAVAILABLE, the transaction is lost, never half-written) and the pool drops the client.
    pool.on('connect', (client) => {
      client.on('error', (err) => options.onPoolError?.(err));
    });
    // Fail at start-up, not at the first request, when the server is unreachable.
    const client = await pool.connect();
    client.release();
    const db = drizzlePg({ client: pool, schema, logger: counter });
    db.transaction = transactionOnOwnConnection(pool, counter);
    const { databaseUrl } = options;
    return {
      kind: 'postgres',
      db,
      pool,
      listen: (channel, onNotify) => listenOnServer(databaseUrl, channel, onNotify),
      statementCount: () => counter.count,
      execScript: async (sqlText) => {
        await pool.query(sqlText);
      },
      close: () => pool.end(),
    };
  }

  const { PGlite } = await import('@electric-sql/pglite');
  const { unaccent } = await import('@electric-sql/pglite/contrib/unaccent');
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  const dataDir = options.dataDir ?? './data';
  if (!dataDir.startsWith('memory://')) mkdirSync(path.resolve(dataDir), { recursive: true });
  const client = await PGlite.create(dataDir.startsWith('memory://') ? dataDir : path.resolve(dataDir), {
    extensions: { unaccent, pg_trgm },
  });
  if (options.statementTimeoutMs) await client.exec(`SET statement_timeout = ${Math.trunc(options.statementTimeoutMs)}`);
  const db = drizzlePglite({ client, schema, logger: counter }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    pool: undefined,
    // One process, one session: PGlite delivers the notifications its own transactions send.
    listen: async (channel, onNotify) => {
      const unsubscribe = await client.listen(channel, (payload) => {
        onNotify(payload);
      });
      return () => unsubscribe();
    },
    statementCount: () => counter.count,
    execScript: async (sqlText) => {
      await client.exec(sqlText);
    },
    close: () => client.close(),
  };
}
