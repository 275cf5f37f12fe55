/**
 * When the inputs of someone's entitlements last changed (docs/payments.md, "Which months a cycle computes").
 *
 * Triggers on every table an entitlement reads (migration 0017) record, per person, per household and once for
 * everyone (the rule book, places, standards), the id of the latest transaction that changed them. A payment cycle
 * stores the oldest transaction still running when it began computing (`payment_cycles.planned_below`); a later
 * cycle or audit can then tell, for each person, whether anything changed since: if not, every past month still owes
 * what that cycle settled, and need not be computed again.
 */
import { sql } from 'drizzle-orm';
import { customType, pgTable, uuid } from 'drizzle-orm/pg-core';

/** A 64-bit transaction id (PostgreSQL 13+), read and written as its decimal text. */
export const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

/** The id everyone's entitlements depend on: a change to the rule book, places or standards marks it. */
export const EVERYONE = '00000000-0000-0000-0000-000000000000';

export const entitlementInputChanges = pgTable('entitlement_input_changes', {
  /** A person's id, a household's id (its members' entitlements), or EVERYONE. */
  id: uuid('id').primaryKey(),
  /** The latest transaction that changed what this id's entitlements are computed from. */
  changedXid: xid8('changed_xid')
    .notNull()
    .default(sql`pg_current_xact_id()`),
});
