/**
 * Exports (docs/integration.md#exports) through the real app over a demo population: each file holds exactly the
 * rows GraphQL answers for the same question, page after page (ids, names, dates, masked numbers per role), as CSV
 * and as XLSX read back with exceljs; headers in Vietnamese or English; a commune officer is refused another
 * commune as GraphQL refuses them; integration clients without the scope get masked numbers; errors before the
 * file are bilingual JSON. The OpenAPI document and its page at /docs.
 */
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoPopulation } from '../seeds/demo.js';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { ok } from './support/people.js';

const AS_OF = '2026-11-29';
/** The demo's largest commune (Lạc Dương's first), and another one. */
const COMMUNE = '24846';
const OTHER = '24862';

let t: TestApp;
let district: string;

beforeAll(async () => {
  t = await startTestApp({
    seed: async (d) => {
      await seedDemoPopulation(d.database, { people: 2500, seed: 5, asOf: AS_OF });
    },
  });
  district = await t.token('district_officer');
}, 120_000);
afterAll(() => closeTestApp(t));

async function get(url: string, token: string, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, ...headers } });
}

/** A CSV export as rows of text (the header row first). */
function csvRows(body: string): string[][] {
  expect(body.startsWith('\uFEFF')).toBe(true);
  const rows: string[][] = parse(body, { bom: true });
  return rows;
}

/** The first sheet of an XLSX export as rows of cell values (dates as yyyy-mm-dd, read back from date cells). */
async function xlsxRows(payload: Buffer): Promise<string[][]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(payload as unknown as ArrayBuffer);
  const ws = wb.worksheets[0]!;
  const rows: string[][] = [];
  ws.eachRow({ includeEmpty: false }, (row) => {
    const cells: string[] = [];
    for (let i = 1; i <= ws.columnCount; i++) {
      const v = row.getCell(i).value;
      // Exports write text, numbers and dates only.
      cells.push(v instanceof Date ? dmy(v.toISOString().slice(0, 10)) : typeof v === 'string' || typeof v === 'number' ? String(v) : '');
    }
    rows.push(cells);
  });
  return rows;
}

const dmy = (iso: string | null) => (iso ? `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}` : '');

const PERSON = `id nationalId fullName dateOfBirth sex ethnicity communeCode relationToHead dateOfDeath household { code } groups(asOf: "${AS_OF}")`;

/** A person of a GraphQL answer as the row an English export writes for them. */
const personRow = (p: JsonBody): string[] => [
  p.id,
  p.nationalId ?? '',
  p.fullName,
  dmy(p.dateOfBirth),
  p.sex,
  p.ethnicity ?? '',
  p.communeCode,
  p.household?.code ?? '',
  p.relationToHead ?? '',
  dmy(p.dateOfDeath),
  (p.groups as string[]).join('; '),
];

/** Every page of GraphQL `beneficiaries` with these arguments, as export rows. */
async function beneficiariesByGraphql(args: string, token: string): Promise<string[][]> {
  const rows: string[][] = [];
  let after: string | null = null;
  for (;;) {
    const r = await t.gql(
      `query($after: String) { beneficiaries(${args}, asOf: "${AS_OF}", first: 200, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${PERSON} } } }`,
      { after },
      token,
    );
    const page = ok(r, 'beneficiaries');
    rows.push(...(page.nodes as JsonBody[]).map(personRow));
    if (!page.pageInfo.hasNextPage) return rows;
    after = page.pageInfo.endCursor;
  }
}

const PERSON_HEADER_EN = [
  'Person id',
  'National id',
  'Full name',
  'Date of birth',
  'Sex',
  'Ethnicity',
  'Commune code',
  'Household code',
  'Relation to head',
  'Date of death',
  'Beneficiary groups',
];

describe('beneficiaries export', () => {
  it.each([
    ['every group', `communeCode=${COMMUNE}`, `communeCode: "${COMMUNE}"`],
    ['one group', `communeCode=${COMMUNE}&group=ELDERLY`, `communeCode: "${COMMUNE}", group: ELDERLY`],
    ['one program', `communeCode=${COMMUNE}&programCode=D20_5_6`, `communeCode: "${COMMUNE}", programCode: "D20_5_6"`],
    ['a name search', `communeCode=${COMMUNE}&search=thi`, `communeCode: "${COMMUNE}", search: "thi"`],
  ])('%s: the CSV and the XLSX hold the GraphQL answer row for row', async (_name, query, args) => {
    const expected = await beneficiariesByGraphql(args, district);
    expect(expected.length).toBeGreaterThan(0);
    const csv = await get(`/exports/beneficiaries.csv?${query}&asOf=${AS_OF}&lang=en`, district);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="nguoi-huong-${COMMUNE}-${AS_OF}.csv"`);
    expect(csvRows(csv.body)).toEqual([PERSON_HEADER_EN, ...expected]);
    const xlsx = await get(`/exports/beneficiaries.xlsx?${query}&asOf=${AS_OF}&lang=en`, district);
    expect(xlsx.statusCode).toBe(200);
    expect(await xlsxRows(xlsx.rawPayload)).toEqual([PERSON_HEADER_EN, ...expected]);
  });

  it('pages through the database by keyset: any page size gives the same rows as GraphQL, each once', async () => {
    const expected = await beneficiariesByGraphql(`communeCode: "${COMMUNE}"`, district);
    const principal = await t.app.services.auth.authenticate(`Bearer ${district}`);
    for (const size of [1, 7, 200, expected.length, expected.length + 1]) {
      const { pages } = t.app.services.registry.beneficiaryPages(principal, { communeCode: COMMUNE, asOf: AS_OF }, size);
      const ids: string[] = [];
      let count = 0;
      for await (const page of pages) {
        expect(page.length).toBeLessThanOrEqual(size);
        ids.push(...page.map((p) => p.id));
        count++;
      }
      expect(ids).toEqual(expected.map((r) => r[0]));
      expect(count).toBe(Math.ceil(expected.length / size));
    }
  });

  it('writes Vietnamese headers and words by default, English on ?lang=en or Accept-Language, dates as dd/mm/yyyy', async () => {
    const vi = csvRows((await get(`/exports/beneficiaries.csv?communeCode=${COMMUNE}&group=ELDERLY&asOf=${AS_OF}`, district)).body);
    expect(vi[0]).toEqual([
      'Mã người',
      'Số định danh cá nhân',
      'Họ và tên',
      'Ngày sinh',
      'Giới tính',
      'Dân tộc',
      'Mã xã',
      'Mã hộ',
      'Quan hệ với chủ hộ',
      'Ngày mất',
      'Nhóm đối tượng',
    ]);
    for (const r of vi.slice(1)) {
      expect(r[3]).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
      expect(['nam', 'nữ']).toContain(r[4]);
      expect(r[10]).toContain('người cao tuổi');
    }
    const accept = csvRows(
      (await get(`/exports/beneficiaries.csv?communeCode=${COMMUNE}&asOf=${AS_OF}`, district, { 'accept-language': 'en-GB,en;q=0.8' })).body,
    );
    expect(accept[0]).toEqual(PERSON_HEADER_EN);
    // An explicit ?lang wins over the browser's language.
    const both = csvRows((await get(`/exports/beneficiaries.csv?communeCode=${COMMUNE}&asOf=${AS_OF}&lang=vi`, district, { 'accept-language': 'en' })).body);
    expect(both[0]?.[0]).toBe('Mã người');
    // dd/mm/yyyy is also accepted in the query, for the same answer.
    const dmyAsOf = await get(`/exports/beneficiaries.csv?communeCode=${COMMUNE}&asOf=${dmy(AS_OF)}&lang=en`, district);
    expect(dmyAsOf.body).toBe((await get(`/exports/beneficiaries.csv?communeCode=${COMMUNE}&asOf=${AS_OF}&lang=en`, district)).body);
  });

  it('refuses bad parameters before the file starts, as bilingual JSON naming each field', async () => {
    const r = await get(`/exports/beneficiaries.xlsx?group=OLD&asOf=2026-02-30&lang=fr`, district);
    expect(r.statusCode).toBe(400);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const body = r.json();
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.messageVi).toBeTruthy();
    expect((body.error.problems as { field: string }[]).map((p) => p.field).sort()).toEqual(['asOf', 'communeCode', 'group', 'lang']);
    // Dates as the Date scalar takes them (years 1900–2100).
    const far = await get(`/exports/coverage-gaps.csv?asOf=0999-01-01`, district);
    expect(far.statusCode).toBe(400);
    expect(far.json().error.field).toBe('asOf');
    const unknown = await get(`/exports/beneficiaries.csv?communeCode=99999`, district);
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.field).toBe('communeCode');
    const noToken = await t.app.inject({ method: 'GET', url: `/exports/beneficiaries.csv?communeCode=${COMMUNE}` });
    expect(noToken.statusCode).toBe(401);
  });

  it('a commune officer cannot export another commune: FORBIDDEN, as GraphQL answers', async () => {
    const officer = await t.token('commune_officer', [OTHER]);
    const g = await t.gql(`{ beneficiaries(communeCode: "${COMMUNE}", asOf: "${AS_OF}") { nodes { id } } }`, {}, officer);
    expect(g.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    for (const ext of ['csv', 'xlsx']) {
      const r = await get(`/exports/beneficiaries.${ext}?communeCode=${COMMUNE}&asOf=${AS_OF}`, officer);
      expect(r.statusCode).toBe(403);
      expect(r.json().error).toMatchObject({ code: 'FORBIDDEN', message: g.body.errors[0].message, messageVi: g.body.errors[0].extensions.messageVi });
    }
    // Their own commune they export, as GraphQL answers it.
    const own = csvRows((await get(`/exports/beneficiaries.csv?communeCode=${OTHER}&asOf=${AS_OF}&lang=en`, officer)).body);
    expect(own.slice(1)).toEqual(await beneficiariesByGraphql(`communeCode: "${OTHER}"`, officer));
  });

  it('integration clients see identification numbers masked unless their token has the person:national_id scope', async () => {
    const masked = await t.token('integration', [], '');
    const full = await t.token('integration', [], 'person:national_id', 'integration-full');
    const args = `communeCode: "${COMMUNE}", group: ELDERLY`;
    const maskedRows = csvRows((await get(`/exports/beneficiaries.csv?communeCode=${COMMUNE}&group=ELDERLY&asOf=${AS_OF}&lang=en`, masked)).body).slice(1);
    expect(maskedRows).toEqual(await beneficiariesByGraphql(args, masked));
    const withIds = maskedRows.filter((r) => r[1] !== '');
    expect(withIds.length).toBeGreaterThan(0);
    for (const r of withIds) expect(r[1]).toMatch(/^\d{3}\*{6}\d{3}$/);
    const fullRows = csvRows((await get(`/exports/beneficiaries.csv?communeCode=${COMMUNE}&group=ELDERLY&asOf=${AS_OF}&lang=en`, full)).body).slice(1);
    expect(fullRows).toEqual(await beneficiariesByGraphql(args, full));
    for (const r of fullRows.filter((x) => x[1] !== '')) expect(r[1]).toMatch(/^\d{12}$/);
    const xlsx = await xlsxRows((await get(`/exports/beneficiaries.xlsx?communeCode=${COMMUNE}&group=ELDERLY&asOf=${AS_OF}&lang=en`, masked)).rawPayload);
    expect(xlsx.slice(1)).toEqual(maskedRows);
  });

  it('logs what a file shows of sensitive field groups, as GraphQL reads are logged (docs/security.md "Logged reads")', async () => {
    const events = async () =>
      (await t.db.database.db.execute(`SELECT actor_role, field_groups, person_ids FROM access_events WHERE operation = 'export' ORDER BY id`)).rows;
    const before = (await events()).length;
    const rows = csvRows((await get(`/exports/beneficiaries.csv?communeCode=${COMMUNE}&group=ELDERLY&asOf=${AS_OF}&lang=en`, district)).body).slice(1);
    const logged = (await events()).slice(before);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.every((e) => e.actor_role === 'district_officer')).toBe(true);
    expect([...new Set(logged.flatMap((e) => e.field_groups as string[]))].sort()).toEqual(['ethnicity', 'health']);
    expect(new Set(logged.flatMap((e) => e.person_ids as string[]))).toEqual(new Set(rows.map((r) => r[0])));
  });
});

describe('household members export', () => {
  it('holds the members GraphQL lists, by id or code; another commune is NOT_FOUND where GraphQL answers null', async () => {
    const [code] = (await t.db.database.db.execute(`SELECT code FROM households WHERE commune_code = '${COMMUNE}' ORDER BY code LIMIT 1`)).rows.map((r) =>
      String(r.code),
    );
    const h = ok(await t.gql(`{ household(code: "${code}") { id members(asOf: "${AS_OF}") { ${PERSON} } } }`, {}, district), 'household');
    const expected = (h.members as JsonBody[]).map(personRow);
    expect(expected.length).toBeGreaterThan(0);
    const byCode = await get(`/exports/household-members.csv?code=${encodeURIComponent(code!)}&asOf=${AS_OF}&lang=en`, district);
    expect(csvRows(byCode.body)).toEqual([PERSON_HEADER_EN, ...expected]);
    const byId = await get(`/exports/household-members.xlsx?id=${h.id}&asOf=${AS_OF}&lang=en`, district);
    expect(await xlsxRows(byId.rawPayload)).toEqual([PERSON_HEADER_EN, ...expected]);

    const officer = await t.token('commune_officer', [OTHER]);
    expect(ok(await t.gql(`{ household(code: "${code}") { id } }`, {}, officer), 'household')).toBeNull();
    const refused = await get(`/exports/household-members.csv?code=${encodeURIComponent(code!)}`, officer);
    expect(refused.statusCode).toBe(404);
    expect(refused.json().error.code).toBe('NOT_FOUND');
    const both = await get(`/exports/household-members.csv?code=x&id=${h.id}`, district);
    expect(both.statusCode).toBe(400);
    expect(both.json().error.field).toBe('id');
  });
});

describe('coverage gaps export', () => {
  const GAPS = `query($c: String, $after: String) { coverageGaps(communeCode: $c, asOf: "${AS_OF}", first: 500, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { programCode program { name nameEn } monthlyAmount unconfirmed person { id nationalId fullName dateOfBirth sex communeCode household { code } } } } }`;

  async function gapsByGraphql(communeCode: string | null, token: string) {
    const rows: string[][] = [];
    let after: string | null = null;
    for (;;) {
      const page = ok(await t.gql(GAPS, { c: communeCode, after }, token), 'coverageGaps');
      for (const g of page.nodes as JsonBody[]) {
        const p = g.person;
        rows.push([
          p.id,
          p.nationalId ?? '',
          p.fullName,
          dmy(p.dateOfBirth),
          p.sex,
          p.communeCode,
          p.household?.code ?? '',
          g.programCode,
          g.program.nameEn,
          g.monthlyAmount === null ? '' : String(g.monthlyAmount),
          g.unconfirmed ? 'yes' : 'no',
        ]);
      }
      if (!page.pageInfo.hasNextPage) return rows;
      after = page.pageInfo.endCursor;
    }
  }

  it('holds every page of GraphQL coverageGaps, for a commune and for every commune', async () => {
    for (const c of [COMMUNE, null]) {
      const expected = await gapsByGraphql(c, district);
      expect(expected.length).toBeGreaterThan(0);
      const q = `${c ? `communeCode=${c}&` : ''}asOf=${AS_OF}&lang=en`;
      const csv = csvRows((await get(`/exports/coverage-gaps.csv?${q}`, district)).body);
      expect(csv.slice(1)).toEqual(expected);
      const xlsx = await xlsxRows((await get(`/exports/coverage-gaps.xlsx?${q}`, district)).rawPayload);
      expect(xlsx.slice(1)).toEqual(expected);
    }
  });

  it('a commune officer gets their communes only; integration needs benefits:read, as in GraphQL', async () => {
    const officer = await t.token('commune_officer', [OTHER]);
    expect(csvRows((await get(`/exports/coverage-gaps.csv?asOf=${AS_OF}&lang=en`, officer)).body).slice(1)).toEqual(await gapsByGraphql(null, officer));
    const refused = await get(`/exports/coverage-gaps.csv?communeCode=${COMMUNE}&asOf=${AS_OF}`, officer);
    expect(refused.statusCode).toBe(403);
    const noScope = await t.token('integration', [], '');
    const g = await t.gql(GAPS, { c: COMMUNE, after: null }, noScope);
    expect(g.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const r = await get(`/exports/coverage-gaps.xlsx?communeCode=${COMMUNE}`, noScope);
    expect(r.statusCode).toBe(403);
    expect(r.json().error.code).toBe('FORBIDDEN');
    // With benefits:read but not person:national_id: the gaps, numbers masked.
    const reader = await t.token('integration', [], 'benefits:read', 'integration-reader');
    const rows = csvRows((await get(`/exports/coverage-gaps.csv?communeCode=${COMMUNE}&asOf=${AS_OF}&lang=en`, reader)).body).slice(1);
    expect(rows).toEqual(await gapsByGraphql(COMMUNE, reader));
    for (const x of rows.filter((y) => y[1] !== '')) expect(x[1]).toMatch(/^\d{3}\*{6}\d{3}$/);
  });
});

describe('OpenAPI document at /docs', () => {
  it('lists every REST route, is open without a token, and its page comes from the service with its own policy', async () => {
    const doc = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(doc.statusCode).toBe(200);
    const paths = Object.keys(doc.json().paths as object);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/exports/beneficiaries.csv',
        '/exports/beneficiaries.xlsx',
        '/exports/household-members.csv',
        '/exports/household-members.xlsx',
        '/exports/coverage-gaps.csv',
        '/exports/coverage-gaps.xlsx',
        '/payments/cycles/{id}/export.csv',
        '/payments/cycles/{id}/export.xlsx',
        '/payments/cycles/{id}/reconciliation',
        '/payments/audit-findings.csv',
        '/payments/report.csv',
      ]),
    );
    // GraphQL has its own contract; it is not in this document.
    expect(paths.some((p) => p.startsWith('/graphql'))).toBe(false);
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(/https?:\/\/(?!validator)/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const bundle = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
    // The API's own policy is unchanged elsewhere.
    const api = await t.app.inject({ method: 'GET', url: '/graphql/schema.graphql' });
    expect(api.headers['content-security-policy']).toContain("default-src 'none'");
  });
});
