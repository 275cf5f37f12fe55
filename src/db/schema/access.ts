/**
 * The access log (issue 11): who read which people's sensitive field groups. One row per request, with the
 * people and households as arrays, so a page of 200 people is one row, not 200; the GIN indexes answer "who
 * read this person" (accessLog).
 */
import { bigserial, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const accessEvents = pgTable(
  'access_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
    /** Subject (`sub`) of the token that read. */
    actor: text('actor').notNull(),
    actorRole: text('actor_role').notNull(),
    /** The X-Request-Id of the request, as in the service log and the audit log. */
    requestId: text('request_id').notNull(),
    /** The root fields of the operation, e.g. "beneficiaries". */
    operation: text('operation').notNull(),
    /** The sensitive field groups read (access-policy.ts SENSITIVE_GROUPS). */
    fieldGroups: text('field_groups').array().notNull(),
    personIds: uuid('person_ids').array().notNull(),
    householdIds: uuid('household_ids').array().notNull(),
  },
  (t) => [
    index('access_events_person_ids_idx').using('gin', t.personIds),
    index('access_events_household_ids_idx').using('gin', t.householdIds),
    index('access_events_occurred_at_idx').on(t.occurredAt),
  ],
);
