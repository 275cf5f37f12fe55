/**
 * Exchange files through the real app (docs/payments.md#exchange-files): the payment file of an approved cycle as
 * CSV and XLSX (lines, totals, recoveries apart, accounts masked per role), refused before approval and unknown to
 * an officer of another commune; the reconciliation file applies its valid rows, returns exactly the bad ones with
 * reasons, changes nothing when imported again, and no garbage row is ever applied or answered with a 500.
 */
import { textProblem } from '../src/core/text.js';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../src/logging.js';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { household, ok, person } from './support/people.js';

const logLines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    logLines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});

let t: TestApp;
let approver: string;
let district: string;
const COMMUNE = '24846';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const CYCLE = `mutation($c: String!, $p: Period!) { createPaymentCycle(communeCode: $c, period: $p) { id payments { id kind amount personId } } }`;
const APPROVE = `mutation($id: ID!) { approvePaymentCycle(id: $id) { id status } }`;

let feb: JsonBody;
let march: JsonBody;
let enrolments: string[] = [];

async function enrolDisabled(name: string): Promise<string> {
  const h = await household(t, { commune: COMMUNE });
  const personId = await person(t, { dateOfBirth: '1980-02-03', householdId: h, isHead: true, commune: COMMUNE });
  ok(
    await t.gql(
      `mutation($id: ID!, $no: String!) { recordDisability(input: { personId: $id, level: SEVERE, certificateNo: $no, issuedOn: "2024-01-10" }) { id } }`,
      { id: personId, no: `GXN-${name}-${personId.slice(0, 8)}` },
    ),
  );
  const e = ok(
    await t.gql(`mutation($input: EnrolInput!) { enrol(input: $input) { id } }`, {
      input: { personId, programCode: 'D20_5_6', decisionNo: `QĐ-${personId.slice(0, 6)}`, decisionDate: '2025-01-05', startPeriod: '2025-01' },
    }),
    'enrol',
  );
  ok(await t.gql(`mutation { approveEnrolment(id: "${e.id}") { id } }`, {}, approver));
  return e.id as string;
}

beforeAll(async () => {
  t = await startTestApp({ logger: pino(loggerOptions('info'), sink) });
  approver = await t.token('district_officer', [], '', 'district-approver');
  district = await t.token('district_officer');
  enrolments = [await enrolDisabled('a'), await enrolDisabled('b'), await enrolDisabled('c')];
  ok(
    await t.gql(
      `mutation($input: RecordPaymentRecipientInput!) { recordPaymentRecipient(input: $input) { id } }`,
      {
        input: {
          enrolmentId: enrolments[0],
          kind: 'BENEFICIARY',
          method: 'BANK',
          accountNo: '0123456789',
          provider: 'Agribank Lâm Đồng',
          validFrom: '2025-01-01',
        },
      },
      await t.token('commune_officer', [COMMUNE]),
    ),
  );
  feb = ok(await t.gql(CYCLE, { c: COMMUNE, p: '2025-02' }), 'createPaymentCycle');
  ok(await t.gql(APPROVE, { id: feb.id }, approver));
  // The first enrolment ends with January, after February was made: March recovers February's payment.
  ok(await t.gql(`mutation { endEnrolment(id: "${enrolments[0]}", endPeriod: "2025-01", reason: "Thử nghiệm: chấm dứt từ tháng 2") { id } }`, {}, approver));
  march = ok(await t.gql(CYCLE, { c: COMMUNE, p: '2025-03' }), 'createPaymentCycle');
}, 120_000);
afterAll(() => closeTestApp(t));

const get = (url: string, token?: string) => t.app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
const postFile = (cycleId: string, body: string | Buffer, type = 'text/csv', token = district) =>
  t.app.inject({
    method: 'POST',
    url: `/payments/cycles/${cycleId}/reconciliation`,
    headers: { authorization: `Bearer ${token}`, 'content-type': type },
    payload: body,
  });
const count = async (q: string) => Number((await t.db.database.db.execute(q)).rows[0]!.n);
const resultCount = () => count(`SELECT count(*)::int AS n FROM payment_results`);
const auditCount = () => count(`SELECT count(*)::int AS n FROM audit_events`);

describe('payment file export', () => {
  it('refuses a cycle not approved yet, with the REST error shape', async () => {
    const r = await get(`/payments/cycles/${march.id}/export.csv`, district);
    expect(r.statusCode).toBe(409);
    expect(r.json().error).toMatchObject({ code: 'CONFLICT', field: 'id', messageVi: expect.stringContaining('chưa được phê duyệt') });
  });

  it('exports the lines to pay as CSV with a total row; recoveries apart; Vietnamese by default, English on request', async () => {
    ok(await t.gql(APPROVE, { id: march.id }, approver));
    const kinds = march.payments.map((p: JsonBody) => p.kind).sort();
    expect(kinds).toEqual(['RECOVERY', 'REGULAR', 'REGULAR']);
    const r = await get(`/payments/cycles/${march.id}/export.csv`, district);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/csv/);
    expect(r.headers['content-disposition']).toBe(`attachment; filename="chi-tra-${COMMUNE}-2025-03.csv"`);
    expect(r.body.startsWith('\uFEFF')).toBe(true);
    const rows: string[][] = parse(r.body, { bom: true });
    expect(rows[0]).toEqual([
      'Mã dòng chi',
      'Họ tên người nhận',
      'Hình thức chi trả',
      'Số tài khoản',
      'Ngân hàng / đơn vị chi trả',
      'Số tiền (đồng)',
      'Tháng',
      'Loại khoản chi',
      'Mã chế độ',
      'Chế độ',
      'Họ tên người hưởng',
      'Số định danh (che)',
    ]);
    const lines = rows.slice(1, -1);
    const regular = march.payments.filter((p: JsonBody) => p.kind === 'REGULAR');
    expect(lines.map((l) => l[0]).sort()).toEqual(regular.map((p: JsonBody) => p.id).sort());
    for (const l of lines) {
      expect(l.slice(2, 9)).toEqual(['CASH', '', '', '750000', '2025-03', 'REGULAR', 'D20_5_6']);
      expect(l[11]).toMatch(/^068\*{6}\d{3}$/);
    }
    expect(rows.at(-1)?.slice(0, 2)).toEqual(['TỔNG CỘNG', '2']);
    expect(rows.at(-1)?.[5]).toBe('1500000');
    const en: string[][] = parse((await get(`/payments/cycles/${march.id}/export.csv?lang=en`, district)).body, { bom: true });
    expect(en[0]?.slice(0, 2)).toEqual(['Line id', 'Recipient name']);
    expect(en.at(-1)?.[0]).toBe('TOTAL');
    const bad = await get(`/payments/cycles/${march.id}/export.csv?lang=fr`, district);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'lang' });
  });

  it('exports XLSX: lines to pay with totals, the recovery on a sheet of its own, control totals; accounts per role', async () => {
    const r = await get(`/payments/cycles/${feb.id}/export.xlsx`, district);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe(XLSX);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.rawPayload as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Chi trả', 'Thu hồi', 'Tổng kiểm soát']);
    const values = (ws: ExcelJS.Worksheet) =>
      ws
        .getSheetValues()
        .filter(Boolean)
        .map((row) => (row as unknown[]).slice(1));
    const sheet = values(wb.worksheets[0]!);
    expect(sheet).toHaveLength(5);
    const bank = sheet.find((row) => row[2] === 'BANK');
    expect(bank?.slice(3, 6)).toEqual(['0123456789', 'Agribank Lâm Đồng', 750_000]);
    expect(sheet.at(-1)?.slice(0, 6)).toEqual(['TỔNG CỘNG', 3, undefined, undefined, undefined, 2_250_000]);
    expect(values(wb.worksheets[1]!)).toHaveLength(2);

    const m = await get(`/payments/cycles/${march.id}/export.xlsx?lang=en`, district);
    const wm = new ExcelJS.Workbook();
    await wm.xlsx.load(m.rawPayload as unknown as ArrayBuffer);
    const recoveries = values(wm.getWorksheet('Recoveries')!);
    expect(recoveries.slice(1, -1).map((row) => [row[5], row[6], row[7]])).toEqual([[-750_000, '2025-02', 'RECOVERY']]);
    expect(values(wm.getWorksheet('Payments')!)).toHaveLength(4);
    const totals = values(wm.getWorksheet('Control totals')!);
    expect(totals).toContainEqual(['To pay', 2, 1_500_000]);
    expect(totals).toContainEqual(['To recover', 1, -750_000]);

    const auditor = await t.token('auditor');
    const seen: string[][] = parse((await get(`/payments/cycles/${feb.id}/export.csv`, auditor)).body, { bom: true });
    expect(seen.map((row) => row[3])).toContain('******6789');
    expect(seen.map((row) => row[3])).not.toContain('0123456789');
  });

  it('answers 404 to an officer of another commune, 401 without a token, 400 for a bad id', async () => {
    const other = await get(`/payments/cycles/${feb.id}/export.csv`, await t.token('commune_officer', ['24880']));
    expect(other.statusCode).toBe(404);
    expect(other.json().error.code).toBe('NOT_FOUND');
    expect((await get(`/payments/cycles/${feb.id}/export.csv`, await t.token('commune_officer', [COMMUNE]))).statusCode).toBe(200);
    expect((await get(`/payments/cycles/${feb.id}/export.xlsx`)).statusCode).toBe(401);
    expect((await get(`/payments/cycles/not-an-id/export.csv`, district)).statusCode).toBe(400);
  });

  it('refuses a cycle whose lines no longer match its control totals', async () => {
    const april = ok(await t.gql(CYCLE, { c: COMMUNE, p: '2025-04' }), 'createPaymentCycle');
    ok(await t.gql(APPROVE, { id: april.id }, approver));
    // What a bug (or a hand-written statement) could do: a line added after approval.
    await t.db.database.db.execute(
      `INSERT INTO payments (cycle_id, enrolment_id, person_id, program_code, period, kind, amount, method, note, note_vi)
       SELECT cycle_id, enrolment_id, person_id, program_code, period, 'ARREARS', 1000, method, 'test', 'test' FROM payments WHERE cycle_id = '${april.id}' LIMIT 1`,
    );
    const r = await get(`/payments/cycles/${april.id}/export.csv`, district);
    expect(r.statusCode).toBe(409);
    expect(r.json().error.message).toMatch(/no longer match the control totals/);
  });
});

describe('reconciliation file', () => {
  const csv = (rows: string[][]) => stringify([['line_id', 'status', 'bank_reference', 'date'], ...rows]);

  it('applies the valid rows in one go, returns exactly the two bad rows with reasons, and changes nothing the second time', async () => {
    const ids: string[] = feb.payments.map((p: JsonBody) => p.id);
    const file = csv([
      [ids[0]!, 'PAID', 'VBA-0001', '20/02/2025'],
      ['00000000-0000-4000-8000-000000000000', 'PAID', 'VBA-0002', '20/02/2025'],
      [ids[1]!, 'PAID', 'VBA-0003', '2025-02-21'],
      [ids[2]!, 'FAILED', 'VBA-ERR-4', '31/12/2099'],
      [march.payments[0].id, 'PAID', 'VBA-0005', '2025-03-20'],
    ]);
    const before = await resultCount();
    const r = await postFile(feb.id, file);
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ cycleId: feb.id, rows: 5, applied: 2, unchanged: 0, rejected: 3 });
    expect(body.rejectedRows.map((x: JsonBody) => [x.row, x.reason])).toEqual([
      [3, 'Line id: no payment line has this id'],
      [5, 'Date: is in the future'],
      [6, 'Line id: the line belongs to another cycle'],
    ]);
    expect(body.rejectedRows[0].reasonVi).toBe('Mã dòng chi: không có dòng chi nào có mã này');
    const errors: string[][] = parse(body.errorFile, { bom: true });
    expect(errors[0]).toEqual(['line_id', 'status', 'bank_reference', 'date', 'Lý do', 'Reason']);
    expect(errors.slice(1).map((row) => row[2])).toEqual(['VBA-0002', 'VBA-ERR-4', 'VBA-0005']);
    expect(await resultCount()).toBe(before + 2);
    const status = await t.gql(`query($id: ID!) { paymentCycle(id: $id) { payments { id status reference paidAt } } }`, { id: feb.id });
    expect(ok(status, 'paymentCycle').payments.find((p: JsonBody) => p.id === ids[0])).toMatchObject({
      status: 'PAID',
      reference: 'VBA-0001',
      paidAt: '2025-02-20',
    });

    // The log has the counts, never a name or a bank reference.
    const logged = logLines.map((l) => JSON.parse(l));
    expect(logged.find((l) => l.msg === 'reconciliation imported')).toMatchObject({ cycleId: feb.id, rows: 5, applied: 2, rejected: 3 });
    expect(logLines.join('\n')).not.toMatch(/VBA-|Cil Ka/);

    const events = await auditCount();
    const again = (await postFile(feb.id, file)).json();
    expect(again).toMatchObject({ rows: 5, applied: 0, unchanged: 2, rejected: 3 });
    expect(await resultCount()).toBe(before + 2);
    expect(await auditCount()).toBe(events);
  });

  it('rejects a row contradicting the recorded result, and reads XLSX with Vietnamese headers', async () => {
    const ids: string[] = feb.payments.map((p: JsonBody) => p.id);
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Kết quả');
    ws.addRow(['Mã dòng chi', 'Trạng thái', 'Mã giao dịch', 'Ngày chi']);
    ws.addRow([ids[0], 'FAILED', 'VBA-0001-X', new Date(Date.UTC(2025, 1, 22))]);
    ws.addRow([ids[2], 'PAID', 'VBA-0009', '22/02/2025']);
    const body = Buffer.from(await wb.xlsx.writeBuffer());
    const r = (await postFile(feb.id, body, XLSX)).json();
    expect(r).toMatchObject({ rows: 2, applied: 1, rejected: 1 });
    expect(r.rejectedRows[0]).toMatchObject({ row: 2, reason: expect.stringContaining('already PAID (VBA-0001): it cannot become FAILED') });
    const forbidden = await postFile(feb.id, csv([]), 'text/csv', await t.token('commune_officer', [COMMUNE]));
    expect(forbidden.statusCode).toBe(403);
    const noColumns = await postFile(feb.id, 'a,b\n1,2\n');
    expect(noColumns.statusCode).toBe(400);
    expect(noColumns.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'file.lineId' });
  });

  it('records each result once when the same file is imported twice at the same time', async () => {
    const june = ok(await t.gql(CYCLE, { c: COMMUNE, p: '2025-06' }), 'createPaymentCycle');
    ok(await t.gql(APPROVE, { id: june.id }, approver));
    const exported: string[][] = parse((await get(`/payments/cycles/${june.id}/export.csv`, district)).body, { bom: true });
    const file = csv(exported.slice(1, -1).map((row, i) => [row[0]!, 'PAID', `VBA-J-${i}`, '2025-06-20']));
    const before = await resultCount();
    const both = (await Promise.all([postFile(june.id, file), postFile(june.id, file)])).map((r) => r.json<Record<string, number>>());
    const sum = (k: string) => both.reduce((s, x) => s + (x[k] ?? NaN), 0);
    expect([sum('applied'), sum('unchanged'), sum('rejected')]).toEqual([2, 2, 0]);
    expect(await resultCount()).toBe(before + 2);
  });

  it('never applies a bad row and never answers 500, whatever garbage the rows hold', async () => {
    // A cycle with pending lines: a row that were wrongly applied would show as a new result.
    const may = ok(await t.gql(CYCLE, { c: COMMUNE, p: '2025-05' }), 'createPaymentCycle');
    ok(await t.gql(APPROVE, { id: may.id }, approver));
    const ids: string[] = may.payments.map((p: JsonBody) => p.id);
    const garbage = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom('', ' ', '\u0000', '\t', 'NULL', '=1+1', '"', '\r\n', 'VBA\u0085'),
      fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
      fc.constantFrom('9999-12-31', '0001-01-01', '1900-01-01', '31/02/2025', '00/00/0000', '2025-13-01', '1e308', 'Infinity'),
    );
    const good = {
      lineId: fc.constantFrom(...ids),
      status: fc.constantFrom('PAID', 'FAILED'),
      reference: fc.constant('VBA-OK'),
      date: fc.constant('2025-05-20'),
    };
    const badRow = fc
      .record({ field: fc.constantFrom('lineId', 'status', 'reference', 'date'), junk: garbage, lineId: good.lineId, status: good.status, date: good.date })
      // Junk that happens to be a valid value of its column is not junk.
      .filter(({ field, junk }) => !(field === 'status' && ['PAID', 'FAILED', 'RETURNED'].includes(junk.trim().toUpperCase())))
      // Cells are trimmed, then checked by the project's text rule (core/text.ts), as the service does.
      .filter(({ field, junk }) => !(field === 'reference' && junk.trim().length > 0 && textProblem(junk.trim(), { max: 100, multiline: false }) === undefined))
      .filter(
        ({ field, junk }) =>
          !(field === 'date' && /^(\d{4}-\d{2}-\d{2}|\d{1,2}\/\d{1,2}\/\d{4})$/.test(junk.trim()) && junk.trim() >= '2025-05' && junk.trim() <= '2026'),
      )
      .map(({ field, junk, lineId, status, date }) => {
        const row: Record<string, string> = { lineId, status, reference: 'VBA-OK', date };
        row[field] = junk;
        return [row.lineId!, row.status!, row.reference!, row.date!];
      });
    const before = await resultCount();
    let read = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(badRow, { minLength: 1, maxLength: 5 }), async (rows) => {
        const r = await postFile(may.id, csv(rows));
        expect(r.statusCode, `${r.body} for ${JSON.stringify(rows)}`).toBeLessThan(500);
        if (r.statusCode !== 200) {
          expect(r.json().error.code).toBe('VALIDATION_FAILED');
          return;
        }
        read += 1;
        expect(r.json(), JSON.stringify(rows)).toMatchObject({ rows: rows.length, applied: 0, unchanged: 0, rejected: rows.length });
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 40) },
    );
    // Most files are read (a 400 is a file that does not parse as CSV at all).
    expect(read).toBeGreaterThan(20);
    expect(await resultCount()).toBe(before);
  });
});
