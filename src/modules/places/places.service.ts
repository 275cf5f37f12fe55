/**
 * Administrative units and their dated classifications. Reference data is small and read on every
 * request (commune checks), so it is held in memory and reloaded after an admin changes it.
 */
import { asc } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { adminUnits, areaClassifications } from '../../db/schema/index.js';
import { Problems } from '../../errors.js';

export type AdminUnitRow = typeof adminUnits.$inferSelect;
export type AreaClassificationRow = typeof areaClassifications.$inferSelect;

export function createPlacesService(database: Database) {
  let units = new Map<string, AdminUnitRow>();
  let classifications = new Map<string, AreaClassificationRow[]>();

  async function reload(): Promise<void> {
    const [unitRows, classRows] = await Promise.all([
      database.db.select().from(adminUnits).orderBy(asc(adminUnits.code)),
      database.db.select().from(areaClassifications).orderBy(asc(areaClassifications.validFrom)),
    ]);
    units = new Map(unitRows.map((u) => [u.code, u]));
    const byUnit = new Map<string, AreaClassificationRow[]>();
    for (const c of classRows) byUnit.set(c.unitCode, [...(byUnit.get(c.unitCode) ?? []), c]);
    classifications = byUnit;
  }

  const get = (code: string) => units.get(code);

  function list(filter: { level?: AdminUnitRow['level']; parentCode?: string }): AdminUnitRow[] {
    return [...units.values()].filter(
      (u) => (!filter.level || u.level === filter.level) && (!filter.parentCode || u.parentCode === filter.parentCode),
    );
  }

  /** Adds a problem when `code` is not a commune we know (any generation: old records stay valid). */
  function checkCommune(problems: Problems, field: string, code: string): AdminUnitRow | undefined {
    const unit = units.get(code);
    if (!unit) {
      problems.add(field, `Unknown commune code ${code}`, `Không có mã xã ${code}`);
    } else if (unit.level !== 'COMMUNE') {
      problems.add(field, `${code} (${unit.name}) is not a commune`, `${code} (${unit.name}) không phải là xã`);
      return undefined;
    }
    return unit;
  }

  return {
    reload,
    get,
    list,
    checkCommune,
    children: (code: string) => [...units.values()].filter((u) => u.parentCode === code),
    predecessors: (code: string) => [...units.values()].filter((u) => u.successorCode === code),
    classificationsOf: (code: string) => classifications.get(code) ?? [],
  };
}
export type PlacesService = ReturnType<typeof createPlacesService>;
