/**
 * SQL for the registry: people, households and their circumstances. Every function takes the database or
 * a transaction, and the list look-ups take many ids at once (they back the GraphQL loaders).
 */
import { and, asc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { executePrepared } from '../../db/prepared.js';
import {
  birthYearConventions,
  disabilityCertificates,
  households,
  meritRecords,
  pensionStatuses,
  personCircumstanceFlags,
  persons,
  povertyAssessments,
  povertyStandards,
  pregnancies,
} from '../../db/schema/index.js';
import { BENEFICIARY_GROUPS, type BeneficiaryGroup } from '../../core/code-lists.js';
import { anyGroupCondition, enrolledOn, groupCondition, livingOn } from '../../db/beneficiary-groups.js';
import { communesCoveredOn } from '../../db/communes.js';
import { forEachResidenceBranch, latestPersonsOn, pageOfPersonsOn, personsOn } from '../../db/residence.js';
import { DomainError } from '../../errors.js';
import { attachPrefetched, includeColumns, includeValues, type PersonCircumstance, type PersonInclude } from './registry.prefetch.js';

export type PersonRow = typeof persons.$inferSelect;
export type HouseholdRow = typeof households.$inferSelect;
export type PovertyAssessmentRow = typeof povertyAssessments.$inferSelect;
export type PovertyStandardRow = typeof povertyStandards.$inferSelect;

const personColumns = {
  id: persons.id,
  nationalId: persons.nationalId,
  fullName: persons.fullName,
  dateOfBirth: persons.dateOfBirth,
  sex: persons.sex,
  ethnicity: persons.ethnicity,
  communeCode: persons.communeCode,
  householdId: persons.householdId,
  relationToHead: persons.relationToHead,
  dateOfDeath: persons.dateOfDeath,
};
export type PersonRecord = Pick<PersonRow, keyof typeof personColumns>;

export async function findPersonsByIds(db: DbOrTx, ids: readonly string[]): Promise<PersonRecord[]> {
  if (ids.length === 0) return [];
  return db
    .select(personColumns)
    .from(persons)
    .where(inArray(persons.id, [...ids]));
}

/** People by id as they lived on `asOf` (that day's commune, household, relation); those not living in the district then are left out. */
export async function findPersonsOnByIds(db: DbOrTx, ids: readonly string[], asOf: string): Promise<PersonRecord[]> {
  if (ids.length === 0) return [];
  const result = await db.execute(
    sql`SELECT p.id, p.national_id, p.full_name, p.date_of_birth, p.sex, p.ethnicity, p.commune_code,
           p.household_id, p.relation_to_head, p.date_of_death
      FROM ${personsOn(asOf)} p WHERE p.id IN (${sql.join(
        ids.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`,
  );
  return result.rows.map(rowToPerson);
}

/** With `include`, the selected nested lists come in the same statement (see registry.prefetch.ts). */
export async function findPersonByNationalId(db: DbOrTx, nationalId: string, include?: PersonInclude): Promise<PersonRecord | undefined> {
  if (!include) {
    const [row] = await db.select(personColumns).from(persons).where(eq(persons.nationalId, nationalId));
    return row;
  }
  const [raw] = await executePrepared(
    db,
    sql`
    SELECT p.id, p.national_id, p.full_name, p.date_of_birth, p.sex, p.ethnicity, p.commune_code,
           p.household_id, p.relation_to_head, p.date_of_death${includeColumns(include)}
    FROM persons p WHERE p.national_id = ${nationalId}`,
    includeValues(include),
  );
  return raw && attachPrefetched(rowToPerson(raw), raw, include);
}

/**
 * Who lived in each household on `asOf`, oldest first, with that day's residence (src/db/residence.ts): someone
 * who moved out before then (to another household, or out of the district) is not a member that day.
 */
export async function findMembersOfHouseholds(db: DbOrTx, householdIds: readonly string[], asOf: string, latestOnly = false): Promise<PersonRecord[]> {
  if (householdIds.length === 0) return [];
  const result = await db.execute(
    sql`SELECT p.id, p.national_id, p.full_name, p.date_of_birth, p.sex, p.ethnicity, p.commune_code, p.household_id, p.relation_to_head, p.date_of_death
      FROM ${latestOnly ? latestPersonsOn(asOf) : personsOn(asOf)} p WHERE p.household_id IN (${sql.join(
        householdIds.map((id) => sql`${id}::uuid`),
        sql`, `,
      )}) ORDER BY p.date_of_birth, p.id`,
  );
  return result.rows.map(rowToPerson);
}

export async function findHouseholdsByIds(db: DbOrTx, ids: readonly string[]): Promise<HouseholdRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(households)
    .where(inArray(households.id, [...ids]));
}

export async function findHouseholdByCode(db: DbOrTx, code: string): Promise<HouseholdRow | undefined> {
  const [row] = await db.select().from(households).where(eq(households.code, code));
  return row;
}

/** Circumstance tables that hang off a person, read in one statement per table for many people. */
export const personCircumstanceTables = {
  disabilityCertificates: { table: disabilityCertificates, order: disabilityCertificates.issuedOn },
  meritRecords: { table: meritRecords, order: meritRecords.recognizedOn },
  pensionStatuses: { table: pensionStatuses, order: pensionStatuses.startsOn },
  pregnancies: { table: pregnancies, order: pregnancies.reportedOn },
} as const satisfies Record<PersonCircumstance, unknown>;
export type { PersonCircumstance };

/** The row type of each circumstance table. */
export interface PersonCircumstanceRows {
  disabilityCertificates: typeof disabilityCertificates.$inferSelect;
  meritRecords: typeof meritRecords.$inferSelect;
  pensionStatuses: typeof pensionStatuses.$inferSelect;
  pregnancies: typeof pregnancies.$inferSelect;
}

export async function findCircumstances<K extends PersonCircumstance>(db: DbOrTx, kind: K, personIds: readonly string[]): Promise<PersonCircumstanceRows[K][]> {
  if (personIds.length === 0) return [];
  const { table, order } = personCircumstanceTables[kind];
  const rows = await db
    .select()
    .from(table)
    // A withdrawn record (recorded wrongly) no longer belongs to the person's circumstances.
    .where(and(inArray(table.personId, [...personIds]), isNull(table.withdrawnAt)))
    .orderBy(asc(order));
  // The table was chosen by `kind`, so its rows are PersonCircumstanceRows[K]; TypeScript cannot follow a
  // generic key through the table map and sees the union of the four row types.
  return rows as PersonCircumstanceRows[K][];
}

type WithdrawableTable = typeof disabilityCertificates | typeof meritRecords | typeof pensionStatuses | typeof pregnancies | typeof personCircumstanceFlags;

/** A circumstance row by id, with the fields a withdrawal reads (locked when asked). */
export async function findWithdrawable(db: DbOrTx, table: WithdrawableTable, id: string, forUpdate = false) {
  const q = db.select().from(table).where(eq(table.id, id));
  const [row] = forUpdate ? await q.for('update') : await q;
  return row as (Record<string, unknown> & { personId: string; withdrawnAt: Date | null; withdrawalReason: string | null }) | undefined;
}

export async function markWithdrawn(db: DbOrTx, table: WithdrawableTable, id: string, reason: string) {
  const [row] = await db.update(table).set({ withdrawnAt: new Date(), withdrawalReason: reason }).where(eq(table.id, id)).returning();
  return row as Record<string, unknown> & { personId: string; withdrawnAt: Date };
}

/** The household's assessment made on a date, if any (there is at most one: poverty_assessments_household_date_uq). */
export async function findAssessmentOn(db: DbOrTx, householdId: string, assessedOn: string) {
  const [row] = await db
    .select({ id: povertyAssessments.id })
    .from(povertyAssessments)
    .where(and(eq(povertyAssessments.householdId, householdId), eq(povertyAssessments.assessedOn, assessedOn)));
  return row;
}

export async function findAssessmentsOfHouseholds(db: DbOrTx, householdIds: readonly string[]) {
  if (householdIds.length === 0) return [];
  return db
    .select()
    .from(povertyAssessments)
    .where(inArray(povertyAssessments.householdId, [...householdIds]))
    .orderBy(asc(povertyAssessments.assessedOn), asc(povertyAssessments.createdAt));
}

export async function findPovertyStandards(db: DbOrTx): Promise<PovertyStandardRow[]> {
  return db.select().from(povertyStandards).orderBy(asc(povertyStandards.validFrom));
}

/** Escapes LIKE wildcards in what a person typed. */
export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export interface BeneficiaryFilter {
  communeCode: string;
  group: BeneficiaryGroup | undefined;
  /** Enrolled in this program and active on asOf. */
  programCode?: string | undefined;
  search: string | undefined;
  asOf: string;
  /**
   * The commune is a successor of the 2025 merger (it has predecessors): its list also covers the people recorded
   * under its predecessors from its first day on (src/db/communes.ts). Any other commune is matched by its own
   * code alone, the condition its index serves in id order.
   */
  coversPredecessors?: boolean;
  /** asOf is today or later: only latest periods can be in force (src/db/residence.ts noEarlierPeriodOn). */
  latestOnly?: boolean;
  /** Matches no one: a program the caller may not see people enrolled in (an HIV program, access-policy.ts). */
  nobody?: boolean;
}

/**
 * The conditions of a beneficiary list over a person row `p`. `searchPattern` is what the name is matched
 * against: the escaped search text, or a placeholder the compiled reads bind already escaped.
 */
export function beneficiaryWhere(f: BeneficiaryFilter, searchPattern: unknown = f.search && likeEscape(f.search)): SQL {
  const commune = f.coversPredecessors
    ? sql`p.commune_code IN ${communesCoveredOn(sql`ARRAY[${f.communeCode}::text]`, f.asOf)}`
    : sql`p.commune_code = ${f.communeCode}`;
  const parts: SQL[] = [commune, livingOn(f.asOf)];
  if (f.nobody) parts.push(sql`false`);
  // With a program, its active enrolment is what makes a beneficiary; a group narrows further when given.
  if (f.programCode) parts.push(enrolledOn(f.programCode, f.asOf));
  if (f.group || !f.programCode) parts.push(f.group ? groupCondition(f.group, f.asOf) : sql`(${anyGroupCondition(f.asOf)})`);
  if (f.search) {
    // The trigram GIN index on full_name_search serves this LIKE; both sides go through the same
    // accent-stripping function, so "nguyen van duc" finds "Nguyễn Văn Đức".
    parts.push(sql`p.full_name_search LIKE '%' || an_sinh_search_text(${searchPattern}) || '%'`);
  }
  return sql.join(parts, sql` AND `);
}

/**
 * One page of beneficiaries in id order (keyset pagination: `afterId` is the last id of the previous page).
 * With `include`, the selected nested lists come in the same statement, computed for the page's rows only.
 */
export async function findBeneficiaryPage(
  db: DbOrTx,
  f: BeneficiaryFilter,
  afterId: string | undefined,
  limit: number,
  include?: PersonInclude,
): Promise<PersonRecord[]> {
  const after = afterId ? sql` AND p.id > ${afterId}::uuid` : sql``;
  // Prepared (named): the text depends only on the query's shape, so plans are reused across requests.
  const rows = await executePrepared(
    db,
    sql`
    SELECT p.*${includeColumns(include)} FROM (
      SELECT p.id, p.national_id, p.full_name, p.date_of_birth, p.sex, p.ethnicity, p.commune_code,
             p.household_id, p.relation_to_head, p.date_of_death
      FROM ${pageOfPersonsOn(f.asOf, sql`${beneficiaryWhere(f)}${after}`, limit, f.latestOnly)} p) p
    ORDER BY p.id`,
    includeValues(include),
  );
  return rows.map((raw) => attachPrefetched(rowToPerson(raw), raw, include));
}

export async function countBeneficiaries(db: DbOrTx, f: BeneficiaryFilter): Promise<number> {
  const result = await db.execute<{ n: number | string }>(
    sql`SELECT sum(b.n)::int AS n FROM (${forEachResidenceBranch(f.asOf, (from) => sql`SELECT count(*) AS n FROM ${from} WHERE ${beneficiaryWhere(f)}`, f.latestOnly)}) b`,
  );
  return Number(result.rows[0]?.n ?? 0);
}

/** Which groups each person is in on `asOf`: one statement for many people. */
export async function findGroupsOfPersons(db: DbOrTx, personIds: readonly string[], asOf: string): Promise<Map<string, BeneficiaryGroup[]>> {
  const out = new Map<string, BeneficiaryGroup[]>();
  if (personIds.length === 0) return out;
  const columns = sql.join(
    BENEFICIARY_GROUPS.map((g) => sql`(${livingOn(asOf)} AND ${groupCondition(g, asOf)}) AS ${sql.identifier(g)}`),
    sql`, `,
  );
  const result = await db.execute(
    sql`SELECT p.id, ${columns} FROM ${personsOn(asOf)} p WHERE p.id IN ${sql`(${sql.join(
      personIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    )})`}`,
  );
  for (const row of result.rows) {
    out.set(
      String(row.id),
      BENEFICIARY_GROUPS.filter((g) => row[g] === true),
    );
  }
  return out;
}

function rowToPerson(r: Record<string, unknown>): PersonRecord {
  return {
    id: r.id as string,
    nationalId: (r.national_id as string | null) ?? null,
    fullName: r.full_name as string,
    dateOfBirth: toDateString(r.date_of_birth),
    sex: r.sex as PersonRecord['sex'],
    ethnicity: (r.ethnicity as string | null) ?? null,
    communeCode: r.commune_code as string,
    householdId: (r.household_id as string | null) ?? null,
    relationToHead: (r.relation_to_head as string | null) ?? null,
    dateOfDeath: r.date_of_death == null ? null : toDateString(r.date_of_death),
  };
}

/** PGlite returns DATE columns of raw queries as Date objects, pg (as configured) as strings. */
function toDateString(v: unknown): string {
  return v instanceof Date ? v.toISOString().slice(0, 10) : String(v);
}

// Writes -------------------------------------------------------------------------------------------

/** The one row an INSERT … RETURNING or an UPDATE of an existing row gives back. */
function returned<T>(rows: T[], what: string): T {
  const [row] = rows;
  if (!row) throw new DomainError('INTERNAL', { en: `writing ${what} returned no row`, vi: 'ghi dữ liệu không trả về bản ghi nào' });
  return row;
}

export async function insertHousehold(db: DbOrTx, values: typeof households.$inferInsert): Promise<HouseholdRow> {
  return returned(await db.insert(households).values(values).returning(), 'a household');
}

export type BirthYearConventionRow = typeof birthYearConventions.$inferSelect;

/** Every birth-year convention, oldest first; the last is the one in use. */
export async function findBirthYearConventions(db: DbOrTx): Promise<BirthYearConventionRow[]> {
  return db.select().from(birthYearConventions).orderBy(asc(birthYearConventions.setAt), asc(birthYearConventions.id));
}

export async function insertBirthYearConvention(db: DbOrTx, values: typeof birthYearConventions.$inferInsert): Promise<BirthYearConventionRow> {
  return returned(await db.insert(birthYearConventions).values(values).returning(), 'a birth-year convention');
}

/** How much of each person's date of birth is known, with the convention behind a year-only one. */
export async function findBirthDatePrecisions(
  db: DbOrTx,
  ids: readonly string[],
): Promise<{ id: string; birthDatePrecision: 'DAY' | 'YEAR'; convention: BirthYearConventionRow | null }[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({ id: persons.id, birthDatePrecision: persons.birthDatePrecision, convention: birthYearConventions })
    .from(persons)
    .leftJoin(birthYearConventions, eq(birthYearConventions.id, persons.birthYearConventionId))
    .where(inArray(persons.id, [...ids]));
  return rows;
}

export async function insertPerson(db: DbOrTx, values: typeof persons.$inferInsert): Promise<PersonRecord> {
  return returned(await db.insert(persons).values(values).returning(personColumns), 'a person');
}

export async function updatePersonRow(db: DbOrTx, id: string, values: Partial<typeof persons.$inferInsert>): Promise<PersonRecord> {
  const rows = await db
    .update(persons)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(persons.id, id))
    .returning(personColumns);
  return returned(rows, 'a person');
}

export async function setHouseholdHead(db: DbOrTx, householdId: string, personId: string): Promise<void> {
  await db.update(households).set({ headPersonId: personId, updatedAt: new Date() }).where(eq(households.id, householdId));
}

/** Locks the person row for the rest of the transaction (read-modify-write of its record). */
export async function lockPerson(db: DbOrTx, id: string): Promise<PersonRecord | undefined> {
  const [row] = await db.select(personColumns).from(persons).where(eq(persons.id, id)).for('update');
  return row;
}

export async function lockHousehold(db: DbOrTx, id: string): Promise<HouseholdRow | undefined> {
  const [row] = await db.select().from(households).where(eq(households.id, id)).for('update');
  return row;
}

export const insertCircumstance = {
  povertyAssessment: async (db: DbOrTx, v: typeof povertyAssessments.$inferInsert) =>
    returned(await db.insert(povertyAssessments).values(v).returning(), 'a poverty assessment'),
  disabilityCertificate: async (db: DbOrTx, v: typeof disabilityCertificates.$inferInsert) =>
    returned(await db.insert(disabilityCertificates).values(v).returning(), 'a disability certificate'),
  meritRecord: async (db: DbOrTx, v: typeof meritRecords.$inferInsert) => returned(await db.insert(meritRecords).values(v).returning(), 'a merit record'),
  pensionStatus: async (db: DbOrTx, v: typeof pensionStatuses.$inferInsert) =>
    returned(await db.insert(pensionStatuses).values(v).returning(), 'a pension status'),
  pregnancy: async (db: DbOrTx, v: typeof pregnancies.$inferInsert) => returned(await db.insert(pregnancies).values(v).returning(), 'a pregnancy'),
};
