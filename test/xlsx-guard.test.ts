/**
 * A crafted XLSX upload is refused with a clear error before exceljs inflates it (src/modules/payments/xlsx-guard.ts,
 * docs/payments.md#reconciliation): a part declaring gigabytes, a part declaring little and inflating to hundreds of
 * megabytes, a sheet of a million rows compressed to kilobytes, an archive of thousands of parts, and a body over the
 * upload limit. Every archive is built here (test/support/zip.ts); nothing is written for a refused file.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkXlsxUpload, MAX_XLSX_ENTRIES, MAX_XLSX_INFLATED } from '../src/modules/payments/xlsx-guard.js';
import { MAX_FILE_ROWS } from '../src/modules/payments/exchange-files.js';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { household, ok, person } from './support/people.js';
import { deflatedRepeat, part, workbookParts, zip } from './support/zip.js';

const COMMUNE = '24846';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
let t: TestApp;
let district: string;
let cycle: JsonBody;

beforeAll(async () => {
  t = await startTestApp();
  const approver = await t.token('district_officer', [], '', 'district-approver');
  district = await t.token('district_officer');
  const h = await household(t, { commune: COMMUNE });
  const personId = await person(t, { dateOfBirth: '1980-02-03', householdId: h, isHead: true, commune: COMMUNE });
  ok(
    await t.gql(
      `mutation($id: ID!) { recordDisability(input: { personId: $id, level: SEVERE, certificateNo: "GXN-BOMB-1", issuedOn: "2024-01-10" }) { id } }`,
      {
        id: personId,
      },
    ),
  );
  const e = ok(
    await t.gql(`mutation($input: EnrolInput!) { enrol(input: $input) { id } }`, {
      input: { personId, programCode: 'D20_5_6', decisionNo: 'QĐ-BOMB-1', decisionDate: '2025-01-05', startPeriod: '2025-01' },
    }),
    'enrol',
  );
  ok(await t.gql(`mutation { approveEnrolment(id: "${e.id}") { id } }`, {}, approver));
  cycle = ok(await t.gql(`mutation { createPaymentCycle(communeCode: "${COMMUNE}", period: "2025-02") { id payments { id } } }`), 'createPaymentCycle');
  ok(await t.gql(`mutation($id: ID!) { approvePaymentCycle(id: $id) { id } }`, { id: cycle.id }, approver));
}, 120_000);
afterAll(() => closeTestApp(t));

const post = (body: Buffer, type = XLSX) =>
  t.app.inject({
    method: 'POST',
    url: `/payments/cycles/${cycle.id}/reconciliation`,
    headers: { authorization: `Bearer ${district}`, 'content-type': type },
    payload: body,
  });
const writes = async () => {
  const r = await t.db.database.db.execute(`SELECT (SELECT count(*) FROM payment_results)::int AS results, (SELECT count(*) FROM audit_events)::int AS events`);
  return r.rows[0];
};

/** Posts the file and expects 400 VALIDATION_FAILED on `file` with the message, nothing written. */
async function refused(body: Buffer, message: RegExp, type = XLSX) {
  const before = await writes();
  const r = await post(body, type);
  expect(r.statusCode, r.body).toBe(400);
  const error = r.json().error;
  expect(error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'file' });
  expect(error.message).toMatch(message);
  expect(error.messageVi).toMatch(/^file: \S/);
  expect(await writes()).toEqual(before);
  return error;
}

const sheetOf = (rows: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows}</sheetData></worksheet>`;

describe('XLSX zip-bomb guard', () => {
  it('refuses a part declaring a gibibyte from the directory alone, in well under a second', async () => {
    const sheet = { name: 'xl/worksheets/sheet1.xml', deflated: deflatedRepeat(1024), uncompressedSize: 1024 * 1024 * 1024 };
    const body = zip([...workbookParts(), sheet]);
    expect(body.length).toBeLessThan(2 * 1024 * 1024);
    const started = performance.now();
    await refused(body, new RegExp(`inflates to more than ${MAX_XLSX_INFLATED / 1024 / 1024} MiB`));
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses a part that declares 10 KB and inflates to 512 MiB, without holding what it inflates', async () => {
    const sheet = { name: 'xl/worksheets/sheet1.xml', deflated: deflatedRepeat(512), uncompressedSize: 10_000 };
    const body = zip([...workbookParts(), sheet]);
    const heap = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    await refused(body, /is not a readable XLSX file \(part xl\/worksheets\/sheet1\.xml\)/);
    // Streamed and discarded: nowhere near the 512 MiB exceljs would have inflated into memory.
    expect(process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - heap).toBeLessThan(128 * 1024 * 1024);
  });

  it('refuses parts that honestly inflate past the limit together', async () => {
    const parts = [0, 1, 2].map((i) => ({ name: `xl/media/blob${i}.bin`, deflated: deflatedRepeat(100), uncompressedSize: 100 * 1024 * 1024 }));
    await refused(zip([...workbookParts(), ...parts]), /inflates to more than 256 MiB: split it or send it as CSV/);
  });

  it('refuses a sheet of a million rows compressed to kilobytes, before exceljs builds a row', async () => {
    const rows = '<row><c t="inlineStr"><is><t>x</t></is></c></row>'.repeat(1_000_000);
    const body = zip([...workbookParts(), part('xl/worksheets/sheet1.xml', sheetOf(rows))]);
    expect(body.length).toBeLessThan(1024 * 1024);
    await refused(body, new RegExp(`has more than ${MAX_FILE_ROWS} rows: split it`));
  });

  it('refuses a sheet of too many cells in few rows', async () => {
    const row = `<row>${'<c><v>1</v></c>'.repeat(30_000)}</row>`;
    const body = zip([...workbookParts(), part('xl/worksheets/sheet1.xml', sheetOf(row.repeat(100)))]);
    await refused(body, /cells: keep the columns of the reconciliation layout, or split it/);
  });

  it('refuses an archive of thousands of parts', async () => {
    const parts = Array.from({ length: MAX_XLSX_ENTRIES + 1 }, (_, i) => part(`xl/p${i}.xml`, '<a/>'));
    await refused(zip([...workbookParts(), ...parts]), /parts in the archive \(at most 1000\)/);
  });

  it('refuses a body that is not a zip, sent as XLSX', async () => {
    await refused(Buffer.from('PK\u0003\u0004 this is not an archive at all'), /is not a readable XLSX file/);
  });

  it('refuses a body over the upload limit with 413 and the limit named', async () => {
    const r = await post(Buffer.alloc(33 * 1024 * 1024, 0x41), 'text/csv');
    expect(r.statusCode).toBe(413);
    expect(r.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'file', message: 'file: is larger than 32 MiB: split it' });
    expect(r.json().error.messageVi).toContain('32 MiB');
  });

  it('lets a workbook a spreadsheet program writes through, counting its rows and cells', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Kết quả');
    ws.addRow(['Mã dòng chi', 'Trạng thái', 'Mã giao dịch', 'Ngày chi']);
    const line = (cycle.payments as JsonBody[])[0]!.id as string;
    ws.addRow([line, 'PAID', 'VBA-BOMB-1', '20/02/2025']);
    const body = Buffer.from(await wb.xlsx.writeBuffer());
    expect(await checkXlsxUpload(body, MAX_FILE_ROWS)).toMatchObject({ rows: 2, cells: 8 });
    const r = await post(body);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ rows: 1, applied: 1, rejected: 0 });
  });
});
