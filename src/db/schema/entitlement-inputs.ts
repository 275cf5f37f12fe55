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
import { bigint, customType, date, index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';

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

/**
 * What a person's months after a cycle's month will be owed, computed with that month (docs/payments.md, "Months
 * read from the forecast"): for a person nothing of whose changes after `computedBelow`, a later cycle takes its
 * month from here instead of loading the person's records and computing it again. A cache: every row can be thrown
 * away, and the next cycle computes the person again.
 */
export const entitlementForecastPeople = pgTable('entitlement_forecast_people', {
  personId: uuid('person_id').primaryKey(),
  /** The cycle month the forecast was computed with (first day). */
  computedMonth: date('computed_month').notNull(),
  /** The last month forecast (first day): months after it are computed again. */
  throughMonth: date('through_month').notNull(),
  /** The oldest transaction still running when the computation began: every earlier change was seen. */
  computedBelow: xid8('computed_below').notNull(),
});

/**
 * A run of months one enrolment is owed the same line in (amount over 0, paid by the same commune, the same note):
 * only what a cycle's regular line for the month is made of.
 */
export const entitlementForecasts = pgTable(
  'entitlement_forecasts',
  {
    personId: uuid('person_id').notNull(),
    enrolmentId: uuid('enrolment_id').notNull(),
    programCode: text('program_code').notNull(),
    payingCommuneCode: text('paying_commune_code').notNull(),
    fromMonth: date('from_month').notNull(),
    throughMonth: date('through_month').notNull(),
    /** REGULAR or BACK_PAY, as the entitlement line says. */
    kind: text('kind').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    note: text('note').notNull(),
    noteVi: text('note_vi').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.enrolmentId, t.fromMonth] }),
    index('entitlement_forecasts_person_idx').on(t.personId),
    // A commune's cycle reads its lines by paying commune: a few hundred rows among hundreds of thousands.
    index('entitlement_forecasts_commune_idx').on(t.payingCommuneCode, t.throughMonth),
  ],
);
