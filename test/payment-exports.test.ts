/**
 * Officers' exports of payments (docs/integration.md#exports, src/http/payment-exports.ts) through the real app over
 * a demo population with a paid-into cycle: a cycle's lines and the audit findings hold exactly the rows GraphQL
 * answers for the same question, as CSV and as XLSX read back with exceljs; Vietnamese headers by default and
 * English on request; identification and account numbers masked per role; HIV-program lines and findings only for
 * callers who see HIV status; another commune refused as GraphQL refuses it; a page's reads logged.
 */
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoPopulation } from '../seeds/demo.js';
import { officerDateTime } from '../src/http/payment-exports.js';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { assess, enrolAndApprove, flag, household, ok, person } from './support/people.js';

const AS_OF = '2026-11-29';
const PERIOD = '2026-10';
/** A commune after the 2025 merger (Lang Biang – Đà Lạt: the demo's largest commune and 24862), and another one. */
const COMMUNE = '90002';
const OTHER = '90001';
const HIV = /D20_5_3|D20_5_8/;

let t: TestApp;
let district: string;
let cycleId: string;
let hivPerson: string;

const CREATE = `mutation($c: String!, $p: Period!) { createPaymentCycle(communeCode: $c, period: $p) { id payments { id enrolmentId personId } } }`;

beforeAll(async () => {
  t = await startTestApp({
    seed: async (d) => {
      await seedDemoPopulation(d.database, { people: 2500, seed: 5, asOf: AS_OF });
    },
  });
  district = await t.token('district_officer');
  // Someone of the commune paid in an HIV program (Decree 20 art. 5.8), so that the cycle has lines that say HIV.
  const h = await household(t, { commune: COMMUNE, village: '24846.01' });
  hivPerson = await person(t, { dateOfBirth: '1980-03-03', commune: COMMUNE, householdId: h, isHead: true });
  await assess(t, h, 'POOR');
  await flag(t, hivPerson, 'HIV');
  await flag(t, hivPerson, 'NO_STABLE_INCOME');
  const hivEnrolment = await enrolAndApprove(t, hivPerson, 'D20_5_8', '2026-09', COMMUNE);
  // A bank account for one line, so that account masking shows.
  const enrolmentId = String(
    (
      await t.db.database.db.execute(`SELECT e.id FROM enrolments e JOIN persons p ON p.id = e.person_id JOIN programs g ON g.code = e.program_code
       WHERE p.commune_code IN ('24846', '24862') AND p.date_of_death IS NULL AND e.status = 'ACTIVE' AND e.start_month <= '2026-09-01'
         AND e.end_month IS NULL AND g.kind = 'MONTHLY' AND e.program_code NOT IN ('D20_5_3', 'D20_5_8') ORDER BY e.id LIMIT 1`)
    ).rows[0]!.id,
  );
  ok(
    await t.gql(`mutation($input: RecordPaymentRecipientInput!) { recordPaymentRecipient(input: $input) { id } }`, {
      input: { enrolmentId, kind: 'BENEFICIARY', method: 'BANK', accountNo: '0123456789012', provider: 'Agribank Lâm Đồng', validFrom: '2026-01-01' },
    }),
  );
  const cycle = ok(await t.gql(CREATE, { c: COMMUNE, p: PERIOD }), 'createPaymentCycle');
  cycleId = cycle.id;
  expect(cycle.payments.some((l: JsonBody) => l.enrolmentId === hivEnrolment)).toBe(true);
  ok(await t.gql(`mutation($id: ID!) { approvePaymentCycle(id: $id) { id } }`, { id: cycleId }, await t.token('district_officer', [], '', 'approver')));
  const line = cycle.payments.find((l: JsonBody) => l.enrolmentId === enrolmentId);
  ok(
    await t.gql(
      `mutation($id: ID!) { recordPaymentResult(paymentId: $id, status: PAID, reference: "AGR-001", paidAt: "2026-10-20", idempotencyKey: "exp-1") { id } }`,
      { id: line.id },
    ),
  );
  // The HIV person died before the month: a PAID_AFTER_DEATH finding about an HIV program, beside the others.
  ok(await t.gql(`mutation($id: ID!) { recordDeath(personId: $id, dateOfDeath: "2026-09-15") { id } }`, { id: hivPerson }));
}, 180_000);
afterAll(() => closeTestApp(t));

async function get(url: string, token: string, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, ...headers } });
}

function csvRows(body: string): string[][] {
  expect(body.startsWith('\uFEFF')).toBe(true);
  return parse(body, { bom: true });
}

async function xlsxRows(payload: Buffer): Promise<string[][]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(payload as unknown as ArrayBuffer);
  const ws = wb.worksheets[0]!;
  const rows: string[][] = [];
  ws.eachRow({ includeEmpty: false }, (row) => {
    const cells: string[] = [];
    for (let i = 1; i <= ws.columnCount; i++) {
      const v = row.getCell(i).value;
      cells.push(v instanceof Date ? dmy(v.toISOString().slice(0, 10)) : typeof v === 'string' || typeof v === 'number' ? String(v) : '');
    }
    rows.push(cells);
  });
  return rows;
}

const dmy = (iso: string | null) => (iso ? `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}` : '');
const my = (period: string | null) => (period ? `${period.slice(5, 7)}/${period.slice(0, 4)}` : '');
const num = (v: number | null) => (v === null ? '' : String(v));

const LINES = `query($id: ID!, $kinds: [PaymentKind!], $statuses: [PaymentStatus!]) { paymentCycle(id: $id) { payments(kinds: $kinds, statuses: $statuses) {
  id personId programCode period kind amount needsApproval method carriedFrom note status reference paidAt recipient { recipientName accountNo provider } } } }`;

const LINE_HEADER_EN = [
  'Line id',
  'Person id',
  'National id',
  'Full name',
  'Program',
  'Program name',
  'Month',
  'Kind',
  'Amount (VND)',
  'Needs approval',
  'Recipient',
  'Method',
  'Account number',
  'Provider',
  'Carried from',
  'Status',
  'Reference',
  'Paid on',
  'Note',
];

/** GraphQL's answer for a cycle's lines, each with its person and program as GraphQL reads them, as English export rows. */
async function linesByGraphql(token: string, vars: { kinds?: string[]; statuses?: string[] } = {}): Promise<string[][]> {
  const cycle = ok(await t.gql(LINES, { id: cycleId, ...vars }, token), 'paymentCycle');
  const programs = new Map(
    (ok(await t.gql(`{ programs { code nameEn } }`, {}, token), 'programs') as JsonBody[]).map((p) => [p.code as string, p.nameEn as string]),
  );
  const people = new Map<string, JsonBody>();
  for (const id of new Set<string>(cycle.payments.map((l: JsonBody) => l.personId)))
    people.set(id, ok(await t.gql(`query($id: ID!) { person(id: $id) { nationalId fullName } }`, { id }, token), 'person'));
  return (cycle.payments as JsonBody[]).map((l) => [
    l.id,
    l.personId,
    people.get(l.personId)?.nationalId ?? '',
    people.get(l.personId)?.fullName,
    l.programCode,
    programs.get(l.programCode),
    my(l.period),
    l.kind,
    String(l.amount),
    l.needsApproval ? 'yes' : 'no',
    l.recipient?.recipientName ?? '',
    l.method,
    l.recipient?.accountNo ?? '',
    l.recipient?.provider ?? '',
    l.carriedFrom ?? '',
    l.status,
    l.reference ?? '',
    dmy(l.paidAt),
    l.note,
  ]);
}

describe('payment cycle lines export', () => {
  it('the CSV and the XLSX hold the GraphQL answer row for row, with or without filters', async () => {
    for (const [query, vars] of [
      ['', {}],
      ['&statuses=PAID', { statuses: ['PAID'] }],
      ['&kinds=REGULAR,ARREARS&statuses=PENDING', { kinds: ['REGULAR', 'ARREARS'], statuses: ['PENDING'] }],
    ] as const) {
      const expected = await linesByGraphql(district, vars as { kinds?: string[]; statuses?: string[] });
      expect(expected.length).toBeGreaterThan(0);
      const csv = await get(`/exports/payment-cycle-lines.csv?cycleId=${cycleId}${query}&lang=en`, district);
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csv.headers['content-disposition']).toBe(`attachment; filename="khoan-chi-${COMMUNE}-${PERIOD}.csv"`);
      expect(csvRows(csv.body)).toEqual([LINE_HEADER_EN, ...expected]);
      const xlsx = await get(`/exports/payment-cycle-lines.xlsx?cycleId=${cycleId}${query}&lang=en`, district);
      expect(xlsx.statusCode).toBe(200);
      expect(await xlsxRows(xlsx.rawPayload)).toEqual([LINE_HEADER_EN, ...expected]);
    }
    // The full list has the HIV line, the paid line with its bank account in full (a district officer sees it).
    const all = await linesByGraphql(district);
    expect(all.some((r) => HIV.test(r[4]!))).toBe(true);
    expect(all.find((r) => r[15] === 'PAID')).toEqual(expect.arrayContaining(['0123456789012', 'AGR-001', '20/10/2026']));
  });

  it('pages by keyset in GraphQL order: any page size gives every line once', async () => {
    const expected = (await linesByGraphql(district)).map((r) => r[0]);
    for (const size of [1, 7, expected.length, expected.length + 1]) {
      const ids: string[] = [];
      let pages = 0;
      for await (const page of t.app.services.payments.cycleLinePages(cycleId, {}, size)) {
        expect(page.length).toBeLessThanOrEqual(size);
        ids.push(...page.map((l) => l.id));
        pages++;
      }
      expect(ids).toEqual(expected);
      expect(pages).toBe(Math.ceil(expected.length / size));
    }
  });

  it('writes Vietnamese headers and words by default, English on Accept-Language; months mm/yyyy, dates dd/mm/yyyy', async () => {
    const vi = csvRows((await get(`/exports/payment-cycle-lines.csv?cycleId=${cycleId}`, district)).body);
    expect(vi[0]).toEqual([
      'Mã khoản chi',
      'Mã người',
      'Số định danh cá nhân',
      'Họ và tên',
      'Mã chế độ',
      'Chế độ',
      'Tháng',
      'Loại khoản',
      'Số tiền (đồng)',
      'Cần phê duyệt',
      'Người nhận',
      'Hình thức chi',
      'Số tài khoản',
      'Nơi nhận tiền',
      'Chi lại khoản',
      'Trạng thái',
      'Mã tham chiếu',
      'Ngày chi',
      'Diễn giải',
    ]);
    const paid = vi.find((r) => r[15] === 'đã chi');
    expect(paid).toBeDefined();
    expect(paid?.[11]).toBe('tài khoản ngân hàng');
    expect(paid?.[17]).toBe('20/10/2026');
    for (const r of vi.slice(1)) {
      expect(r[6]).toMatch(/^\d{2}\/\d{4}$/);
      expect(['thường kỳ', 'truy lĩnh', 'thu hồi', 'truy trả từ trước tháng quyết định', 'chi lại']).toContain(r[7]);
    }
    const en = csvRows((await get(`/exports/payment-cycle-lines.csv?cycleId=${cycleId}`, district, { 'accept-language': 'en-US,en;q=0.9' })).body);
    expect(en[0]).toEqual(LINE_HEADER_EN);
    const xlsx = await xlsxRows((await get(`/exports/payment-cycle-lines.xlsx?cycleId=${cycleId}`, district)).rawPayload);
    expect(xlsx).toEqual(vi);
  });

  it('masks numbers per role and leaves HIV-program lines out for callers who do not see HIV status, as GraphQL does', async () => {
    const reader = await t.token('integration', [], 'benefits:read', 'integration-reader');
    const hivReader = await t.token('integration', [], 'benefits:read health:hiv person:national_id', 'integration-hiv');
    const auditor = await t.token('auditor');
    for (const [token, seesHiv] of [
      [reader, false],
      [auditor, false],
      [hivReader, true],
    ] as const) {
      const expected = await linesByGraphql(token);
      const rows = csvRows((await get(`/exports/payment-cycle-lines.csv?cycleId=${cycleId}&lang=en`, token)).body).slice(1);
      expect(rows).toEqual(expected);
      expect(rows.some((r) => HIV.test(r[4]!))).toBe(seesHiv);
      const xlsx = await xlsxRows((await get(`/exports/payment-cycle-lines.xlsx?cycleId=${cycleId}&lang=en`, token)).rawPayload);
      expect(xlsx.slice(1)).toEqual(expected);
    }
    // Without person:national_id, identification numbers masked; auditors see accounts masked (they do not pay).
    const masked = csvRows((await get(`/exports/payment-cycle-lines.csv?cycleId=${cycleId}&lang=en`, reader)).body).slice(1);
    const withIds = masked.filter((r) => r[2] !== '');
    expect(withIds.length).toBeGreaterThan(0);
    for (const r of withIds) expect(r[2]).toMatch(/^\d{3}\*{6}\d{3}$/);
    const audited = csvRows((await get(`/exports/payment-cycle-lines.csv?cycleId=${cycleId}&lang=en`, auditor)).body).slice(1);
    expect(audited.find((r) => r[15] === 'PAID')?.[12]).toBe('*********9012');
    for (const r of audited.filter((x) => x[2] !== '')) expect(r[2]).toMatch(/^\d{12}$/);
  });

  it('another commune’s cycle is NOT_FOUND, as GraphQL answers null; integration needs benefits:read; bad input is bilingual JSON', async () => {
    const officer = await t.token('commune_officer', [OTHER]);
    expect(ok(await t.gql(`query($id: ID!) { paymentCycle(id: $id) { id } }`, { id: cycleId }, officer), 'paymentCycle')).toBeNull();
    for (const ext of ['csv', 'xlsx']) {
      const r = await get(`/exports/payment-cycle-lines.${ext}?cycleId=${cycleId}`, officer);
      expect(r.statusCode).toBe(404);
      expect(r.json().error.code).toBe('NOT_FOUND');
      // Said as of an unknown cycle, word for word: the answer does not tell that it exists.
      const nobody = '00000000-0000-4000-8000-000000000000';
      const unknown = await get(`/exports/payment-cycle-lines.${ext}?cycleId=${nobody}`, officer);
      expect(unknown.statusCode).toBe(404);
      expect(JSON.stringify(unknown.json()).replaceAll(nobody, 'ID')).toBe(JSON.stringify(r.json()).replaceAll(cycleId, 'ID'));
    }
    const own = await t.token('commune_officer', [COMMUNE]);
    expect(csvRows((await get(`/exports/payment-cycle-lines.csv?cycleId=${cycleId}&lang=en`, own)).body).slice(1)).toEqual(await linesByGraphql(own));
    const noScope = await t.token('integration', [], '');
    const g = await t.gql(`query($id: ID!) { paymentCycle(id: $id) { id } }`, { id: cycleId }, noScope);
    expect(g.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const refused = await get(`/exports/payment-cycle-lines.csv?cycleId=${cycleId}`, noScope);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({ code: 'FORBIDDEN', message: g.body.errors[0].message, messageVi: g.body.errors[0].extensions.messageVi });
    const bad = await get(`/exports/payment-cycle-lines.csv?cycleId=nope&kinds=REGULAR,GIFT&lang=fr`, district);
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/json/);
    expect(bad.json().error.messageVi).toBeTruthy();
    expect((bad.json().error.problems as { field: string }[]).map((p) => p.field).sort()).toEqual(['cycleId', 'kinds', 'lang']);
    expect((await t.app.inject({ method: 'GET', url: `/exports/payment-cycle-lines.csv?cycleId=${cycleId}` })).statusCode).toBe(401);
  });

  it('logs, page by page, the financial and health data (and HIV status) a file shows of each person', async () => {
    const events = async () =>
      (await t.db.database.db.execute(`SELECT field_groups, person_ids FROM access_events WHERE operation = 'export' ORDER BY id`)).rows;
    const before = (await events()).length;
    const rows = csvRows((await get(`/exports/payment-cycle-lines.csv?cycleId=${cycleId}&lang=en`, district)).body).slice(1);
    const logged = (await events()).slice(before);
    expect(logged.length).toBeGreaterThan(0);
    expect([...new Set(logged.flatMap((e) => e.field_groups as string[]))].sort()).toEqual(['financial', 'health', 'hiv']);
    expect(new Set(logged.flatMap((e) => e.person_ids as string[]))).toEqual(new Set(rows.map((r) => r[1])));
  });
});

const FINDINGS = `query($c: String, $from: Period!, $to: Period!, $kinds: [FindingKind!], $after: String) {
  auditFindings(communeCode: $c, from: $from, to: $to, kinds: $kinds, first: 500, after: $after) { pageInfo { hasNextPage endCursor }
    nodes { key kind communeCode period programCode personIds enrolmentIds paymentIds communes amount expectedAmount detail detailVi evidence
      review { note reviewedBy reviewedAt } } } }`;

const FINDING_HEADER_EN = [
  'Key',
  'Kind',
  'Commune code',
  'Month',
  'Program',
  'Person ids',
  'Enrolment ids',
  'Payment ids',
  'Communes',
  'Amount (VND)',
  'Expected amount (VND)',
  'Detail',
  'Evidence',
  'Reviewed by',
  'Reviewed at',
  'Review note',
];

/** Every page of GraphQL auditFindings, as English export rows. */
async function findingsByGraphql(token: string, vars: { c?: string | null; kinds?: readonly string[] }): Promise<string[][]> {
  const rows: string[][] = [];
  let after: string | null = null;
  for (;;) {
    const page = ok(await t.gql(FINDINGS, { from: '2026-09', to: PERIOD, ...vars, after }, token), 'auditFindings');
    for (const f of page.nodes as JsonBody[])
      rows.push([
        f.key,
        f.kind,
        f.communeCode ?? '',
        my(f.period),
        f.programCode ?? '',
        f.personIds.join('; '),
        f.enrolmentIds.join('; '),
        f.paymentIds.join('; '),
        f.communes.join('; '),
        num(f.amount),
        num(f.expectedAmount),
        f.detail,
        JSON.stringify(f.evidence),
        f.review?.reviewedBy ?? '',
        f.review ? officerDateTime(new Date(f.review.reviewedAt)) : '',
        f.review?.note ?? '',
      ]);
    if (!page.pageInfo.hasNextPage) return rows;
    after = page.pageInfo.endCursor;
  }
}

describe('audit findings export', () => {
  beforeAll(async () => {
    // A reviewed finding, so that the review columns are filled.
    const [first] = await findingsByGraphql(district, { c: COMMUNE });
    ok(
      await t.gql(`mutation($c: String!, $k: String!) { reviewAuditFinding(communeCode: $c, key: $k, note: "Đã kiểm tra, đúng") { key } }`, {
        c: COMMUNE,
        k: first![0],
      }),
    );
  }, 120_000);

  it('the CSV and the XLSX hold every page of GraphQL auditFindings, for a commune, every commune and some kinds', async () => {
    for (const [query, vars] of [
      [`communeCode=${COMMUNE}`, { c: COMMUNE }],
      ['', {}],
      [`communeCode=${COMMUNE}&kinds=PAID_AFTER_DEATH,AMOUNT_MISMATCH`, { c: COMMUNE, kinds: ['PAID_AFTER_DEATH', 'AMOUNT_MISMATCH'] }],
    ] as const) {
      const expected = await findingsByGraphql(district, vars);
      expect(expected.length).toBeGreaterThan(0);
      const csv = await get(`/exports/audit-findings.csv?${query}&from=2026-09&to=${PERIOD}&lang=en`, district);
      expect(csv.statusCode).toBe(200);
      expect(csvRows(csv.body)).toEqual([FINDING_HEADER_EN, ...expected]);
      const xlsx = await get(`/exports/audit-findings.xlsx?${query}&from=09/2026&to=10/2026&lang=en`, district);
      expect(xlsx.statusCode).toBe(200);
      expect(await xlsxRows(xlsx.rawPayload)).toEqual([FINDING_HEADER_EN, ...expected]);
    }
    const mine = await findingsByGraphql(district, { c: COMMUNE });
    expect(mine.some((r) => r[15] === 'Đã kiểm tra, đúng')).toBe(true);
    expect(mine.some((r) => r[1] === 'PAID_AFTER_DEATH' && HIV.test(r[4]!))).toBe(true);
  });

  it('writes Vietnamese headers and words by default', async () => {
    const vi = csvRows((await get(`/exports/audit-findings.csv?communeCode=${COMMUNE}&from=2026-09&to=${PERIOD}`, district)).body);
    expect(vi[0]?.slice(0, 5)).toEqual(['Mã phát hiện', 'Loại phát hiện', 'Mã xã', 'Tháng', 'Mã chế độ']);
    expect(vi.some((r) => r[1] === 'chi sau khi mất')).toBe(true);
    const reviewed = vi.find((r) => r[15] === 'Đã kiểm tra, đúng');
    expect(reviewed?.[14]).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/);
  });

  it('leaves HIV-program findings out for callers who do not see HIV status, as GraphQL does', async () => {
    for (const [token, seesHiv] of [
      [await t.token('auditor'), false],
      [await t.token('integration', [], 'benefits:read', 'integration-reader'), false],
      [await t.token('integration', [], 'benefits:read health:hiv', 'integration-hiv'), true],
    ] as const) {
      const expected = await findingsByGraphql(token, { c: COMMUNE });
      const rows = csvRows((await get(`/exports/audit-findings.csv?communeCode=${COMMUNE}&from=2026-09&to=${PERIOD}&lang=en`, token)).body).slice(1);
      expect(rows).toEqual(expected);
      expect(rows.some((r) => HIV.test(r[4]!))).toBe(seesHiv);
    }
  });

  it('another commune is FORBIDDEN, as GraphQL answers; bad months are bilingual JSON', async () => {
    const officer = await t.token('commune_officer', [OTHER]);
    const g = await t.gql(FINDINGS, { c: COMMUNE, from: '2026-09', to: PERIOD }, officer);
    expect(g.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    for (const ext of ['csv', 'xlsx']) {
      const r = await get(`/exports/audit-findings.${ext}?communeCode=${COMMUNE}&from=2026-09&to=${PERIOD}`, officer);
      expect(r.statusCode).toBe(403);
      expect(r.json().error).toMatchObject({ code: 'FORBIDDEN', message: g.body.errors[0].message, messageVi: g.body.errors[0].extensions.messageVi });
    }
    // Their own communes they get, as GraphQL answers them.
    const own = csvRows((await get(`/exports/audit-findings.csv?from=2026-09&to=${PERIOD}&lang=en`, officer)).body).slice(1);
    expect(own).toEqual(await findingsByGraphql(officer, {}));
    const bad = await get(`/exports/audit-findings.csv?from=2026-13&to=${PERIOD}&kinds=NOPE`, district);
    expect(bad.statusCode).toBe(400);
    expect((bad.json().error.problems as { field: string }[]).map((p) => p.field).sort()).toEqual(['kinds']);
    const months = await get(`/exports/audit-findings.csv?from=2026-13&to=${PERIOD}`, district);
    expect(months.statusCode).toBe(400);
    expect(months.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'from' });
    expect(months.json().error.messageVi).toBeTruthy();
  });
});

describe('OpenAPI document', () => {
  it('lists the payment exports', async () => {
    const paths = Object.keys((await t.app.inject({ method: 'GET', url: '/docs/json' })).json().paths as object);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/exports/payment-cycle-lines.csv',
        '/exports/payment-cycle-lines.xlsx',
        '/exports/audit-findings.csv',
        '/exports/audit-findings.xlsx',
      ]),
    );
  });
});
