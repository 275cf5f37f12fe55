/**
 * No existence leak through single look-ups (issue 11; access-policy.ts visibleOrNull): for a commune officer,
 * a person, household or enrolment of another commune answers exactly as one that does not exist — null, no
 * error — so an officer cannot test whether anyone holds an identification number or a household code.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNationalId } from '../src/core/national-id.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';
import { DA_SAR, enrolAndApprove, household, LAT, ok, person } from './support/people.js';

describe('single look-ups answer the same for another commune and for nothing', () => {
  let t: TestApp;
  let officer: string;
  let own: string;
  const there = { personId: '', nationalId: '', householdId: '', householdCode: '', enrolmentId: '' };
  beforeAll(async () => {
    t = await startTestApp();
    officer = await t.token('commune_officer', [LAT]);
    const h = await household(t, { commune: DA_SAR });
    there.householdId = h;
    there.personId = await person(t, { dateOfBirth: '1940-03-03', householdId: h, isHead: true });
    const p = ok(await t.gql(`{ person(id: "${there.personId}") { nationalId household { code } } }`), 'person');
    there.nationalId = p.nationalId;
    there.householdCode = p.household.code;
    there.enrolmentId = await enrolAndApprove(t, there.personId, 'D20_5_5C', '2024-07');
    own = await person(t, { dateOfBirth: '1950-04-04', commune: LAT });
  });
  afterAll(() => closeTestApp(t));

  const unknownNationalId = makeNationalId('068', 1940, 'FEMALE', 999_123);

  /** The whole response body, as a client sees it. */
  const body = async (query: string) => (await t.gql(query, undefined, officer)).body;

  it.each([
    ['personByNationalId', (v: typeof there) => `{ r: personByNationalId(nationalId: "${v.nationalId}") { id } }`, { nationalId: unknownNationalId }],
    ['person(id)', (v: typeof there) => `{ r: person(id: "${v.personId}") { id } }`, { personId: randomUUID() }],
    ['household(id)', (v: typeof there) => `{ r: household(id: "${v.householdId}") { id } }`, { householdId: randomUUID() }],
    ['household(code)', (v: typeof there) => `{ r: household(code: "${v.householdCode}") { id } }`, { householdCode: 'NO-SUCH-HOUSEHOLD' }],
    ['enrolment(id)', (v: typeof there) => `{ r: enrolment(id: "${v.enrolmentId}") { id } }`, { enrolmentId: randomUUID() }],
  ])('%s: another commune’s record and no record give the same answer, null', async (_name, query, unknown) => {
    const elsewhere = await body(query(there));
    const nothing = await body(query({ ...there, ...unknown }));
    expect(elsewhere).toEqual({ data: { r: null } });
    expect(nothing).toEqual(elsewhere);
  });

  it('still answers the officer’s own commune and the district', async () => {
    expect(ok(await t.gql(`{ person(id: "${own}") { id } }`, undefined, officer), 'person')).toEqual({ id: own });
    expect(ok(await t.gql(`{ personByNationalId(nationalId: "${there.nationalId}") { id } }`), 'personByNationalId')).toEqual({ id: there.personId });
  });

  it('on the compiled path too (same answers with compiled reads off)', async () => {
    const plain = await startTestApp({ sharedDatabase: t.db, compiledReads: false });
    try {
      const q = `{ r: personByNationalId(nationalId: "${there.nationalId}") { id fullName household { members { id } } } }`;
      const viaCompiled = (await t.gql(q, undefined, officer)).body;
      const viaExecutor = (await plain.gql(q, undefined, officer)).body;
      expect(viaCompiled).toEqual({ data: { r: null } });
      expect(viaExecutor).toEqual(viaCompiled);
    } finally {
      await plain.app.close();
    }
  });
});

/**
 * Mutations that name a person, household, enrolment or record by id (issue 11): for a commune officer, one of
 * another commune answers exactly as an unknown id — the same code and the same message, with only the id itself
 * differing — so a mutation cannot test whether an id exists elsewhere either.
 */
describe('mutations answer the same for another commune’s record and for an unknown id', () => {
  let t: TestApp;
  let officer: string;
  const there = { person: '', household: '', household2: '', enrolment: '', certificate: '' };
  const mine = { person: '', household: '' };
  beforeAll(async () => {
    t = await startTestApp();
    officer = await t.token('commune_officer', [LAT]);
    there.household = await household(t, { commune: DA_SAR });
    there.person = await person(t, { dateOfBirth: '1940-03-03', householdId: there.household, isHead: true });
    there.household2 = await household(t, { commune: DA_SAR });
    there.enrolment = await enrolAndApprove(t, there.person, 'D20_5_5C', '2024-07');
    there.certificate = ok(
      await t.gql(
        `mutation($id: ID!) { recordDisability(input: { personId: $id, level: SEVERE, certificateNo: "GXN-EX-1", issuedOn: "2024-01-10" }) { id } }`,
        { id: there.person },
      ),
      'recordDisability',
    ).id;
    mine.household = await household(t, { commune: LAT });
    mine.person = await person(t, { dateOfBirth: '1950-04-04', commune: LAT, householdId: mine.household, isHead: true });
  });
  afterAll(() => closeTestApp(t));

  interface Ids {
    person: string;
    household: string;
    enrolment: string;
    certificate: string;
  }
  const CASES: [string, string, (v: Ids) => Record<string, unknown>, keyof Ids][] = [
    ['updatePerson', `mutation($p: ID!) { r: updatePerson(id: $p, input: { fullName: "Tên Mới" }) { id } }`, (v) => ({ p: v.person }), 'person'],
    ['recordDeath', `mutation($p: ID!) { r: recordDeath(personId: $p, dateOfDeath: "2024-01-01") { id } }`, (v) => ({ p: v.person }), 'person'],
    ['correctDeath', `mutation($p: ID!) { r: correctDeath(personId: $p, dateOfDeath: null, reason: "nhầm") { id } }`, (v) => ({ p: v.person }), 'person'],
    [
      'recordDisability',
      `mutation($p: ID!) { r: recordDisability(input: { personId: $p, level: SEVERE, certificateNo: "GXN-EX-2", issuedOn: "2024-01-10" }) { id } }`,
      (v) => ({ p: v.person }),
      'person',
    ],
    [
      'recordCircumstanceFlag',
      `mutation($p: ID!) { r: recordCircumstanceFlag(input: { personId: $p, flag: HIV, validFrom: "2020-01-01", evidence: "BB-01" }) { id } }`,
      (v) => ({ p: v.person }),
      'person',
    ],
    [
      'withdrawCircumstance',
      `mutation($c: ID!) { r: withdrawCircumstance(kind: DISABILITY_CERTIFICATE, id: $c, reason: "nhầm") { reason } }`,
      (v) => ({ c: v.certificate }),
      'certificate',
    ],
    [
      'recordPovertyAssessment',
      `mutation($h: ID!) { r: recordPovertyAssessment(input: { householdId: $h, assessedOn: "2024-06-01", area: RURAL, incomePerPerson: 1000000, deprivations: ["NUTRITION"] }) { id } }`,
      (v) => ({ h: v.household }),
      'household',
    ],
    [
      'movePerson (person)',
      `mutation($p: ID!, $h: ID!) { r: movePerson(input: { personId: $p, movedOn: "2024-05-01", householdId: $h }) { id } }`,
      (v) => ({ p: v.person, h: mine.household }),
      'person',
    ],
    [
      'movePerson (household)',
      `mutation($p: ID!, $h: ID!) { r: movePerson(input: { personId: $p, movedOn: "2024-05-01", householdId: $h }) { id } }`,
      (v) => ({ p: mine.person, h: v.household }),
      'household',
    ],
    [
      'splitHousehold',
      `mutation($h: ID!, $m: ID!) { r: splitHousehold(input: { householdId: $h, memberIds: [$m], headId: $m, newHousehold: { code: "SPLIT-EX-1" }, splitOn: "2024-05-01" }) { id } }`,
      (v) => ({ h: v.household, m: mine.person }),
      'household',
    ],
    [
      'mergeHouseholds',
      `mutation($h: ID!, $i: ID!) { r: mergeHouseholds(input: { householdId: $h, intoHouseholdId: $i, mergedOn: "2024-05-01" }) { id } }`,
      (v) => ({ h: v.household, i: mine.household }),
      'household',
    ],
    [
      'changeHouseholdHead',
      `mutation($h: ID!, $p: ID!) { r: changeHouseholdHead(input: { householdId: $h, newHeadId: $p, changedOn: "2024-05-01" }) { id } }`,
      (v) => ({ h: v.household, p: mine.person }),
      'household',
    ],
    [
      'correctResidence (person)',
      `mutation($p: ID!) { r: correctResidence(input: { personId: $p, periods: [{ from: "2024-01-01", communeCode: "${LAT}" }], reason: "nhầm" }) { id } }`,
      (v) => ({ p: v.person }),
      'person',
    ],
    [
      'correctResidence (household)',
      `mutation($p: ID!, $h: ID!) { r: correctResidence(input: { personId: $p, periods: [{ from: "2024-01-01", householdId: $h }], reason: "nhầm" }) { id } }`,
      (v) => ({ p: mine.person, h: v.household }),
      'household',
    ],
    [
      'enrol',
      `mutation($p: ID!) { r: enrol(input: { personId: $p, programCode: "D20_5_5C", decisionNo: "QĐ-1", decisionDate: "2024-07-10", startPeriod: "2024-07" }) { id } }`,
      (v) => ({ p: v.person }),
      'person',
    ],
    ['endEnrolment', `mutation($e: ID!) { r: endEnrolment(id: $e, endPeriod: "2024-09", reason: "thôi") { id } }`, (v) => ({ e: v.enrolment }), 'enrolment'],
    [
      'suspendEnrolment',
      `mutation($e: ID!) { r: suspendEnrolment(id: $e, fromPeriod: "2024-09", reason: DETENTION) { id } }`,
      (v) => ({ e: v.enrolment }),
      'enrolment',
    ],
    ['resumeEnrolment', `mutation($e: ID!) { r: resumeEnrolment(id: $e, fromPeriod: "2024-09") { id } }`, (v) => ({ e: v.enrolment }), 'enrolment'],
    [
      'stopEnrolment',
      `mutation($e: ID!) { r: stopEnrolment(id: $e, endPeriod: "2024-09", stopCase: REFUSED, reason: "thôi") { id } }`,
      (v) => ({ e: v.enrolment }),
      'enrolment',
    ],
    [
      'recordPaymentRecipient',
      `mutation($e: ID!) { r: recordPaymentRecipient(input: { enrolmentId: $e, kind: BENEFICIARY, method: CASH, validFrom: "2024-07-01" }) { id } }`,
      (v) => ({ e: v.enrolment }),
      'enrolment',
    ],
    [
      'registerPerson (household)',
      `mutation($h: ID!) { r: registerPerson(input: { fullName: "Người Mới", dateOfBirth: "1990-01-01", sex: MALE, communeCode: "${LAT}", householdId: $h, relationToHead: "con" }) { id } }`,
      (v) => ({ h: v.household }),
      'household',
    ],
  ];

  /**
   * The body without `locations`: Mercurius answers a document's first run through graphql-js (errors with
   * locations) and later runs through its JIT-compiled copy (jit: 1, without them), whatever the data.
   */
  const answer = async (query: string, variables: Record<string, unknown>) => {
    const body = (await t.gql(query, variables, officer)).body;
    for (const e of body.errors ?? []) delete e.locations;
    return body;
  };

  it.each(CASES)('%s', async (_name, query, vars, named) => {
    const unknown = randomUUID();
    const elsewhere = await answer(query, vars({ ...there }));
    const nothing = await answer(query, vars({ ...there, [named]: unknown }));
    // NOT_FOUND, or for registerPerson the problem of its householdId ("No household …").
    expect(nothing.errors?.[0]?.extensions, JSON.stringify(nothing)).toMatchObject(
      _name.startsWith('registerPerson') ? { code: 'VALIDATION_FAILED', field: 'input.householdId' } : { code: 'NOT_FOUND' },
    );
    // The same answer, but for the id itself.
    expect(JSON.stringify(elsewhere).replaceAll(there[named], '<id>')).toBe(JSON.stringify(nothing).replaceAll(unknown, '<id>'));
  });

  it('the district officer still reaches the record (the setup is right)', async () => {
    const r = await t.gql(`mutation($p: ID!) { updatePerson(id: $p, input: { fullName: "Tên Đúng" }) { fullName } }`, { p: there.person });
    expect(ok(r, 'updatePerson')).toEqual({ fullName: 'Tên Đúng' });
  });
});
