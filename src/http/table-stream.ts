/**
 * Streams a table (rows read page by page from the database) to an HTTP response as CSV or XLSX, for the exports
 * of src/http/exports.ts (docs/integration.md#exports). Memory holds one page of rows and the writers' buffers,
 * whatever the size of the file:
 * - rows are pulled from the pages only as fast as the client takes the bytes (CSV: stream.pipeline from the page
 *   iterator through csv-stringify, with its backpressure; XLSX: exceljs' streaming WorkbookWriter, which ignores
 *   backpressure, held back by counting the rows its zip has not yet turned into output, XLSX_ROWS_AHEAD);
 * - a client that goes away stops the reading: the pipeline is destroyed and the page iterator returned;
 * - the first page is read before the status line is sent, so a refusal or a database failure at the start is an
 *   ordinary JSON error; a failure after that destroys the connection instead of ending the response, so the
 *   client sees a broken download (no final chunk) and never a file that looks complete.
 */
import { Readable, Transform, pipeline } from 'node:stream';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Problems } from '../errors.js';
import { safeCell, type FileLang } from '../modules/payments/exchange-files.js';
import { safeError } from '../safe-error.js';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const CSV_TYPE = 'text/csv; charset=utf-8';
export type TableFormat = 'csv' | 'xlsx';

/** A column of an export: its Vietnamese (default) and English headers and the cell of a row. */
export interface Column<R> {
  vi: string;
  en: string;
  /** Width in the XLSX sheet, in characters. */
  width: number;
  /** A yyyy-mm-dd date: written as officers write dates (dd/mm/yyyy in CSV, a date cell so formatted in XLSX). */
  date?: boolean;
  value: (row: R) => string | number | null;
}

/** yyyy-mm-dd as officers write it, dd/mm/yyyy. */
export function officerDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d}/${m}/${y}`;
}

/**
 * The language of the column headers: `?lang=vi|en` when given, else the first language of Accept-Language that
 * is Vietnamese or English, else Vietnamese (the officers' language). A bad `lang` joins the request's other problems.
 */
export function headerLang(query: { lang?: unknown }, acceptLanguage: string | undefined, problems: Problems): FileLang {
  const lang = query.lang;
  if (lang === 'vi' || lang === 'en') return lang;
  if (lang !== undefined) problems.add('lang', 'must be vi or en', 'phải là vi hoặc en');
  for (const part of (acceptLanguage ?? '').split(',')) {
    const tag = part.split(';', 1)[0]?.trim().toLowerCase() ?? '';
    if (tag === 'vi' || tag.startsWith('vi-')) return 'vi';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return 'vi';
}

export interface TableExport<R> {
  format: TableFormat;
  lang: FileLang;
  /** The file's name without its extension. */
  fileName: string;
  /** The XLSX sheet's name (31 characters at most). */
  sheet: { vi: string; en: string };
  columns: readonly Column<R>[];
  /** The rows, page by page; read lazily, returned (finally blocks run) when the client goes away. */
  pages: AsyncIterable<R[]>;
}

/** A cell for CSV: dates as dd/mm/yyyy, text that a spreadsheet would run as a formula made inert, numbers as they are. */
function csvCell<R>(c: Column<R>, row: R): string | number {
  const v = c.value(row);
  if (v === null) return '';
  if (typeof v === 'number') return v;
  return c.date ? officerDate(v) : safeCell(v);
}

/** A cell for XLSX: dates as date cells (shown dd/mm/yyyy), the rest as values (strings stay strings). */
function xlsxCell<R>(c: Column<R>, row: R): string | number | Date | null {
  const v = c.value(row);
  if (v === null || typeof v === 'number') return v;
  return c.date ? new Date(`${v}T00:00:00Z`) : v;
}

/**
 * Sends the table. Resolves with the reply once streaming has started (Fastify then owns the stream); rejects, before
 * anything is sent, when reading the first page fails.
 */
export async function sendTable<R>(request: FastifyRequest, reply: FastifyReply, table: TableExport<R>): Promise<FastifyReply> {
  const iterator = table.pages[Symbol.asyncIterator]();
  // The first page before the status line: an error here is answered as JSON by the app's error handler.
  const first = await iterator.next();
  async function* rows(): AsyncGenerator<R[]> {
    try {
      if (!first.done) yield first.value;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // The client went away or a write failed: stop reading (a generator's finally ends its database paging).
      await iterator.return?.();
    }
  }
  const log = (err: unknown) => {
    // A client that disconnected is no failure of ours; anything else is logged without personal data.
    if (err && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE')
      request.log.error({ err: safeError(err), file: table.fileName }, 'export failed after it started: connection closed without a final chunk');
  };
  const body = table.format === 'csv' ? csvStream(table, rows(), log) : xlsxStream(table, rows(), log);
  const ext = table.format;
  return reply
    .header('content-disposition', `attachment; filename="${table.fileName}.${ext}"`)
    .header('cache-control', 'no-store')
    .type(table.format === 'csv' ? CSV_TYPE : XLSX_TYPE)
    .send(body);
}

/** CSV: UTF-8 with a byte order mark (spreadsheets then read the Vietnamese right), a header row, a row per record. */
function csvStream<R>(table: TableExport<R>, pages: AsyncGenerator<R[]>, log: (err: unknown) => void): Readable {
  const { columns, lang } = table;
  const out = stringify({ bom: true, record_delimiter: 'windows' });
  // A page becomes one record per row; the next page is taken only once these have been read (Transform's
  // backpressure), so at most a page waits here.
  const split = new Transform({
    objectMode: true,
    transform(page: R[], _enc, done) {
      for (const r of page) this.push(columns.map((c) => csvCell(c, r)));
      done();
    },
  });
  split.push(columns.map((c) => c[lang]));
  // pipeline destroys every stage when one fails or the response is closed (Fastify destroys the body it sends):
  // Readable.from then returns the generator, which stops reading the database.
  // One page read ahead at most (an object stream's default is 16: sixteen pages in memory).
  pipeline(Readable.from(pages, { highWaterMark: 1 }), split, out, log);
  return out;
}

/**
 * Rows the XLSX writer may take beyond what the zip has turned into output. exceljs and its zip library write on
 * without looking at backpressure; the writer waits instead while this many rows went in and nothing came out (the
 * client is not reading). Enough rows that the zip always has output for them (its buffers are tens of kB), so a
 * small file never waits for output that only its end would bring.
 */
export const XLSX_ROWS_AHEAD = 2000;

/** Resolves on the stream's next event of one of these names. */
function nextEvent(s: Transform, names: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const n of names) s.off(n, done);
      resolve();
    };
    for (const n of names) s.on(n, done);
  });
}

/** XLSX: one sheet, a bold frozen header row, a row per record; written with exceljs' streaming writer. */
function xlsxStream<R>(table: TableExport<R>, pages: AsyncGenerator<R[]>, log: (err: unknown) => void): Readable {
  const { columns, lang } = table;
  // What the zip writes passes through here on its way to the response: each chunk that comes out says the rows
  // before it were taken. A Transform takes a chunk only when its output has room, so this stalls with the client.
  let rowsSinceOutput = 0;
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      rowsSinceOutput = 0;
      this.emit('output');
      done(null, chunk);
    },
  });
  const write = async () => {
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
    wb.creator = 'An Sinh';
    const ws = wb.addWorksheet(table.sheet[lang], { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.columns = columns.map((c, i) => ({ key: String(i), width: c.width, style: c.date ? { numFmt: 'dd/mm/yyyy' } : {} }));
    const header = ws.addRow(columns.map((c) => c[lang]));
    header.font = { bold: true };
    header.commit();
    for await (const page of pages) {
      for (const r of page) ws.addRow(columns.map((c) => xlsxCell(c, r))).commit();
      rowsSinceOutput += page.length;
      // The next page waits until the zip has passed on output for the rows before (or the response closed).
      while (rowsSinceOutput >= XLSX_ROWS_AHEAD && !out.destroyed) await nextEvent(out, ['output', 'close']);
      if (out.destroyed) break;
    }
    if (out.destroyed) return;
    ws.commit();
    await wb.commit();
  };
  write().catch((err: unknown) => {
    log(err);
    out.destroy(err as Error);
  });
  // The client went away: stop the page reading too (the loop above sees it at its next page).
  out.on('close', () => {
    if (!out.writableFinished) void pages.return(undefined);
  });
  return out;
}
