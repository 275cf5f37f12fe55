/**
 * SQL for the rules module: the rule book's rows, the records behind a person's facts, circumstance
 * flags, and the writes of publishing (rule versions and base levels are only ever inserted).
 */
import { and, asc, eq, inArray, max } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import {
  adminUnits,
  areaClassifications,
  baseLevels,
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
  programs,
} from '../../db/schema/index.js';
import { CHILD_RELATION, type AreaClass, type PersonFactsSource } from '../../core/facts.js';
import { buildRuleBook, type RuleBook } from './rule-book.js';

export type CircumstanceFlagRow = typeof personCircumstanceFlags.$inferSelect;

/** The whole rule book: three small statements (programs, rule versions, base levels). */
export async function loadRuleBook(db: DbOrTx): Promise<RuleBook> {
  const [progs, rules, bases] = await Promise.all([
    db.select().from(programs).orderBy(asc(programs.sortOrder)),
    db.select().from(programRules).orderBy(asc(programRules.programCode), asc(programRules.version)),
    db.select().from(baseLevels).orderBy(asc(baseLevels.kind), asc(baseLevels.effectiveFrom)),
  ]);
  return buildRuleBook({ programs: progs, rules, baseLevels: bases });
}

function group<T>(rows: T[], key: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const l = m.get(k);
    if (l) l.push(r);
    else m.set(k, [r]);
  }
  return m;
}

/** Loads the records behind the facts of many people: a fixed number of statements whatever their count. */
export async function loadFactsSources(db: DbOrTx, personIds: readonly string[]): Promise<Map<string, PersonFactsSource>> {
  const out = new Map<string, PersonFactsSource>();
  if (personIds.length === 0) return out;
  const ids = [...new Set(personIds)];
  const people = await db
    .select({
      id: persons.id,
      dateOfBirth: persons.dateOfBirth,
      dateOfDeath: persons.dateOfDeath,
      sex: persons.sex,
      ethnicity: persons.ethnicity,
      communeCode: persons.communeCode,
      householdId: persons.householdId,
      relationToHead: persons.relationToHead,
      villageCode: households.villageCode,
      communeSuccessor: adminUnits.successorCode,
    })
    .from(persons)
    .leftJoin(households, eq(households.id, persons.householdId))
    .leftJoin(adminUnits, eq(adminUnits.code, persons.communeCode))
    .where(inArray(persons.id, ids));
  const householdIds = [...new Set(people.map((p) => p.householdId).filter((h): h is string => !!h))];
  const [assessments, certs, merits, pensions, pregs, flags, children] = await Promise.all([
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
          .where(inArray(povertyAssessments.householdId, householdIds))
          .orderBy(asc(povertyAssessments.assessedOn), asc(povertyAssessments.createdAt))
      : Promise.resolve([]),
    db.select().from(disabilityCertificates).where(inArray(disabilityCertificates.personId, ids)),
    db.select().from(meritRecords).where(inArray(meritRecords.personId, ids)),
    db.select().from(pensionStatuses).where(inArray(pensionStatuses.personId, ids)),
    db.select().from(pregnancies).where(inArray(pregnancies.personId, ids)),
    db.select().from(personCircumstanceFlags).where(inArray(personCircumstanceFlags.personId, ids)),
    householdIds.length
      ? db
          .select({ householdId: persons.householdId, dateOfBirth: persons.dateOfBirth, dateOfDeath: persons.dateOfDeath })
          .from(persons)
          .where(and(inArray(persons.householdId, householdIds), eq(persons.relationToHead, CHILD_RELATION)))
      : Promise.resolve([]),
  ]);
  const byHousehold = group(assessments, (a) => a.householdId);
  const kidsByHousehold = group(children, (c) => c.householdId ?? '');
  const certsBy = group(certs, (r) => r.personId);
  const meritsBy = group(merits, (r) => r.personId);
  const pensionsBy = group(pensions, (r) => r.personId);
  const pregsBy = group(pregs, (r) => r.personId);
  const flagsBy = group(flags, (r) => r.personId);
  for (const p of people) {
    out.set(p.id, {
      ...p,
      assessments: p.householdId ? (byHousehold.get(p.householdId) ?? []) : [],
      certificates: certsBy.get(p.id) ?? [],
      merits: meritsBy.get(p.id) ?? [],
      pensions: pensionsBy.get(p.id) ?? [],
      pregnancies: pregsBy.get(p.id) ?? [],
      flags: flagsBy.get(p.id) ?? [],
      children: p.householdId ? (kidsByHousehold.get(p.householdId) ?? []) : [],
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
    .where(inArray(personCircumstanceFlags.personId, [...personIds]))
    .orderBy(asc(personCircumstanceFlags.validFrom));
}

export async function insertCircumstanceFlag(db: DbOrTx, values: typeof personCircumstanceFlags.$inferInsert): Promise<CircumstanceFlagRow> {
  return (await db.insert(personCircumstanceFlags).values(values).returning())[0];
}

/** The highest version number of a program's rules (0 when it has none). */
export async function lastRuleVersion(db: DbOrTx, programCode: string): Promise<number> {
  const [{ v }] = await db
    .select({ v: max(programRules.version) })
    .from(programRules)
    .where(eq(programRules.programCode, programCode));
  return v ?? 0;
}

export async function insertRuleVersion(db: DbOrTx, values: typeof programRules.$inferInsert) {
  return (await db.insert(programRules).values(values).returning())[0];
}

export async function findBaseLevel(db: DbOrTx, kind: (typeof baseLevels.$inferSelect)['kind'], effectiveFrom: string) {
  const [row] = await db
    .select()
    .from(baseLevels)
    .where(and(eq(baseLevels.kind, kind), eq(baseLevels.effectiveFrom, effectiveFrom)));
  return row;
}

export async function insertBaseLevel(db: DbOrTx, values: typeof baseLevels.$inferInsert) {
  return (await db.insert(baseLevels).values(values).returning())[0];
}
