/**
 * Administrative units and their dated classifications. Reference data is small and read on every
 * request (commune checks), so it is held in memory and reloaded after an admin changes it: at once on the
 * instance that wrote, and on every instance when the database notifies the change (src/app.ts).
 */
import { isValidDate } from '../../core/period.js';
import type { Database } from '../../db/client.js';
import { checkId, notFound, Problems } from '../../errors.js';
import { auditedTransaction, type AuditActor } from '../audit/audit.service.js';
import { assertRole } from '../auth/auth.service.js';
import * as repo from './places.repository.js';
import type { AdminUnitRow, AreaClassificationRow } from './places.repository.js';

export type { AdminUnitRow, AreaClassificationRow } from './places.repository.js';

export interface AreaClassificationInput {
  unitCode: string;
  classification: string;
  validFrom: string;
  validTo?: string | null;
  legalBasis: string;
  note?: string | null;
}

export function createPlacesService(database: Database) {
  let units = new Map<string, AdminUnitRow>();
  let classifications = new Map<string, AreaClassificationRow[]>();

  async function reload(): Promise<void> {
    const [unitRows, classRows] = await Promise.all([repo.findAdminUnits(database.db), repo.findAreaClassifications(database.db)]);
    units = new Map(unitRows.map((u) => [u.code, u]));
    const byUnit = new Map<string, AreaClassificationRow[]>();
    for (const c of classRows) byUnit.set(c.unitCode, [...(byUnit.get(c.unitCode) ?? []), c]);
    classifications = byUnit;
  }

  /**
   * Reloads after a change notified by the database (any instance's write). Calls arriving during a reload
   * run one more after it, since that reload may have read before the change committed.
   */
  let reloading: Promise<void> | undefined;
  // Calls counted: the running reload loops until it has started one after the latest call.
  let requested = 0;
  function reloadAfterChange(onError: (err: unknown) => void): void {
    requested++;
    if (reloading) return;
    reloading = (async () => {
      let started = 0;
      while (started < requested) {
        started = requested;
        try {
          await reload();
        } catch (err) {
          // The data held stays in use; the next notification (or reconnect) tries again.
          onError(err);
        }
      }
    })().finally(() => {
      reloading = undefined;
    });
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

  /** Adds a problem when `code` is not a province we know. */
  function checkProvince(problems: Problems, field: string, code: string): AdminUnitRow | undefined {
    const unit = units.get(code);
    if (!unit) problems.add(field, `Unknown province code ${code}`, `Không có mã tỉnh ${code}`);
    else if (unit.level !== 'PROVINCE') problems.add(field, `${code} (${unit.name}) is not a province`, `${code} (${unit.name}) không phải là tỉnh`);
    else return unit;
    return undefined;
  }

  /**
   * After checkCommune, for a residence that begins on `from`: a commune that had ended by then (the 2025 merger)
   * takes no new residence; the problem names its successor, under which it goes.
   */
  function checkCommuneOpen(problems: Problems, field: string, code: string, from: string): void {
    const unit = units.get(code);
    if (unit?.level === 'COMMUNE' && unit.validTo != null && unit.validTo < from) {
      const successor = unit.successorCode ? units.get(unit.successorCode) : undefined;
      const en = `${code} (${unit.name}) ended on ${unit.validTo}`;
      const vi = `${code} (${unit.name}) đã chấm dứt từ ngày ${unit.validTo}`;
      if (successor) {
        problems.add(
          field,
          `${en}: register under its successor ${successor.code} (${successor.name})`,
          `${vi}: hãy đăng ký vào đơn vị kế thừa ${successor.code} (${successor.name})`,
        );
      } else problems.add(field, en, vi);
    }
  }

  const predecessors = (code: string) => [...units.values()].filter((u) => u.successorCode === code);

  /**
   * The commune codes whose people count as living in `code` on `asOf` (the 2025 merger, LAW.md "Moving house"):
   * records keep the codes they were made under, so from a successor's first day its code also covers its
   * predecessors; before that day, and for any other commune, a code covers itself only. The same rule in SQL
   * is src/db/communes.ts communesCoveredOn (test/merger.test.ts holds the two together).
   */
  function communesOn(code: string, asOf: string): string[] {
    const unit = units.get(code);
    if (!unit || asOf < unit.validFrom) return [code];
    return [code, ...predecessors(code).map((u) => u.code)];
  }

  const CLASSIFICATIONS = ['EXTREMELY_DISADVANTAGED'] as const;

  function checkPeriod(p: Problems, validFrom: string | undefined, validTo: string | null | undefined) {
    if (validFrom !== undefined && !isValidDate(validFrom)) p.add('input.validFrom', 'is not a valid date', 'không phải ngày hợp lệ');
    if (validTo != null && validFrom !== undefined && validTo < validFrom) p.add('input.validTo', 'is before validFrom', 'trước ngày bắt đầu');
  }

  /** Admin: records a classification from the decision that makes it (confirmed). */
  async function recordAreaClassification(actor: AuditActor, input: AreaClassificationInput) {
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
      const created = await repo.insertAreaClassification(tx, {
        unitCode: input.unitCode,
        classification: input.classification as (typeof CLASSIFICATIONS)[number],
        validFrom: input.validFrom,
        validTo: input.validTo ?? null,
        legalBasis: input.legalBasis.trim(),
        confirmed: true,
        note: input.note ?? null,
      });
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
      const before = await repo.lockAreaClassification(tx, id);
      if (!before) throw notFound('area classification', id);
      if (validTo != null && validTo < before.validFrom) {
        p.add('validTo', 'is before validFrom', 'trước ngày bắt đầu').throwIfAny();
      }
      const after = await repo.updateAreaClassification(tx, id, {
        confirmed: true,
        legalBasis: legalBasis.trim(),
        validTo: validTo === undefined ? before.validTo : validTo,
      });
      return { result: after, audit: [{ action: 'confirmAreaClassification', entityType: 'AreaClassification', entityId: id, before, after }] };
    });
    await reload();
    return row;
  }

  return {
    reload,
    reloadAfterChange,
    recordAreaClassification,
    confirmAreaClassification,
    get,
    list,
    checkCommune,
    checkCommuneOpen,
    checkProvince,
    communesOn,
    children: (code: string) => [...units.values()].filter((u) => u.parentCode === code),
    predecessors,
    classificationsOf: (code: string) => classifications.get(code) ?? [],
  };
}
export type PlacesService = ReturnType<typeof createPlacesService>;
