import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNationalId } from '../src/core/national-id.js';
import { SignJWT } from 'jose';
import { startTestApp, TEST_JWT, type TestApp } from './support/app.js';

const DA_SAR = '24865';
const LAT = '24862';
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const REGISTER_HOUSEHOLD = `mutation($input: RegisterHouseholdInput!) { registerHousehold(input: $input) { id code communeCode } }`;
const REGISTER_PERSON = `mutation($input: RegisterPersonInput!) { registerPerson(input: $input) { id fullName nationalId communeCode household { id code } } }`;

let serial = 1000;
const nid = (year: number, sex: 'MALE' | 'FEMALE') => makeNationalId('068', year, sex, serial++);

async function household(code: string, communeCode = DA_SAR) {
  const r = await t.gql(REGISTER_HOUSEHOLD, { input: { code, communeCode, villageCode: `${communeCode}.01`, address: 'Thôn 1' } });
  expect(r.body.errors).toBeUndefined();
  return r.body.data.registerHousehold as { id: string };
}

async function countRows(table: string): Promise<number> {
  const r = await t.db.database.db.execute(`SELECT count(*)::int AS n FROM ${table}` as never);
  return Number((r.rows[0] as { n: number }).n);
}

describe('registering households and people', () => {
  it('registers a household and its head, with an audit event for each change', async () => {
    const h = await household('LD-REG-0001');
    const before = await countRows('audit_events');
    const r = await t.gql(REGISTER_PERSON, {
      input: {
        nationalId: nid(1958, 'MALE'),
        fullName: 'Nguyễn Văn Đức',
        dateOfBirth: '1958-03-02',
        sex: 'MALE',
        ethnicity: 'Kinh',
        communeCode: DA_SAR,
        householdId: h.id,
        isHead: true,
      },
    });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.registerPerson).toMatchObject({ fullName: 'Nguyễn Văn Đức', communeCode: DA_SAR, household: { id: h.id } });
    // One event for the person, one for the household's new head.
    expect(await countRows('audit_events')).toBe(before + 2);
    const trail = await t.gql(`{ auditTrail(entityType: "Person", entityId: "${r.body.data.registerPerson.id}") { action actor after } }`);
    expect(trail.body.data.auditTrail).toEqual([
      expect.objectContaining({ action: 'registerPerson', actor: 'test-district_officer', after: expect.objectContaining({ fullName: 'Nguyễn Văn Đức' }) }),
    ]);
    const hh = await t.gql(`{ household(id: "${h.id}") { head { fullName } members { fullName relationToHead } } }`);
    expect(hh.body.data.household).toEqual({ head: { fullName: 'Nguyễn Văn Đức' }, members: [{ fullName: 'Nguyễn Văn Đức', relationToHead: 'Chủ hộ' }] });
  });

  it('refuses a duplicate identification number with CONFLICT and writes nothing', async () => {
    const id = nid(1990, 'FEMALE');
    const input = { nationalId: id, fullName: 'Ka Hoàn', dateOfBirth: '1990-05-05', sex: 'FEMALE', communeCode: DA_SAR };
    expect((await t.gql(REGISTER_PERSON, { input })).body.errors).toBeUndefined();
    const persons = await countRows('persons');
    const events = await countRows('audit_events');
    const r = await t.gql(REGISTER_PERSON, { input: { ...input, fullName: 'Someone Else' } });
    expect(r.body.errors[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.nationalId' });
    expect(await countRows('persons')).toBe(persons);
    expect(await countRows('audit_events')).toBe(events);
  });

  const base = { fullName: 'Cil Múp', dateOfBirth: '1980-01-01', sex: 'MALE', communeCode: DA_SAR };
  const cases: [string, Record<string, unknown>, string][] = [
    ['identification number not 12 digits', { nationalId: '06808012345' }, 'input.nationalId'],
    ['identification number with letters', { nationalId: '06808001234X' }, 'input.nationalId'],
    ['century/sex digit inconsistent with sex', { nationalId: makeNationalId('068', 1980, 'FEMALE', 1) }, 'input.nationalId'],
    ['year digits inconsistent with date of birth', { nationalId: makeNationalId('068', 1981, 'MALE', 2) }, 'input.nationalId'],
    ['unknown province prefix', { nationalId: '999080123456' }, 'input.nationalId'],
    ['date of birth in the future', { dateOfBirth: '2999-01-01', nationalId: null }, 'input.dateOfBirth'],
    ['unknown commune code', { communeCode: '99999' }, 'input.communeCode'],
    ['a district code where a commune is needed', { communeCode: '675' }, 'input.communeCode'],
    ['empty name', { fullName: '   ' }, 'input.fullName'],
  ];
  it.each(cases)('refuses %s with VALIDATION_FAILED naming the field, and changes nothing', async (_name, change, field) => {
    const persons = await countRows('persons');
    const r = await t.gql(REGISTER_PERSON, { input: { ...base, ...change } });
    expect(r.body.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    expect(r.body.errors[0].extensions.field).toBe(field);
    expect(r.body.errors[0].extensions.messageVi).toBeTruthy();
    expect(await countRows('persons')).toBe(persons);
  });

  it('refuses a malformed date literal as VALIDATION_FAILED', async () => {
    const r = await t.gql(REGISTER_PERSON, { input: { ...base, dateOfBirth: '1980-02-30' } });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
  });

  it('refuses year 0000, which PostgreSQL has no date for, as VALIDATION_FAILED rather than INTERNAL', async () => {
    const r = await t.gql(`{ beneficiaries(communeCode: "${DA_SAR}", asOf: "0000-06-01") { nodes { id } } }`);
    expect(r.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
  });
});

describe('updating a person', () => {
  const UPDATE = `mutation($id: ID!, $input: UpdatePersonInput!) { updatePerson(id: $id, input: $input) { fullName dateOfBirth sex communeCode } }`;

  it('changes the fields given, records before and after, and keeps the number consistent', async () => {
    const id = nid(1975, 'MALE');
    const reg = await t.gql(REGISTER_PERSON, { input: { nationalId: id, fullName: 'Bon Yô Ha', dateOfBirth: '1975-07-07', sex: 'MALE', communeCode: DA_SAR } });
    const personId = reg.body.data.registerPerson.id;
    const ok = await t.gql(UPDATE, { id: personId, input: { fullName: "Bon Yô K' Ha", dateOfBirth: '1975-08-08' } });
    expect(ok.body.data.updatePerson).toEqual({ fullName: "Bon Yô K' Ha", dateOfBirth: '1975-08-08', sex: 'MALE', communeCode: DA_SAR });
    const trail = await t.gql(`{ auditTrail(entityType: "Person", entityId: "${personId}") { action before after } }`);
    const update = trail.body.data.auditTrail.find((e: { action: string }) => e.action === 'updatePerson');
    expect(update.before.dateOfBirth).toBe('1975-07-07');
    expect(update.after.dateOfBirth).toBe('1975-08-08');
    // Another birth year would contradict the identification number on record.
    const bad = await t.gql(UPDATE, { id: personId, input: { dateOfBirth: '1976-01-01' } });
    expect(bad.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.dateOfBirth' });
    const cleared = await t.gql(UPDATE, { id: personId, input: { fullName: null } });
    expect(cleared.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.fullName' });
  });

  it('does not let a commune officer move a person to a commune outside the token', async () => {
    const reg = await t.gql(REGISTER_PERSON, { input: { fullName: 'Ka Vân', dateOfBirth: '1988-02-02', sex: 'FEMALE', communeCode: DA_SAR } });
    const officer = await t.token('commune_officer', [DA_SAR]);
    const r = await t.gql(UPDATE, { id: reg.body.data.registerPerson.id, input: { communeCode: LAT } }, officer);
    expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const missing = await t.gql(UPDATE, { id: '00000000-0000-4000-8000-000000000000', input: { fullName: 'X' } });
    expect(missing.body.errors[0].extensions.code).toBe('NOT_FOUND');
  });
});

describe('recording circumstances', () => {
  async function person(dateOfBirth: string, sex: 'MALE' | 'FEMALE' = 'FEMALE') {
    const r = await t.gql(REGISTER_PERSON, {
      input: { fullName: 'Liêng Jrang Ha', dateOfBirth, sex, communeCode: DA_SAR, nationalId: nid(Number(dateOfBirth.slice(0, 4)), sex) },
    });
    expect(r.body.errors).toBeUndefined();
    return r.body.data.registerPerson.id as string;
  }

  it('records a death, and refuses one before birth', async () => {
    const id = await person('1940-06-01');
    const bad = await t.gql(`mutation { recordDeath(personId: "${id}", dateOfDeath: "1939-01-01") { id } }`);
    expect(bad.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'dateOfDeath' });
    const ok = await t.gql(`mutation { recordDeath(personId: "${id}", dateOfDeath: "2024-09-15") { dateOfDeath } }`);
    expect(ok.body.data.recordDeath.dateOfDeath).toBe('2024-09-15');
    const again = await t.gql(`mutation { recordDeath(personId: "${id}", dateOfDeath: "2024-09-16") { id } }`);
    expect(again.body.errors[0].extensions.code).toBe('CONFLICT');
  });

  it('classifies a poverty assessment under the standard in force and stores the standard', async () => {
    const h = await household('LD-POV-0001');
    const q = `mutation($input: RecordPovertyAssessmentInput!) { recordPovertyAssessment(input: $input) { classification standardCode deprivations } }`;
    const poor = await t.gql(q, {
      input: {
        householdId: h.id,
        assessedOn: '2025-12-15',
        area: 'RURAL',
        incomePerPerson: 1_200_000,
        deprivations: ['HEALTH_INSURANCE', 'HYGIENIC_LATRINE', 'WATER_SOURCE'],
      },
    });
    expect(poor.body.data.recordPovertyAssessment).toEqual({
      classification: 'POOR',
      standardCode: 'DECREE_07_2021',
      deprivations: ['HEALTH_INSURANCE', 'HYGIENIC_LATRINE', 'WATER_SOURCE'],
    });
    const near = await t.gql(q, {
      input: { householdId: h.id, assessedOn: '2025-12-15', area: 'RURAL', incomePerPerson: 1_500_000, deprivations: ['NUTRITION'] },
    });
    expect(near.body.data.recordPovertyAssessment.classification).toBe('NEAR_POOR');
    const none = await t.gql(q, {
      input: {
        householdId: h.id,
        assessedOn: '2025-12-15',
        area: 'RURAL',
        incomePerPerson: 1_500_001,
        deprivations: ['NUTRITION', 'EMPLOYMENT', 'FLOOR_AREA'],
      },
    });
    expect(none.body.data.recordPovertyAssessment.classification).toBe('NONE');
    // Urban line is 2,000,000 under Decree 07/2021.
    const urban = await t.gql(q, { input: { householdId: h.id, assessedOn: '2025-12-15', area: 'URBAN', incomePerPerson: 1_800_000, deprivations: [] } });
    expect(urban.body.data.recordPovertyAssessment.classification).toBe('NEAR_POOR');
  });

  it('refuses negative income and unknown deprivation indicators, naming each field', async () => {
    const h = await household('LD-POV-0002');
    const before = await countRows('poverty_assessments');
    const r = await t.gql(`mutation($input: RecordPovertyAssessmentInput!) { recordPovertyAssessment(input: $input) { id } }`, {
      input: { householdId: h.id, assessedOn: '2025-12-15', area: 'RURAL', incomePerPerson: -1, deprivations: ['NUTRITION', 'HAPPINESS'] },
    });
    const ext = r.body.errors[0].extensions;
    expect(ext.code).toBe('VALIDATION_FAILED');
    expect(ext.problems.map((p: { field: string }) => p.field)).toEqual(['input.incomePerPerson', 'input.deprivations[1]']);
    expect(await countRows('poverty_assessments')).toBe(before);
  });

  it('refuses an income beyond what the column holds as VALIDATION_FAILED, not INTERNAL', async () => {
    const h = await household('LD-POV-0003');
    const r = await t.gql(`mutation($input: RecordPovertyAssessmentInput!) { recordPovertyAssessment(input: $input) { id } }`, {
      input: { householdId: h.id, assessedOn: '2025-12-15', area: 'RURAL', incomePerPerson: 3_000_000_000, deprivations: [] },
    });
    expect(r.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.incomePerPerson' });
  });

  it('records disability, merit, pension and pregnancy, and the person falls in the matching groups', async () => {
    const id = await person('1950-02-01', 'MALE');
    const mutations = [
      `recordDisability(input: { personId: "${id}", level: SEVERE, certificateNo: "GXN-01", issuedOn: "2023-04-10" }) { id }`,
      `recordMeritStatus(input: { personId: "${id}", category: "WAR_INVALID", injuryRate: 61, decisionNo: "QĐ-12", recognizedOn: "1980-01-01" }) { id }`,
      `recordPensionStatus(input: { personId: "${id}", kind: RETIREMENT_PENSION, monthlyAmount: 4000000, startsOn: "2010-03-01" }) { id }`,
    ];
    for (const m of mutations) expect((await t.gql(`mutation { ${m} }`)).body.errors).toBeUndefined();
    const r = await t.gql(
      `{ person(id: "${id}") { groups(asOf: "2025-01-01") disabilityCertificates { level } meritRecords { injuryRate } pensionStatuses { kind } } }`,
    );
    expect(r.body.data.person).toEqual({
      groups: ['MERIT', 'ELDERLY', 'DISABILITY'],
      disabilityCertificates: [{ level: 'SEVERE' }],
      meritRecords: [{ injuryRate: 61 }],
      pensionStatuses: [{ kind: 'RETIREMENT_PENSION' }],
    });
    const preg = await t.gql(`mutation { recordPregnancy(input: { personId: "${id}", reportedOn: "2025-01-01", expectedDeliveryOn: "2025-07-01" }) { id } }`);
    expect(preg.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.personId' });
  });
});

describe('authentication and commune scope', () => {
  it('needs a token', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/graphql', payload: { query: '{ ping }' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const bad = await t.gql('{ ping }', {}, 'not-a-token');
    expect(bad.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    // Correctly signed, but without an expiry.
    const forever = await new SignJWT({ role: 'admin', communes: [] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('forever')
      .setIssuer(TEST_JWT.issuer)
      .setAudience(TEST_JWT.audience)
      .sign(new TextEncoder().encode(TEST_JWT.secret));
    const noExp = await t.gql('{ ping }', {}, forever);
    expect(noExp.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json()).toEqual({ status: 'ready', database: t.db.database.kind });
    const unknown = await t.app.inject({ method: 'GET', url: '/nowhere', headers: { authorization: 'Bearer x' } });
    expect(unknown.statusCode).toBe(401);
  });

  it('keeps a commune officer to the communes in the token', async () => {
    const officer = await t.token('commune_officer', [DA_SAR]);
    const other = await t.gql(`{ beneficiaries(communeCode: "${LAT}") { totalCount } }`, {}, officer);
    expect(other.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const reg = await t.gql(REGISTER_HOUSEHOLD, { input: { code: 'LD-LAT-1', communeCode: LAT } }, officer);
    expect(reg.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const own = await t.gql(`{ beneficiaries(communeCode: "${DA_SAR}") { totalCount } }`, {}, officer);
    expect(own.body.errors).toBeUndefined();
  });

  it('does not let auditors or integration clients change records', async () => {
    for (const role of ['auditor', 'integration'] as const) {
      const r = await t.gql(REGISTER_HOUSEHOLD, { input: { code: `X-${role}`, communeCode: DA_SAR } }, await t.token(role));
      expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
    }
  });
});
