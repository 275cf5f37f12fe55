/**
 * Runs every authenticated request under row-level security (src/db/row-security.ts, docs/security.md): one
 * transaction per request, as the database role ansinh_request, with the caller's role and communes as its settings.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/client.js';
import { openRequestScope } from '../db/row-security.js';
import { communesVisibleTo, principalOn } from '../modules/auth/access-policy.js';
import type { Principal } from '../modules/auth/auth.types.js';

/**
 * The communes a caller's settings name: the token's communes with, for a merged commune, its predecessors (whose
 * people keep their records under the old codes; PlacesService.communesOn). Reached on any date, so the wall is
 * never narrower than the access policy; the policy narrows it by date. Empty for the district roles.
 */
export function communesSetting(p: Principal, communesOn: (code: string, asOf: string) => readonly string[]): string {
  if (communesVisibleTo(p) === null) return '';
  return principalOn(p, '9999-12-31', communesOn).communes.join(',');
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's row-security transaction: ends it (commit) and tells how that went. */
    rowScope?: { end(): Promise<void> };
  }
}

/**
 * From the first preHandler registered after this call to the response. Registered before the hooks that read the
 * database (compiled reads) and after those that refuse requests without reading it (shape, limits, persisted
 * queries), so a refused request costs no connection.
 */
export function runRequestsUnderRowSecurity(app: FastifyInstance, deps: { db: Db; communesOn: (code: string, asOf: string) => readonly string[] }): void {
  app.addHook('preHandler', (request, _reply, done) => {
    const principal = request.principal;
    if (!principal) {
      done();
      return;
    }
    request.rowScope = openRequestScope(deps.db, { role: principal.role, communes: communesSetting(principal, deps.communesOn) }, done);
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
