/**
 * Row-level security, the second wall behind the access policy (migration 0021, docs/security.md "Row-level
 * security"). Each authenticated request runs in one transaction of its own, PostgREST-style: the transaction
 * first switches to the role ansinh_request and records the caller's role and communes as transaction settings,
 * and the database's policies then hide other communes' people from every statement of the request, including a
 * query the application forgot to filter.
 *
 * The services hold one database handle, built once (app.ts). `requestScoped` gives them a handle that, inside a
 * request's scope, is that request's transaction (AsyncLocalStorage), and outside any request (start-up, the
 * change-event dispatcher, CLIs, seeds) the owner's own handle, which the policies do not apply to. A service's
 * own `db.transaction(...)` inside a request becomes a savepoint of the request's transaction, so a failed
 * mutation still changes nothing, and a request never needs a second connection (which could deadlock a full pool).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { sql } from 'drizzle-orm';
import type { Database, Db, Tx } from './client.js';

/** The role requests run as (created by migration 0021). */
export const REQUEST_ROLE = 'ansinh_request';

/** A request's transaction while it lasts; `tx` is cleared when it ends, so nothing can use it afterwards. */
interface Scope {
  tx: Tx | undefined;
}

const current = new AsyncLocalStorage<Scope>();

/**
 * Opens the transaction of a request whose caller has these settings, and calls `next` inside the request's scope
 * once the role and settings are in place (or with the error when the transaction could not begin). The returned
 * `end` commits (once, whoever calls it) and tells how that went; after it the scope's handle refuses to be used.
 */
export function openRequestScope(db: Db, settings: { role: string; communes: string }, next: (err?: Error) => void): { end(): Promise<void> } {
  const scope: Scope = { tx: undefined };
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const committed = db.transaction(async (tx) => {
    await enterRequestRole(tx, settings.role, settings.communes);
    scope.tx = tx;
    current.run(scope, () => {
      next();
    });
    await released;
    scope.tx = undefined;
  });
  let ended = false;
  let failedToBegin = false;
  // The transaction could not begin (database away, every connection busy): the request fails as any other
  // database failure, and its end has nothing to commit (rejecting there too made Fastify answer the error a
  // second time, as `{}`).
  committed.catch((err: unknown) => {
    if (!scope.tx && !ended) {
      failedToBegin = true;
      next(err as Error);
    }
  });
  return {
    end() {
      if (!ended) {
        ended = true;
        release();
      }
      return failedToBegin ? Promise.resolve() : committed;
    },
  };
}

/** The transaction of the request being served, if any (tests use it to run raw SQL as a request would). */
export function requestTransaction(): Tx | undefined {
  return current.getStore()?.tx;
}

/**
 * A database whose `db` is the request's transaction inside a request's scope, else the owner's handle. A
 * statement run through it after its request's transaction has ended fails rather than reach a connection that
 * the pool may already have handed to another request.
 */
export function requestScoped(database: Database): Database {
  const base = database.db;
  const db = new Proxy(base, {
    get(target, prop): unknown {
      const scope = current.getStore();
      if (!scope) return Reflect.get(target, prop, target) as unknown;
      if (!scope.tx) throw new Error('the request transaction has ended');
      return Reflect.get(scope.tx, prop, scope.tx) as unknown;
    },
  });
  return { ...database, db };
}

/** Sets the request role and the caller's settings for the rest of the transaction (one statement). */
export async function enterRequestRole(tx: Tx | Db, role: string, communes: string): Promise<void> {
  await tx.execute(
    sql`SELECT set_config('role', ${REQUEST_ROLE}, true), set_config('ansinh.role', ${role}, true), set_config('ansinh.communes', ${communes}, true)`,
  );
}
