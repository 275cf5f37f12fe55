import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disabilityCertificates, households, meritRecords, pensionStatuses, persons, povertyAssessments, pregnancies } from '../src/db/schema/index.js';
import { makeNationalId } from '../src/core/national-id.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';

const DA_SAR = '24865';
const DA_NHIM = '24848';
const AS_OF = '2026-06-01';
let t: TestApp;

/**
 * A small known population in Đạ Sar (and a few people in Đạ Nhim that must never show up there):
 * 60 elderly heads of households with a spouse and a grandchild, circumstances on some of them.
 */
async function seedPopulation() {
  const db = t.db.database.db;
  const hh = await db
    .insert(households)
    .values(Array.from({ length: 60 }, (_, i) => ({ code: `DS-${i}`, communeCode: DA_SAR, villageCode: `${DA_SAR}.01` })))
    .returning();
  let serial = 1;
  const names = ['Nguyễn Văn Đức', "Kră Jăn K' Sơn", 'Liêng Hót Ha Đức', 'Trần Thị Lan'];
  const people = hh.flatMap((h, i) => [
    {
      householdId: h.id,
      communeCode: DA_SAR,
      fullName: names[i % 4]!,
      dateOfBirth: `19${40 + (i % 20)}-03-0${1 + (i % 9)}`,
      sex: 'MALE' as const,
      relationToHead: 'Chủ hộ',
      nationalId: makeNationalId('068', 1940 + (i % 20), 'MALE', serial++),
    },
    {
      householdId: h.id,
      communeCode: DA_SAR,
      fullName: 'Ka Thị Hoa',
      dateOfBirth: '1990-01-01',
      sex: 'FEMALE' as const,
      relationToHead: 'Con',
      nationalId: makeNationalId('068', 1990, 'FEMALE', serial++),
    },
    { householdId: h.id, communeCode: DA_SAR, fullName: 'Cil Bé', dateOfBirth: '2025-01-15', sex: 'MALE' as const, relationToHead: 'Cháu', nationalId: null },
  ]);
  const inserted = await db
    .insert(persons)
    .values(people)
    .returning({ id: persons.id, fullName: persons.fullName, relationToHead: persons.relationToHead, householdId: persons.householdId });
  const heads = inserted.filter((p) => p.relationToHead === 'Chủ hộ');
  const mothers = inserted.filter((p) => p.relationToHead === 'Con');
  for (const h of hh) {
    const head = heads.find((p) => p.householdId === h.id)!;
    await db
      .update(households)
      .set({ headPersonId: head.id })
      .where((await import('drizzle-orm')).eq(households.id, h.id));
  }
  await db
    .insert(disabilityCertificates)
    .values(heads.slice(0, 10).map((p, i) => ({ personId: p.id, level: 'SEVERE' as const, certificateNo: `GXN-${i}`, issuedOn: '2020-01-01' })));
  await db
    .insert(meritRecords)
    .values(heads.slice(5, 12).map((p, i) => ({ personId: p.id, category: 'WAR_INVALID', injuryRate: 41, decisionNo: `QĐ-${i}`, recognizedOn: '1985-01-01' })));
  await db
    .insert(pensionStatuses)
    .values(heads.slice(0, 20).map((p) => ({ personId: p.id, kind: 'RETIREMENT_PENSION' as const, monthlyAmount: 3_000_000, startsOn: '2005-01-01' })));
  await db.insert(pregnancies).values(mothers.slice(0, 3).map((p) => ({ personId: p.id, reportedOn: '2026-03-01', expectedDeliveryOn: '2026-10-01' })));
  // Households 0–14 poor, 15–24 near-poor under Decree 07/2021.
  await db.insert(povertyAssessments).values(
    hh.slice(0, 25).map((h, i) => ({
      householdId: h.id,
      assessedOn: '2025-12-15',
      standardCode: 'DECREE_07_2021',
      area: 'RURAL' as const,
      incomePerPerson: 1_000_000,
      deprivations: i < 15 ? ['NUTRITION', 'HEALTH_INSURANCE', 'HYGIENIC_LATRINE'] : ['NUTRITION'],
      classification: i < 15 ? ('POOR' as const) : ('NEAR_POOR' as const),
    })),
  );
  // Elderly people of another commune: must never be listed for Đạ Sar.
  await db
    .insert(persons)
    .values([
      { communeCode: DA_NHIM, fullName: 'Nguyễn Văn Đức', dateOfBirth: '1940-01-01', sex: 'MALE', nationalId: makeNationalId('068', 1940, 'MALE', 900001) },
    ]);
  // A dead elderly person in Đạ Sar.
  await db.insert(persons).values([{ communeCode: DA_SAR, fullName: 'Đã Mất', dateOfBirth: '1930-01-01', dateOfDeath: '2026-01-01', sex: 'FEMALE' }]);
}

beforeAll(async () => {
  t = await startTestApp();
  await seedPopulation();
});
afterAll(() => closeTestApp(t));

const PAGE = `query($c: String!, $g: BeneficiaryGroup, $s: String, $first: Int, $after: String, $asOf: Date) {
  beneficiaries(communeCode: $c, group: $g, search: $s, first: $first, after: $after, asOf: $asOf) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id fullName nationalId dateOfBirth communeCode
      groups(asOf: $asOf)
      household { code address povertyAssessment(asOf: $asOf) { classification standardCode }
        head { fullName } members { fullName relationToHead disabilityCertificates { level } } }
      disabilityCertificates { level issuedOn }
      meritRecords { category injuryRate }
      pensionStatuses { kind }
      pregnancies { expectedDeliveryOn }
    }
  }
}`;

describe('beneficiaries by commune', () => {
  it('lists the elderly of a commune, living only, with a total, and pages through them by cursor', async () => {
    const first = await t.gql(PAGE, { c: DA_SAR, g: 'ELDERLY', first: 50, asOf: AS_OF });
    expect(first.body.errors).toBeUndefined();
    const conn = first.body.data.beneficiaries;
    expect(conn.totalCount).toBe(60);
    expect(conn.nodes).toHaveLength(50);
    expect(conn.pageInfo.hasNextPage).toBe(true);
    expect(conn.nodes.every((n: { communeCode: string; groups: string[] }) => n.communeCode === DA_SAR && n.groups.includes('ELDERLY'))).toBe(true);
    const second = await t.gql(PAGE, { c: DA_SAR, g: 'ELDERLY', first: 50, after: conn.pageInfo.endCursor, asOf: AS_OF });
    const rest = second.body.data.beneficiaries;
    expect(rest.nodes).toHaveLength(10);
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const ids = new Set([...conn.nodes, ...rest.nodes].map((n: { id: string }) => n.id));
    expect(ids.size).toBe(60);
  });

  it('resolves a page of 50 with household, members and circumstances in a constant number of SQL statements', async () => {
    const count = async (first: number) => {
      const before = t.db.database.statementCount();
      const r = await t.gql(PAGE, { c: DA_SAR, g: 'ELDERLY', first, asOf: AS_OF });
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data.beneficiaries.nodes).toHaveLength(first);
      return t.db.database.statementCount() - before;
    };
    const forOne = await count(1);
    const forFifty = await count(50);
    console.log(`SQL statements: page of 1 → ${forOne}, page of 50 → ${forFifty}`);
    expect(forFifty).toBe(forOne);
    // page + count + household + groups + 4 circumstance lists + members + head + assessments + members' certificates
    expect(forFifty).toBeLessThanOrEqual(13);
  });

  it('finds the household groups and circumstances from the records in force', async () => {
    const count = async (g: string) => (await t.gql(PAGE, { c: DA_SAR, g, first: 1, asOf: AS_OF })).body.data.beneficiaries.totalCount;
    // 15 poor households × 3 members, 10 near-poor × 3.
    expect(await count('POOR_HOUSEHOLD')).toBe(45);
    expect(await count('NEAR_POOR_HOUSEHOLD')).toBe(30);
    expect(await count('DISABILITY')).toBe(10);
    expect(await count('MERIT')).toBe(7);
    expect(await count('PREGNANT_WOMAN')).toBe(3);
    expect(await count('CHILD_UNDER_36_MONTHS')).toBe(60);
    // Before the assessment was made, no household was poor.
    const early = await t.gql(PAGE, { c: DA_SAR, g: 'POOR_HOUSEHOLD', first: 1, asOf: '2025-12-01' });
    expect(early.body.data.beneficiaries.totalCount).toBe(0);
    // After the pregnancy's expected delivery (+30 days) with no end recorded, no longer pregnant.
    const late = await t.gql(PAGE, { c: DA_SAR, g: 'PREGNANT_WOMAN', first: 1, asOf: '2026-11-15' });
    expect(late.body.data.beneficiaries.totalCount).toBe(0);
  });

  it('searches names accent- and case-insensitively', async () => {
    const r = await t.gql(PAGE, { c: DA_SAR, s: 'nguyen van duc', first: 100, asOf: AS_OF });
    const names = r.body.data.beneficiaries.nodes.map((n: { fullName: string }) => n.fullName);
    expect(names.length).toBe(15);
    expect(new Set(names)).toEqual(new Set(['Nguyễn Văn Đức']));
    const upper = await t.gql(PAGE, { c: DA_SAR, s: 'HA ĐUC', first: 100, asOf: AS_OF });
    expect(upper.body.data.beneficiaries.totalCount).toBe(15);
    expect(upper.body.data.beneficiaries.nodes[0].fullName).toBe('Liêng Hót Ha Đức');
    // The same name typed with combining accents (NFD).
    const decomposed = await t.gql(PAGE, { c: DA_SAR, s: 'Nguyễn Văn Đức'.normalize('NFD'), first: 100, asOf: AS_OF });
    expect(decomposed.body.data.beneficiaries.totalCount).toBe(15);
    const wildcard = await t.gql(PAGE, { c: DA_SAR, s: '%', first: 10, asOf: AS_OF });
    expect(wildcard.body.data.beneficiaries.totalCount).toBe(0);
  });

  it('uses the trigram index for name search', async () => {
    const db = t.db.database.db;
    await db.execute('SET enable_seqscan = off');
    const plan = await db.execute(`EXPLAIN SELECT id FROM persons p WHERE p.full_name_search LIKE '%' || an_sinh_search_text('nguyen van duc') || '%'`);
    await db.execute('SET enable_seqscan = on');
    expect(JSON.stringify(plan.rows)).toContain('persons_name_trgm_idx');
  });

  it('rejects bad arguments with the field at fault', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ c: '99999' }, 'communeCode'],
      [{ c: '675' }, 'communeCode'],
      [{ c: DA_SAR, first: 500 }, 'first'],
      [{ c: DA_SAR, after: 'garbage' }, 'after'],
    ];
    for (const [vars, field] of cases) {
      const r = await t.gql(PAGE, vars);
      expect(r.body.errors?.[0]?.extensions, JSON.stringify(vars)).toMatchObject({ code: 'VALIDATION_FAILED', field });
    }
  });

  it('masks identification numbers for integration clients without the scope', async () => {
    const q = `{ beneficiaries(communeCode: "${DA_SAR}", group: ELDERLY, first: 1, asOf: "${AS_OF}") { nodes { nationalId } } }`;
    const masked = await t.gql(q, {}, await t.token('integration'));
    expect(masked.body.data.beneficiaries.nodes[0].nationalId).toMatch(/^068\*{6}\d{3}$/);
    const full = await t.gql(q, {}, await t.token('integration', [], 'person:national_id'));
    expect(full.body.data.beneficiaries.nodes[0].nationalId).toMatch(/^068\d{9}$/);
  });

  it('looks a person up by identification number, with household members', async () => {
    const some = await t.gql(`{ beneficiaries(communeCode: "${DA_SAR}", group: ELDERLY, first: 1, asOf: "${AS_OF}") { nodes { id nationalId } } }`);
    const { id, nationalId } = some.body.data.beneficiaries.nodes[0];
    const r = await t.gql(`query($n: String!) { personByNationalId(nationalId: $n) { id household { members { relationToHead } } } }`, { n: nationalId });
    expect(r.body.data.personByNationalId.id).toBe(id);
    expect(r.body.data.personByNationalId.household.members.map((m: { relationToHead: string }) => m.relationToHead).sort()).toEqual(['Cháu', 'Chủ hộ', 'Con']);
    const officer = await t.token('commune_officer', [DA_NHIM]);
    // Another commune's person is null, as an unknown number is (no existence leak: test/existence.test.ts).
    const denied = await t.gql(`query($n: String!) { personByNationalId(nationalId: $n) { id } }`, { n: nationalId }, officer);
    expect(denied.body).toEqual({ data: { personByNationalId: null } });
  });
});
