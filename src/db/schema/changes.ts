/**
 * The transactional outbox of change events (docs/integration.md#change-events). A mutation writes its events in
 * its own transaction, next to its audit events; the dispatcher then numbers them (`position`, the public cursor)
 * in the order their transactions became visible, and delivers them to each sink, keeping per-sink delivery state.
 */
import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { CHANGE_TYPES } from '../../core/change-types.js';

export const changeEvents = pgTable(
  'change_events',
  {
    /** Insertion order, internal: ids are taken before commit, so they are not the order changes became visible. */
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /**
     * The cursor and the event's public id: 1, 2, 3, … without gaps, assigned by the one dispatcher at a time to
     * committed events only, so a reader that has seen position n never later finds a new event below n.
     */
    position: bigint('position', { mode: 'number' }),
    type: text('type', { enum: CHANGE_TYPES }).notNull(),
    personIds: uuid('person_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    householdId: uuid('household_id'),
    /** The commune the record belongs to after the change. */
    communeCode: text('commune_code').notNull(),
    /** The commune before the change, when it changed (a move): officers of both communes see the event. */
    previousCommuneCode: text('previous_commune_code'),
    /** The persons and household of the event: a sink gets an event only after every earlier one sharing a key. */
    orderKeys: uuid('order_keys').array().notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    payload: jsonb('payload').notNull(),
  },
  (t) => [
    uniqueIndex('change_events_position_uq').on(t.position),
    // The dispatcher's scan for events not yet numbered.
    index('change_events_unnumbered_idx')
      .on(t.id)
      .where(sql`${t.position} IS NULL`),
    index('change_events_commune_idx').on(t.communeCode, t.position),
  ],
);

/** A consumer of the events (a DCI subscriber, a test sink): events numbered after `through` are still to be queued for it. */
export const changeSinks = pgTable('change_sinks', {
  name: text('name').primaryKey(),
  through: bigint('through', { mode: 'number' }).notNull(),
  firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
});

/** The delivery of one event to one sink. */
export const changeDeliveries = pgTable(
  'change_deliveries',
  {
    sink: text('sink')
      .notNull()
      .references(() => changeSinks.name),
    position: bigint('position', { mode: 'number' }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    /** Set after the last allowed attempt failed; an admin's replay clears it. */
    deadLetteredAt: timestamp('dead_lettered_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.sink, t.position] }),
    index('change_deliveries_open_idx')
      .on(t.sink, t.position)
      .where(sql`${t.deliveredAt} IS NULL`),
    check('change_deliveries_attempts', sql`${t.attempts} >= 0`),
  ],
);

/**
 * Which service instance dispatches: one row, held by the instance that last claimed it, until `leaseUntil`.
 * A lease row rather than a session advisory lock: a pooled connection (and PGlite's single session) would make
 * the lock re-entrant for every dispatcher that happened to use the same session.
 */
export const changeDispatchLease = pgTable('change_dispatch_lease', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  leaseUntil: timestamp('lease_until', { withTimezone: true }).notNull(),
});
