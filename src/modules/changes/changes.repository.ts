/**
 * SQL of the change events: the outbox rows, their numbering, the sinks and their deliveries, and the dispatch
 * lease (see changes.service.ts and changes.dispatcher.ts for what each step guarantees).
 */
import { and, asc, eq, gt, inArray, isNotNull, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { ChangeType } from '../../core/change-types.js';
import type { DbOrTx } from '../../db/client.js';
import { changeDeliveries, changeDispatchLease, changeEvents, changeSinks, households, persons } from '../../db/schema/index.js';

export type ChangeEventRow = typeof changeEvents.$inferSelect;
/** A numbered event: what readers and sinks see. */
export type NumberedChangeEvent = ChangeEventRow & { position: number };
export type ChangeDeliveryRow = typeof changeDeliveries.$inferSelect;

const LEASE = 'dispatcher';

export async function findPeoplePlaces(tx: DbOrTx, ids: string[]): Promise<Map<string, { communeCode: string; householdId: string | null }>> {
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ id: persons.id, communeCode: persons.communeCode, householdId: persons.householdId })
    .from(persons)
    .where(inArray(persons.id, [...new Set(ids)]));
  return new Map(rows.map((r) => [r.id, r]));
}

export async function findHouseholdCommunes(tx: DbOrTx, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ id: households.id, communeCode: households.communeCode })
    .from(households)
    .where(inArray(households.id, [...new Set(ids)]));
  return new Map(rows.map((r) => [r.id, r.communeCode]));
}

export async function insertEvents(tx: DbOrTx, rows: (typeof changeEvents.$inferInsert)[]): Promise<void> {
  if (rows.length > 0) await tx.insert(changeEvents).values(rows);
}

/**
 * Claims or renews the dispatch lease for `holder` until `ms` from now; true when it holds it. The row is taken
 * only when free (never claimed, or its lease ran out) or already this holder's, atomically (INSERT … ON CONFLICT
 * locks the row), so two instances never both hold it.
 */
export async function claimLease(db: DbOrTx, holder: string, ms: number): Promise<boolean> {
  const r = await db.execute<{ holder: string }>(sql`
    INSERT INTO change_dispatch_lease (name, holder, lease_until)
    VALUES (${LEASE}, ${holder}, clock_timestamp() + ${ms} * interval '1 millisecond')
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
      WHERE change_dispatch_lease.holder = excluded.holder OR change_dispatch_lease.lease_until < clock_timestamp()
    RETURNING holder`);
  return r.rows.length === 1;
}

/** Gives the lease up (at shutdown), so another instance takes over at once rather than when it runs out. */
export async function releaseLease(db: DbOrTx, holder: string): Promise<void> {
  await db
    .update(changeDispatchLease)
    .set({ leaseUntil: sql`'-infinity'` })
    .where(and(eq(changeDispatchLease.name, LEASE), eq(changeDispatchLease.holder, holder)));
}

/** Locks the lease row if `holder` still holds it: a takeover then waits for this transaction to end. */
export async function lockOwnLease(tx: DbOrTx, holder: string): Promise<boolean> {
  const r = await tx.execute(sql`
    SELECT 1 FROM change_dispatch_lease
    WHERE name = ${LEASE} AND holder = ${holder} AND lease_until > clock_timestamp()
    FOR UPDATE`);
  return r.rows.length === 1;
}

const lastPosition = sql`(SELECT coalesce(max(position), 0) FROM change_events)`;

/** Records a sink the first time it is seen: it receives the events numbered from then on. */
export async function addSinks(tx: DbOrTx, names: string[]): Promise<void> {
  if (names.length === 0) return;
  await tx
    .insert(changeSinks)
    .values(names.map((name) => ({ name, through: lastPosition })))
    .onConflictDoNothing();
}

/**
 * Numbers the committed events not yet numbered, in insertion order, after the highest number given: the
 * caller holds the lease, so numbers only grow, and the unique index would refuse a second numberer anyway.
 */
export async function numberEvents(tx: DbOrTx, limit: number): Promise<number> {
  const r = await tx.execute(sql`
    WITH pending AS (
      SELECT id, row_number() OVER (ORDER BY id) AS n FROM change_events WHERE position IS NULL ORDER BY id LIMIT ${limit}
    ), top AS (SELECT ${lastPosition} AS p)
    UPDATE change_events e SET position = top.p + pending.n FROM pending, top WHERE e.id = pending.id
    RETURNING e.id`);
  return r.rows.length;
}

/** Queues for each sink the events numbered since it was last queued for. */
export async function queueDeliveries(tx: DbOrTx, names: string[]): Promise<void> {
  if (names.length === 0) return;
  const list = sql.join(
    names.map((n) => sql`${n}`),
    sql`, `,
  );
  await tx.execute(sql`
    INSERT INTO change_deliveries (sink, position)
    SELECT s.name, e.position FROM change_sinks s JOIN change_events e ON e.position > s.through
    WHERE s.name IN (${list})
    ON CONFLICT DO NOTHING`);
  await tx.execute(sql`UPDATE change_sinks SET through = ${lastPosition} WHERE name IN (${list})`);
}

export interface DueDelivery {
  event: NumberedChangeEvent;
  attempts: number;
}

/** Open deliveries read per statement while looking for the due ones. */
const SCAN_PAGE = 1000;

/**
 * The deliveries of a sink due now, oldest first, each with no earlier unacknowledged delivery to this sink that
 * shares a person or household (a failed or dead-lettered one holds its successors back until it is delivered).
 * Walks the sink's open deliveries in order, remembering the keys of those passed over: one pass, linear in the
 * backlog (an SQL anti-join comparing every pair of open deliveries was quadratic: 56 deliveries a second at a
 * backlog of 5,000). Of two due deliveries sharing a key only the first is returned; the next call gets the other.
 */
export async function findDueDeliveries(db: DbOrTx, sink: string, limit: number): Promise<DueDelivery[]> {
  const blocked = new Set<string>();
  const due = new Map<number, number>();
  let after = 0;
  for (;;) {
    const page = await db
      .select({
        position: changeDeliveries.position,
        attempts: changeDeliveries.attempts,
        orderKeys: changeEvents.orderKeys,
        due: sql<boolean>`(${changeDeliveries.deadLetteredAt} IS NULL AND ${changeDeliveries.nextAttemptAt} <= clock_timestamp())`,
      })
      .from(changeDeliveries)
      .innerJoin(changeEvents, eq(changeEvents.position, changeDeliveries.position))
      .where(and(eq(changeDeliveries.sink, sink), isNull(changeDeliveries.deliveredAt), gt(changeDeliveries.position, after)))
      .orderBy(asc(changeDeliveries.position))
      .limit(SCAN_PAGE);
    for (const row of page) {
      const free = !row.orderKeys.some((k) => blocked.has(k));
      for (const k of row.orderKeys) blocked.add(k);
      if (free && row.due) due.set(row.position, row.attempts);
      if (due.size === limit) break;
    }
    const last = page.at(-1);
    if (due.size === limit || page.length < SCAN_PAGE || !last) break;
    after = last.position;
  }
  if (due.size === 0) return [];
  const events = await db
    .select()
    .from(changeEvents)
    .where(inArray(changeEvents.position, [...due.keys()]))
    .orderBy(asc(changeEvents.position));
  return events.map((event) => ({ event: event as NumberedChangeEvent, attempts: due.get(event.position ?? 0) ?? 0 }));
}

const delivery = (sink: string, position: number) =>
  and(eq(changeDeliveries.sink, sink), eq(changeDeliveries.position, position), isNull(changeDeliveries.deliveredAt));

/** The sink acknowledged the event: it is never sent to this sink again. */
export async function markDelivered(db: DbOrTx, sink: string, position: number): Promise<void> {
  await db
    .update(changeDeliveries)
    .set({ deliveredAt: sql`clock_timestamp()`, attempts: sql`${changeDeliveries.attempts} + 1`, lastError: null })
    .where(delivery(sink, position));
}

/** An attempt failed: try again after `delayMs`, or dead-letter it when it was the last allowed attempt. */
export async function markFailed(db: DbOrTx, sink: string, position: number, error: string, delayMs: number, deadLetter: boolean): Promise<void> {
  await db
    .update(changeDeliveries)
    .set({
      attempts: sql`${changeDeliveries.attempts} + 1`,
      lastError: error,
      nextAttemptAt: sql`clock_timestamp() + ${delayMs} * interval '1 millisecond'`,
      deadLetteredAt: deadLetter ? sql`clock_timestamp()` : null,
    })
    .where(delivery(sink, position));
}

export interface FeedFilter {
  after: number;
  types: readonly ChangeType[] | null;
  /** The communes the caller may see (null: all). */
  visibleCommunes: readonly string[] | null;
  communeCode: string | null;
  /** Types left out whatever was asked (what the caller may not read). */
  hiddenTypes: readonly ChangeType[];
  limit: number;
}

export async function findEvents(
  db: DbOrTx,
  f: FeedFilter,
  communeCondition: (communes: readonly string[] | null, column: SQL) => SQL | undefined,
): Promise<NumberedChangeEvent[]> {
  const inCommunes = (communes: readonly string[] | null) => {
    const current = communeCondition(communes, sql`${changeEvents.communeCode}`);
    const previous = communeCondition(communes, sql`${changeEvents.previousCommuneCode}`);
    return current && previous ? or(current, previous) : undefined;
  };
  const rows = await db
    .select()
    .from(changeEvents)
    .where(
      and(
        isNotNull(changeEvents.position),
        gt(changeEvents.position, f.after),
        f.types ? inArray(changeEvents.type, [...f.types]) : undefined,
        f.hiddenTypes.length > 0
          ? sql`${changeEvents.type} NOT IN (${sql.join(
              f.hiddenTypes.map((t) => sql`${t}`),
              sql`, `,
            )})`
          : undefined,
        inCommunes(f.visibleCommunes),
        f.communeCode === null ? undefined : inCommunes([f.communeCode]),
      ),
    )
    .orderBy(asc(changeEvents.position))
    .limit(f.limit);
  return rows as NumberedChangeEvent[];
}

export interface DeadLetterRow extends ChangeDeliveryRow {
  type: ChangeType;
}

export async function findDeadLetters(db: DbOrTx, sink: string | null, limit: number): Promise<DeadLetterRow[]> {
  return db
    .select({
      sink: changeDeliveries.sink,
      position: changeDeliveries.position,
      attempts: changeDeliveries.attempts,
      nextAttemptAt: changeDeliveries.nextAttemptAt,
      lastError: changeDeliveries.lastError,
      deliveredAt: changeDeliveries.deliveredAt,
      deadLetteredAt: changeDeliveries.deadLetteredAt,
      type: changeEvents.type,
    })
    .from(changeDeliveries)
    .innerJoin(changeEvents, eq(changeEvents.position, changeDeliveries.position))
    .where(and(isNotNull(changeDeliveries.deadLetteredAt), isNull(changeDeliveries.deliveredAt), sink === null ? undefined : eq(changeDeliveries.sink, sink)))
    .orderBy(asc(changeDeliveries.sink), asc(changeDeliveries.position))
    .limit(limit);
}

/** Puts dead letters of a sink back in the queue with fresh attempts (all of them, or those at `positions`). */
export async function replayDeadLetters(tx: DbOrTx, sink: string, positions: number[] | null): Promise<number[]> {
  const rows = await tx
    .update(changeDeliveries)
    .set({ deadLetteredAt: null, attempts: 0, nextAttemptAt: sql`clock_timestamp()` })
    .where(
      and(
        eq(changeDeliveries.sink, sink),
        isNotNull(changeDeliveries.deadLetteredAt),
        isNull(changeDeliveries.deliveredAt),
        positions === null ? undefined : inArray(changeDeliveries.position, positions),
      ),
    )
    .returning({ position: changeDeliveries.position });
  return rows.map((r) => r.position).sort((a, b) => a - b);
}

/**
 * The retained horizon of the feed: every event at or below it has been deleted by retention (0: none has). Events
 * are numbered without gaps and only a prefix is ever deleted (pruneDelivered), so it is the lowest position left,
 * less one; the newest event is never deleted, so there is always one left once any was numbered.
 */
export async function retainedHorizon(db: DbOrTx): Promise<number> {
  const r = await db.execute(sql`SELECT coalesce(min(position), 1) - 1 AS h FROM change_events WHERE position IS NOT NULL`);
  return Number(r.rows[0]?.h ?? 0);
}

/** Whether the oldest numbered event is past the retention (the position index's first entry). */
export async function anyPastRetention(db: DbOrTx, retentionDays: number): Promise<boolean> {
  const r = await db.execute(sql`
    SELECT occurred_at < now() - make_interval(days => ${retentionDays}) AS old
    FROM change_events WHERE position IS NOT NULL ORDER BY position LIMIT 1`);
  const old = r.rows[0]?.old;
  return old === true || old === 't';
}

/**
 * Deletes the oldest numbered events, at most `limit`, while each is older than `retentionDays`, has been delivered
 * to every sink that is owed it (queued for each sink whose `through` has passed it, and no delivery of it still
 * open or dead-lettered), and is not the newest event (numbering continues after the highest position left). Only a
 * prefix goes: the first event that must stay keeps every later one, so the feed's horizon is one number. Their
 * delivered deliveries go with them. Returns the positions deleted (empty: nothing to do), oldest first.
 */
export async function pruneDelivered(tx: DbOrTx, retentionDays: number, limit: number): Promise<{ from: number; through: number } | null> {
  // What stops the prefix: the newest event, the first event a sink has not yet been queued, the first open delivery.
  const r = await tx.execute(sql`
    SELECT (SELECT max(position) FROM change_events) AS newest,
           (SELECT min(through) + 1 FROM change_sinks) AS unqueued,
           (SELECT min(position) FROM change_deliveries WHERE delivered_at IS NULL) AS open`);
  const row = r.rows[0] ?? {};
  const stops = [row.newest, row.unqueued, row.open].filter((v) => v !== null && v !== undefined).map(Number);
  if (row.newest === null || row.newest === undefined) return null;
  const stop = Math.min(...stops);
  // The oldest events left, in order: the prefix ends before the first one too young or at a stop.
  const oldest = await tx.execute(sql`
    SELECT position, occurred_at < now() - make_interval(days => ${retentionDays}) AS old
    FROM change_events WHERE position IS NOT NULL AND position < ${stop} ORDER BY position LIMIT ${limit}`);
  let through: number | null = null;
  for (const e of oldest.rows) {
    if (!(e.old === true || e.old === 't')) break;
    through = Number(e.position);
  }
  const first = oldest.rows[0];
  if (through === null || !first) return null;
  const from = Number(first.position);
  // By sink, along the deliveries' primary key (sink, position).
  await tx.execute(sql`
    DELETE FROM change_deliveries d USING change_sinks s
    WHERE d.sink = s.name AND d.position BETWEEN ${from} AND ${through}`);
  await tx.execute(sql`DELETE FROM change_events WHERE position BETWEEN ${from} AND ${through}`);
  return { from, through };
}
