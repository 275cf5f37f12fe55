/**
 * Care allowances and provincial schemes through the real app (docs/law.md#care-allowances, #provincial-schemes):
 * Decree 20/2021 art. 20.1, 20.2.c and 20.2.d paid on top of the person's own allowance (not under art. 6.2), one
 * award per couple under art. 20.2, and a province's own scheme citing its People's Council resolution, paid on top
 * or competing under art. 6.2 as the resolution says.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { assess, certifyDisability, eligibility, enrolAndApprove, entitlements, flag, household, LAT, ok, person } from './support/people.js';

let t: TestApp;
let admin: string;
beforeAll(async () => {
  t = await startTestApp();
  admin = await t.token('admin');
});
afterAll(() => closeTestApp(t));

const certify = (personId: string, level: 'SEVERE' | 'PARTICULARLY_SEVERE') => certifyDisability(t, personId, level);

/** One month's lines by program. */
async function month(personId: string, period: string): Promise<{ total: number; lines: Map<string, JsonBody> }> {
  const [m] = await entitlements(t, personId, period, period);
  expect(m).toBeDefined();
  return { total: m!.total, lines: new Map(m!.lines.map((l: JsonBody) => [l.programCode, l])) };
}

describe('care allowances (Decree 20 art. 20) are paid on top', () => {
  it('20.2.c pays 1.0 × base to the household on top of the disabled member’s own 5.6 allowance', async () => {
    const h = await household(t, { commune: LAT });
    const id = await person(t, { dateOfBirth: '1985-04-12', householdId: h, isHead: true, commune: LAT });
    await certify(id, 'PARTICULARLY_SEVERE');
    const e = await eligibility(t, id, '2024-08-01');
    expect(e.get('D20_20_2C')).toMatchObject({ eligible: true, coefficient: 1, monthlyAmount: 500_000 });
    expect(e.get('D20_20_2D')).toMatchObject({ eligible: false });
    await enrolAndApprove(t, id, 'D20_5_6', '2024-08', LAT);
    await enrolAndApprove(t, id, 'D20_20_2C', '2024-08', LAT);
    const m = await month(id, '2024-08');
    expect(m.lines.get('D20_5_6')).toMatchObject({ status: 'PAYABLE', payableAmount: 1_000_000 });
    expect(m.lines.get('D20_20_2C')).toMatchObject({ status: 'PAYABLE', payableAmount: 500_000, coefficient: 1 });
    expect(m.total).toBe(1_500_000);
  });

  it('20.2.d goes to a non-family carer (2.5 for a child) instead of 20.2.c', async () => {
    const h = await household(t, { commune: LAT });
    const child = await person(t, { dateOfBirth: '2016-02-01', householdId: h, isHead: true, commune: LAT });
    await certify(child, 'PARTICULARLY_SEVERE');
    await flag(t, child, 'NON_FAMILY_CARER', '2024-01-01');
    const e = await eligibility(t, child, '2024-08-01');
    expect(e.get('D20_20_2D')).toMatchObject({ eligible: true, coefficient: 2.5, monthlyAmount: 1_250_000 });
    expect(e.get('D20_20_2C')).toMatchObject({ eligible: false });
    const failed = e.get('D20_20_2C').conditions.filter((c: JsonBody) => !c.held);
    expect(failed.map((c: JsonBody) => c.actual)).toEqual([expect.stringContaining('NON_FAMILY_CARER')]);
  });

  it('20.1 pays a community carer of a child without support on top of the child’s own 5.1 allowance', async () => {
    const h = await household(t, { commune: LAT });
    const child = await person(t, { dateOfBirth: '2021-09-01', householdId: h, isHead: true, commune: LAT });
    await flag(t, child, 'ORPHAN_NO_SUPPORT', '2024-01-01');
    await flag(t, child, 'COMMUNITY_CARER', '2024-01-01');
    await enrolAndApprove(t, child, 'D20_5_1', '2024-08', LAT);
    await enrolAndApprove(t, child, 'D20_20_1', '2024-08', LAT);
    // Under 4 in 2024-08: 2.5 × 500,000 for the child and 2.5 × 500,000 for the carer.
    const m = await month(child, '2024-08');
    expect(m.lines.get('D20_5_1')).toMatchObject({ status: 'PAYABLE', payableAmount: 1_250_000 });
    expect(m.lines.get('D20_20_1')).toMatchObject({ status: 'PAYABLE', payableAmount: 1_250_000 });
    expect(m.total).toBe(2_500_000);
  });
});

describe('one care allowance per couple (Decree 20 art. 20.2)', () => {
  it('pays one of two severely disabled spouses raising a baby, and both records agree which', async () => {
    const h = await household(t, { commune: LAT });
    const husband = await person(t, { dateOfBirth: '1990-03-03', sex: 'MALE', householdId: h, isHead: true, commune: LAT });
    const wife = await person(t, { dateOfBirth: '1992-05-05', householdId: h, relation: 'Vợ', commune: LAT });
    await person(t, { dateOfBirth: '2024-02-01', householdId: h, relation: 'Con', commune: LAT });
    await certify(husband, 'SEVERE');
    await certify(wife, 'PARTICULARLY_SEVERE');
    for (const id of [husband, wife])
      expect((await eligibility(t, id, '2024-08-01')).get('D20_20_2')).toMatchObject({ eligible: true, monthlyAmount: 750_000 });
    const first = await enrolAndApprove(t, wife, 'D20_20_2', '2024-08', LAT);
    const second = await enrolAndApprove(t, husband, 'D20_20_2', '2024-09', LAT);
    const [w, hb] = [await entitlements(t, wife, '2024-08', '2024-10'), await entitlements(t, husband, '2024-09', '2024-10')];
    const line = (months: JsonBody[], period: string) => months.find((m) => m.period === period)!.lines.find((l: JsonBody) => l.programCode === 'D20_20_2');
    expect(line(w, '2024-08')).toMatchObject({ status: 'PAYABLE', payableAmount: 750_000 });
    for (const period of ['2024-09', '2024-10']) {
      // Same amount: the enrolment that started first is paid; the other names it.
      expect(line(w, period)).toMatchObject({ status: 'PAYABLE', payableAmount: 750_000 });
      expect(line(hb, period)).toMatchObject({ status: 'SUPPRESSED', payableAmount: 0, suppressedBy: first, note: expect.stringContaining('art. 20.2') });
      expect(line(hb, period).noteVi).toContain('hai vợ chồng chỉ hưởng một mức');
    }
    expect(second).not.toBe(first);
    // A commune's payment cycle computes many people at once (entitlementsOfMany): it pays the couple once too.
    const cycle = await t.gql(
      `mutation($c: String!, $p: Period!) { createPaymentCycle(communeCode: $c, period: $p) { payments { enrolmentId personId programCode period kind amount } } }`,
      { c: LAT, p: '2024-10' },
      admin,
    );
    expect(cycle.body.errors).toBeUndefined();
    const couple = cycle.body.data.createPaymentCycle.payments.filter(
      (l: JsonBody) => l.programCode === 'D20_20_2' && l.period === '2024-10' && [wife, husband].includes(l.personId),
    );
    expect(couple).toEqual([{ enrolmentId: first, personId: wife, programCode: 'D20_20_2', period: '2024-10', kind: 'REGULAR', amount: 750_000 }]);
  });

  it('pays both once they no longer live together as head and spouse', async () => {
    const h = await household(t, { commune: LAT });
    const head = await person(t, { dateOfBirth: '1990-03-03', sex: 'MALE', householdId: h, isHead: true, commune: LAT });
    const wife = await person(t, { dateOfBirth: '1992-05-05', householdId: h, relation: 'Vợ', commune: LAT });
    await person(t, { dateOfBirth: '2024-02-01', householdId: h, relation: 'Con', commune: LAT });
    await certify(head, 'SEVERE');
    await certify(wife, 'SEVERE');
    await enrolAndApprove(t, head, 'D20_20_2', '2024-08', LAT);
    await enrolAndApprove(t, wife, 'D20_20_2', '2024-08', LAT);
    // A sister (not a spouse) in the same household would not count either: only head and wife/husband do.
    const [a, b] = [await month(head, '2024-08'), await month(wife, '2024-08')];
    const statuses = [a.lines.get('D20_20_2').status, b.lines.get('D20_20_2').status].sort();
    expect(statuses).toEqual(['PAYABLE', 'SUPPRESSED']);
  });
});

const PUBLISH = `mutation($input: PublishProvincialSchemeInput!) {
  publishProvincialScheme(input: $input) { code family kind legalBasis
    provincialScheme { programCode provinceCode resolutionNo resolutionIssuedOn validFrom validTo highestOnly publishedBy }
    ruleVersions { version effectiveFrom effectiveTo legalBasis confirmed } } }`;

/** A scheme for the poor elderly with no supporter, at a coefficient of the social-assistance base. */
const elderlyScheme = (code: string, coefficient: number, highestOnly: boolean) => ({
  code,
  nameVi: 'Trợ cấp bổ sung người cao tuổi nghèo (thử nghiệm)',
  nameEn: 'Supplement for poor elderly (test)',
  provinceCode: '68',
  resolutionNo: '15/2024/NQ-HĐND',
  resolutionIssuedOn: '2024-07-12',
  validFrom: '2024-08-01',
  highestOnly,
  definition: {
    summaryVi: `Người cao tuổi thuộc hộ nghèo không có người phụng dưỡng: hệ số ${coefficient}`,
    summaryEn: `Poor elderly with no supporter: ${coefficient}`,
    conditions: [
      { fact: 'ageYears', op: 'gte', value: 60 },
      { fact: 'householdPoverty', op: 'eq', value: 'POOR' },
      { fact: 'flags', op: 'includes', value: 'NO_SUPPORTER' },
    ],
    amount: { kind: 'BASE_TIMES_COEFFICIENT', base: 'SOCIAL_ASSISTANCE', coefficient },
  },
  examples: [
    {
      name: '65, poor, no supporter',
      asOf: '2024-08-01',
      facts: { ageYears: 65, householdPoverty: 'POOR', flags: ['NO_SUPPORTER'] },
      expectedEligible: true,
      expectedAmount: 500_000 * coefficient,
    },
  ],
});

async function poorElderly(): Promise<string> {
  const h = await household(t, { commune: LAT });
  const id = await person(t, { dateOfBirth: '1958-06-10', householdId: h, isHead: true, commune: LAT });
  await assess(t, h, 'POOR', '2022-01-15');
  await flag(t, id, 'NO_SUPPORTER');
  return id;
}

describe('provincial schemes (Decree 20 art. 4.3 as amended by Decree 76/2024)', () => {
  it('publishes a scheme citing its People’s Council resolution, with its first rule version', async () => {
    const p = ok(
      await t.gql(PUBLISH, { input: { ...elderlyScheme('P68_ELDERLY_TOPUP', 0.5, false), validTo: '2026-12-31' } }, admin),
      'publishProvincialScheme',
    );
    expect(p).toMatchObject({
      code: 'P68_ELDERLY_TOPUP',
      family: 'PROVINCIAL',
      kind: 'MONTHLY',
      legalBasis: expect.stringContaining('Nghị quyết 15/2024/NQ-HĐND ngày 12/07/2024 của Hội đồng nhân dân Tỉnh Lâm Đồng'),
      provincialScheme: {
        programCode: 'P68_ELDERLY_TOPUP',
        provinceCode: '68',
        resolutionNo: '15/2024/NQ-HĐND',
        resolutionIssuedOn: '2024-07-12',
        validFrom: '2024-08-01',
        validTo: '2026-12-31',
        highestOnly: false,
      },
      ruleVersions: [{ version: 1, effectiveFrom: '2024-08-01', effectiveTo: '2026-12-31', confirmed: true }],
    });
    const events = ok(await t.gql(`{ auditTrail(entityType: "ProvincialScheme", entityId: "P68_ELDERLY_TOPUP") { action } }`, {}, admin), 'auditTrail');
    expect(events).toEqual([{ action: 'publishProvincialScheme' }]);
  });

  it('pays a scheme outside highest-only on top, and one under it competes with 5.5.a', async () => {
    ok(await t.gql(PUBLISH, { input: elderlyScheme('P68_ELDERLY_HIGH', 2.0, true) }, admin), 'publishProvincialScheme');
    ok(await t.gql(PUBLISH, { input: elderlyScheme('P68_ELDERLY_PLUS', 0.2, false) }, admin), 'publishProvincialScheme');
    const id = await poorElderly();
    await enrolAndApprove(t, id, 'D20_5_5A', '2024-08', LAT);
    await enrolAndApprove(t, id, 'P68_ELDERLY_HIGH', '2024-08', LAT);
    await enrolAndApprove(t, id, 'P68_ELDERLY_PLUS', '2024-08', LAT);
    const m = await month(id, '2024-08');
    // 2.0 × 500,000 beats 5.5.a's 1.5 × 500,000 under art. 6.2; the 0.2 top-up is paid on top.
    expect(m.lines.get('P68_ELDERLY_HIGH')).toMatchObject({ status: 'PAYABLE', payableAmount: 1_000_000 });
    expect(m.lines.get('D20_5_5A')).toMatchObject({ status: 'SUPPRESSED', payableAmount: 0, note: expect.stringContaining('art. 6.2') });
    expect(m.lines.get('P68_ELDERLY_PLUS')).toMatchObject({ status: 'PAYABLE', payableAmount: 100_000 });
    expect(m.total).toBe(1_100_000);
  });

  it('refuses bad input on the field at fault, writing nothing', async () => {
    const before = ok(await t.gql(`{ programs { code } }`), 'programs').length;
    const cases: [Record<string, unknown>, string][] = [
      [{ code: 'ELDERLY' }, 'input.code'],
      [{ code: 'P01_ELDERLY' }, 'input.code'],
      [{ provinceCode: '99' }, 'input.provinceCode'],
      [{ provinceCode: LAT }, 'input.provinceCode'],
      [{ validFrom: '2020-01-01' }, 'input.validFrom'],
      [{ validTo: '2024-01-01' }, 'input.validTo'],
      [{ resolutionNo: '  ' }, 'input.resolutionNo'],
      [{ resolutionIssuedOn: '2099-01-01' }, 'input.resolutionIssuedOn'],
      [{ nameVi: '' }, 'input.nameVi'],
      [
        {
          examples: [
            {
              name: 'wrong amount',
              asOf: '2024-08-01',
              facts: { ageYears: 65, householdPoverty: 'POOR', flags: ['NO_SUPPORTER'] },
              expectedEligible: true,
              expectedAmount: 1,
            },
          ],
        },
        'input.examples[0]',
      ],
    ];
    for (const [change, field] of cases) {
      const r = await t.gql(PUBLISH, { input: { ...elderlyScheme('P68_BAD', 1, false), ...change } }, admin);
      expect(r.body.errors?.[0]?.extensions, JSON.stringify(change)).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(
        r.body.errors[0].extensions.problems.map((x: JsonBody) => x.field),
        JSON.stringify(change),
      ).toContain(field);
    }
    const forbidden = await t.gql(PUBLISH, { input: elderlyScheme('P68_BAD', 1, false) });
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const taken = await t.gql(PUBLISH, { input: elderlyScheme('P68_ELDERLY_TOPUP', 1, false) }, admin);
    expect(taken.body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.code' });
    expect(ok(await t.gql(`{ programs { code } }`), 'programs').length).toBe(before);
  });

  it('accepts exactly the codes of the form P68_…, for any string', async () => {
    const before = ok(await t.gql(`{ programs { code } }`), 'programs').length;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 45 }), fc.stringMatching(/^P6[0-9]_[A-Z0-9_]{0,38}$/)), async (code) => {
        // Examples fail on purpose: a valid code then gets only the examples' problem, and nothing is written.
        const input = { ...elderlyScheme(code, 1, false), examples: [{ name: 'x', facts: { ageYears: 65 }, expectedEligible: true }] };
        const r = await t.gql(PUBLISH, { input }, admin);
        const fields: string[] = (r.body.errors?.[0]?.extensions?.problems ?? []).map((x: JsonBody) => x.field);
        const valid = /^P68_[A-Z0-9_]{1,36}$/.test(code);
        expect(r.body.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
        expect(fields.includes('input.code')).toBe(!valid);
      }),
      { numRuns: 40 },
    );
    expect(ok(await t.gql(`{ programs { code } }`), 'programs').length).toBe(before);
  });
});
