/**
 * SQL for the rules module: the rule book's rows, the records behind a person's facts, circumstance
 * flags, and the writes of publishing (rule versions and base levels are only ever inserted).
 */
import { groupBy } from '../../core/collections.js';
import { and, asc, eq, inArray, isNull, max, notExists, sql } from 'drizzle-orm';
import { concurrently } from '../../db/concurrently.js';
import { idIn } from '../../db/id-list.js';
import { alias } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../../db/client.js';
import {
  adminUnits,
  areaClassifications,
  baseLevelConfirmations,
  baseLevels,
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
  programRules,
  programRuleWithdrawals,
  programs,
  provincialSchemes,
  residencePeriods,
  timingRules,
} from '../../db/schema/index.js';
import { CHILD_RELATION, type AreaClass, type PersonFactsSource } from '../../core/facts.js';
import { buildRuleBook, type RuleBook } from './rule-book.js';

export type CircumstanceFlagRow = typeof personCircumstanceFlags.$inferSelect;

/** base_levels again, for a correction of a row (findBaseLevel). */
const later = alias(baseLevels, 'later');

/**
 * The whole rule book: seven small statements (programs, rule versions, base levels, withdrawals, timing rules,
 * provincial schemes, base level confirmations).
 */
export async function loadRuleBook(db: DbOrTx): Promise<RuleBook> {
  const [progs, rules, bases, withdrawals, timing, schemes, confirmations] = await concurrently(db, [
    () => db.select().from(programs).orderBy(asc(programs.sortOrder)),
    () => db.select().from(programRules).orderBy(asc(programRules.programCode), asc(programRules.version)),
    () => db.select().from(baseLevels).orderBy(asc(baseLevels.kind), asc(baseLevels.effectiveFrom), asc(baseLevels.publishedAt)),
    () => db.select().from(programRuleWithdrawals),
    () => db.select().from(timingRules).orderBy(asc(timingRules.validFrom)),
    () => db.select().from(provincialSchemes),
    () => db.select().from(baseLevelConfirmations),
  ]);
  return buildRuleBook({ programs: progs, rules, baseLevels: bases, withdrawals, timingRules: timing, provincialSchemes: schemes, confirmations });
}

/** Loads the records behind the facts of many people: a fixed number of statements whatever their count. */
export async function loadFactsSources(db: DbOrTx, personIds: readonly string[]): Promise<Map<string, PersonFactsSource>> {
  const out = new Map<string, PersonFactsSource>();
  if (personIds.length === 0) return out;
  const ids = [...new Set(personIds)];
  const [people, residences] = await concurrently(db, [
    () =>
      db
        .select({
          id: persons.id,
          dateOfBirth: persons.dateOfBirth,
          dateOfDeath: persons.dateOfDeath,
          sex: persons.sex,
          ethnicity: persons.ethnicity,
          birthDatePrecision: persons.birthDatePrecision,
          conventionMonthDay: birthYearConventions.monthDay,
          conventionBasis: birthYearConventions.legalBasis,
          conventionConfirmed: birthYearConventions.confirmed,
        })
        .from(persons)
        .leftJoin(birthYearConventions, eq(birthYearConventions.id, persons.birthYearConventionId))
        .where(idIn(persons.id, ids)),
    () =>
      // Every period in the district (periods outside it have no commune and give no facts).
      db
        .select({
          personId: residencePeriods.personId,
          validFrom: residencePeriods.validFrom,
          validTo: residencePeriods.validTo,
          communeCode: residencePeriods.communeCode,
          communeSuccessor: adminUnits.successorCode,
          householdId: residencePeriods.householdId,
          villageCode: households.villageCode,
          relationToHead: residencePeriods.relationToHead,
        })
        .from(residencePeriods)
        .leftJoin(households, eq(households.id, residencePeriods.householdId))
        .innerJoin(adminUnits, eq(adminUnits.code, residencePeriods.communeCode))
        .where(idIn(residencePeriods.personId, ids))
        .orderBy(asc(residencePeriods.validFrom)),
  ]);
  const householdIds = [...new Set(residences.map((r) => r.householdId).filter((h): h is string => !!h))];
  const [assessments, certs, merits, pensions, pregs, flags, children] = await concurrently(db, [
    () =>
      householdIds.length
        ? db
            .select({
              householdId: povertyAssessments.householdId,
              assessedOn: povertyAssessments.assessedOn,
              classification: povertyAssessments.classification,
              standardValidTo: povertyStandards.validTo,
            })
            .from(povertyAssessments)
            .innerJoin(povertyStandards, eq(povertyStandards.code, povertyAssessments.standardCode))
            .where(idIn(povertyAssessments.householdId, householdIds))
            .orderBy(asc(povertyAssessments.assessedOn), asc(povertyAssessments.createdAt))
        : Promise.resolve([]),
    () =>
      // Withdrawn records (recorded wrongly) count nowhere: the same filter as rule-sql.ts and beneficiary-groups.ts.
      db
        .select()
        .from(disabilityCertificates)
        .where(and(idIn(disabilityCertificates.personId, ids), isNull(disabilityCertificates.withdrawnAt))),
    () =>
      db
        .select()
        .from(meritRecords)
        .where(and(idIn(meritRecords.personId, ids), isNull(meritRecords.withdrawnAt))),
    () =>
      db
        .select()
        .from(pensionStatuses)
        .where(and(idIn(pensionStatuses.personId, ids), isNull(pensionStatuses.withdrawnAt))),
    () =>
      db
        .select()
        .from(pregnancies)
        .where(and(idIn(pregnancies.personId, ids), isNull(pregnancies.withdrawnAt))),
    () =>
      db
        .select()
        .from(personCircumstanceFlags)
        .where(and(idIn(personCircumstanceFlags.personId, ids), isNull(personCircumstanceFlags.withdrawnAt))),
    () =>
      householdIds.length
        ? db
            .select({
              householdId: residencePeriods.householdId,
              validFrom: residencePeriods.validFrom,
              validTo: residencePeriods.validTo,
              dateOfBirth: persons.dateOfBirth,
              dateOfDeath: persons.dateOfDeath,
            })
            .from(residencePeriods)
            .innerJoin(persons, eq(persons.id, residencePeriods.personId))
            .where(and(idIn(residencePeriods.householdId, householdIds), eq(residencePeriods.relationToHead, CHILD_RELATION)))
        : Promise.resolve([]),
  ]);
  const byHousehold = groupBy(assessments, (a) => a.householdId);
  const kidsByHousehold = groupBy(children, (c) => c.householdId ?? '');
  const residencesBy = groupBy(residences, (r) => r.personId);
  const certsBy = groupBy(certs, (r) => r.personId);
  const meritsBy = groupBy(merits, (r) => r.personId);
  const pensionsBy = groupBy(pensions, (r) => r.personId);
  const pregsBy = groupBy(pregs, (r) => r.personId);
  const flagsBy = groupBy(flags, (r) => r.personId);
  for (const p of people) {
    // The inner join on admin_units keeps only periods in the district, which have a commune.
    const own = (residencesBy.get(p.id) ?? []).map((r) => ({
      validFrom: r.validFrom,
      validTo: r.validTo,
      communeCode: r.communeCode ?? '',
      communeSuccessor: r.communeSuccessor,
      householdId: r.householdId,
      villageCode: r.villageCode,
      relationToHead: r.relationToHead,
    }));
    const homes = [...new Set(own.map((r) => r.householdId).filter((h): h is string => !!h))];
    const { birthDatePrecision, conventionMonthDay, conventionBasis, conventionConfirmed, ...person } = p;
    out.set(p.id, {
      ...person,
      birthYearOnly:
        birthDatePrecision === 'YEAR' && conventionMonthDay !== null && conventionBasis !== null && conventionConfirmed !== null
          ? { monthDay: conventionMonthDay, legalBasis: conventionBasis, confirmed: conventionConfirmed }
          : null,
      residences: own,
      // Assessments sorted oldest first across the person's households, as factsAsOf reads them.
      assessments: homes.flatMap((h) => byHousehold.get(h) ?? []).sort((a, b) => (a.assessedOn < b.assessedOn ? -1 : a.assessedOn > b.assessedOn ? 1 : 0)),
      certificates: certsBy.get(p.id) ?? [],
      merits: meritsBy.get(p.id) ?? [],
      pensions: pensionsBy.get(p.id) ?? [],
      pregnancies: pregsBy.get(p.id) ?? [],
      flags: flagsBy.get(p.id) ?? [],
      children: homes.flatMap((h) => (kidsByHousehold.get(h) ?? []).map((c) => ({ ...c, householdId: h }))),
    });
  }
  return out;
}

export async function loadAreaClasses(db: DbOrTx): Promise<AreaClass[]> {
  return db
    .select({ unitCode: areaClassifications.unitCode, validFrom: areaClassifications.validFrom, validTo: areaClassifications.validTo })
    .from(areaClassifications)
    .where(eq(areaClassifications.classification, 'EXTREMELY_DISADVANTAGED'));
}

/** Circumstance flags of many people, oldest first. */
export async function findCircumstanceFlagsOf(db: DbOrTx, personIds: readonly string[]): Promise<CircumstanceFlagRow[]> {
  if (personIds.length === 0) return [];
  return db
    .select()
    .from(personCircumstanceFlags)
    .where(and(inArray(personCircumstanceFlags.personId, [...personIds]), isNull(personCircumstanceFlags.withdrawnAt)))
    .orderBy(asc(personCircumstanceFlags.validFrom));
}

export type RuleWithdrawalRow = typeof programRuleWithdrawals.$inferSelect;

/** A rule version's withdrawal: its own row (the version's row is never changed). */
export async function insertRuleWithdrawal(db: DbOrTx, values: typeof programRuleWithdrawals.$inferInsert): Promise<RuleWithdrawalRow> {
  const [row] = await db.insert(programRuleWithdrawals).values(values).returning();
  if (!row) throw new Error('INSERT … RETURNING gave no row');
  return row;
}

export async function insertCircumstanceFlag(db: DbOrTx, values: typeof personCircumstanceFlags.$inferInsert): Promise<CircumstanceFlagRow> {
  const [row] = await db.insert(personCircumstanceFlags).values(values).returning();
  if (!row) throw new Error('INSERT … RETURNING gave no row');
  return row;
}

/** The highest version number of a program's rules (0 when it has none). */
export async function lastRuleVersion(db: DbOrTx, programCode: string): Promise<number> {
  const [row] = await db
    .select({ v: max(programRules.version) })
    .from(programRules)
    .where(eq(programRules.programCode, programCode));
  // An aggregate without GROUP BY always gives one row; max() is null when there is no version.
  return row?.v ?? 0;
}

/** A province's own scheme (docs/law.md#provincial-schemes): its program and its resolution, in the caller's transaction. */
export async function insertProvincialScheme(
  tx: DbOrTx,
  program: Omit<typeof programs.$inferInsert, 'sortOrder'>,
  scheme: typeof provincialSchemes.$inferInsert,
): Promise<{ program: typeof programs.$inferSelect; scheme: typeof provincialSchemes.$inferSelect }> {
  // Provincial schemes sort after the national programs, in the order they were published.
  const [last] = await tx
    .select({ n: max(programs.sortOrder) })
    .from(programs)
    .where(eq(programs.family, 'PROVINCIAL'));
  const [programRow] = await tx
    .insert(programs)
    .values({ ...program, sortOrder: (last?.n ?? 299) + 1 })
    .returning();
  const [schemeRow] = await tx.insert(provincialSchemes).values(scheme).returning();
  if (!programRow || !schemeRow) throw new Error('INSERT … RETURNING gave no row');
  return { program: programRow, scheme: schemeRow };
}

export async function insertRuleVersion(db: DbOrTx, values: typeof programRules.$inferInsert): Promise<typeof programRules.$inferSelect> {
  const [row] = await db.insert(programRules).values(values).returning();
  if (!row) throw new Error('INSERT … RETURNING gave no row');
  return row;
}

/** The base level of a kind and date not superseded by a correction (at most one: unique indexes). */
export async function findBaseLevel(db: DbOrTx, kind: (typeof baseLevels.$inferSelect)['kind'], effectiveFrom: string) {
  const [row] = await db
    .select()
    .from(baseLevels)
    .where(
      and(
        eq(baseLevels.kind, kind),
        eq(baseLevels.effectiveFrom, effectiveFrom),
        notExists(
          db
            .select({ one: sql`1` })
            .from(later)
            .where(eq(later.supersedes, baseLevels.id)),
        ),
      ),
    );
  return row;
}

/** A base level by id, with the correction superseding it (if any) and its confirmation (if any). */
export async function findBaseLevelById(db: DbOrTx, id: string) {
  const [row] = await db.select().from(baseLevels).where(eq(baseLevels.id, id));
  if (!row) return undefined;
  const [[next], [confirmation]] = await concurrently(db, [
    () => db.select({ id: baseLevels.id }).from(baseLevels).where(eq(baseLevels.supersedes, id)),
    () => db.select().from(baseLevelConfirmations).where(eq(baseLevelConfirmations.baseLevelId, id)),
  ]);
  return { row, supersededBy: next?.id ?? null, confirmation: confirmation ?? null };
}

export async function insertBaseLevelConfirmation(
  db: DbOrTx,
  values: typeof baseLevelConfirmations.$inferInsert,
): Promise<typeof baseLevelConfirmations.$inferSelect> {
  const [row] = await db.insert(baseLevelConfirmations).values(values).returning();
  if (!row) throw new Error('INSERT … RETURNING gave no row');
  return row;
}

export async function insertBaseLevel(db: DbOrTx, values: typeof baseLevels.$inferInsert): Promise<typeof baseLevels.$inferSelect> {
  const [row] = await db.insert(baseLevels).values(values).returning();
  if (!row) throw new Error('INSERT … RETURNING gave no row');
  return row;
}
