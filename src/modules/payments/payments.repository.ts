/**
 * SQL of the payments module: recipients, cycles, lines and results (src/db/schema/payments.ts).
 */
import { and, asc, desc, eq, getTableColumns, gte, inArray, lte, notInArray, sql, type SQL } from 'drizzle-orm';
import { idIn } from '../../db/id-list.js';
import type { DbOrTx } from '../../db/client.js';
import { EVERYONE, paymentCycles, paymentRecipients, paymentResults, payments, persons, programs } from '../../db/schema/index.js';

export type PaymentRecipientRow = typeof paymentRecipients.$inferSelect;
export type PaymentCycleRow = typeof paymentCycles.$inferSelect;
export type PaymentRow = typeof payments.$inferSelect;
export type PaymentResultRow = typeof paymentResults.$inferSelect;
export type NewPayment = typeof payments.$inferInsert;

const list = (values: readonly string[]) =>
  sql`(${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )})`;

export async function insertRecipient(tx: DbOrTx, values: typeof paymentRecipients.$inferInsert): Promise<PaymentRecipientRow> {
  const [row] = await tx.insert(paymentRecipients).values(values).returning();
  if (!row) throw new Error('INSERT … RETURNING gave no row');
  return row;
}

export function findRecipientsOf(db: DbOrTx, enrolmentIds: readonly string[]): Promise<PaymentRecipientRow[]> {
  if (enrolmentIds.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(paymentRecipients)
    .where(idIn(paymentRecipients.enrolmentId, [...enrolmentIds]))
    .orderBy(asc(paymentRecipients.enrolmentId), asc(paymentRecipients.validFrom));
}

export async function findRecipient(db: DbOrTx, id: string): Promise<PaymentRecipientRow | undefined> {
  const [row] = await db.select().from(paymentRecipients).where(eq(paymentRecipients.id, id));
  return row;
}

/** Serialises the creation of one commune's cycle for one month until the transaction ends. */
export async function lockCycleKey(tx: DbOrTx, communeCode: string, period: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`payment-cycle:${communeCode}:${period}`}))`);
}

export async function findCycle(db: DbOrTx, communeCode: string, period: string): Promise<PaymentCycleRow | undefined> {
  const [row] = await db
    .select()
    .from(paymentCycles)
    .where(and(eq(paymentCycles.communeCode, communeCode), eq(paymentCycles.period, period)));
  return row;
}

export async function findCycleById(db: DbOrTx, id: string, forUpdate = false): Promise<PaymentCycleRow | undefined> {
  const q = db.select().from(paymentCycles).where(eq(paymentCycles.id, id));
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

export function findCycles(db: DbOrTx, filter: { communeCodes?: readonly string[]; period?: string }, limit: number): Promise<PaymentCycleRow[]> {
  const where: SQL[] = [];
  if (filter.communeCodes) where.push(inArray(paymentCycles.communeCode, [...filter.communeCodes]));
  if (filter.period) where.push(eq(paymentCycles.period, filter.period));
  return db
    .select()
    .from(paymentCycles)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(paymentCycles.period), asc(paymentCycles.communeCode))
    .limit(limit);
}

/** The (commune, month) pairs that have a cycle, among some communes and months: a month with a cycle was paid. */
export async function cycleMonths(db: DbOrTx, communeCodes: readonly string[], from: string, to: string): Promise<Set<string>> {
  if (communeCodes.length === 0) return new Set();
  const rows = await db
    .select({ communeCode: paymentCycles.communeCode, period: paymentCycles.period })
    .from(paymentCycles)
    .where(and(inArray(paymentCycles.communeCode, [...communeCodes]), gte(paymentCycles.period, from), lte(paymentCycles.period, to)));
  return new Set(rows.map((r) => `${r.communeCode}:${r.period}`));
}

/**
 * The oldest transaction still running (docs/payments.md, "Which months a cycle computes"): read before a cycle's
 * entitlements are computed, every change by an older transaction is committed (or rolled back) and so seen by them.
 */
export async function oldestRunningTransaction(db: DbOrTx): Promise<string> {
  const { rows } = await db.execute<{ xmin: string }>(sql`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`);
  const xmin = rows[0]?.xmin;
  if (!xmin) throw new Error('pg_current_snapshot() gave no row');
  return xmin;
}

/** Each commune's latest cycle before a month, with the transaction its computation saw up to (null if unrecorded). */
export async function latestCyclesBefore(db: DbOrTx, communeCodes: readonly string[], day: string): Promise<Map<string, string | null>> {
  if (communeCodes.length === 0) return new Map();
  const { rows } = await db.execute<{ commune_code: string; planned_below: string | null }>(sql`
    SELECT DISTINCT ON (commune_code) commune_code, planned_below::text AS planned_below
    FROM payment_cycles WHERE commune_code IN ${list(communeCodes)} AND period < ${day}::date
    ORDER BY commune_code, period DESC`);
  return new Map(rows.map((r) => [r.commune_code, r.planned_below]));
}

/** The cycles of months from a day on, with the transaction each one's computation saw up to (null if unrecorded). */
export async function cyclesSince(db: DbOrTx, from: string): Promise<{ communeCode: string; period: string; plannedBelow: string | null }[]> {
  const { rows } = await db.execute<{ commune_code: string; period: string; planned_below: string | null }>(sql`
    SELECT commune_code, to_char(period, 'YYYY-MM') AS period, planned_below::text AS planned_below FROM payment_cycles WHERE period >= ${from}::date`);
  return rows.map((r) => ({ communeCode: r.commune_code, period: r.period, plannedBelow: r.planned_below }));
}

/**
 * The latest transaction (as numeric) that changed what a person's entitlements are computed from: their own records,
 * those of any household they lived in, or the rule book and places (EVERYONE); null when nothing ever was. `personId`
 * is the SQL naming the person: one expression for every statement that decides whether someone is settled.
 */
export const inputsChangedSql = (personId: SQL): SQL => sql`greatest(
      (SELECT changed_xid::text::numeric FROM entitlement_input_changes c WHERE c.id = ${personId}),
      (SELECT max(c.changed_xid::text::numeric) FROM residence_periods rp JOIN entitlement_input_changes c ON c.id = rp.household_id
        WHERE rp.person_id = ${personId}),
      (SELECT changed_xid::text::numeric FROM entitlement_input_changes c WHERE c.id = ${EVERYONE}::uuid))`;

/**
 * The latest transaction that changed what each of some people's entitlements are computed from: their own records,
 * those of any household they lived in, or the rule book and places (EVERYONE); absent for people nothing was ever
 * recorded for (entitlement-inputs.ts).
 */
export async function inputsChangedOf(db: DbOrTx, personIds: readonly string[]): Promise<Map<string, bigint>> {
  if (personIds.length === 0) return new Map();
  const { rows } = await db.execute<{ person_id: string; changed: string | null }>(sql`
    SELECT p.id AS person_id, ${inputsChangedSql(sql`p.id`)}::text AS changed
    FROM unnest(${sql.param([...personIds])}::uuid[]) AS p(id)`);
  return new Map(rows.flatMap((r) => (r.changed === null ? [] : [[r.person_id, BigInt(r.changed)] as const])));
}

export async function insertCycle(tx: DbOrTx, values: typeof paymentCycles.$inferInsert): Promise<PaymentCycleRow> {
  const [row] = await tx.insert(paymentCycles).values(values).returning();
  if (!row) throw new Error('INSERT … RETURNING gave no row');
  return row;
}

/** Sets a cycle's control totals: after lines were written from the forecast, which only the database counted. */
export async function setCycleTotals(tx: DbOrTx, id: string, totals: LineTotals): Promise<PaymentCycleRow> {
  const [row] = await tx
    .update(paymentCycles)
    .set({ lineCount: totals.lines, payableAmount: totals.payableAmount, recoveryAmount: totals.recoveryAmount, byProgram: totals.byProgram })
    .where(eq(paymentCycles.id, id))
    .returning();
  if (!row) throw new Error('UPDATE … RETURNING gave no row');
  return row;
}

export async function approveCycle(tx: DbOrTx, id: string, approvedBy: string): Promise<PaymentCycleRow> {
  const [row] = await tx.update(paymentCycles).set({ status: 'APPROVED', approvedBy, approvedAt: new Date() }).where(eq(paymentCycles.id, id)).returning();
  if (!row) throw new Error('UPDATE … RETURNING gave no row');
  return row;
}

/**
 * Inserts lines in batches, each batch as one JSON parameter (json_to_recordset): a commune's month can hold thousands
 * of lines, and one parameter per value made building and sending the statement cost more than running it.
 */
export async function insertPayments(tx: DbOrTx, rows: NewPayment[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 5000) {
    const batch = rows.slice(i, i + 5000).map((r) => ({
      cycle_id: r.cycleId,
      enrolment_id: r.enrolmentId,
      person_id: r.personId,
      program_code: r.programCode,
      period: r.period,
      kind: r.kind,
      amount: r.amount,
      needs_approval: r.needsApproval ?? false,
      recipient_id: r.recipientId ?? null,
      method: r.method,
      carried_from: r.carriedFrom ?? null,
      note: r.note,
      note_vi: r.noteVi,
    }));
    await tx.execute(sql`
      INSERT INTO payments (cycle_id, enrolment_id, person_id, program_code, period, kind, amount, needs_approval, recipient_id, method, carried_from, note, note_vi)
      SELECT cycle_id, enrolment_id, person_id, program_code, period, kind, amount, needs_approval, recipient_id, method, carried_from, note, note_vi
      FROM json_to_recordset(${JSON.stringify(batch)}::json) AS x(cycle_id uuid, enrolment_id uuid, person_id uuid, program_code text, period date,
        kind text, amount bigint, needs_approval boolean, recipient_id uuid, method text, carried_from uuid, note text, note_vi text)`);
  }
}

/**
 * The months (yyyy-mm-01) each of some people has payment lines for, within a window; `foreign` when one of them was
 * not written by its cycle's own creation (a line imported or planted later: its created_at, the time of its
 * transaction, is not its cycle's), which no cycle's computation has settled.
 */
export async function findPaidMonths(
  db: DbOrTx,
  personIds: readonly string[],
  from: string,
  to: string,
): Promise<{ personId: string; period: string; foreign: boolean }[]> {
  if (personIds.length === 0) return [];
  return db
    .select({ personId: payments.personId, period: payments.period, foreign: sql<boolean>`bool_or(${payments.createdAt} <> ${paymentCycles.createdAt})` })
    .from(payments)
    .innerJoin(paymentCycles, eq(paymentCycles.id, payments.cycleId))
    .where(and(idIn(payments.personId, [...personIds]), gte(payments.period, from), lte(payments.period, to)))
    .groupBy(payments.personId, payments.period);
}

/** The lines of some people for months in a window, with the commune of the cycle that made each. */
export function findPaymentsOf(db: DbOrTx, personIds: readonly string[], from: string, to: string): Promise<(PaymentRow & { cycleCommuneCode: string })[]> {
  if (personIds.length === 0) return Promise.resolve([]);
  return db
    .select({ ...getTableColumns(payments), cycleCommuneCode: paymentCycles.communeCode })
    .from(payments)
    .innerJoin(paymentCycles, eq(paymentCycles.id, payments.cycleId))
    .where(and(idIn(payments.personId, personIds), gte(payments.period, from), lte(payments.period, to)));
}

/** The recipient records of every enrolment of some people. */
export async function findRecipientsOfPeople(db: DbOrTx, personIds: readonly string[]): Promise<PaymentRecipientRow[]> {
  if (personIds.length === 0) return [];
  const { rows } = await db.execute<{ id: string }>(sql`
    SELECT r.id FROM payment_recipients r JOIN enrolments e ON e.id = r.enrolment_id WHERE ${idIn(sql`e.person_id`, personIds)}`);
  if (rows.length === 0) return [];
  return db
    .select()
    .from(paymentRecipients)
    .where(
      idIn(
        paymentRecipients.id,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(asc(paymentRecipients.enrolmentId), asc(paymentRecipients.validFrom));
}

/**
 * Failed or returned lines of some communes' earlier cycles not yet paid again, whose enrolment has a recipient record
 * written after the failure was reported (the details were fixed): they carry over. Driven by the failed and returned
 * lines (payments_unpaid_idx: few), not by the communes' cycles; with `among`, only those lines are looked at (a
 * commune's cycle checks again, after its lock, the lines its planning found).
 */
export async function findCarryOvers(
  db: DbOrTx,
  communeCodes: readonly string[],
  beforePeriod: string,
  among?: readonly string[],
): Promise<(PaymentRow & { cycleCommuneCode: string })[]> {
  if (communeCodes.length === 0 || among?.length === 0) return [];
  const { rows } = await db.execute<{ id: string; commune_code: string }>(sql`
    SELECT p.id, c.commune_code
    FROM payments p
    JOIN payment_cycles c ON c.id = p.cycle_id
    WHERE p.status IN ('FAILED', 'RETURNED')
      ${among ? sql`AND p.id = ANY(${sql.param([...among])}::uuid[])` : sql``}
      AND c.commune_code IN ${list(communeCodes)}
      AND c.period < ${beforePeriod}::date
      AND NOT EXISTS (SELECT 1 FROM payments again WHERE again.carried_from = p.id)
      AND EXISTS (
        SELECT 1 FROM payment_recipients rcp
        WHERE rcp.enrolment_id = p.enrolment_id
          AND rcp.recorded_at > (SELECT max(res.recorded_at) FROM payment_results res WHERE res.payment_id = p.id))`);
  if (rows.length === 0) return [];
  const communeOf = new Map(rows.map((r) => [r.id, r.commune_code]));
  const lines = await db
    .select()
    .from(payments)
    .where(
      inArray(
        payments.id,
        rows.map((r) => r.id),
      ),
    );
  return lines.map((l) => ({ ...l, cycleCommuneCode: communeOf.get(l.id) ?? '' }));
}

export interface LineTotals {
  lines: number;
  payableAmount: number;
  recoveryAmount: number;
  byProgram: Record<string, { lines: number; amount: number }>;
}

/** A cycle's control totals recomputed from its lines (without the lines of `exceptPrograms`). */
export async function lineTotals(db: DbOrTx, cycleId: string, exceptPrograms: readonly string[] = []): Promise<LineTotals> {
  const rows = await db
    .select({
      programCode: payments.programCode,
      lines: sql<number>`count(*)::int`,
      // Sums of bigint come back as text (pg does not guess at precision): Number() below.
      payable: sql<string>`coalesce(sum(${payments.amount}) FILTER (WHERE ${payments.amount} > 0), 0)::bigint`,
      recovery: sql<string>`coalesce(sum(${payments.amount}) FILTER (WHERE ${payments.amount} < 0), 0)::bigint`,
    })
    .from(payments)
    .where(and(eq(payments.cycleId, cycleId), exceptPrograms.length ? notInArray(payments.programCode, [...exceptPrograms]) : undefined))
    .groupBy(payments.programCode)
    .orderBy(asc(payments.programCode));
  const byProgram: LineTotals['byProgram'] = {};
  let lines = 0;
  let payableAmount = 0;
  let recoveryAmount = 0;
  for (const r of rows) {
    const payable = Number(r.payable);
    const recovery = Number(r.recovery);
    byProgram[r.programCode] = { lines: r.lines, amount: payable + recovery };
    lines += r.lines;
    payableAmount += payable;
    recoveryAmount += recovery;
  }
  return { lines, payableAmount, recoveryAmount, byProgram };
}

export function findPaymentsOfCycle(
  db: DbOrTx,
  cycleId: string,
  filter: { kinds?: readonly string[]; statuses?: readonly string[] } = {},
): Promise<PaymentRow[]> {
  const where: SQL[] = [eq(payments.cycleId, cycleId)];
  if (filter.kinds?.length) where.push(sql`${payments.kind} IN ${list(filter.kinds)}`);
  if (filter.statuses?.length) where.push(sql`${payments.status} IN ${list(filter.statuses)}`);
  return (
    db
      .select()
      .from(payments)
      .where(and(...where))
      // id last: two lines can agree on the rest (a carry-over beside a regular line of another cycle's month), and
      // the officers' export (cycleLinePages) pages by this order.
      .orderBy(asc(payments.programCode), asc(payments.personId), asc(payments.period), asc(payments.kind), asc(payments.id))
  );
}

/** A line of a cycle as the officers' export writes it: the line, its person, program and recipient. */
export interface CycleLineRow extends PaymentRow {
  fullName: string;
  nationalId: string | null;
  programNameVi: string;
  programNameEn: string;
  recipientName: string | null;
  accountNo: string | null;
  provider: string | null;
}

/** Where a page of cycle lines ends: the order's columns of its last line. */
export type CycleLineKey = Pick<PaymentRow, 'programCode' | 'personId' | 'period' | 'kind' | 'id'>;

/**
 * One page of a cycle's lines after `after`, in findPaymentsOfCycle's order (a keyset on that order, so each page is
 * one index-backed read whatever the page number), without the lines of `withoutPrograms`.
 */
export function findCycleLinePage(
  db: DbOrTx,
  cycleId: string,
  filter: { kinds?: readonly string[]; statuses?: readonly string[]; withoutPrograms?: readonly string[] },
  after: CycleLineKey | undefined,
  limit: number,
): Promise<CycleLineRow[]> {
  const where: SQL[] = [eq(payments.cycleId, cycleId)];
  if (filter.kinds?.length) where.push(sql`${payments.kind} IN ${list(filter.kinds)}`);
  if (filter.statuses?.length) where.push(sql`${payments.status} IN ${list(filter.statuses)}`);
  if (filter.withoutPrograms?.length) where.push(sql`${payments.programCode} NOT IN ${list(filter.withoutPrograms)}`);
  if (after)
    where.push(
      sql`(${payments.programCode}, ${payments.personId}, ${payments.period}, ${payments.kind}, ${payments.id}) > (${after.programCode}, ${after.personId}::uuid, ${after.period}::date, ${after.kind}, ${after.id}::uuid)`,
    );
  return db
    .select({
      ...getTableColumns(payments),
      fullName: persons.fullName,
      nationalId: persons.nationalId,
      programNameVi: programs.nameVi,
      programNameEn: programs.nameEn,
      recipientName: paymentRecipients.recipientName,
      accountNo: paymentRecipients.accountNo,
      provider: paymentRecipients.provider,
    })
    .from(payments)
    .innerJoin(persons, eq(persons.id, payments.personId))
    .innerJoin(programs, eq(programs.code, payments.programCode))
    .leftJoin(paymentRecipients, eq(paymentRecipients.id, payments.recipientId))
    .where(and(...where))
    .orderBy(asc(payments.programCode), asc(payments.personId), asc(payments.period), asc(payments.kind), asc(payments.id))
    .limit(limit);
}

export async function findPayment(db: DbOrTx, id: string, forUpdate = false): Promise<PaymentRow | undefined> {
  const q = db.select().from(payments).where(eq(payments.id, id));
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

export async function findResultByKey(db: DbOrTx, key: string): Promise<PaymentResultRow | undefined> {
  const [row] = await db.select().from(paymentResults).where(eq(paymentResults.idempotencyKey, key));
  return row;
}

export async function insertResult(tx: DbOrTx, values: typeof paymentResults.$inferInsert): Promise<PaymentResultRow> {
  const [row] = await tx.insert(paymentResults).values(values).returning();
  if (!row) throw new Error('INSERT … RETURNING gave no row');
  return row;
}

export async function setPaymentStatus(tx: DbOrTx, id: string, values: Pick<PaymentRow, 'status' | 'reference' | 'paidAt'>): Promise<PaymentRow> {
  const [row] = await tx.update(payments).set(values).where(eq(payments.id, id)).returning();
  if (!row) throw new Error('UPDATE … RETURNING gave no row');
  return row;
}

/** The non-cash share of the lines to pay in some cycles, by cycle. */
export async function nonCashShares(db: DbOrTx, cycleIds: readonly string[], exceptPrograms: readonly string[] = []): Promise<Map<string, number>> {
  if (cycleIds.length === 0) return new Map();
  const rows = await db
    .select({
      cycleId: payments.cycleId,
      all: sql<number>`count(*)::int`,
      nonCash: sql<number>`(count(*) FILTER (WHERE ${payments.method} <> 'CASH'))::int`,
    })
    .from(payments)
    .where(
      and(
        inArray(payments.cycleId, [...cycleIds]),
        sql`${payments.amount} > 0`,
        exceptPrograms.length ? notInArray(payments.programCode, [...exceptPrograms]) : undefined,
      ),
    )
    .groupBy(payments.cycleId);
  return new Map(rows.map((r) => [r.cycleId, r.all === 0 ? 0 : r.nonCash / r.all]));
}
