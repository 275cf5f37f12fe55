/**
 * The access log (issue 11, docs/security.md "Logged reads"): every request that answered a sensitive field
 * group of someone is one event — who, with which role, which request, which groups, whose — written once per
 * request, before its response leaves (src/app.ts). `accessLog(personId)` answers "who looked at this person's
 * health data" for auditors, and a person's request under the Personal Data Protection Law.
 */
import type { DbOrTx } from '../../db/client.js';
import { checkId, Problems } from '../../errors.js';
import { assertRole } from '../auth/auth.service.js';
import type { Principal } from '../auth/auth.types.js';
import type { ReadLedger } from '../auth/read-ledger.js';
import { findAccessEventsOf, insertAccessEvent } from './access-log.repository.js';

export type { AccessEventRow } from './access-log.repository.js';

export const MAX_ACCESS_EVENTS = 500;

export function createAccessLogService(database: { db: DbOrTx }) {
  return {
    /** Writes a request's reads: one row, one statement. */
    async record(principal: Principal, requestId: string, reads: ReadLedger): Promise<void> {
      if (reads.empty) return;
      const s = reads.readSet();
      await insertAccessEvent(database.db, {
        actor: principal.subject,
        actorRole: principal.role,
        requestId,
        operation: reads.operation || '(unknown)',
        fieldGroups: s.fieldGroups,
        personIds: s.personIds,
        householdIds: s.householdIds,
      });
    },

    /** Who read this person's sensitive data, newest first (auditor, admin). */
    async eventsOf(principal: Principal, personId: string, first: number | null | undefined) {
      assertRole(principal, 'auditor', 'admin');
      checkId('personId', personId);
      const limit = first ?? 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ACCESS_EVENTS) {
        new Problems().add('first', `must be 1–${MAX_ACCESS_EVENTS}`, `phải từ 1 đến ${MAX_ACCESS_EVENTS}`).throwIfAny();
      }
      return findAccessEventsOf(database.db, personId, limit);
    },
  };
}
export type AccessLogService = ReturnType<typeof createAccessLogService>;
