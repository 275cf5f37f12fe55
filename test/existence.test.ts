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
