/**
 * Rules through the real app: eligibility explained per condition, rule versions and base levels as data,
 * publishing guarded by examples and the admin role, circumstance flags, and the seeded rules' own examples.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RULES } from '../src/reference/programs.js';
import { runExamples } from '../src/modules/rules/rules.service.js';
import { loadRuleBook } from '../src/modules/rules/rules.repository.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';
import { assess, DA_SAR, eligibility, flag, household, LAT, ok, person } from './support/people.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => closeTestApp(t));

describe('seeded programs, rules and base levels', () => {
  it('seeds every program with a rule version citing its legal basis, and every seeded example passes', async () => {
    const r = ok(await t.gql(`{ programs { code legalBasis ruleVersions { version effectiveFrom legalBasis confirmed } } }`), 'programs');
    const codes = r.map((p: { code: string }) => p.code);
    for (const code of [
      'D20_5_1',
      'D20_5_3',
      'D20_5_4',
      'D20_5_5A',
      'D20_5_5B',
      'D20_5_5C',
      'D20_5_6',
      'D20_5_7',
      'D20_5_8',
      'D20_20_1',
      'D20_20_2',
      'D20_20_2C',
      'D20_20_2D',
      'SOCIAL_PENSION',
      'D39_BIRTH',
      'MERIT_WAR_INVALID',
      'MERIT_MARTYR_FAMILY',
      'MERIT_HEROIC_MOTHER',
    ]) {
      expect(codes).toContain(code);
    }
    for (const p of r) {
      expect(p.ruleVersions.length).toBeGreaterThan(0);
      for (const v of p.ruleVersions) expect(v.legalBasis).toMatch(/Nghị định|Luật|Pháp lệnh/);
    }
    const book = await loadRuleBook(t.db.database.db);
    for (const rule of RULES) {
      const outcomes = runExamples(book, rule.definition, rule.examples, rule.effectiveFrom);
      expect(outcomes.filter((o) => !o.passed).map((o) => `${rule.programCode}: ${o.example.name} → ${o.eligible} ${o.amount}`)).toEqual([]);
    }
  });

  it('seeds the confirmed base levels, and the 2026 ones flagged unconfirmed', async () => {
    const r = ok(await t.gql(`{ baseLevels { kind amount effectiveFrom confirmed } }`), 'baseLevels');
    const of = (kind: string) =>
      r
        .filter((b: { kind: string }) => b.kind === kind)
        .map((b: { effectiveFrom: string; amount: number; confirmed: boolean }) => [b.effectiveFrom, b.amount, b.confirmed]);
    expect(of('SOCIAL_ASSISTANCE')).toEqual([
      ['2021-07-01', 360_000, true],
      ['2024-07-01', 500_000, true],
      ['2026-07-01', 540_000, false],
    ]);
    expect(of('SOCIAL_PENSION')).toEqual([
      ['2025-07-01', 500_000, true],
      ['2026-07-01', 540_000, false],
    ]);
    expect(of('MERIT')).toEqual([
      ['2021-07-01', 1_624_000, true],
      ['2023-07-01', 2_055_000, true],
      ['2024-07-01', 2_789_000, true],
      ['2026-07-01', 3_012_000, false],
    ]);
  });

  it('re-seeding writes nothing (idempotent)', async () => {
    const { seedReferenceData } = await import('../src/reference/reference.js');
    const count = async () =>
      Number(
        (
          await t.db.database.db.execute(
            'SELECT (SELECT count(*) FROM program_rules) + (SELECT count(*) FROM base_levels) + (SELECT count(*) FROM programs) AS n',
          )
        ).rows[0]!.n,
      );
    const before = await count();
    await seedReferenceData(t.db.database.db);
    expect(await count()).toBe(before);
  });

  it('refuses to edit or delete a released base level or rule version in the database itself', async () => {
    const failure = (q: string) =>
      t.db.database.db.execute(q).then(
        () => 'no error',
        (err: unknown) => (err instanceof Error ? `${err.message} ${err.cause instanceof Error ? err.cause.message : ''}` : String(err)),
      );
    expect(await failure(`UPDATE base_levels SET amount = 1 WHERE kind = 'SOCIAL_ASSISTANCE'`)).toMatch(/never changed/);
    expect(await failure(`DELETE FROM program_rules`)).toMatch(/never changed/);
  });
});

describe('eligibility', () => {
  it('an 82-year-old without pension falls under 5.5c, with each condition explained', async () => {
    const id = await person(t, { dateOfBirth: '1942-03-10', commune: LAT });
    const e = await eligibility(t, id, '2024-07-15');
    const c = e.get('D20_5_5C');
    expect(c).toMatchObject({ eligible: true, monthlyAmount: 500_000, coefficient: 1, baseLevel: { amount: 500_000 }, ruleVersion: { version: 1 } });
    expect(c.legalBasis).toMatch(/20\/2021/);
    expect(c.startsFrom).toBe('2022-03'); // the month they turned 80
    const age = c.conditions.find((x: { fact: string }) => x.fact === 'ageYears');
    expect(age).toMatchObject({ operator: 'gte', expected: '80', actual: '82', held: true, text: 'age (years) 82 ≥ 80 ✓', textVi: 'tuổi 82 ≥ 80 ✓' });
    const pension = c.conditions.find((x: { fact: string }) => x.fact === 'receivesPension');
    expect(pension).toMatchObject({ held: true, actual: 'false' });
    expect(pension.text).toMatch(/: no ✓$/);
    // Not in a poor household: 5.5a fails, saying why.
    const a = e.get('D20_5_5A');
    expect(a.eligible).toBe(false);
    expect(a.conditions.find((x: { fact: string }) => x.fact === 'householdPoverty')).toMatchObject({ held: false, actual: 'NONE' });
    // Before 2024-07 the base was 360,000.
    expect((await eligibility(t, id, '2024-06-30')).get('D20_5_5C').monthlyAmount).toBe(360_000);
  });

  it('a pension makes 5.5c fail', async () => {
    const id = await person(t, { dateOfBirth: '1940-01-01', commune: LAT });
    ok(await t.gql(`mutation { recordPensionStatus(input: { personId: "${id}", kind: RETIREMENT_PENSION, startsOn: "2000-01-01" }) { id } }`));
    const c = (await eligibility(t, id, '2024-07-15')).get('D20_5_5C');
    expect(c.eligible).toBe(false);
    expect(c.conditions.find((x: { fact: string }) => x.fact === 'receivesPension')).toMatchObject({ held: false, actual: 'true' });
  });

  it('a child of 20 months in a poor household of an extremely disadvantaged commune falls under 5.7', async () => {
    const h = await household(t, { commune: DA_SAR });
    await person(t, { dateOfBirth: '1995-01-01', householdId: h, isHead: true });
    const child = await person(t, { dateOfBirth: '2022-11-15', householdId: h, relation: 'Con' });
    await assess(t, h, 'POOR');
    const e = await eligibility(t, child, '2024-07-20');
    expect(e.get('D20_5_7')).toMatchObject({ eligible: true, monthlyAmount: 750_000, coefficient: 1.5 });
    expect(e.get('D20_5_7').conditions.find((x: { fact: string }) => x.fact === 'ageMonths')).toMatchObject({ actual: '20', held: true });
    expect(e.get('D20_5_7').conditions.find((x: { fact: string }) => x.fact === 'disadvantagedArea')).toMatchObject({ actual: 'true', held: true });
    // The same child in Lát (not extremely disadvantaged) is not eligible.
    const h2 = await household(t, { commune: LAT });
    const other = await person(t, { dateOfBirth: '2022-11-15', householdId: h2, relation: 'Con', commune: LAT });
    await assess(t, h2, 'POOR');
    expect((await eligibility(t, other, '2024-07-20')).get('D20_5_7').eligible).toBe(false);
  });

  it('a 76-year-old near-poor person is eligible for the social pension from 2025-07, not before', async () => {
    const h = await household(t, { commune: LAT });
    const id = await person(t, { dateOfBirth: '1949-05-01', householdId: h, isHead: true, commune: LAT });
    await assess(t, h, 'NEAR_POOR');
    expect((await eligibility(t, id, '2025-08-01')).get('SOCIAL_PENSION')).toMatchObject({ eligible: true, monthlyAmount: 500_000 });
    const before = (await eligibility(t, id, '2025-06-01')).get('SOCIAL_PENSION');
    expect(before.eligible).toBe(false);
    expect(before.conditions.map((c: { fact: string }) => c.fact)).toContain('ruleInForce');
  });

  it('a war invalid at 61% gets 5,450,000 from 2024-07 and 4,016,000 before', async () => {
    const id = await person(t, { dateOfBirth: '1950-01-01', sex: 'MALE', commune: LAT });
    ok(
      await t.gql(
        `mutation { recordMeritStatus(input: { personId: "${id}", category: "WAR_INVALID", injuryRate: 61, decisionNo: "TB-61", recognizedOn: "1980-01-01" }) { id } }`,
      ),
    );
    expect((await eligibility(t, id, '2024-07-01')).get('MERIT_WAR_INVALID')).toMatchObject({
      eligible: true,
      monthlyAmount: 5_450_000,
      ruleVersion: { version: 2 },
    });
    expect((await eligibility(t, id, '2024-06-01')).get('MERIT_WAR_INVALID')).toMatchObject({
      eligible: true,
      monthlyAmount: 4_016_000,
      ruleVersion: { version: 1 },
    });
  });

  it('circumstance flags are validated, audited and read by the rules', async () => {
    const id = await person(t, { dateOfBirth: '1950-01-01', commune: LAT });
    const bad = await t.gql(
      `mutation { recordCircumstanceFlag(input: { personId: "${id}", flag: NO_SUPPORTER, validFrom: "2020-01-01", validTo: "2019-01-01", evidence: " " }) { id } }`,
    );
    expect(bad.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
    expect(bad.body.errors[0].extensions.problems.map((p: { field: string }) => p.field)).toEqual(['input.validTo', 'input.evidence']);
    await flag(t, id, 'NO_SUPPORTER');
    const trail = ok(await t.gql(`{ auditTrail(entityType: "Person", entityId: "${id}") { action } }`), 'auditTrail');
    expect(trail.map((e: { action: string }) => e.action)).toContain('recordCircumstanceFlag');
    const p = ok(await t.gql(`{ person(id: "${id}") { circumstanceFlags { flag validFrom evidence } } }`), 'person');
    expect(p.circumstanceFlags).toEqual([{ flag: 'NO_SUPPORTER', validFrom: '2020-01-01', evidence: 'BB-01/UBND' }]);
    const other = await t.gql(
      `mutation { recordCircumstanceFlag(input: { personId: "${id}", flag: HIV, validFrom: "2020-01-01", evidence: "x" }) { id } }`,
      undefined,
      await t.token('commune_officer', [DA_SAR]),
    );
    // Another commune's person answers as an unknown one (docs/security.md "No existence leak").
    expect(other.body.errors[0].extensions.code).toBe('NOT_FOUND');
  });
});

describe('publishing', () => {
  const definition = {
    summaryVi: 'Người cao tuổi từ 85 tuổi: hệ số 1,2 (thử nghiệm).',
    summaryEn: 'Aged 85 and over: 1.2 (trial).',
    conditions: [
      { fact: 'ageYears', op: 'gte', value: 85 },
      { fact: 'receivesPension', op: 'eq', value: false },
    ],
    amount: { kind: 'BASE_TIMES_COEFFICIENT', base: 'SOCIAL_ASSISTANCE', coefficient: 1.2 },
  };
  const PUBLISH = `mutation($input: PublishRuleVersionInput!) { publishRuleVersion(input: $input) { programCode version effectiveFrom legalBasis summary publishedBy } }`;

  it('refuses a version whose examples fail, listing each failing example', async () => {
    const admin = await t.token('admin');
    const r = await t.gql(
      PUBLISH,
      {
        input: {
          programCode: 'D20_5_5C',
          effectiveFrom: '2027-01-01',
          legalBasis: 'Nghị định thử nghiệm',
          definition,
          examples: [
            // 1.2 × 540,000, the base level applying from 2026-07-01.
            { name: 'ok case', asOf: '2027-01-01', facts: { ageYears: 86 }, expectedEligible: true, expectedAmount: 648_000 },
            { name: 'wrong amount', asOf: '2027-01-01', facts: { ageYears: 86 }, expectedEligible: true, expectedAmount: 500_000 },
            { name: 'wrong eligibility', facts: { ageYears: 82 }, expectedEligible: true },
          ],
        },
      },
      admin,
    );
    const ext = r.body.errors[0].extensions;
    expect(ext.code).toBe('VALIDATION_FAILED');
    expect(ext.problems.map((p: { field: string }) => p.field)).toEqual(['input.examples[1]', 'input.examples[2]']);
    expect(ext.problems[1].en).toMatch(/age \(years\) 82 ≥ 85 ✗/);
  });

  it('refuses a malformed definition naming the field, and non-admins', async () => {
    const admin = await t.token('admin');
    const bad = await t.gql(
      PUBLISH,
      {
        input: {
          programCode: 'D20_5_5C',
          effectiveFrom: '2027-01-01',
          legalBasis: 'x',
          definition: { ...definition, conditions: [{ fact: 'ageYears', op: 'includes', value: 80 }] },
          examples: [{ name: 'a', facts: {}, expectedEligible: false }],
        },
      },
      admin,
    );
    expect(bad.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.definition.conditions[0].op' });
    const officer = await t.gql(
      PUBLISH,
      { input: { programCode: 'D20_5_5C', effectiveFrom: '2027-01-01', legalBasis: 'x', definition, examples: [] } },
      await t.token('district_officer'),
    );
    expect(officer.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('publishes a new version that takes over from its effective date; the old one stays', async () => {
    const admin = await t.token('admin');
    const r = await t.gql(
      PUBLISH,
      {
        input: {
          programCode: 'D20_5_5C',
          effectiveFrom: '2027-01-01',
          legalBasis: 'Nghị định thử nghiệm, điều 1',
          definition,
          examples: [
            { name: '86', asOf: '2027-01-01', facts: { ageYears: 86 }, expectedEligible: true, expectedAmount: 648_000 },
            { name: '82', facts: { ageYears: 82 }, expectedEligible: false },
          ],
        },
      },
      admin,
    );
    // Version 3: the seeded versions are 1 (2021-07-01) and 2 (2025-07-01, legal status unconfirmed).
    expect(ok(r, 'publishRuleVersion')).toMatchObject({
      programCode: 'D20_5_5C',
      version: 3,
      effectiveFrom: '2027-01-01',
      publishedBy: 'test-admin',
      summary: definition.summaryVi,
    });
    const id = await person(t, { dateOfBirth: '1944-01-01', commune: LAT });
    expect((await eligibility(t, id, '2026-12-31')).get('D20_5_5C')).toMatchObject({ eligible: true, ruleVersion: { version: 2 } });
    expect((await eligibility(t, id, '2027-01-02')).get('D20_5_5C')).toMatchObject({ eligible: false, ruleVersion: { version: 3 } });
    const versions = ok(await t.gql(`{ program(code: "D20_5_5C") { ruleVersions { version } v: ruleVersion(asOf: "2027-06-01") { version } } }`), 'program');
    expect(versions).toEqual({ ruleVersions: [{ version: 1 }, { version: 2 }, { version: 3 }], v: { version: 3 } });
  });

  it('publishes a base level once per kind and date (admin only)', async () => {
    // A level of our own invention on a date no seeded level uses (the 2026 levels are seeded: test/law-levels.test.ts).
    const q = `mutation { publishBaseLevel(kind: MERIT, amount: 3250000, effectiveFrom: "2028-07-01", legalBasis: "Nghị định thử nghiệm", confirmed: false) { amount confirmed publishedBy } }`;
    expect((await t.gql(q)).body.errors[0].extensions.code).toBe('FORBIDDEN');
    const admin = await t.token('admin');
    expect(ok(await t.gql(q, undefined, admin), 'publishBaseLevel')).toEqual({ amount: 3_250_000, confirmed: false, publishedBy: 'test-admin' });
    expect((await t.gql(q, undefined, admin)).body.errors[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'effectiveFrom' });
  });
});

describe('publishing under concurrency', () => {
  it('lets exactly one of several simultaneous publications of the same base level through; the rest are CONFLICT, never INTERNAL', async () => {
    const admin = await t.token('admin');
    const q = `mutation { publishBaseLevel(kind: SOCIAL_PENSION, amount: 580000, effectiveFrom: "2028-07-01", legalBasis: "Nghị định thử nghiệm", confirmed: false) { amount } }`;
    const results = await Promise.all(Array.from({ length: 8 }, () => t.gql(q, undefined, admin)));
    const codes = results.map((r) => r.body.errors?.[0]?.extensions?.code ?? 'OK').sort();
    expect(codes).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT', 'OK']);
  });
});
