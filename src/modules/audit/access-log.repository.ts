/** SQL for the access log (access_events, migration 0018). */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { accessEvents } from '../../db/schema/index.js';

export type AccessEventRow = typeof accessEvents.$inferSelect;

export async function insertAccessEvents(db: DbOrTx, rows: (typeof accessEvents.$inferInsert)[]): Promise<void> {
  await db.insert(accessEvents).values(rows);
}

/**
 * The events that read this person, or a household they have lived in (its poverty assessments are the
 * household's financial data), newest first.
 */
export async function findAccessEventsOf(db: DbOrTx, personId: string, limit: number): Promise<AccessEventRow[]> {
  const rows = await db.execute(sql`
    SELECT id, occurred_at, actor, actor_role, request_id, operation, field_groups, person_ids, household_ids
    FROM access_events
    WHERE person_ids @> ARRAY[${personId}::uuid]
       OR household_ids && ARRAY(SELECT DISTINCT household_id FROM residence_periods WHERE person_id = ${personId}::uuid AND household_id IS NOT NULL)
    ORDER BY id DESC LIMIT ${limit}`);
  return rows.rows.map((r) => ({
    id: Number(r.id),
    occurredAt: new Date(r.occurred_at as string),
    actor: r.actor as string,
    actorRole: r.actor_role as string,
    requestId: r.request_id as string,
    operation: r.operation as string,
    fieldGroups: r.field_groups as string[],
    personIds: r.person_ids as string[],
    householdIds: r.household_ids as string[],
  }));
}
