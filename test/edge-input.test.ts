/**
 * Issue 14, cases 1, 2, 4 (dates), 6 and 9: bad input is refused at the edge, before any work, with
 * VALIDATION_FAILED naming the field and a Vietnamese message, and nothing is written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNationalId } from '../src/core/national-id.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';
import { DA_SAR, household, ok, person } from './support/people.js';

let t: TestApp;
let personId: string;
let householdId: string;

beforeAll(async () => {
  t = await startTestApp();
  householdId = await household(t);
  personId = await person(t, { dateOfBirth: '1950-02-03', householdId, isHead: true });
});
afterAll(() => closeTestApp(t));

async function written(): Promise<number> {
  const r = await t.db.database.db.execute(
    `SELECT ((SELECT count(*) FROM persons) + (SELECT count(*) FROM households) + (SELECT count(*) FROM enrolments)
            + (SELECT count(*) FROM program_rules) + (SELECT count(*) FROM audit_events))::int AS n`,
  );
  return Number(r.rows[0]!.n);
}

/** The one error of a refused request: VALIDATION_FAILED on `field`, in both languages, and nothing written. */
async function refused(run: () => Promise<{ body: { data?: unknown; errors?: { extensions: Record<string, unknown> }[] } }>, field: string) {
  const before = await written();
  const r = await run();
  expect(r.body.errors, JSON.stringify(r.body)).toBeDefined();
  const errors = r.body.errors ?? [];
  expect(errors[0]!.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field });
  expect(errors[0]!.extensions.messageVi).toEqual(expect.any(String));
  expect(await written()).toBe(before);
  return errors;
}

const REGISTER = `mutation($input: RegisterPersonInput!) { registerPerson(input: $input) { id fullName } }`;
let serial = 7100;
const newPerson = (over: Record<string, unknown> = {}) => ({
  nationalId: makeNationalId('068', 1961, 'FEMALE', serial++),
  fullName: 'Ka Nhung',
  dateOfBirth: '1961-04-04',
  sex: 'FEMALE',
  communeCode: DA_SAR,
  ...over,
});

describe('case 1: periods are parsed with bounds before any work', () => {
  it('answers ten aliases of entitlements up to 9999-12 at once, naming `to`', async () => {
    const officer = await t.token('commune_officer', [DA_SAR]);
    const aliases = Array.from({ length: 10 }, (_, i) => `a${i}: entitlements(personId: "${personId}", from: "2024-01", to: "9999-12") { period total }`);
    const started = Date.now();
    const errors = await refused(() => t.gql(`{ ${aliases.join('\n')} }`, undefined, officer), 'to');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(errors.every((e) => e.extensions.code === 'VALIDATION_FAILED' && e.extensions.field === 'to')).toBe(true);
  });

  it('refuses years outside 1900–2100 in Period and Date variables, naming the argument', async () => {
    const q = `query($p: ID!, $f: Period!, $u: Period!) { entitlements(personId: $p, from: $f, to: $u) { period } }`;
    await refused(() => t.gql(q, { p: personId, f: '2024-01', u: '2101-01' }), 'to');
    await refused(() => t.gql(q, { p: personId, f: '1899-12', u: '2024-01' }), 'from');
    // A range over 120 months is refused by counting months, not walking them.
    await refused(() => t.gql(q, { p: personId, f: '1900-01', u: '2100-12' }), 'to');
    await refused(() => t.gql(REGISTER, { input: newPerson({ dateOfBirth: '1899-12-31' }) }), 'input.dateOfBirth');
    const nested = `{ person(id: "${personId}") { groups(asOf: "2101-01-01") } }`;
    await refused(() => t.gql(nested), 'asOf');
    const inRange = await t.gql(q, { p: personId, f: '2091-01', u: '2100-12' });
    expect(ok(inRange, 'entitlements')).toHaveLength(120);
  });
});

describe('case 4: no unbounded dates', () => {
  it('refuses coverageGaps on 9999-12-31 at once', async () => {
    const started = Date.now();
    await refused(() => t.gql(`{ coverageGaps(asOf: "9999-12-31") { totalCount } }`), 'asOf');
    await refused(() => t.gql(`query($d: Date) { coverageGaps(communeCode: "${DA_SAR}", asOf: $d) { totalCount } }`, { d: '9999-12-31' }), 'asOf');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses an enrolment starting decades ahead', async () => {
    const officer = await t.token('commune_officer', [DA_SAR]);
    const enrol = `mutation($input: EnrolInput!) { enrol(input: $input) { id } }`;
    const input = { personId, programCode: 'D20_5_5A', decisionNo: 'QĐ-1', decisionDate: '2025-01-10', startPeriod: '2062-11' };
    const errors = await refused(() => t.gql(enrol, { input }, officer), 'input.startPeriod');
    expect(errors[0]!.extensions.messageVi).toMatch(/12 tháng/);
  });
});

describe('cases 2 and 9: text inputs', () => {
  it('refuses a NUL or other control character in any text argument, naming the field', async () => {
    await refused(() => t.gql(REGISTER, { input: newPerson({ fullName: 'Ka\u0000Nhung' }) }), 'input.fullName');
    await refused(() => t.gql(REGISTER, { input: newPerson({ ethnicity: 'K\u0085Ho' }) }), 'input.ethnicity');
    await refused(() => t.gql(REGISTER, { input: newPerson({ fullName: 'Ka\nNhung' }) }), 'input.fullName');
    await refused(() => t.gql(REGISTER, { input: newPerson({ communeCode: '24865\u007F' }) }), 'input.communeCode');
    await refused(() => t.gql(`{ beneficiaries(communeCode: "${DA_SAR}", search: "\\u0000") { totalCount } }`), 'search');
    await refused(() => t.gql(`{ programs { ruleVersion(asOf: "2024-01-01") { id } } adminUnit(code: "\\u0001") { code } }`), 'code');
    const rule = `mutation($input: PublishRuleVersionInput!) { publishRuleVersion(input: $input) { id } }`;
    const input = {
      programCode: 'D20_5_5A',
      effectiveFrom: '2030-01-01',
      legalBasis: 'NĐ 20',
      definition: { summaryVi: 'a\u0000', conditions: [] },
      examples: [],
    };
    await refused(() => t.gql(rule, { input }, undefined).then(async () => t.gql(rule, { input }, await t.token('admin'))), 'input.definition');
  });

  it('lets free text hold line breaks and tabs, but not other controls', async () => {
    const q = `mutation($input: RegisterHouseholdInput!) { registerHousehold(input: $input) { address } }`;
    const r = await t.gql(q, { input: { code: 'EDGE-HH-1', communeCode: DA_SAR, address: 'Thôn 1\n\tĐạ Sar' } });
    expect(ok(r, 'registerHousehold')).toEqual({ address: 'Thôn 1\n\tĐạ Sar' });
    await refused(() => t.gql(q, { input: { code: 'EDGE-HH-2', communeCode: DA_SAR, address: 'Thôn\u00001' } }), 'input.address');
  });

  it('limits lengths per field: names 200, codes 40, search 100, free text 2000', async () => {
    await refused(() => t.gql(REGISTER, { input: newPerson({ fullName: 'A'.repeat(201) }) }), 'input.fullName');
    await refused(() => t.gql(`query($c: String!) { adminUnit(code: $c) { code } }`, { c: '2'.repeat(41) }), 'c'.replace('c', 'code'));
    await refused(() => t.gql(`query($s: String) { beneficiaries(communeCode: "${DA_SAR}", search: $s) { totalCount } }`, { s: 'x'.repeat(101) }), 'search');
    const q = `mutation($input: RegisterHouseholdInput!) { registerHousehold(input: $input) { id } }`;
    await refused(() => t.gql(q, { input: { code: 'EDGE-HH-3', communeCode: DA_SAR, address: 'x'.repeat(2001) } }), 'input.address');
    expect(ok(await t.gql(REGISTER, { input: newPerson({ fullName: 'Ễ'.repeat(200) }) }), 'registerPerson')).toMatchObject({ fullName: 'Ễ'.repeat(200) });
  });

  it('refuses a lone surrogate rather than storing U+FFFD (case 9)', async () => {
    await refused(() => t.gql(REGISTER, { input: newPerson({ fullName: 'Nguy\uD800n' }) }), 'input.fullName');
    await refused(() => t.gql(REGISTER, { input: newPerson({ fullName: 'Nguy\uDC00n' }) }), 'input.fullName');
  });

  it('stores names in NFC, however they were typed', async () => {
    const decomposed = 'Nguye\u0302\u0303n Thi\u0323 Lan';
    const r: { id: string; fullName: string } = ok(await t.gql(REGISTER, { input: newPerson({ fullName: decomposed }) }), 'registerPerson');
    expect(r.fullName).toBe('Nguyễn Thị Lan');
    const literal = await t.gql(`{ beneficiaries(communeCode: "${DA_SAR}", search: "Nguye\u0302\u0303n") { totalCount } }`);
    expect(literal.body.errors).toBeUndefined();
    const stored = await t.db.database.db.execute(`SELECT full_name FROM persons WHERE id = '${r.id}'`);
    expect((stored.rows[0] as { full_name: string }).full_name).toBe('Nguyễn Thị Lan'.normalize('NFC'));
  });
});

describe('case 6: empty ids', () => {
  it('refuses an empty householdId in registerPerson and updatePerson, and any empty ID argument', async () => {
    await refused(() => t.gql(REGISTER, { input: newPerson({ householdId: '' }) }), 'input.householdId');
    const update = `mutation($id: ID!, $input: UpdatePersonInput!) { updatePerson(id: $id, input: $input) { id } }`;
    await refused(() => t.gql(update, { id: personId, input: { householdId: '' } }), 'input.householdId');
    await refused(() => t.gql(update, { id: '', input: { fullName: 'Ka Hơ' } }), 'id');
    await refused(() => t.gql(`{ person(id: "") { id } }`), 'id');
    await refused(() => t.gql(`{ household(id: " ") { id } }`), 'id');
    await refused(() => t.gql(`{ auditTrail(entityType: "Person", entityId: "") { seq } }`), 'entityId');
  });
});
