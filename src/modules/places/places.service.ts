/**
 * Administrative units and their dated classifications. Reference data is small and read on every
 * request (commune checks), so it is held in memory and reloaded after an admin changes it.
 */
import { asc, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { adminUnits, areaClassifications } from '../../db/schema/index.js';
import { checkId, notFound, Problems } from '../../errors.js';
import { isValidDate } from '../../core/period.js';
import { auditedTransaction, type AuditActor } from '../audit/audit.service.js';
import { assertRole } from '../auth/auth.service.js';

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
    return [...units.values()].filter((u) => (!filter.level || u.level === filter.level) && (!filter.parentCode || u.parentCode === filter.parentCode));
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

  const CLASSIFICATIONS = ['EXTREMELY_DISADVANTAGED'] as const;

  function checkPeriod(p: Problems, validFrom: string | undefined, validTo: string | null | undefined) {
    if (validFrom !== undefined && !isValidDate(validFrom)) p.add('input.validFrom', 'is not a valid date', 'không phải ngày hợp lệ');
    if (validTo != null && validFrom !== undefined && validTo < validFrom) p.add('input.validTo', 'is before validFrom', 'trước ngày bắt đầu');
  }

  /** Admin: records a classification from the decision that makes it (confirmed). */
  async function recordAreaClassification(
    actor: AuditActor,
    input: { unitCode: string; classification: string; validFrom: string; validTo?: string | null; legalBasis: string; note?: string | null },
  ) {
    assertRole(actor.principal, 'admin');
    const p = new Problems();
    const unit = units.get(input.unitCode);
    if (!unit || (unit.level !== 'COMMUNE' && unit.level !== 'VILLAGE')) {
      p.add('input.unitCode', `is not a commune or village code`, `không phải mã xã hoặc thôn`);
    }
    if (!(CLASSIFICATIONS as readonly string[]).includes(input.classification)) {
      p.add('input.classification', `must be one of ${CLASSIFICATIONS.join(', ')}`, `phải là một trong ${CLASSIFICATIONS.join(', ')}`);
    }
    if (input.legalBasis.trim().length < 5) p.add('input.legalBasis', 'must cite the decision', 'phải nêu quyết định làm căn cứ');
    checkPeriod(p, input.validFrom, input.validTo);
    p.throwIfAny();
    const row = await auditedTransaction(database.db, actor, async (tx) => {
      const [created] = await tx
        .insert(areaClassifications)
        .values({
          unitCode: input.unitCode,
          classification: input.classification as (typeof CLASSIFICATIONS)[number],
          validFrom: input.validFrom,
          validTo: input.validTo ?? null,
          legalBasis: input.legalBasis.trim(),
          confirmed: true,
          note: input.note ?? null,
        })
        .returning();
      return { result: created, audit: [{ action: 'recordAreaClassification', entityType: 'AreaClassification', entityId: created.id, after: created }] };
    });
    await reload();
    return row;
  }

  /** Admin: confirms a seeded classification against its decision (and may end it). */
  async function confirmAreaClassification(actor: AuditActor, id: string, legalBasis: string, validTo?: string | null) {
    assertRole(actor.principal, 'admin');
    checkId('id', id);
    const p = new Problems();
    if (legalBasis.trim().length < 5) p.add('legalBasis', 'must cite the decision', 'phải nêu quyết định làm căn cứ');
    p.throwIfAny();
    const row = await auditedTransaction(database.db, actor, async (tx) => {
      const [before] = await tx.select().from(areaClassifications).where(eq(areaClassifications.id, id)).for('update');
      if (!before) throw notFound('area classification', id);
      if (validTo != null && validTo < before.validFrom) {
        p.add('validTo', 'is before validFrom', 'trước ngày bắt đầu').throwIfAny();
      }
      const [after] = await tx
        .update(areaClassifications)
        .set({ confirmed: true, legalBasis: legalBasis.trim(), validTo: validTo === undefined ? before.validTo : validTo })
        .where(eq(areaClassifications.id, id))
        .returning();
      return { result: after, audit: [{ action: 'confirmAreaClassification', entityType: 'AreaClassification', entityId: id, before, after }] };
    });
    await reload();
    return row;
  }

  return {
    reload,
    recordAreaClassification,
    confirmAreaClassification,
    get,
    list,
    checkCommune,
    children: (code: string) => [...units.values()].filter((u) => u.parentCode === code),
    predecessors: (code: string) => [...units.values()].filter((u) => u.successorCode === code),
    classificationsOf: (code: string) => classifications.get(code) ?? [],
  };
}
export type PlacesService = ReturnType<typeof createPlacesService>;
