/**
 * Prefetched nested fields (registry.prefetch.ts) must answer exactly as the loaders do: same values, same
 * order, same visibility; and the hot paths must cost one statement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disabilityCertificates, households, meritRecords, pensionStatuses, persons, povertyAssessments, pregnancies } from '../src/db/schema/index.js';
import { makeNationalId } from '../src/core/national-id.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';

const DA_SAR = '24865';
const DA_NHIM = '24848';
const AS_OF = '2026-06-01';
let t: TestApp;
const nationalIds: string[] = [];

beforeAll(async () => {
  t = await startTestApp();
  const db = t.db.database.db;
  const hh = await db
    .insert(households)
    .values(Array.from({ length: 6 }, (_, i) => ({ code: `PF-${i}`, communeCode: DA_SAR, address: `Thôn ${i}` })))
    .returning();
  let serial = 1;
  const people = hh.flatMap((h, i) => {
    const head = makeNationalId('068', 1940 + i, 'MALE', serial++);
    nationalIds.push(head);
    return [
      {
        householdId: h.id,
        communeCode: DA_SAR,
        fullName: `Chủ hộ ${i}`,
        dateOfBirth: `194${i}-05-0${i + 1}`,
        sex: 'MALE' as const,
        relationToHead: 'Chủ hộ',
        nationalId: head,
      },
      {
        householdId: h.id,
        communeCode: DA_SAR,
        fullName: `Vợ ${i}`,
        dateOfBirth: `194${i}-05-0${i + 1}`,
        sex: 'FEMALE' as const,
        relationToHead: 'Vợ',
        nationalId: null,
      },
      // A member registered in another commune: a Đạ Sar officer must not see them in either path.
      {
        householdId: h.id,
        communeCode: DA_NHIM,
        fullName: `Con ${i}`,
        dateOfBirth: '1990-01-01',
        sex: 'MALE' as const,
        relationToHead: 'Con',
        nationalId: null,
      },
    ];
  });
  const inserted = await db.insert(persons).values(people).returning({ id: persons.id, relationToHead: persons.relationToHead });
  const heads = inserted.filter((p) => p.relationToHead === 'Chủ hộ');
  const wives = inserted.filter((p) => p.relationToHead === 'Vợ');
  // Two certificates on one person with the same date: order ties must not make the paths differ in content.
  await db
    .insert(disabilityCertificates)
    .values([
      ...heads.slice(0, 3).map((p, i) => ({ personId: p.id, level: 'SEVERE' as const, certificateNo: `GXN-${i}`, issuedOn: '2020-01-01' })),
      { personId: heads[0]!.id, level: 'MILD' as const, certificateNo: 'GXN-old', issuedOn: '2010-01-01', validTo: '2019-12-31' },
    ]);
  await db
    .insert(meritRecords)
    .values(heads.slice(1, 4).map((p, i) => ({ personId: p.id, category: 'WAR_INVALID', injuryRate: 41, decisionNo: `QĐ-${i}`, recognizedOn: '1985-01-01' })));
  await db
    .insert(pensionStatuses)
    .values(heads.slice(0, 2).map((p) => ({ personId: p.id, kind: 'RETIREMENT_PENSION' as const, monthlyAmount: 3_000_000, startsOn: '2005-01-01' })));
  await db.insert(pregnancies).values([{ personId: wives[0]!.id, reportedOn: '2026-03-01', expectedDeliveryOn: '2026-10-01' }]);
  await db.insert(povertyAssessments).values(
    hh.slice(0, 3).flatMap((h) => [
      {
        householdId: h.id,
        assessedOn: '2022-01-10',
        standardCode: 'DECREE_07_2021',
        area: 'RURAL' as const,
        incomePerPerson: 900_000,
        deprivations: ['NUTRITION'],
        classification: 'NEAR_POOR' as const,
      },
      {
        householdId: h.id,
        assessedOn: '2025-12-15',
        standardCode: 'DECREE_07_2021',
        area: 'RURAL' as const,
        incomePerPerson: 1_000_000,
        deprivations: ['NUTRITION', 'HEALTH_INSURANCE', 'HYGIENIC_LATRINE'],
        classification: 'POOR' as const,
      },
    ]),
  );
});
afterAll(() => closeTestApp(t));

const PERSON_FIELDS = `
  fragment P on Person {
    id nationalId fullName dateOfBirth sex communeCode relationToHead dateOfDeath
    household {
      id code address communeCode
      povertyAssessments { assessedOn standardCode classification incomePerPerson deprivations area decisionNo }
      members { id fullName relationToHead communeCode disabilityCertificates { certificateNo } }
    }
    disabilityCertificates { level certificateNo issuedOn validTo }
    ... on Person { meritRecords { category injuryRate decisionNo recognizedOn validTo } }
    pensionStatuses { kind monthlyAmount startsOn endsOn decisionNo }
    pregnancies { reportedOn expectedDeliveryOn endedOn outcome }
  }`;

const PAGE = `query($c: String!, $asOf: Date) {
  beneficiaries(communeCode: $c, group: ELDERLY, asOf: $asOf, first: 50) { nodes { ...P } edges { node { id household { code } } } }
} ${PERSON_FIELDS}`;
const BY_ID = `query($id: ID!) { person(id: $id) { ...P } } ${PERSON_FIELDS}`;
const BY_NATIONAL_ID = `query($n: String!) { personByNationalId(nationalId: $n) { ...P } } ${PERSON_FIELDS}`;

/** Lists whose order has ties (same date) compare as sets. */
function sortTies<P extends { disabilityCertificates: { issuedOn: string; certificateNo: string }[] }>(p: P): P {
  p.disabilityCertificates.sort((a, b) => (a.issuedOn + a.certificateNo < b.issuedOn + b.certificateNo ? -1 : 1));
  return p;
}

describe('prefetched nested fields', () => {
  for (const role of ['district_officer', 'commune_officer'] as const) {
    it(`answer as the loaders do (${role})`, async () => {
      const token = await t.token(role, role === 'commune_officer' ? [DA_SAR] : []);
      const page = await t.gql(PAGE, { c: DA_SAR, asOf: AS_OF }, token);
      expect(page.body.errors).toBeUndefined();
      const nodes = page.body.data.beneficiaries.nodes;
      expect(nodes.length).toBeGreaterThan(6);
      for (const node of nodes) {
        // person(id) does not prefetch: every nested field goes through the loaders.
        const viaLoaders = await t.gql(BY_ID, { id: node.id }, token);
        expect(viaLoaders.body.errors).toBeUndefined();
        expect(sortTies(node)).toEqual(sortTies(viaLoaders.body.data.person));
        if (node.nationalId) {
          const byNationalId = await t.gql(BY_NATIONAL_ID, { n: node.nationalId }, token);
          expect(byNationalId.body.errors).toBeUndefined();
          expect(sortTies(byNationalId.body.data.personByNationalId)).toEqual(node);
        }
      }
      const members = nodes.flatMap((n: { household: { members: unknown[] } | null }) => n.household?.members ?? []);
      const elsewhere = members.filter((m: { communeCode: string }) => m.communeCode === DA_NHIM);
      if (role === 'commune_officer') expect(elsewhere).toHaveLength(0);
      else expect(elsewhere.length).toBeGreaterThan(0);
    });
  }

  it('read a page with household, assessments, members and circumstances in one statement (and its access event)', async () => {
    const before = t.db.database.statementCount();
    const r = await t.gql(
      `query($c: String!, $asOf: Date) { beneficiaries(communeCode: $c, group: ELDERLY, asOf: $asOf, first: 50) {
        nodes { id household { code povertyAssessments { classification } members { fullName } } disabilityCertificates { level }
          meritRecords { category } pensionStatuses { kind } pregnancies { reportedOn } } } }`,
      { c: DA_SAR, asOf: AS_OF },
    );
    expect(r.body.errors).toBeUndefined();
    // The read, and the request's one access_events row (health and financial data were read).
    expect(t.db.database.statementCount() - before).toBe(2);
    const one = t.db.database.statementCount();
    await t.gql(`query($n: String!) { personByNationalId(nationalId: $n) { id household { members { fullName } } } }`, { n: nationalIds[0] });
    expect(t.db.database.statementCount() - one).toBe(1);
  });
});
