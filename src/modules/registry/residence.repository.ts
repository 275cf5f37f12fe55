/**
 * SQL for residence over time (residence_periods, and its copy on the person row: src/db/residence.ts says why
 * the copy exists). Writes change residence_periods first and then call `refreshResidenceCopy`, the one place
 * that derives the copy, so the two cannot drift apart.
 */
import { and, asc, eq, gte, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { households, residencePeriods } from '../../db/schema/index.js';

export type ResidencePeriodRow = typeof residencePeriods.$inferSelect;

/** Every period of many people, oldest first. */
export async function findResidencePeriods(db: DbOrTx, personIds: readonly string[]): Promise<ResidencePeriodRow[]> {
  if (personIds.length === 0) return [];
  return db
    .select()
    .from(residencePeriods)
    .where(inArray(residencePeriods.personId, [...personIds]))
    .orderBy(asc(residencePeriods.personId), asc(residencePeriods.validFrom));
}

/** The period that has not ended (there is at most one per person: periods never overlap). */
export async function findOpenPeriod(db: DbOrTx, personId: string): Promise<ResidencePeriodRow | undefined> {
  const [row] = await db
    .select()
    .from(residencePeriods)
    .where(and(eq(residencePeriods.personId, personId), isNull(residencePeriods.validTo)));
  return row;
}

/** Ends the person's open period on `lastDay` (the day before a change). */
export async function closeOpenPeriod(db: DbOrTx, personId: string, lastDay: string): Promise<void> {
  await db
    .update(residencePeriods)
    .set({ validTo: lastDay })
    .where(and(eq(residencePeriods.personId, personId), isNull(residencePeriods.validTo)));
}

/** Ends one period on `lastDay` (the day before the change that follows it). */
export async function endPeriod(db: DbOrTx, periodId: string, lastDay: string): Promise<void> {
  await db.update(residencePeriods).set({ validTo: lastDay }).where(eq(residencePeriods.id, periodId));
}

/**
 * For correctResidence: removes the person's periods that start on or after `from`, and ends the day before
 * `from` the one that was in force then. The corrected periods are inserted after.
 */
export async function cutPeriodsFrom(db: DbOrTx, personId: string, from: string): Promise<void> {
  await db.delete(residencePeriods).where(and(eq(residencePeriods.personId, personId), gte(residencePeriods.validFrom, from)));
  await db
    .update(residencePeriods)
    .set({ validTo: sql`(${from}::date - 1)` })
    .where(
      and(
        eq(residencePeriods.personId, personId),
        lt(residencePeriods.validFrom, from),
        or(isNull(residencePeriods.validTo), gte(residencePeriods.validTo, from)),
      ),
    );
}

/** The periods in a household that have not ended, or end on or after `day`: who lives there from that day on. */
export async function findPeriodsInHouseholdFrom(db: DbOrTx, householdId: string, day: string): Promise<ResidencePeriodRow[]> {
  return db
    .select()
    .from(residencePeriods)
    .where(and(eq(residencePeriods.householdId, householdId), or(isNull(residencePeriods.validTo), gte(residencePeriods.validTo, day))))
    .orderBy(asc(residencePeriods.personId));
}

/** Clears the household's head when it is this person (the head left: no head is recorded until a new one is named). */
export async function clearHouseholdHeadIf(db: DbOrTx, householdId: string, personId: string): Promise<boolean> {
  const rows = await db
    .update(households)
    .set({ headPersonId: null, updatedAt: new Date() })
    .where(and(eq(households.id, householdId), eq(households.headPersonId, personId)))
    .returning({ id: households.id });
  return rows.length > 0;
}

/** Marks a household dissolved: `lastDay` is the last day it existed (mergeHouseholds). */
export async function dissolveHousehold(db: DbOrTx, householdId: string, lastDay: string) {
  const [row] = await db.update(households).set({ dissolvedOn: lastDay, updatedAt: new Date() }).where(eq(households.id, householdId)).returning();
  return row;
}

export async function insertPeriod(db: DbOrTx, values: typeof residencePeriods.$inferInsert): Promise<ResidencePeriodRow> {
  const [row] = await db.insert(residencePeriods).values(values).returning();
  if (!row) throw new Error('INSERT … RETURNING gave no row');
  return row;
}

/**
 * Copies the person's latest period in the district onto the person row: commune, household, relation to head,
 * and its dates as `resident_from` / `resident_to` (a last day only when the person has since left the district).
 */
export async function refreshResidenceCopy(db: DbOrTx, personId: string): Promise<void> {
  await db.execute(sql`UPDATE persons p SET commune_code = l.commune_code, household_id = l.household_id,
      relation_to_head = l.relation_to_head, resident_from = l.valid_from, resident_to = l.valid_to, updated_at = now()
    FROM (SELECT rp.commune_code, rp.household_id, rp.relation_to_head, rp.valid_from, rp.valid_to FROM residence_periods rp
          WHERE rp.person_id = ${personId}::uuid AND rp.commune_code IS NOT NULL ORDER BY rp.valid_from DESC LIMIT 1) l
    WHERE p.id = ${personId}::uuid`);
}

/**
 * Rewrites the place of the person's latest period in the district (updatePerson's commune, household or
 * relation: the record was wrong, not a move), then refreshes the copy.
 */
export async function correctLatestPeriod(
  db: DbOrTx,
  personId: string,
  values: { communeCode?: string | undefined; householdId?: string | null | undefined; relationToHead?: string | null | undefined },
): Promise<void> {
  const set: Partial<typeof residencePeriods.$inferInsert> = {};
  if (values.communeCode !== undefined) set.communeCode = values.communeCode;
  if (values.householdId !== undefined) set.householdId = values.householdId;
  if (values.relationToHead !== undefined) set.relationToHead = values.relationToHead;
  if (Object.keys(set).length === 0) return;
  await db
    .update(residencePeriods)
    .set(set)
    .where(
      and(
        eq(residencePeriods.personId, personId),
        sql`${residencePeriods.communeCode} IS NOT NULL`,
        sql`${residencePeriods.validFrom} = (SELECT p.resident_from FROM persons p WHERE p.id = ${personId}::uuid)`,
      ),
    );
  await refreshResidenceCopy(db, personId);
}
