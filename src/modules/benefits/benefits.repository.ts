/**
 * SQL for enrolments and for the set-wise rule evaluation behind coverage gaps.
 */
import { and, asc, eq, isNull, ne, sql, type SQL } from 'drizzle-orm';
import { idIn } from '../../db/id-list.js';
import type { DbOrTx, Tx } from '../../db/client.js';
import { enrolments, enrolmentSuspensions, pensionConversions } from '../../db/schema/index.js';
import { firstDay, periodOf } from '../../core/period.js';
import { HEAD_RELATION } from '../../core/code-lists.js';
import { SPOUSE_RELATIONS } from '../../core/combination.js';
import { coveredSql, eligibleSql, type RuleBookForSql } from '../../db/rule-sql.js';
import { communesCoveredOn } from '../../db/communes.js';
import { forEachResidenceBranch, personsOn } from '../../db/residence.js';

export type EnrolmentRow = typeof enrolments.$inferSelect;
export type PensionConversionRow = typeof pensionConversions.$inferSelect;

/**
 * Conversions to the social pension (a handful: at most one in force per commune), by commune code, then oldest
 * first. Those withdrawn as recorded in error are left out unless `withWithdrawn` (the list that shows history).
 */
export async function findPensionConversions(
  db: DbOrTx,
  { communeCode, withWithdrawn = false }: { communeCode?: string; withWithdrawn?: boolean } = {},
): Promise<PensionConversionRow[]> {
  return db
    .select()
    .from(pensionConversions)
    .where(and(communeCode ? eq(pensionConversions.communeCode, communeCode) : undefined, withWithdrawn ? undefined : isNull(pensionConversions.withdrawnAt)))
    .orderBy(asc(pensionConversions.communeCode), asc(pensionConversions.recordedAt));
}

export async function findPensionConversion(db: DbOrTx, id: string, forUpdate = false): Promise<PensionConversionRow | undefined> {
  const q = db.select().from(pensionConversions).where(eq(pensionConversions.id, id));
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

/** Marks a conversion the caller found (and locked) in the same transaction withdrawn. */
export async function markPensionConversionWithdrawn(db: DbOrTx, id: string, withdrawnBy: string, reason: string): Promise<PensionConversionRow> {
  const [row] = await db
    .update(pensionConversions)
    .set({ withdrawnAt: new Date(), withdrawnBy, withdrawalReason: reason })
    .where(eq(pensionConversions.id, id))
    .returning();
  if (!row) throw new Error(`conversion ${id} to withdraw not found`);
  return row;
}

/**
 * The enrolments a conversion moves to the social pension (for its audit event): those of `programCodes` not ended
 * before `month`, of people whose month is paid by the commune (living in it, or for a successor in its
 * predecessors, on the day before the month: core/residence.ts payingCommune).
 */
export async function findEnrolmentsConverted(
  db: DbOrTx,
  programCodes: readonly string[],
  communeCode: string,
  month: string,
): Promise<{ id: string; personId: string; programCode: string }[]> {
  const payDay = sql`(${month}::date - 1)`;
  const result = await db.execute(
    sql`SELECT e.id, e.person_id, e.program_code FROM enrolments e JOIN ${personsOn(payDay)} p ON p.id = e.person_id
      WHERE e.program_code IN (${sql.join(
        programCodes.map((c) => sql`${c}`),
        sql`, `,
      )}) AND (e.end_month IS NULL OR e.end_month >= ${month}::date)
        AND p.commune_code IN ${communesCoveredOn([communeCode], month)}
      ORDER BY e.id`,
  );
  return result.rows.map((r) => ({ id: String(r.id), personId: String(r.person_id), programCode: String(r.program_code) }));
}

export async function insertPensionConversion(db: DbOrTx, values: typeof pensionConversions.$inferInsert): Promise<PensionConversionRow> {
  const [row] = await db.insert(pensionConversions).values(values).returning();
  if (!row) throw new Error('INSERT … RETURNING gave no row');
  return row;
}

export type SuspensionRow = typeof enrolmentSuspensions.$inferSelect;

/** The suspensions of many enrolments, oldest first. */
export async function findSuspensions(db: DbOrTx, enrolmentIds: readonly string[]): Promise<SuspensionRow[]> {
  if (enrolmentIds.length === 0) return [];
  return db
    .select()
    .from(enrolmentSuspensions)
    .where(idIn(enrolmentSuspensions.enrolmentId, [...enrolmentIds]))
    .orderBy(asc(enrolmentSuspensions.fromMonth));
}

export async function insertSuspension(db: DbOrTx, values: typeof enrolmentSuspensions.$inferInsert): Promise<SuspensionRow> {
  const [row] = await db.insert(enrolmentSuspensions).values(values).returning();
  if (!row) throw new Error('INSERT … RETURNING gave no row');
  return row;
}

/** Closes a suspension the caller found in the same transaction (its enrolment locked). */
export async function updateSuspension(db: DbOrTx, id: string, values: Partial<typeof enrolmentSuspensions.$inferInsert>): Promise<SuspensionRow> {
  const [row] = await db.update(enrolmentSuspensions).set(values).where(eq(enrolmentSuspensions.id, id)).returning();
  if (!row) throw new Error(`suspension ${id} to update not found`);
  return row;
}

/**
 * The people who were ever, in one household at the same time, the head and the head's wife or husband with this
 * person (its spouses in the household register), for the one-award-per-couple rule (core/combination.ts).
 */
/** Each person's spouses: the head and a `Vợ`/`Chồng` of one household whose periods there overlap (both ways). */
export async function findSpousesOf(db: DbOrTx, personIds: readonly string[]): Promise<{ personId: string; spouseId: string }[]> {
  if (personIds.length === 0) return [];
  const spouses = sql`(${sql.join(
    SPOUSE_RELATIONS.map((r) => sql`${r}`),
    sql`, `,
  )})`;
  const { rows } = await db.execute<{ personId: string; spouseId: string }>(sql`
    SELECT DISTINCT me.person_id AS "personId", o.person_id AS "spouseId"
    FROM residence_periods me
    JOIN residence_periods o ON o.household_id = me.household_id AND o.person_id <> me.person_id
      AND o.valid_from <= coalesce(me.valid_to, 'infinity'::date) AND me.valid_from <= coalesce(o.valid_to, 'infinity'::date)
    WHERE ${idIn(sql`me.person_id`, personIds)}
      AND ((me.relation_to_head = ${HEAD_RELATION} AND o.relation_to_head IN ${spouses})
        OR (o.relation_to_head = ${HEAD_RELATION} AND me.relation_to_head IN ${spouses}))`);
  return rows;
}

export async function findEnrolmentsOfPersons(db: DbOrTx, personIds: readonly string[]): Promise<EnrolmentRow[]> {
  if (personIds.length === 0) return [];
  return db
    .select()
    .from(enrolments)
    .where(idIn(enrolments.personId, [...personIds]))
    .orderBy(asc(enrolments.startMonth), asc(enrolments.createdAt));
}

export async function findEnrolment(db: DbOrTx, id: string, forUpdate = false): Promise<EnrolmentRow | undefined> {
  const q = db.select().from(enrolments).where(eq(enrolments.id, id));
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

export async function findOpenEnrolment(db: DbOrTx, personId: string, programCode: string): Promise<EnrolmentRow | undefined> {
  const [row] = await db
    .select()
    .from(enrolments)
    .where(and(eq(enrolments.personId, personId), eq(enrolments.programCode, programCode), ne(enrolments.status, 'ENDED')));
  return row;
}

export async function insertEnrolment(db: DbOrTx, values: typeof enrolments.$inferInsert): Promise<EnrolmentRow> {
  const [row] = await db.insert(enrolments).values(values).returning();
  if (!row) throw new Error('INSERT … RETURNING gave no row');
  return row;
}

/** Updates an enrolment the caller has found (and locked) in the same transaction. */
export async function updateEnrolment(db: DbOrTx, id: string, values: Partial<typeof enrolments.$inferInsert>): Promise<EnrolmentRow> {
  const [row] = await db
    .update(enrolments)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(enrolments.id, id))
    .returning();
  if (!row) throw new Error(`enrolment ${id} to update not found`);
  return row;
}

/**
 * recordDeath's hook: every open enrolment of the person ends with the month of death (entitlement stops
 * from the month after, Decree 20 art. 8), in recordDeath's own transaction. Returns each change.
 */
export async function endEnrolmentsAfterDeath(tx: Tx, personId: string, dateOfDeath: string): Promise<{ before: EnrolmentRow; after: EnrolmentRow }[]> {
  const deathMonth = firstDay(periodOf(dateOfDeath));
  const open = await tx
    .select()
    .from(enrolments)
    .where(
      and(
        eq(enrolments.personId, personId),
        sql`(${enrolments.status} <> 'ENDED' OR ${enrolments.endMonth} IS NULL OR ${enrolments.endMonth} > ${deathMonth}::date)`,
      ),
    )
    .for('update');
  const changes: { before: EnrolmentRow; after: EnrolmentRow }[] = [];
  for (const before of open) {
    // An enrolment that would only have started after the death ends the month before its start (no months).
    const endMonth = before.startMonth > deathMonth ? sql`(${before.startMonth}::date - interval '1 month')::date` : deathMonth;
    const [after] = await tx
      .update(enrolments)
      .set({ status: 'ENDED', endMonth, endReason: 'DEATH', updatedAt: new Date() })
      .where(eq(enrolments.id, before.id))
      .returning();
    // The row is locked FOR UPDATE above, so the update finds it.
    if (!after) throw new Error(`enrolment ${before.id} to end not found`);
    changes.push({ before, after });
  }
  return changes;
}

/** The end reason of an enrolment ended by a move out of the district (Decree 20/2021 art. 8.4). */
export const TRANSFERRED_OUT = 'TRANSFERRED_OUT';

/**
 * movePerson's hook for a move out of the district: every ACTIVE or PROPOSED enrolment of the person ends with the
 * month of the move (the new place pays from the month after), reason TRANSFERRED_OUT and the destination. One
 * that would only have started after that month ends the month before its start (no months). Returns each change.
 */
export async function endEnrolmentsOnTransferOut(
  tx: Tx,
  personId: string,
  movedOn: string,
  destination: string,
): Promise<{ before: EnrolmentRow; after: EnrolmentRow }[]> {
  const moveMonth = firstDay(periodOf(movedOn));
  const open = await tx
    .select()
    .from(enrolments)
    .where(and(eq(enrolments.personId, personId), sql`${enrolments.status} IN ('ACTIVE', 'PROPOSED')`))
    .orderBy(asc(enrolments.createdAt))
    .for('update');
  const changes: { before: EnrolmentRow; after: EnrolmentRow }[] = [];
  for (const before of open) {
    const endMonth =
      before.startMonth > moveMonth
        ? sql`(${before.startMonth}::date - interval '1 month')::date`
        : before.endMonth && before.endMonth < moveMonth
          ? before.endMonth
          : moveMonth;
    const [after] = await tx
      .update(enrolments)
      .set({ status: 'ENDED', endMonth, endReason: TRANSFERRED_OUT, endDestination: destination, updatedAt: new Date() })
      .where(eq(enrolments.id, before.id))
      .returning();
    // The row is locked FOR UPDATE above, so the update finds it.
    if (!after) throw new Error(`enrolment ${before.id} to end not found`);
    changes.push({ before, after });
  }
  return changes;
}

/**
 * For correctDeath: every enrolment the recorded death ended (end reason DEATH) goes back to what it was before
 * (its state in the audit event of that ending; open if the death bounded it from the start). Returns what changed.
 */
export async function reopenEnrolmentsEndedByDeath(tx: Tx, personId: string): Promise<{ before: EnrolmentRow; after: EnrolmentRow }[]> {
  const ended = await tx
    .select()
    .from(enrolments)
    .where(and(eq(enrolments.personId, personId), eq(enrolments.endReason, 'DEATH')))
    .orderBy(asc(enrolments.createdAt))
    .for('update');
  const changes: { before: EnrolmentRow; after: EnrolmentRow }[] = [];
  for (const before of ended) {
    const r = await tx.execute<{ before: Partial<EnrolmentRow> | null }>(sql`SELECT before FROM audit_events
      WHERE entity_type = 'Enrolment' AND entity_id = ${before.id} AND action = 'endEnrolment' AND after->>'endReason' = 'DEATH'
      ORDER BY seq DESC LIMIT 1`);
    const previous = r.rows[0]?.before;
    const restored = previous
      ? { status: previous.status ?? 'ACTIVE', endMonth: previous.endMonth ?? null, endReason: previous.endReason ?? null }
      : { status: before.approvedAt ? ('ACTIVE' as const) : ('PROPOSED' as const), endMonth: null, endReason: null };
    const [after] = await tx
      .update(enrolments)
      .set({ ...restored, updatedAt: new Date() })
      .where(eq(enrolments.id, before.id))
      .returning();
    if (after) changes.push({ before, after });
  }
  return changes;
}

/** Ids of people eligible for a program on asOf, optionally among given people (the property test's probe). */
export async function findEligiblePersonIds(db: DbOrTx, book: RuleBookForSql, programCode: string, asOf: string, among?: string[]): Promise<string[]> {
  const where = eligibleSql(book, programCode, asOf);
  if (!where) return [];
  const restrict = among
    ? sql` AND p.id IN (${sql.join(
        among.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`
    : sql``;
  const r = await db.execute<{ id: string }>(
    sql`SELECT b.id FROM (${forEachResidenceBranch(asOf, (from) => sql`SELECT p.id FROM ${from} WHERE ${where}${restrict}`)}) b ORDER BY b.id`,
  );
  return r.rows.map((x) => x.id);
}

export interface GapFilter {
  /**
   * The commune codes matched (undefined: every commune), already widened by the caller to what they cover on asOf:
   * from the 2025 merger on a successor commune covers the people recorded under its predecessors
   * (PlacesService.communesOn). A literal list, so the planner sees how few people it selects.
   */
  communeCodes: string[] | undefined;
  programCodes: string[];
  asOf: string;
  /**
   * People living in `communeCodes` on asOf are no gaps for `programCodes`: a conversion to the social pension in
   * force on asOf moved those programs' months to the pension (docs/law.md#social-pension), so what they may miss is
   * the pension itself. The communes are those the conversions cover on asOf, worked out by the caller.
   */
  converted?: { programCodes: string[]; communeCodes: string[] };
}

function gapsUnion(book: RuleBookForSql, f: GapFilter): SQL | undefined {
  const parts: SQL[] = [];
  // No communes (a token without any) cover nobody. As a subquery over admin_units (communesCoveredOn) the planner
  // could not tell one commune from the district: coverage gaps of the largest commune took 0.9 s instead of 0.1 s
  // at 1M people (bench/coverage-gaps.ts).
  const communes = f.communeCodes
    ? f.communeCodes.length
      ? sql` AND p.commune_code IN (${sql.join(
          f.communeCodes.map((c) => sql`${c}`),
          sql`, `,
        )})`
      : sql` AND false`
    : sql``;
  const converted = f.converted?.communeCodes.length
    ? sql` AND p.commune_code NOT IN (${sql.join(
        f.converted.communeCodes.map((c) => sql`${c}`),
        sql`, `,
      )})`
    : sql``;
  for (const code of f.programCodes) {
    const where = eligibleSql(book, code, f.asOf);
    if (!where) continue;
    const notConverted = f.converted?.programCodes.includes(code) ? converted : sql``;
    parts.push(
      forEachResidenceBranch(
        f.asOf,
        (from) => sql`SELECT p.id AS person_id, ${code}::text AS program_code FROM ${from}
          WHERE ${where}${communes}${notConverted} AND NOT ${coveredSql(book, code, f.asOf)}`,
      ),
    );
  }
  return parts.length ? sql.join(parts, sql` UNION ALL `) : undefined;
}

/**
 * Runs a coverage-gaps statement with JIT compilation off. Over the whole district the statement's estimated
 * cost is far above jit_above_cost, so PostgreSQL compiled its ~650 expressions with LLVM on every call: at 1M
 * people, 20 s of compiling for 2 s of work. A statement that runs once never earns that back.
 */
function withoutJit<T>(db: DbOrTx, run: (tx: DbOrTx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL jit = off`);
    return run(tx);
  });
}

export interface GapPage {
  /** Up to `limit` gaps in (person id, program) order, after the keyset if given. */
  rows: { personId: string; programCode: string }[];
  /** Every gap of the filter counted by program (whatever the keyset), in program code order. */
  counts: { programCode: string; count: number }[];
}

/**
 * One page of coverage gaps in (person id, program) order, keyset after the last (id, program), and the count
 * by program, from one evaluation: to sort the gaps the page has to find them all anyway, so counting them in
 * the same statement costs nothing, where a separate count would evaluate every rule a second time.
 */
export async function findGapPage(
  db: DbOrTx,
  book: RuleBookForSql,
  f: GapFilter,
  after: { personId: string; programCode: string } | undefined,
  limit: number,
): Promise<GapPage> {
  const union = gapsUnion(book, f);
  if (!union) return { rows: [], counts: [] };
  const keyset = after ? sql`WHERE (g.person_id, g.program_code) > (${after.personId}::uuid, ${after.programCode}::text)` : sql``;
  const r = await withoutJit(db, (tx) =>
    tx.execute<{ part: number; person_id: string | null; program_code: string; n: number | null }>(
      sql`WITH g AS MATERIALIZED (${union})
        SELECT x.part, x.person_id, x.program_code, x.n FROM (
          SELECT 1 AS part, NULL::uuid AS person_id, g.program_code, count(*)::int AS n FROM g GROUP BY g.program_code
          UNION ALL
          (SELECT 2, g.person_id, g.program_code, NULL::int FROM g ${keyset} ORDER BY g.person_id, g.program_code LIMIT ${limit})
        ) x ORDER BY x.part, x.person_id, x.program_code`,
    ),
  );
  const page: GapPage = { rows: [], counts: [] };
  for (const x of r.rows) {
    if (x.part === 1) page.counts.push({ programCode: x.program_code, count: Number(x.n) });
    else page.rows.push({ personId: String(x.person_id), programCode: x.program_code });
  }
  return page;
}

/** The count by program alone (coverageGaps counts with its page; this serves callers that want no page). */
export async function countGaps(db: DbOrTx, book: RuleBookForSql, f: GapFilter): Promise<{ programCode: string; count: number }[]> {
  const union = gapsUnion(book, f);
  if (!union) return [];
  const r = await withoutJit(db, (tx) =>
    tx.execute<{ program_code: string; n: number }>(
      sql`SELECT g.program_code, count(*)::int AS n FROM (${union}) g GROUP BY g.program_code ORDER BY g.program_code`,
    ),
  );
  return r.rows.map((x) => ({ programCode: x.program_code, count: x.n }));
}
