/**
 * SQL for enrolments and for the set-wise rule evaluation behind coverage gaps.
 */
import { and, asc, eq, inArray, ne, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../../db/client.js';
import { enrolments } from '../../db/schema/index.js';
import type { AuditEntry } from '../audit/audit.service.js';
import { livingOn } from '../registry/beneficiary-groups.js';
import { firstDay, periodOf } from '../rules/period.js';
import type { RuleBook } from '../rules/rule-book.js';
import { conditionsSql } from '../rules/rule-sql.js';

export type EnrolmentRow = typeof enrolments.$inferSelect;

export async function findEnrolmentsOfPersons(db: DbOrTx, personIds: readonly string[]): Promise<EnrolmentRow[]> {
  if (personIds.length === 0) return [];
  return db
    .select()
    .from(enrolments)
    .where(inArray(enrolments.personId, [...personIds]))
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
  return (await db.insert(enrolments).values(values).returning())[0];
}

export async function updateEnrolment(db: DbOrTx, id: string, values: Partial<typeof enrolments.$inferInsert>): Promise<EnrolmentRow> {
  return (await db.update(enrolments).set({ ...values, updatedAt: new Date() }).where(eq(enrolments.id, id)).returning())[0];
}

/**
 * recordDeath's hook: every open enrolment of the person ends with the month of death (entitlement stops
 * from the month after, Decree 20 art. 8), in recordDeath's own transaction.
 */
export async function endEnrolmentsAfterDeath(tx: Tx, personId: string, dateOfDeath: string): Promise<AuditEntry[]> {
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
  const audit: AuditEntry[] = [];
  for (const before of open) {
    // An enrolment that would only have started after the death ends the month before its start (no months).
    const endMonth = before.startMonth > deathMonth ? sql`(${before.startMonth}::date - interval '1 month')::date` : deathMonth;
    const [after] = await tx
      .update(enrolments)
      .set({ status: 'ENDED', endMonth: endMonth as never, endReason: 'DEATH', updatedAt: new Date() })
      .where(eq(enrolments.id, before.id))
      .returning();
    audit.push({ action: 'endEnrolment', entityType: 'Enrolment', entityId: before.id, before, after });
  }
  return audit;
}

/**
 * correctDeath's hook: every enrolment the recorded death ended (end reason DEATH) goes back to what it was
 * before (its state in the audit event of that ending; open if the death bounded it from the start), then,
 * when the person did die on another date, the death's usual consequence is applied for that date.
 */
export async function reopenAfterDeathCorrection(tx: Tx, personId: string, dateOfDeath: string | null, reason: string): Promise<AuditEntry[]> {
  const ended = await tx
    .select()
    .from(enrolments)
    .where(and(eq(enrolments.personId, personId), eq(enrolments.endReason, 'DEATH')))
    .orderBy(asc(enrolments.createdAt))
    .for('update');
  const audit: AuditEntry[] = [];
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
    audit.push({ action: 'reopenEnrolment', entityType: 'Enrolment', entityId: before.id, before, after: { ...after, correctionReason: reason } });
  }
  if (dateOfDeath !== null) audit.push(...(await endEnrolmentsAfterDeath(tx, personId, dateOfDeath)));
  return audit;
}

/** Enrolled in a program and active (approved, its months covering asOf): the `beneficiaries(programCode)` filter. */
export const enrolledOn = (programCode: string, asOf: string): SQL => sql`EXISTS (SELECT 1 FROM enrolments e
  WHERE e.person_id = p.id AND e.program_code = ${programCode} AND e.status IN ('ACTIVE', 'ENDED') AND e.approved_at IS NOT NULL
    AND e.start_month <= date_trunc('month', ${asOf}::date)::date
    AND (e.end_month IS NULL OR e.end_month >= date_trunc('month', ${asOf}::date)::date))`;

/** Families whose amounts compete: someone receiving one of them is not "left behind" by another. */
const COMPETING = ['SOCIAL_ASSISTANCE', 'SOCIAL_PENSION'];

/** "Has a record": an open (proposed or active) enrolment, or one whose months cover asOf. */
export function coveredSql(book: RuleBook, programCode: string, asOf: string): SQL {
  const family = book.program(programCode)!.family;
  const codes = COMPETING.includes(family) ? book.programs.filter((p) => COMPETING.includes(p.family)).map((p) => p.code) : [programCode];
  return sql`EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = p.id
    AND e.program_code IN (${sql.join(codes.map((c) => sql`${c}`), sql`, `)})
    AND (e.status <> 'ENDED' OR (e.start_month <= date_trunc('month', ${asOf}::date)::date
      AND e.end_month >= date_trunc('month', ${asOf}::date)::date)))`;
}

/** People (alias p) eligible for a program on asOf, as one WHERE fragment; undefined when no rule is in force. */
export function eligibleSql(book: RuleBook, programCode: string, asOf: string): SQL | undefined {
  const version = book.ruleAt(programCode, asOf);
  if (!version) return undefined;
  return sql`${livingOn(asOf)} AND ${conditionsSql(version.parsed.conditions, asOf)}`;
}

/** Ids of people eligible for a program on asOf, optionally among given people (the property test's probe). */
export async function findEligiblePersonIds(db: DbOrTx, book: RuleBook, programCode: string, asOf: string, among?: string[]): Promise<string[]> {
  const where = eligibleSql(book, programCode, asOf);
  if (!where) return [];
  const restrict = among ? sql` AND p.id IN (${sql.join(among.map((id) => sql`${id}::uuid`), sql`, `)})` : sql``;
  const r = await db.execute<{ id: string }>(sql`SELECT p.id FROM persons p WHERE ${where}${restrict} ORDER BY p.id`);
  return r.rows.map((x) => String(x.id));
}

export interface GapFilter {
  communeCodes: string[] | undefined;
  programCodes: string[];
  asOf: string;
}

function gapsUnion(book: RuleBook, f: GapFilter): SQL | undefined {
  const parts: SQL[] = [];
  const communes = f.communeCodes ? sql` AND p.commune_code IN (${sql.join(f.communeCodes.map((c) => sql`${c}`), sql`, `)})` : sql``;
  for (const code of f.programCodes) {
    const where = eligibleSql(book, code, f.asOf);
    if (!where) continue;
    parts.push(sql`SELECT p.id AS person_id, ${code}::text AS program_code FROM persons p
      WHERE ${where}${communes} AND NOT ${coveredSql(book, code, f.asOf)}`);
  }
  return parts.length ? sql.join(parts, sql` UNION ALL `) : undefined;
}

/** One page of coverage gaps in (person id, program) order; keyset after the last (id, program). */
export async function findGapPage(db: DbOrTx, book: RuleBook, f: GapFilter, after: { personId: string; programCode: string } | undefined, limit: number) {
  const union = gapsUnion(book, f);
  if (!union) return [];
  const keyset = after ? sql`WHERE (g.person_id, g.program_code) > (${after.personId}::uuid, ${after.programCode}::text)` : sql``;
  const r = await db.execute<{ person_id: string; program_code: string }>(
    sql`SELECT g.person_id, g.program_code FROM (${union}) g ${keyset} ORDER BY g.person_id, g.program_code LIMIT ${limit}`,
  );
  return r.rows.map((x) => ({ personId: String(x.person_id), programCode: String(x.program_code) }));
}

export async function countGaps(db: DbOrTx, book: RuleBook, f: GapFilter): Promise<{ programCode: string; count: number }[]> {
  const union = gapsUnion(book, f);
  if (!union) return [];
  const r = await db.execute<{ program_code: string; n: number }>(
    sql`SELECT g.program_code, count(*)::int AS n FROM (${union}) g GROUP BY g.program_code ORDER BY g.program_code`,
  );
  return r.rows.map((x) => ({ programCode: String(x.program_code), count: Number(x.n) }));
}
