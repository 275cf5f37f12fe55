/**
 * SQL for places: administrative units and their dated area classifications.
 */
import { asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { adminUnits, areaClassifications } from '../../db/schema/index.js';
import { DomainError } from '../../errors.js';

export type AdminUnitRow = typeof adminUnits.$inferSelect;
export type AreaClassificationRow = typeof areaClassifications.$inferSelect;

/** The one row an INSERT … RETURNING or an UPDATE of an existing row gives back. */
function returned<T>(rows: T[]): T {
  const [row] = rows;
  if (!row) throw new DomainError('INTERNAL', { en: 'writing an area classification returned no row', vi: 'ghi phân loại địa bàn không trả về bản ghi nào' });
  return row;
}

export async function findAdminUnits(db: DbOrTx): Promise<AdminUnitRow[]> {
  return db.select().from(adminUnits).orderBy(asc(adminUnits.code));
}

export async function findAreaClassifications(db: DbOrTx): Promise<AreaClassificationRow[]> {
  return db.select().from(areaClassifications).orderBy(asc(areaClassifications.validFrom));
}

export async function insertAreaClassification(db: DbOrTx, values: typeof areaClassifications.$inferInsert): Promise<AreaClassificationRow> {
  return returned(await db.insert(areaClassifications).values(values).returning());
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
  // Called on a row locked by lockAreaClassification in the same transaction: it exists.
  return returned(await db.update(areaClassifications).set(values).where(eq(areaClassifications.id, id)).returning());
}
