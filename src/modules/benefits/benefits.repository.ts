/**
 * SQL for enrolments and for the set-wise rule evaluation behind coverage gaps.
 */
import { and, asc, eq, inArray, ne, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../../db/client.js';
import { enrolments } from '../../db/schema/index.js';
import type { AuditEntry } from '../audit/audit.service.js';
import { communeCondition } from '../auth/access-policy.js';
import { firstDay, periodOf } from '../../core/period.js';
import { coveredSql, eligibleSql, type RuleBookForSql } from '../../db/rule-sql.js';

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
  return (
    await db
      .update(enrolments)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(enrolments.id, id))
      .returning()
  )[0];
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
  const r = await db.execute<{ id: string }>(sql`SELECT p.id FROM persons p WHERE ${where}${restrict} ORDER BY p.id`);
  return r.rows.map((x) => String(x.id));
}

export interface GapFilter {
  communeCodes: string[] | undefined;
  programCodes: string[];
  asOf: string;
}

function gapsUnion(book: RuleBookForSql, f: GapFilter): SQL | undefined {
  const parts: SQL[] = [];
  const visible = communeCondition(f.communeCodes ?? null, sql`p.commune_code`);
  const communes = visible ? sql` AND ${visible}` : sql``;
  for (const code of f.programCodes) {
    const where = eligibleSql(book, code, f.asOf);
    if (!where) continue;
    parts.push(sql`SELECT p.id AS person_id, ${code}::text AS program_code FROM persons p
      WHERE ${where}${communes} AND NOT ${coveredSql(book, code, f.asOf)}`);
  }
  return parts.length ? sql.join(parts, sql` UNION ALL `) : undefined;
}

/** One page of coverage gaps in (person id, program) order; keyset after the last (id, program). */
export async function findGapPage(db: DbOrTx, book: RuleBookForSql, f: GapFilter, after: { personId: string; programCode: string } | undefined, limit: number) {
  const union = gapsUnion(book, f);
  if (!union) return [];
  const keyset = after ? sql`WHERE (g.person_id, g.program_code) > (${after.personId}::uuid, ${after.programCode}::text)` : sql``;
  const r = await db.execute<{ person_id: string; program_code: string }>(
    sql`SELECT g.person_id, g.program_code FROM (${union}) g ${keyset} ORDER BY g.person_id, g.program_code LIMIT ${limit}`,
  );
  return r.rows.map((x) => ({ personId: String(x.person_id), programCode: String(x.program_code) }));
}

export async function countGaps(db: DbOrTx, book: RuleBookForSql, f: GapFilter): Promise<{ programCode: string; count: number }[]> {
  const union = gapsUnion(book, f);
  if (!union) return [];
  const r = await db.execute<{ program_code: string; n: number }>(
    sql`SELECT g.program_code, count(*)::int AS n FROM (${union}) g GROUP BY g.program_code ORDER BY g.program_code`,
  );
  return r.rows.map((x) => ({ programCode: String(x.program_code), count: Number(x.n) }));
}
