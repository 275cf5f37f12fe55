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
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../modules/auth/auth.types.js';
import { communesVisibleTo, principalOn } from '../modules/auth/access-policy.js';
import type { Database, Db, Tx } from './client.js';

/** The role requests run as (created by migration 0021). */
export const REQUEST_ROLE = 'ansinh_request';

/** A request's transaction while it lasts; `tx` is cleared when it ends, so nothing can use it afterwards. */
interface Scope {
  tx: Tx | undefined;
}

const current = new AsyncLocalStorage<Scope>();

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

/**
 * The communes a caller's settings name: the token's communes with, for a merged commune, its predecessors (whose
 * people keep their records under the old codes; PlacesService.communesOn). Reached on any date, so the wall is
 * never narrower than the access policy; the policy narrows it by date. Empty for the district roles.
 */
export function communesSetting(p: Principal, communesOn: (code: string, asOf: string) => readonly string[]): string {
  if (communesVisibleTo(p) === null) return '';
  return principalOn(p, '9999-12-31', communesOn).communes.join(',');
}

/** Sets the request role and the caller's settings for the rest of the transaction (one statement). */
export async function enterRequestRole(tx: Tx | Db, role: string, communes: string): Promise<void> {
  await tx.execute(
    sql`SELECT set_config('role', ${REQUEST_ROLE}, true), set_config('ansinh.role', ${role}, true), set_config('ansinh.communes', ${communes}, true)`,
  );
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's row-security transaction: ends it (commit) and tells how that went. */
    rowScope?: { end(): Promise<void> };
  }
}

/**
 * Runs every authenticated request in a transaction as the request role, from the first preHandler registered after
 * this call to the response. Registered before the hooks that read the database (compiled reads) and after those
 * that refuse requests without reading it (shape, limits), so a refused request costs no connection.
 */
export function runRequestsUnderRowSecurity(app: FastifyInstance, deps: { db: Db; communesOn: (code: string, asOf: string) => readonly string[] }): void {
  app.addHook('preHandler', (request, _reply, done) => {
    const principal = request.principal;
    if (!principal) {
      done();
      return;
    }
    const scope: Scope = { tx: undefined };
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const committed = deps.db.transaction(async (tx) => {
      await enterRequestRole(tx, principal.role, communesSetting(principal, deps.communesOn));
      scope.tx = tx;
      // The rest of the request (hooks, handler, onSend) runs in this scope.
      current.run(scope, () => {
        done();
      });
      await released;
      scope.tx = undefined;
    });
    let ended = false;
    request.rowScope = {
      end() {
        if (!ended) {
          ended = true;
          release();
        }
        return committed;
      },
    };
    // The transaction could not begin (database away): the request fails as any other database failure.
    committed.catch((err: unknown) => {
      if (!scope.tx && !ended) done(err as Error);
    });
  });
  // Commits before the answer leaves (after the access log's onSend hook, registered earlier), so a caller never
  // hears of a change that was then lost. A streamed answer (an export) still reads while it is sent: its
  // transaction ends when the response has been sent.
  app.addHook('onSend', async (request, _reply, payload) => {
    if (request.rowScope && !isStream(payload)) await endScope(request);
  });
  app.addHook('onResponse', async (request) => {
    if (request.rowScope) await endScope(request).catch(() => undefined);
  });
}

async function endScope(request: FastifyRequest): Promise<void> {
  const scope = request.rowScope;
  request.rowScope = undefined;
  await scope?.end();
}

function isStream(payload: unknown): boolean {
  return typeof payload === 'object' && payload !== null && typeof (payload as { pipe?: unknown }).pipe === 'function';
}
