/**
 * Exchange files with banks and the post office (docs/payments.md#exchange-files): the payment file of an approved
 * cycle, and the reconciliation file they send back, applied in one transaction through the same rule as
 * recordPaymentResult (applyPaymentResult). Used by the REST routes (src/http/payment-files.ts) and the CLI
 * (payments.cli.ts); the formats themselves are in exchange-files.ts.
 */
import { HIV_PROGRAMS, maskAccountFor, seesHiv } from '../auth/access-policy.js';
import { createHash } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { maskNationalId } from '../../core/national-id.js';
import { firstDay, periodOf, toDateString } from '../../core/period.js';
import type { Database } from '../../db/client.js';
import { conflict, DomainError, isUuid, notFound, Problems, ValidationError, type FieldProblem } from '../../errors.js';
import { auditedTransaction, type AuditActor, type AuditEntry } from '../audit/audit.service.js';
import { assertRole } from '../auth/auth.service.js';
import type { Principal } from '../auth/auth.types.js';
import * as xrepo from './exchange.repository.js';
import {
  errorCsv,
  fileDate,
  findColumns,
  readTable,
  RECONCILIATION_COLUMNS,
  type CycleExport,
  type ExportLine,
  type FileLang,
  type FileRow,
  type ReconciliationField,
} from './exchange-files.js';
import { applyPaymentResult, checkPaymentResult, sameTotals, totalsOf, type PaymentResultInput, type PaymentsService } from './payments.service.js';

/** A rejected row of a reconciliation file: its number and cells as sent, and why, in English and Vietnamese. */
export interface RejectedRow {
  row: number;
  cells: string[];
  reason: string;
  reasonVi: string;
}

export interface ReconciliationOutcome {
  cycleId: string;
  /** Data rows read (the header not counted). */
  rows: number;
  /** Rows that recorded a result now. */
  applied: number;
  /** Rows whose result was recorded before (by an earlier import of the same row): nothing written. */
  unchanged: number;
  rejected: number;
  rejectedRows: RejectedRow[];
  /** The rejected rows as CSV (original columns, then "Lý do" and "Reason"); null when none was rejected. */
  errorFile: string | null;
}

/** The idempotency key of a file row: the same row imported twice is one result. */
export const fileRowKey = (lineId: string, status: string, reference: string) => `file:${lineId}:${status}:${reference}`;

/** Where a result field's problem is reported in the file (the column it came from). */
const COLUMN_OF: Record<string, ReconciliationField> = {
  status: 'status',
  reference: 'reference',
  idempotencyKey: 'reference',
  paidAt: 'date',
  paymentId: 'lineId',
};

/** The problems collected so far (Problems keeps its list to itself: it hands them over by throwing). */
function problemsOf(p: Problems): FieldProblem[] {
  try {
    p.throwIfAny();
    return [];
  } catch (err) {
    if (err instanceof ValidationError) return err.problems;
    throw err;
  }
}

export function createExchangeService(deps: { database: Database; clock: Clock; payments: PaymentsService }) {
  const { database, clock, payments } = deps;
  const db = database.db;

  /** The cycle as the caller may read it, or NOT_FOUND (a commune the caller does not see is unknown too). */
  async function cycleFor(principal: Principal, cycleId: string) {
    if (!isUuid(cycleId)) new Problems().add('id', 'is not a valid id', 'không phải mã hợp lệ').throwIfAny();
    const cycle = await payments.paymentCycle(principal, cycleId);
    if (!cycle) throw notFound('payment cycle', cycleId);
    return cycle;
  }

  return {
    /**
     * The payment file of an approved cycle, for the caller (account numbers as maskAccountFor shows them, national
     * ids always masked). Refused with CONFLICT before approval, or when the lines no longer give the control totals
     * fixed at creation.
     */
    async exportCycle(principal: Principal, cycleId: string, lang: FileLang = 'vi'): Promise<CycleExport> {
      const cycle = await cycleFor(principal, cycleId);
      if (cycle.status !== 'APPROVED')
        throw conflict(`The cycle is ${cycle.status}: only an approved cycle is exported`, 'Kỳ chi chưa được phê duyệt: chỉ xuất tệp kỳ chi đã phê duyệt', {
          field: 'id',
        });
      const rows = await xrepo.findExportLines(db, cycle.id);
      const now = totalsOf(rows);
      const fixed = payments.storedTotals(cycle);
      if (!sameTotals(now, fixed))
        throw conflict(
          `The lines no longer match the control totals (${now.lines} lines, ${now.payableAmount} to pay now; ${fixed.lines} lines, ${fixed.payableAmount} when created): the file is not produced`,
          `Các khoản chi không còn khớp tổng kiểm soát (${now.lines} khoản, ${now.payableAmount} đồng hiện nay; ${fixed.lines} khoản, ${fixed.payableAmount} đồng khi lập): không xuất tệp`,
          { field: 'id' },
        );
      // Lines of art. 5.3 and 5.8 say HIV: a caller without HIV sight (an auditor checking the file) gets the file
      // without them, its control totals those of the lines it shows (docs/security.md "HIV status").
      const shown = seesHiv(principal) ? rows : rows.filter((r) => !HIV_PROGRAMS.has(r.programCode));
      const lines = shown.map((r): [boolean, ExportLine] => [
        r.kind === 'RECOVERY',
        {
          lineId: r.id,
          // An enrolment without a recipient record is paid to the beneficiary in cash (docs/payments.md#recipients).
          recipientName: r.recipientName ?? r.personName,
          method: r.method,
          accountNo: maskAccountFor(principal, r.accountNo) ?? '',
          provider: r.provider ?? '',
          amount: r.amount,
          period: periodOf(toDateString(r.period)),
          kind: r.kind,
          programCode: r.programCode,
          programName: lang === 'en' ? r.programNameEn : r.programNameVi,
          beneficiaryName: r.personName,
          nationalId: r.nationalId ? maskNationalId(r.nationalId) : '',
        },
      ]);
      return {
        cycleId: cycle.id,
        communeCode: cycle.communeCode,
        period: periodOf(toDateString(cycle.period)),
        approvedBy: cycle.approvedBy,
        approvedAt: cycle.approvedAt,
        payable: lines.filter(([recovery]) => !recovery).map(([, l]) => l),
        recoveries: lines.filter(([recovery]) => recovery).map(([, l]) => l),
        totals: shown === rows ? fixed : totalsOf(shown),
      };
    },

    /**
     * Reads a reconciliation file and applies its valid rows in one transaction (docs/payments.md#reconciliation).
     * Every row is checked on its own; a rejected row never stops the others. `onProgress` is called after each
     * row applied, with the rows done and the rows to apply.
     */
    async importReconciliation(
      actor: AuditActor,
      cycleId: string,
      file: { body: Buffer; format: 'csv' | 'xlsx' },
      onProgress?: (done: number, total: number) => void,
    ): Promise<ReconciliationOutcome> {
      assertRole(actor.principal, 'district_officer', 'admin');
      const cycle = await cycleFor(actor.principal, cycleId);
      if (cycle.status !== 'APPROVED')
        throw conflict(
          `The cycle is ${cycle.status}: results are recorded for an approved cycle only`,
          'Kỳ chi chưa được phê duyệt: chưa ghi được kết quả chi trả',
          {
            field: 'id',
          },
        );
      const parsed = findColumns(await readTable(file.body, file.format));
      const cell = (r: FileRow, f: ReconciliationField) => r.cells[parsed.columns[f]] ?? '';
      const today = clock.today();
      const cycleStart = firstDay(periodOf(toDateString(cycle.period)));
      const ids = [...new Set(parsed.rows.map((r) => cell(r, 'lineId').trim()).filter(isUuid))];
      const lineCycles = await xrepo.findLineCycles(db, ids);

      const rejected: RejectedRow[] = [];
      const reject = (r: FileRow, problems: FieldProblem[]) => {
        const label = (f: string): { en: string; vi: string } | undefined => RECONCILIATION_COLUMNS[(COLUMN_OF[f] ?? f) as ReconciliationField];
        rejected.push({
          row: r.rowNo,
          cells: r.cells,
          reason: problems.map((p) => `${label(p.field)?.en ?? p.field}: ${p.en}`).join('; '),
          reasonVi: problems.map((p) => `${label(p.field)?.vi ?? p.field}: ${p.vi}`).join('; '),
        });
      };
      const valid: { row: FileRow; input: PaymentResultInput }[] = [];
      for (const r of parsed.rows) {
        const problems: FieldProblem[] = [];
        const add = (field: string, en: string, vi: string) => problems.push({ field, en, vi });
        const lineId = cell(r, 'lineId').trim().toLowerCase();
        const line = isUuid(lineId) ? lineCycles.get(lineId) : undefined;
        if (!line) add('lineId', 'no payment line has this id', 'không có dòng chi nào có mã này');
        else if (line.cycleId !== cycle.id) add('lineId', 'the line belongs to another cycle', 'dòng chi thuộc kỳ chi khác');
        else if (line.kind === 'RECOVERY')
          add('lineId', 'a recovery line is not paid: it is not in the payment file', 'khoản thu hồi không được chi: không có trong tệp chi trả');
        const rawDate = cell(r, 'date');
        const paidAt = fileDate(rawDate);
        if (paidAt === undefined) add('date', 'is not a date dd/mm/yyyy or yyyy-mm-dd', 'không phải ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd');
        const status = cell(r, 'status').trim().toUpperCase();
        const reference = cell(r, 'reference');
        const p = new Problems();
        const checked = checkPaymentResult(
          p,
          { status, reference, paidAt: paidAt ?? today, idempotencyKey: fileRowKey(lineId, status, reference.trim()) },
          today,
        );
        // checkPaymentResult's problems, each once per column (the key repeats the reference's).
        const seen = new Set<string>();
        for (const f of problemsOf(p)) {
          const column = COLUMN_OF[f.field] ?? f.field;
          if (!seen.has(column)) problems.push(f);
          seen.add(column);
        }
        if (paidAt !== undefined && checked && paidAt < cycleStart)
          add('date', `is before the month the cycle pays (${cycleStart})`, `trước tháng của kỳ chi (${cycleStart})`);
        if (problems.length > 0 || !checked) reject(r, problems);
        else valid.push({ row: r, input: { paymentId: lineId, ...checked } });
      }

      let applied = 0;
      let unchanged = 0;
      const late: RejectedRow[] = [];
      if (valid.length > 0) {
        const fileHash = createHash('sha256').update(file.body).digest('hex');
        await auditedTransaction(db, actor, async (tx) => {
          const audit: AuditEntry[] = [];
          let done = 0;
          // Lines are locked in id order (file order kept within a line): two imports at once never deadlock.
          const ordered = [...valid].sort((a, b) => (a.input.paymentId < b.input.paymentId ? -1 : a.input.paymentId > b.input.paymentId ? 1 : 0));
          for (const { row, input } of ordered) {
            try {
              const outcome = await applyPaymentResult(tx, actor, input);
              if (outcome.changed) applied += 1;
              else unchanged += 1;
              audit.push(...outcome.audit);
            } catch (err) {
              // Refusals (a contradiction with the recorded result, a key used for another result) are thrown
              // before anything is written: the row is rejected and the transaction goes on.
              if (!(err instanceof DomainError)) throw err;
              const field = (err.details.field as string | undefined) ?? 'status';
              const label = RECONCILIATION_COLUMNS[COLUMN_OF[field] ?? 'status'];
              late.push({ row: row.rowNo, cells: row.cells, reason: `${label.en}: ${err.text.en}`, reasonVi: `${label.vi}: ${err.text.vi}` });
            }
            onProgress?.(++done, valid.length);
          }
          // Nothing applied (the same file again): nothing written, no event.
          if (applied === 0) return { result: undefined, audit: [] };
          const summary: AuditEntry = {
            action: 'importReconciliation',
            entityType: 'PaymentCycle',
            entityId: cycle.id,
            after: { fileSha256: fileHash, rows: parsed.rows.length, applied, unchanged, rejected: rejected.length + late.length },
          };
          return { result: undefined, audit: [summary, ...audit] };
        });
      }
      const all = [...rejected, ...late].sort((a, b) => a.row - b.row);
      return {
        cycleId: cycle.id,
        rows: parsed.rows.length,
        applied,
        unchanged,
        rejected: all.length,
        rejectedRows: all,
        errorFile: all.length > 0 ? await errorCsv(parsed.header, all) : null,
      };
    },
  };
}

export type ExchangeService = ReturnType<typeof createExchangeService>;
