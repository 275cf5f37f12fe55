/**
 * The layouts of the exchange files with banks and the post office (docs/payments.md#exchange-files): the payment
 * file of an approved cycle (CSV streamed with csv-stringify, XLSX with exceljs' streaming writer) and the
 * reconciliation file they send back (CSV with csv-parse, or the first sheet of an XLSX). No database here: the
 * exchange service hands in lines already checked and masked, and takes back rows as text.
 */
import { Readable, type Writable } from 'node:stream';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import { Problems } from '../../errors.js';
import { checkXlsxUpload } from './xlsx-guard.js';

export type FileLang = 'vi' | 'en';

/** One line of the payment file, as the caller may see it (account number masked per role, national id masked). */
export interface ExportLine {
  lineId: string;
  recipientName: string;
  method: string;
  accountNo: string;
  provider: string;
  amount: number;
  period: string;
  kind: string;
  programCode: string;
  programName: string;
  beneficiaryName: string;
  nationalId: string;
}

export interface CycleExport {
  cycleId: string;
  communeCode: string;
  period: string;
  approvedBy: string | null;
  approvedAt: Date | null;
  /** The lines to pay (every kind but RECOVERY). */
  payable: ExportLine[];
  /** Recovery lines: listed apart (XLSX second sheet), never paid. */
  recoveries: ExportLine[];
  /** The control totals, recomputed from the lines and equal to the stored ones (the service checked). */
  totals: { lines: number; payableAmount: number; recoveryAmount: number; byProgram: Record<string, { lines: number; amount: number }> };
}

/** The columns of the payment file, in order, with their Vietnamese (default) and English headers. */
export const EXPORT_COLUMNS: readonly { key: keyof ExportLine; vi: string; en: string; width: number }[] = [
  { key: 'lineId', vi: 'Mã dòng chi', en: 'Line id', width: 38 },
  { key: 'recipientName', vi: 'Họ tên người nhận', en: 'Recipient name', width: 28 },
  { key: 'method', vi: 'Hình thức chi trả', en: 'Method', width: 14 },
  { key: 'accountNo', vi: 'Số tài khoản', en: 'Account number', width: 22 },
  { key: 'provider', vi: 'Ngân hàng / đơn vị chi trả', en: 'Bank or provider', width: 26 },
  { key: 'amount', vi: 'Số tiền (đồng)', en: 'Amount (VND)', width: 16 },
  { key: 'period', vi: 'Tháng', en: 'Month', width: 10 },
  { key: 'kind', vi: 'Loại khoản chi', en: 'Kind', width: 12 },
  { key: 'programCode', vi: 'Mã chế độ', en: 'Program', width: 14 },
  { key: 'programName', vi: 'Chế độ', en: 'Program name', width: 40 },
  { key: 'beneficiaryName', vi: 'Họ tên người hưởng', en: 'Beneficiary name', width: 28 },
  { key: 'nationalId', vi: 'Số định danh (che)', en: 'National id (masked)', width: 16 },
];

const TOTAL_LABEL = { vi: 'TỔNG CỘNG', en: 'TOTAL' };

/**
 * A text cell a spreadsheet would read as a formula (=, +, -, @, or a tab or carriage return first) gets a leading
 * apostrophe: a name typed as "=HYPERLINK(…)" must not run in the bank's spreadsheet (CSV injection). Amounts are
 * numbers and are left alone.
 */
export function safeCell(v: string): string {
  return /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

const headerOf = (lang: FileLang) => EXPORT_COLUMNS.map((c) => c[lang]);
const rowOf = (l: ExportLine) => EXPORT_COLUMNS.map((c) => (c.key === 'amount' ? l.amount : safeCell(l[c.key])));
/** The last row: the label, the number of lines, and the sum in the amount column. */
function footerOf(lang: FileLang, lines: number, amount: number): (string | number)[] {
  return EXPORT_COLUMNS.map((c, i) => (i === 0 ? TOTAL_LABEL[lang] : i === 1 ? lines : c.key === 'amount' ? amount : ''));
}

/**
 * The payment file as CSV: UTF-8 with a byte order mark (spreadsheets then read the Vietnamese right), a header
 * row, one row per line to pay, and a total row. Recovery lines are not in it (they are not paid).
 */
export function cycleCsv(exp: CycleExport, lang: FileLang): Readable {
  const out = stringify({ bom: true, record_delimiter: 'windows' });
  const rows = function* () {
    yield headerOf(lang);
    for (const l of exp.payable) yield rowOf(l);
    yield footerOf(lang, exp.payable.length, exp.totals.payableAmount);
  };
  // Rows go through the stringifier with backpressure; a stream error ends the response.
  Readable.from(rows()).pipe(out);
  return out;
}

const SHEETS = {
  payable: { vi: 'Chi trả', en: 'Payments' },
  recoveries: { vi: 'Thu hồi', en: 'Recoveries' },
  totals: { vi: 'Tổng kiểm soát', en: 'Control totals' },
};

/**
 * The payment file as XLSX, written row by row to `out` (exceljs' streaming writer): sheet 1 the lines to pay with
 * a total row, sheet 2 the recovery lines (not paid; listed so the commune can collect them), sheet 3 the cycle and
 * its control totals by program.
 */
export async function writeCycleXlsx(exp: CycleExport, lang: FileLang, out: Writable): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  wb.creator = 'An Sinh';
  const lineSheet = (name: string, lines: ExportLine[], amount: number) => {
    const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.columns = EXPORT_COLUMNS.map((c) => ({ key: c.key, width: c.width, style: c.key === 'amount' ? { numFmt: '#,##0' } : {} }));
    const header = ws.addRow(headerOf(lang));
    header.font = { bold: true };
    header.commit();
    // Cells are written as values (strings stay strings: an account number keeps its leading zeros).
    for (const l of lines) ws.addRow(EXPORT_COLUMNS.map((c) => (c.key === 'amount' ? l.amount : l[c.key]))).commit();
    const total = ws.addRow(footerOf(lang, lines.length, amount));
    total.font = { bold: true };
    total.commit();
    ws.commit();
  };
  lineSheet(SHEETS.payable[lang], exp.payable, exp.totals.payableAmount);
  lineSheet(
    SHEETS.recoveries[lang],
    exp.recoveries,
    exp.recoveries.reduce((s, l) => s + l.amount, 0),
  );
  const ws = wb.addWorksheet(SHEETS.totals[lang]);
  ws.columns = [
    { key: 'k', width: 30 },
    { key: 'lines', width: 12 },
    { key: 'amount', width: 18, style: { numFmt: '#,##0' } },
  ];
  const vi = lang === 'vi';
  const rows: (string | number)[][] = [
    [vi ? 'Mã kỳ chi' : 'Cycle id', exp.cycleId],
    [vi ? 'Mã xã' : 'Commune code', exp.communeCode],
    [vi ? 'Tháng' : 'Month', exp.period],
    [vi ? 'Người phê duyệt' : 'Approved by', exp.approvedBy ?? ''],
    [vi ? 'Thời điểm phê duyệt' : 'Approved at', exp.approvedAt?.toISOString() ?? ''],
    [],
    [vi ? 'Tổng kiểm soát' : 'Control totals', vi ? 'Số khoản' : 'Lines', vi ? 'Số tiền (đồng)' : 'Amount (VND)'],
    [vi ? 'Tất cả các khoản' : 'All lines', exp.totals.lines, exp.totals.payableAmount + exp.totals.recoveryAmount],
    [vi ? 'Phải chi' : 'To pay', exp.payable.length, exp.totals.payableAmount],
    [vi ? 'Phải thu hồi' : 'To recover', exp.recoveries.length, exp.totals.recoveryAmount],
    ...Object.entries(exp.totals.byProgram).map(([code, t]) => [`${vi ? 'Chế độ' : 'Program'} ${code}`, t.lines, t.amount]),
  ];
  for (const r of rows) ws.addRow(r).commit();
  ws.commit();
  await wb.commit();
}

/** The reconciliation file's columns: what each is for, and the header names it is recognised by. */
export const RECONCILIATION_COLUMNS = {
  lineId: { vi: 'Mã dòng chi', en: 'Line id', aliases: ['line_id', 'ma_dong_chi', 'ma_dong', 'line'] },
  status: { vi: 'Trạng thái', en: 'Status', aliases: ['status', 'trang_thai', 'ket_qua'] },
  reference: { vi: 'Mã giao dịch', en: 'Bank reference', aliases: ['bank_reference', 'reference', 'ma_giao_dich', 'so_giao_dich', 'so_chung_tu'] },
  date: { vi: 'Ngày chi', en: 'Date', aliases: ['date', 'paid_at', 'paid_on', 'ngay', 'ngay_chi', 'ngay_giao_dich'] },
} as const;
export type ReconciliationField = keyof typeof RECONCILIATION_COLUMNS;

/** A header cell as a name: lower case, no accents, words joined by underscores ("Mã dòng chi" → ma_dong_chi). */
export function headerKey(cell: string): string {
  return cell
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export interface FileRow {
  /** The row's number in the file, the header being row 1 (as a spreadsheet numbers it). */
  rowNo: number;
  cells: string[];
}

export interface ParsedFile {
  header: string[];
  columns: Record<ReconciliationField, number>;
  rows: FileRow[];
}

/** At most this many rows per file: a district's month is a few tens of thousands of lines. */
export const MAX_FILE_ROWS = 200_000;

/** Reads the rows of a CSV (UTF-8, comma or semicolon separated, a byte order mark allowed) or of an XLSX's first sheet. */
export async function readTable(body: Buffer, format: 'csv' | 'xlsx'): Promise<string[][]> {
  if (format === 'xlsx') return readXlsx(body);
  const text = body.toString('utf8');
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  // Spreadsheets set to Vietnamese (decimal comma) save CSV with semicolons.
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  const rows: string[][] = [];
  try {
    const parser = Readable.from([text]).pipe(parse({ bom: true, delimiter, relax_column_count: true, skip_empty_lines: true, trim: true }));
    for await (const r of parser as AsyncIterable<string[]>) {
      rows.push(r);
      if (rows.length > MAX_FILE_ROWS + 1) break;
    }
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    new Problems()
      .add('file', `is not a readable CSV file${line ? ` (line ${line})` : ''}`, `không phải tệp CSV đọc được${line ? ` (dòng ${line})` : ''}`)
      .throwIfAny();
    throw err;
  }
  return rows;
}

async function readXlsx(body: Buffer): Promise<string[][]> {
  // Before exceljs inflates anything: a zip bomb or a sheet of millions of rows is refused here (xlsx-guard.ts).
  await checkXlsxUpload(body, MAX_FILE_ROWS);
  const wb = new ExcelJS.Workbook();
  try {
    // exceljs' type says Buffer of an older @types/node; the bytes are what it reads.
    await wb.xlsx.load(body as unknown as ArrayBuffer);
  } catch {
    new Problems().add('file', 'is not a readable XLSX file', 'không phải tệp XLSX đọc được').throwIfAny();
  }
  const ws = wb.worksheets[0];
  const rows: string[][] = [];
  if (!ws) return rows;
  ws.eachRow({ includeEmpty: false }, (row) => {
    if (rows.length > MAX_FILE_ROWS + 1) return;
    const cells: string[] = [];
    for (let i = 1; i <= row.cellCount; i++) cells.push(cellText(row.getCell(i).value));
    rows.push(cells);
  });
  return rows;
}

/** A spreadsheet cell as the text a CSV would hold (a date cell as yyyy-mm-dd). */
function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    if ('richText' in v)
      return v.richText
        .map((t) => t.text)
        .join('')
        .trim();
    if ('text' in v) return v.text.trim();
    if ('result' in v) return cellText(v.result);
    if ('error' in v) return v.error;
    return '';
  }
  return String(v).trim();
}

/** The header row read: where each needed column is, or VALIDATION_FAILED naming the ones missing. */
export function findColumns(rows: string[][]): ParsedFile {
  const [header = [], ...data] = rows;
  const keys = header.map(headerKey);
  const p = new Problems();
  const columns = {} as Record<ReconciliationField, number>;
  for (const [field, c] of Object.entries(RECONCILIATION_COLUMNS) as [ReconciliationField, (typeof RECONCILIATION_COLUMNS)[ReconciliationField]][]) {
    const at = keys.findIndex((k) => (c.aliases as readonly string[]).includes(k));
    if (at < 0)
      p.add(`file.${field}`, `has no "${c.en}" column (header names: ${c.aliases.join(', ')})`, `không có cột "${c.vi}" (tên cột: ${c.aliases.join(', ')})`);
    columns[field] = at;
  }
  if (data.length > MAX_FILE_ROWS) p.add('file', `has more than ${MAX_FILE_ROWS} rows: split it`, `có hơn ${MAX_FILE_ROWS} dòng: hãy chia nhỏ tệp`);
  p.throwIfAny();
  return { header, columns, rows: data.map((cells, i) => ({ rowNo: i + 2, cells })) };
}

/** A date of the file (dd/mm/yyyy or yyyy-mm-dd) as yyyy-mm-dd; undefined when it is neither. */
export function fileDate(v: string): string | undefined {
  const s = v.trim();
  const dmy = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s);
  if (dmy) {
    const [, d = '', m = '', y = ''] = dmy;
    return `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
  }
  return /^\d{4}-\d{2}-\d{2}$/.test(s) ? s : undefined;
}

/** The file of rejected rows: the original columns, then the reason in Vietnamese and in English. */
export async function errorCsv(
  header: readonly string[],
  rejected: readonly { cells: readonly string[]; reason: string; reasonVi: string }[],
): Promise<string> {
  const width = Math.max(header.length, ...rejected.map((r) => r.cells.length));
  const pad = (cells: readonly string[]) => [...cells, ...Array<string>(width - cells.length).fill('')];
  const out = stringify({ bom: true, record_delimiter: 'windows' });
  const chunks: string[] = [];
  out.on('data', (c: Buffer | string) => chunks.push(String(c)));
  const done = new Promise<void>((resolve, reject) => {
    out.on('end', resolve);
    out.on('error', reject);
  });
  out.write([...pad(header), 'Lý do', 'Reason']);
  for (const r of rejected) out.write([...pad(r.cells).map(safeCell), r.reasonVi, r.reason]);
  out.end();
  await done;
  return chunks.join('');
}
