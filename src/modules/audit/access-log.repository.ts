/** SQL for the access log (access_events, migration 0019). */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { accessEvents } from '../../db/schema/index.js';

export type AccessEventRow = typeof accessEvents.$inferSelect;
/** An event to append; the groups and ids are plain words (field group names, uuids), written as array literals. */
export interface AccessEventInsert {
  actor: string;
  actorRole: string;
  requestId: string;
  operation: string;
  fieldGroups: readonly string[];
  personIds: readonly string[];
  householdIds: readonly string[];
}

/**
 * Appends one event in one statement, without waiting for the write-ahead log to reach the disk: the
 * set_config in the statement makes synchronous_commit off for its own (implicit) transaction only. Measured,
 * the flush and the round trips were most of the cost of logging a read (docs/security.md "Logged reads"). A
 * crash of the database server can lose the last fraction of a second of access events (PostgreSQL's
 * wal_writer_delay), never part of one and never any other data. Under row-level security the statement runs in
 * the request's transaction (src/db/row-security.ts), which may already hold a mutation's writes: the setting is
 * then left as it was (a transaction that has written has a transaction id), so no record change loses durability.
 */
export async function insertAccessEvent(db: DbOrTx, row: AccessEventInsert): Promise<void> {
  await db.execute(sql`INSERT INTO access_events (actor, actor_role, request_id, operation, field_groups, person_ids, household_ids)
    SELECT ${row.actor}, ${row.actorRole}, ${row.requestId}, ${row.operation}, ${`{${row.fieldGroups.join(',')}}`}::text[],
      ${`{${row.personIds.join(',')}}`}::uuid[], ${`{${row.householdIds.join(',')}}`}::uuid[]
    FROM (SELECT set_config('synchronous_commit',
      CASE WHEN pg_current_xact_id_if_assigned() IS NULL THEN 'off' ELSE current_setting('synchronous_commit') END, true)) AS local_setting`);
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
