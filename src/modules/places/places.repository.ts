/**
 * SQL for places: administrative units and their dated area classifications.
 */
import { asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { adminUnits, areaClassifications } from '../../db/schema/index.js';

export type AdminUnitRow = typeof adminUnits.$inferSelect;
export type AreaClassificationRow = typeof areaClassifications.$inferSelect;

export async function findAdminUnits(db: DbOrTx): Promise<AdminUnitRow[]> {
  return db.select().from(adminUnits).orderBy(asc(adminUnits.code));
}

export async function findAreaClassifications(db: DbOrTx): Promise<AreaClassificationRow[]> {
  return db.select().from(areaClassifications).orderBy(asc(areaClassifications.validFrom));
}

export async function insertAreaClassification(db: DbOrTx, values: typeof areaClassifications.$inferInsert): Promise<AreaClassificationRow> {
  return (await db.insert(areaClassifications).values(values).returning())[0];
}

/** Locks the classification for the rest of the transaction (read-modify-write). */
export async function lockAreaClassification(db: DbOrTx, id: string): Promise<AreaClassificationRow | undefined> {
  const [row] = await db.select().from(areaClassifications).where(eq(areaClassifications.id, id)).for('update');
  return row;
}

export async function updateAreaClassification(
  db: DbOrTx,
  id: string,
  values: Partial<typeof areaClassifications.$inferInsert>,
): Promise<AreaClassificationRow> {
  return (await db.update(areaClassifications).set(values).where(eq(areaClassifications.id, id)).returning())[0];
}
