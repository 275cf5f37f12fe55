/**
 * The check an uploaded XLSX passes before exceljs opens it (docs/payments.md#reconciliation). exceljs inflates every
 * part of the workbook into memory and builds an object per row and cell, so a crafted file — a zip whose parts
 * inflate to gigabytes, thousands of parts, or a sheet of millions of rows that compresses to a few kilobytes — would
 * exhaust the service's memory before the row limit is ever looked at. Here the zip is read with yauzl, one part at
 * a time, inflated as a stream and thrown away: the entry count and the declared sizes are checked from the central
 * directory first, then the bytes actually inflated are counted (yauzl also refuses a part that inflates to more than
 * it declared), and the rows and cells of each worksheet are counted from its XML. Memory stays one chunk at a time.
 */
import type { Readable } from 'node:stream';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { Problems, ValidationError } from '../../errors.js';

/** A workbook has a dozen parts or so; a thousand is far more than any spreadsheet program writes. */
export const MAX_XLSX_ENTRIES = 1_000;
/**
 * The inflated size of all parts together. 200,000 rows of a reconciliation file (four to ten short columns) are
 * 30–80 MB of sheet XML; beyond this the file is not one a bank sends.
 */
export const MAX_XLSX_INFLATED = 256 * 1024 * 1024;
/** Cells over all worksheets, per data row allowed: ten columns. */
export const CELLS_PER_ROW = 10;

const refuse = (en: string, vi: string): never => {
  new Problems().add('file', en, vi).throwIfAny();
  throw new Error('refused above');
};

/** `<row …>` and `<c …>` start tags (with or without a namespace prefix), the units exceljs builds an object for. */
const ROW_TAG = /<(?:[A-Za-z_][\w.-]*:)?row[\s/>]/g;
const CELL_TAG = /<(?:[A-Za-z_][\w.-]*:)?c[\s/>]/g;
/** Longest tag prefix that may straddle two chunks, kept from one chunk to the next. */
const CARRY = 64;

const isWorksheet = (name: string) => /^xl\/worksheets\/[^/]+\.xml$/i.test(name);

function openZip(body: Buffer): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(body, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (err, zip) => {
      if (err) reject(err);
      else resolve(zip);
    });
  });
}

function openEntry(zip: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) reject(err);
      else resolve(stream);
    });
  });
}

/** Each entry of the central directory in turn (lazyEntries: the next one is read only when asked for). */
async function* entriesOf(zip: ZipFile): AsyncGenerator<Entry> {
  for (;;) {
    const next = new Promise<Entry | undefined>((resolve, reject) => {
      const onEntry = (e: Entry) => {
        cleanup();
        resolve(e);
      };
      const onEnd = () => {
        cleanup();
        resolve(undefined);
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      const cleanup = () => {
        zip.off('entry', onEntry);
        zip.off('end', onEnd);
        zip.off('error', onError);
      };
      zip.on('entry', onEntry);
      zip.on('end', onEnd);
      zip.on('error', onError);
    });
    zip.readEntry();
    const entry = await next;
    if (!entry) return;
    yield entry;
  }
}

/** What the guard measured: for tests and the log. */
export interface XlsxMeasure {
  entries: number;
  inflated: number;
  rows: number;
  cells: number;
}

/**
 * Refuses (VALIDATION_FAILED on `file`) an XLSX that is not a readable zip, has too many parts, inflates to more than
 * MAX_XLSX_INFLATED, or whose worksheets hold more than `maxRows` rows (plus the header) or CELLS_PER_ROW cells a row.
 */
export async function checkXlsxUpload(body: Buffer, maxRows: number): Promise<XlsxMeasure> {
  const maxCells = (maxRows + 1) * CELLS_PER_ROW;
  let zip: ZipFile;
  try {
    zip = await openZip(body);
  } catch {
    return refuse('is not a readable XLSX file (not a zip archive)', 'không phải tệp XLSX đọc được (không phải tệp nén zip)');
  }
  try {
    if (zip.entryCount > MAX_XLSX_ENTRIES)
      refuse(
        `is not a workbook a bank sends: ${zip.entryCount} parts in the archive (at most ${MAX_XLSX_ENTRIES})`,
        `không phải bảng tính ngân hàng gửi: tệp nén có ${zip.entryCount} phần (tối đa ${MAX_XLSX_ENTRIES})`,
      );
    const tooLarge = () =>
      refuse(
        `inflates to more than ${MAX_XLSX_INFLATED / 1024 / 1024} MiB: split it or send it as CSV`,
        `khi giải nén lớn hơn ${MAX_XLSX_INFLATED / 1024 / 1024} MiB: hãy chia nhỏ tệp hoặc gửi dạng CSV`,
      );
    const measure: XlsxMeasure = { entries: 0, inflated: 0, rows: 0, cells: 0 };
    // Declared sizes first (the central directory): most bombs are refused before a byte is inflated.
    let declared = 0;
    const entries: Entry[] = [];
    for await (const entry of entriesOf(zip)) {
      measure.entries += 1;
      declared += entry.uncompressedSize;
      if (declared > MAX_XLSX_INFLATED) tooLarge();
      entries.push(entry);
    }
    // Then the bytes themselves: a part may declare less than it holds (yauzl stops it at its declared size).
    for (const entry of entries) {
      if (entry.fileName.endsWith('/')) continue;
      const counting = isWorksheet(entry.fileName);
      let tail = '';
      let stream: Readable;
      try {
        stream = await openEntry(zip, entry);
      } catch {
        return refuse(`is not a readable XLSX file (part ${entry.fileName})`, `không phải tệp XLSX đọc được (phần ${entry.fileName})`);
      }
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          measure.inflated += chunk.length;
          if (measure.inflated > MAX_XLSX_INFLATED) tooLarge();
          if (!counting) continue;
          // latin1 keeps one character per byte, so tags are found whatever the text around them.
          const text = tail + chunk.toString('latin1');
          const from = tail.length;
          for (const m of text.matchAll(ROW_TAG)) if (m.index + m[0].length > from) measure.rows += 1;
          for (const m of text.matchAll(CELL_TAG)) if (m.index + m[0].length > from) measure.cells += 1;
          tail = text.slice(-CARRY);
          if (measure.rows > maxRows + 1) refuse(`has more than ${maxRows} rows: split it`, `có hơn ${maxRows} dòng: hãy chia nhỏ tệp`);
          if (measure.cells > maxCells)
            refuse(
              `has more than ${maxCells} cells: keep the columns of the reconciliation layout, or split it`,
              `có hơn ${maxCells} ô: chỉ giữ các cột của mẫu đối soát, hoặc chia nhỏ tệp`,
            );
        }
      } catch (err) {
        stream.destroy();
        if (err instanceof ValidationError) throw err;
        return refuse(`is not a readable XLSX file (part ${entry.fileName})`, `không phải tệp XLSX đọc được (phần ${entry.fileName})`);
      }
    }
    return measure;
  } finally {
    zip.close();
  }
}
