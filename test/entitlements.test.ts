/**
 * Enrolments and month-by-month entitlements through the real app: the law's start and stop months,
 * Decree 20 art. 6.2 and the social pension's "higher of the two", death, a base level applying from before it
 * came into force (arrears), and the coverage gaps (eligible, not enrolled).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { assess, DA_SAR, ENROL, enrolAndApprove, entitlements, flag, household, LAT, ok, person } from './support/people.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => closeTestApp(t));

const month = <M extends { period: string }>(months: M[], period: string) => months.find((m) => m.period === period);

describe('enrolments', () => {
  it('an 82-year-old without pension: 5.5c pays 360,000 for 2024-06 and 500,000 for 2024-07; death in 2024-09 stops it from 2024-10', async () => {
    const id = await person(t, { dateOfBirth: '1942-02-10', commune: LAT });
    const enrolment = await enrolAndApprove(t, id, 'D20_5_5C', '2024-06', LAT);
    let months = await entitlements(t, id, '2024-05', '2024-07');
    expect(months.map((m) => [m.period, m.total])).toEqual([
      ['2024-05', 0],
      ['2024-06', 360_000],
      ['2024-07', 500_000],
    ]);
    expect(month(months, '2024-07').lines[0]).toMatchObject({
      programCode: 'D20_5_5C',
      status: 'PAYABLE',
      amount: 500_000,
      coefficient: 1,
      baseLevel: { amount: 500_000, effectiveFrom: '2024-07-01' },
      ruleVersion: { version: 1 },
      enrolment: { id: enrolment },
    });
    expect(month(months, '2024-06').lines[0].baseLevel).toMatchObject({ amount: 360_000, effectiveFrom: '2021-07-01' });

    ok(await t.gql(`mutation { recordDeath(personId: "${id}", dateOfDeath: "2024-09-15") { id } }`));
    months = await entitlements(t, id, '2024-08', '2024-11');
    expect(months.map((m) => [m.period, m.total])).toEqual([
      ['2024-08', 500_000],
      ['2024-09', 500_000],
      ['2024-10', 0],
      ['2024-11', 0],
    ]);
    const e = ok(await t.gql(`{ enrolment(id: "${enrolment}") { status endPeriod endReason person { id } program { code } } }`), 'enrolment');
    expect(e).toEqual({ status: 'ENDED', endPeriod: '2024-09', endReason: 'DEATH', person: { id }, program: { code: 'D20_5_5C' } });
    const p = ok(await t.gql(`{ person(id: "${id}") { enrolments { id programCode status startPeriod endPeriod } } }`), 'person');
    expect(p.enrolments).toEqual([{ id: enrolment, programCode: 'D20_5_5C', status: 'ENDED', startPeriod: '2024-06', endPeriod: '2024-09' }]);
    // The death and the enrolment's end are audited in the same request.
    const trail = ok(await t.gql(`{ auditTrail(entityType: "Enrolment", entityId: "${enrolment}") { action } }`), 'auditTrail');
    expect(trail.map((x: { action: string }) => x.action)).toEqual(['enrol', 'approveEnrolment', 'endEnrolment']);
  });

  it('a death on the first day of a month still pays that month (payment stops from the month after death)', async () => {
    const id = await person(t, { dateOfBirth: '1941-05-05', commune: LAT });
    await enrolAndApprove(t, id, 'D20_5_5C', '2024-07', LAT);
    ok(await t.gql(`mutation { recordDeath(personId: "${id}", dateOfDeath: "2024-09-01") { id } }`));
    const months = await entitlements(t, id, '2024-08', '2024-10');
    expect(months.map((m) => [m.period, m.total])).toEqual([
      ['2024-08', 500_000],
      ['2024-09', 500_000],
      ['2024-10', 0],
    ]);
  });

  it('5.5c starts no earlier than the month the person turns 80', async () => {
    const id = await person(t, { dateOfBirth: '1944-03-20', commune: LAT });
    const officer = await t.token('commune_officer', [LAT]);
    const early = await t.gql(
      ENROL,
      { input: { personId: id, programCode: 'D20_5_5C', decisionNo: 'QĐ-1', decisionDate: '2024-05-02', startPeriod: '2024-02' } },
      officer,
    );
    expect(early.body.errors[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.startPeriod' });
    expect(early.body.errors[0].extensions.reasons[0]).toMatchObject({ fact: 'ageYears', actual: '79' });
    // From the month they turn 80, even before the decision month (arrears back to it).
    await enrolAndApprove(t, id, 'D20_5_5C', '2024-03', LAT, '2024-05-02');
    const months = await entitlements(t, id, '2024-03', '2024-04');
    // Turns 80 on the 20th: March is paid (eligible on the last day of the month).
    expect(months.map((m) => m.total)).toEqual([360_000, 360_000]);
  });

  it('other programs start no earlier than the decision month', async () => {
    const id = await person(t, { dateOfBirth: '1950-01-01', commune: LAT });
    ok(
      await t.gql(
        `mutation { recordMeritStatus(input: { personId: "${id}", category: "MARTYR_RELATIVE", decisionNo: "LS-1", recognizedOn: "1990-01-01" }) { id } }`,
      ),
    );
    const r = await t.gql(
      ENROL,
      { input: { personId: id, programCode: 'MERIT_MARTYR_FAMILY', decisionNo: 'QĐ-LS', decisionDate: '2024-05-02', startPeriod: '2024-04' } },
      await t.token('commune_officer', [LAT]),
    );
    expect(r.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.startPeriod' });
    expect(r.body.errors[0].message).toMatch(/decision \(2024-05\)/);
    await enrolAndApprove(t, id, 'MERIT_MARTYR_FAMILY', '2024-05', LAT, '2024-05-02');
    expect((await entitlements(t, id, '2024-05', '2024-07')).map((m) => m.total)).toEqual([2_055_000, 2_055_000, 2_789_000]);
  });

  it('refuses to enrol someone not eligible, with CONFLICT and the failing conditions', async () => {
    const id = await person(t, { dateOfBirth: '1970-01-01', commune: LAT });
    const r = await t.gql(
      ENROL,
      { input: { personId: id, programCode: 'D20_5_5C', decisionNo: 'QĐ-2', decisionDate: '2024-07-01', startPeriod: '2024-07' } },
      await t.token('commune_officer', [LAT]),
    );
    const ext = r.body.errors[0].extensions;
    expect(ext.code).toBe('CONFLICT');
    expect(ext.reasons.map((c: { fact: string }) => c.fact)).toEqual(['ageYears']);
    expect(ext.reasons[0]).toMatchObject({ held: false, actual: '54', expected: '80' });
    expect(r.body.errors[0].message).toMatch(/age \(years\) 54 ≥ 80 ✗/);
    expect(Number((await t.db.database.db.execute(`SELECT count(*)::int AS n FROM enrolments WHERE person_id = '${id}'`)).rows[0]!.n)).toBe(0);
  });

  it('whoever proposes cannot approve; commune officers propose only in their communes; a second open enrolment conflicts', async () => {
    const id = await person(t, { dateOfBirth: '1940-01-01', commune: LAT });
    const input = { personId: id, programCode: 'D20_5_5C', decisionNo: 'QĐ-3', decisionDate: '2024-07-01', startPeriod: '2024-07' };
    // Another commune's person answers as an unknown one (docs/security.md "No existence leak").
    const elsewhere = await t.gql(ENROL, { input }, await t.token('commune_officer', [DA_SAR]));
    expect(elsewhere.body.errors[0].extensions.code).toBe('NOT_FOUND');
    const district = await t.token('district_officer');
    const e = ok(await t.gql(ENROL, { input }, district), 'enrol');
    const self = await t.gql(`mutation { approveEnrolment(id: "${e.id}") { id } }`, undefined, district);
    expect(self.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const commune = await t.gql(`mutation { approveEnrolment(id: "${e.id}") { id } }`, undefined, await t.token('commune_officer', [LAT]));
    expect(commune.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const again = await t.gql(ENROL, { input }, await t.token('commune_officer', [LAT]));
    expect(again.body.errors[0].extensions.code).toBe('CONFLICT');
    // Proposed: nothing owed yet.
    expect((await entitlements(t, id, '2024-07', '2024-07'))[0].total).toBe(0);
    expect(ok(await t.gql(`mutation { approveEnrolment(id: "${e.id}") { status } }`, undefined, await t.token('admin')), 'approveEnrolment').status).toBe(
      'ACTIVE',
    );
    expect((await entitlements(t, id, '2024-07', '2024-07'))[0].total).toBe(500_000);
    const ended = ok(
      await t.gql(`mutation { endEnrolment(id: "${e.id}", endPeriod: "2024-12", reason: "Chuyển đi nơi khác") { status endPeriod endReason } }`),
      'endEnrolment',
    );
    expect(ended).toEqual({ status: 'ENDED', endPeriod: '2024-12', endReason: 'Chuyển đi nơi khác' });
    expect((await entitlements(t, id, '2024-12', '2025-01')).map((m) => m.total)).toEqual([500_000, 0]);
  });
});

describe('only the highest allowance', () => {
  it('an 82-year-old in a poor household with no supporter: 5.5a at 2.0 (1,000,000 from 2024-07), 5.5c suppressed (art. 6.2)', async () => {
    const h = await household(t, { commune: LAT });
    const id = await person(t, { dateOfBirth: '1942-01-05', householdId: h, isHead: true, commune: LAT });
    await assess(t, h, 'POOR');
    await flag(t, id, 'NO_SUPPORTER');
    const a = await enrolAndApprove(t, id, 'D20_5_5A', '2024-06', LAT);
    const c = await enrolAndApprove(t, id, 'D20_5_5C', '2024-06', LAT);
    const months = await entitlements(t, id, '2024-06', '2024-07');
    expect(months.map((m) => m.total)).toEqual([720_000, 1_000_000]);
    const july = month(months, '2024-07').lines;
    expect(july.find((l: { programCode: string }) => l.programCode === 'D20_5_5A')).toMatchObject({
      status: 'PAYABLE',
      coefficient: 2,
      amount: 1_000_000,
      payableAmount: 1_000_000,
    });
    const sup = july.find((l: { programCode: string }) => l.programCode === 'D20_5_5C');
    expect(sup).toMatchObject({ status: 'SUPPRESSED', amount: 500_000, payableAmount: 0, suppressedBy: a });
    expect(sup.note).toMatch(/6\.2/);
    expect(c).not.toBe(a);
  });

  it('a single parent (5.4) with a severe disability (5.6) receives both', async () => {
    const h = await household(t, { commune: LAT });
    const mother = await person(t, { dateOfBirth: '1990-01-01', householdId: h, isHead: true, commune: LAT });
    await person(t, { dateOfBirth: '2015-01-01', householdId: h, relation: 'Con', commune: LAT });
    await person(t, { dateOfBirth: '2018-01-01', householdId: h, relation: 'Con', commune: LAT });
    await assess(t, h, 'NEAR_POOR');
    await flag(t, mother, 'SINGLE_PARENT');
    ok(await t.gql(`mutation { recordDisability(input: { personId: "${mother}", level: SEVERE, certificateNo: "GXN-9", issuedOn: "2023-01-10" }) { id } }`));
    await enrolAndApprove(t, mother, 'D20_5_4', '2024-07', LAT);
    await enrolAndApprove(t, mother, 'D20_5_6', '2024-07', LAT);
    const [july] = await entitlements(t, mother, '2024-07', '2024-07');
    // 5.4: 1.0 per child × 2 children = 1,000,000; 5.6 severe adult: 1.5 = 750,000; both paid.
    expect(
      july.lines.map((l: { programCode: string; status: string; coefficient: number; payableAmount: number }) => [
        l.programCode,
        l.status,
        l.coefficient,
        l.payableAmount,
      ]),
    ).toEqual([
      ['D20_5_4', 'PAYABLE', 2, 1_000_000],
      ['D20_5_6', 'PAYABLE', 1.5, 750_000],
    ]);
    expect(july.total).toBe(1_750_000);
  });

  it('a 76-year-old near-poor person in 2025-08 receives the social pension, 500,000; with 5.5b the higher one wins', async () => {
    const h = await household(t, { commune: LAT });
    const id = await person(t, { dateOfBirth: '1949-05-01', householdId: h, isHead: true, commune: LAT });
    await assess(t, h, 'NEAR_POOR');
    await enrolAndApprove(t, id, 'SOCIAL_PENSION', '2025-08', LAT);
    const [aug] = await entitlements(t, id, '2025-08', '2025-08');
    expect(aug).toMatchObject({ total: 500_000, lines: [{ programCode: 'SOCIAL_PENSION', status: 'PAYABLE', amount: 500_000 }] });

    // In an extremely disadvantaged commune the same person is also under 5.5b (1.0 × 500,000): a tie, the
    // social-assistance allowance is kept and the pension line says why.
    const h2 = await household(t, { commune: DA_SAR });
    const other = await person(t, { dateOfBirth: '1949-05-01', householdId: h2, isHead: true, commune: DA_SAR });
    await assess(t, h2, 'NEAR_POOR');
    await enrolAndApprove(t, other, 'D20_5_5B', '2025-07', DA_SAR);
    await enrolAndApprove(t, other, 'SOCIAL_PENSION', '2025-08', DA_SAR);
    const [aug2] = await entitlements(t, other, '2025-08', '2025-08');
    expect(aug2.total).toBe(500_000);
    const pension = aug2.lines.find((l: { programCode: string }) => l.programCode === 'SOCIAL_PENSION');
    expect(pension).toMatchObject({ status: 'SUPPRESSED', payableAmount: 0 });
    expect(pension.note).toMatch(/higher of the two/);
  });
});

describe('start and stop months', () => {
  it('a child of 20 months in a poor household of an extremely disadvantaged commune: 5.7 pays 750,000 from 2024-07, until the month they turn 36 months', async () => {
    const h = await household(t, { commune: DA_SAR });
    await person(t, { dateOfBirth: '1996-01-01', householdId: h, isHead: true });
    const child = await person(t, { dateOfBirth: '2022-11-15', householdId: h, relation: 'Con' });
    await assess(t, h, 'POOR');
    await enrolAndApprove(t, child, 'D20_5_7', '2024-07', DA_SAR);
    const months = await entitlements(t, child, '2024-06', '2025-12');
    expect(month(months, '2024-06').total).toBe(0);
    expect(month(months, '2024-07')).toMatchObject({ total: 750_000, lines: [{ coefficient: 1.5, baseLevel: { amount: 500_000 } }] });
    // 36 months on 2025-11-15: November still paid (35 months on its first day), nothing from December.
    expect(month(months, '2025-11').total).toBe(750_000);
    const dec = month(months, '2025-12');
    expect(dec.total).toBe(0);
    expect(dec.lines[0]).toMatchObject({ status: 'NOT_ELIGIBLE', payableAmount: 0 });
    expect(dec.lines[0].failedConditions.map((c: { fact: string }) => c.fact)).toEqual(['ageMonths']);
  });

  it('a war invalid at 61%: 5,450,000 for 2024-07 (4,016,000 for 2024-06)', async () => {
    const id = await person(t, { dateOfBirth: '1952-01-01', sex: 'MALE', commune: LAT });
    ok(
      await t.gql(
        `mutation { recordMeritStatus(input: { personId: "${id}", category: "WAR_INVALID", injuryRate: 61, decisionNo: "TB-61b", recognizedOn: "1980-01-01" }) { id } }`,
      ),
    );
    await enrolAndApprove(t, id, 'MERIT_WAR_INVALID', '2024-06', LAT);
    const months = await entitlements(t, id, '2024-06', '2024-07');
    expect(months.map((m) => m.total)).toEqual([4_016_000, 5_450_000]);
    expect(month(months, '2024-07').lines[0]).toMatchObject({ baseLevel: { amount: 2_789_000 }, ruleVersion: { version: 2 } });
  });
});

describe('a base level that applies from before it was published', () => {
  it('the seeded 540,000 from 2026-07-01 (Decree 335/2026, in force 2026-10-05) makes 2026-07..2026-10 540,000 × coefficient, showing its row', async () => {
    const h = await household(t, { commune: LAT });
    const id = await person(t, { dateOfBirth: '1943-06-01', householdId: h, isHead: true, commune: LAT });
    await assess(t, h, 'POOR', '2025-06-01');
    await flag(t, id, 'NO_SUPPORTER');
    await enrolAndApprove(t, id, 'D20_5_5A', '2025-07', LAT);
    const months: JsonBody[] = ok(
      await t.gql(
        `{ entitlements(personId: "${id}", from: "2026-06", to: "2026-10") { period total lines { coefficient baseLevelInForce unconfirmed baseLevel { amount effectiveFrom inForceOn confirmed publishedBy } } } }`,
      ),
      'entitlements',
    );
    expect(months.map((m: { total: number }) => m.total)).toEqual([1_000_000, 1_080_000, 1_080_000, 1_080_000, 1_080_000]);
    expect(month(months, '2026-07').lines[0]).toMatchObject({
      coefficient: 2,
      unconfirmed: true,
      baseLevelInForce: false,
      baseLevel: { amount: 540_000, effectiveFrom: '2026-07-01', inForceOn: '2026-10-05', confirmed: false, publishedBy: 'seed:reference' },
    });
    expect(month(months, '2026-10').lines[0]).toMatchObject({ baseLevelInForce: true, unconfirmed: true });
    expect(month(months, '2026-06').lines[0]).toMatchObject({ baseLevel: { amount: 500_000 }, baseLevelInForce: true, unconfirmed: false });
  });
});

describe('enrolments never approved', () => {
  it('a proposed enrolment ended (by hand or by death) before approval owes nothing', async () => {
    const officer = await t.token('commune_officer', [LAT]);
    const propose = async (id: string) =>
      ok(
        await t.gql(
          ENROL,
          { input: { personId: id, programCode: 'D20_5_5C', decisionNo: 'QĐ-P', decisionDate: '2024-06-10', startPeriod: '2024-06' } },
          officer,
        ),
        'enrol',
      ).id as string;
    const a = await person(t, { dateOfBirth: '1942-02-10', commune: LAT });
    const ea = await propose(a);
    ok(await t.gql(`mutation { endEnrolment(id: "${ea}", endPeriod: "2024-08", reason: "withdrawn") { status } }`, undefined, officer));
    expect((await entitlements(t, a, '2024-06', '2024-08')).map((m) => m.total)).toEqual([0, 0, 0]);
    const BEN = `{ beneficiaries(communeCode: "${LAT}", programCode: "D20_5_5C", asOf: "2024-07-01", first: 200) { nodes { id } } }`;
    expect(ok(await t.gql(BEN), 'beneficiaries').nodes.map((n: { id: string }) => n.id)).not.toContain(a);
    const b = await person(t, { dateOfBirth: '1942-02-10', commune: LAT });
    await propose(b);
    ok(await t.gql(`mutation { recordDeath(personId: "${b}", dateOfDeath: "2024-08-15") { id } }`));
    expect((await entitlements(t, b, '2024-06', '2024-08')).map((m) => m.total)).toEqual([0, 0, 0]);
  });
});

describe('coverage gaps', () => {
  it('lists people eligible but not enrolled, with reasons, and drops them once enrolled; beneficiaries filters by program', async () => {
    const id = await person(t, { dateOfBirth: '1941-08-08', commune: LAT });
    const Q = `query($after: String) { coverageGaps(communeCode: "${LAT}", programCode: "D20_5_5C", asOf: "2024-08-01", first: 500, after: $after) {
      totalCount byProgram { programCode count } pageInfo { hasNextPage endCursor } nodes { person { id } programCode monthlyAmount ruleVersion { version } reasons { fact held text } } } }`;
    const gaps = ok(await t.gql(Q), 'coverageGaps');
    const mine = gaps.nodes.find((n: { person: { id: string } }) => n.person.id === id);
    expect(mine).toMatchObject({ programCode: 'D20_5_5C', monthlyAmount: 500_000, ruleVersion: { version: 1 } });
    expect(mine.reasons.every((r: { held: boolean }) => r.held)).toBe(true);
    expect(mine.reasons.find((r: { fact: string }) => r.fact === 'ageYears').text).toBe('age (years) 82 ≥ 80 ✓');
    expect(gaps.totalCount).toBe(gaps.nodes.length);
    expect(gaps.byProgram).toEqual([{ programCode: 'D20_5_5C', count: gaps.totalCount }]);
    // Every gap really is eligible and not enrolled in a competing allowance.
    for (const n of gaps.nodes) expect(n.reasons.every((r: { held: boolean }) => r.held)).toBe(true);

    const BEN = `{ beneficiaries(communeCode: "${LAT}", programCode: "D20_5_5C", asOf: "2024-08-01", first: 200) { totalCount nodes { id } } }`;
    const enrolledBefore: { totalCount: number; nodes: { id: string }[] } = ok(await t.gql(BEN), 'beneficiaries');
    expect(enrolledBefore.nodes.map((n) => n.id)).not.toContain(id);
    await enrolAndApprove(t, id, 'D20_5_5C', '2024-08', LAT);
    const after = ok(await t.gql(Q), 'coverageGaps');
    expect(after.nodes.map((n: { person: { id: string } }) => n.person.id)).not.toContain(id);
    expect(after.totalCount).toBe(gaps.totalCount - 1);
    const enrolled = ok(await t.gql(BEN), 'beneficiaries');
    expect(enrolled.nodes.map((n: { id: string }) => n.id)).toContain(id);
    expect(enrolled.totalCount).toBe(enrolledBefore.totalCount + 1);

    // Paging: one at a time gives the same gaps.
    let cursor: string | null = null;
    const seen: string[] = [];
    for (;;) {
      const page = ok(await t.gql(Q.replace('first: 500', 'first: 1'), { after: cursor }), 'coverageGaps');
      seen.push(...page.nodes.map((n: { person: { id: string } }) => n.person.id));
      // The count comes with each page (one evaluation of the gaps): every gap, whatever the cursor.
      expect([page.totalCount, page.byProgram]).toEqual([after.totalCount, after.byProgram]);
      if (!page.pageInfo.hasNextPage) break;
      cursor = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(after.nodes.map((n: { person: { id: string } }) => n.person.id));
  });

  it('integration clients need the benefits:read scope (the reasons reveal health and HIV circumstances)', async () => {
    const q = `{ coverageGaps(communeCode: "${LAT}", asOf: "2024-08-01") { totalCount } }`;
    expect((await t.gql(q, undefined, await t.token('integration'))).body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await t.gql(q, undefined, await t.token('integration', [], 'benefits:read'))).body.errors).toBeUndefined();
  });

  it("one request reads the rule book once: the gaps' program fields cost no statement of their own", async () => {
    await person(t, { dateOfBirth: '1940-03-03', commune: LAT });
    const statements = async (nodeFields: string) => {
      const before = t.db.database.statementCount();
      const gaps = ok(
        await t.gql(`{ coverageGaps(communeCode: "${LAT}", programCode: "D20_5_5C", asOf: "2024-08-01", first: 5) { nodes { ${nodeFields} } } }`),
        'coverageGaps',
      );
      expect(gaps.nodes.length).toBeGreaterThan(0);
      return t.db.database.statementCount() - before;
    };
    const without = await statements('programCode');
    const withProgram = await statements('programCode program { code name ruleVersions { version } }');
    expect(withProgram).toBe(without);
  });

  it('a commune officer whose token names no commune sees no gaps (not an internal error)', async () => {
    await person(t, { dateOfBirth: '1939-04-04', commune: LAT });
    const r = await t.gql(`{ coverageGaps(asOf: "2024-08-01") { totalCount nodes { programCode } } }`, undefined, await t.token('commune_officer', []));
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.coverageGaps).toEqual({ totalCount: 0, nodes: [] });
  });

  it('a cursor not returned by the API is refused as VALIDATION_FAILED, not an internal error', async () => {
    const after = Buffer.from(`g:${'a'.repeat(36)}:D20_5_5C`).toString('base64url');
    const r = await t.gql(
      `query($after: String) { coverageGaps(communeCode: "${LAT}", programCode: "D20_5_5C", asOf: "2024-08-01", after: $after) { totalCount } }`,
      { after },
    );
    expect(r.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('integration clients without benefits:read get circumstance flags and enrolments withheld, not an error', async () => {
    const id = await person(t, { dateOfBirth: '1942-02-10', commune: LAT });
    await flag(t, id, 'HIV');
    await enrolAndApprove(t, id, 'D20_5_5C', '2024-06', LAT);
    for (const [field, name] of [
      ['circumstanceFlags { flag }', 'circumstanceFlags'],
      ['enrolments { programCode }', 'enrolments'],
    ] as const) {
      const q = `{ person(id: "${id}") { id ${field} } }`;
      // Withheld (docs/security.md "Need-to-know fields"): an empty list and a note, never the data.
      const denied = await t.gql(q, undefined, await t.token('integration'));
      expect(denied.body.errors).toBeUndefined();
      expect(denied.body.data.person[name]).toEqual([]);
      expect(denied.body.extensions.withheld).toContainEqual({ path: ['person', name], fieldGroup: 'health', reason: 'needs the scope benefits:read' });
      expect(JSON.stringify(denied.body.data)).not.toMatch(/HIV|D20_5_5C/);
      // benefits:read shows both; the HIV flag itself also needs health:hiv.
      const allowed = await t.gql(q, undefined, await t.token('integration', [], 'benefits:read health:hiv'));
      expect(allowed.body.errors).toBeUndefined();
      expect(allowed.body.data.person[name]).not.toEqual([]);
      const noHiv = await t.gql(q, undefined, await t.token('integration', [], 'benefits:read'));
      expect(JSON.stringify(noHiv.body.data)).not.toMatch(/HIV/);
    }
  });

  it('commune officers see only their communes', async () => {
    const officer = await t.token('commune_officer', [DA_SAR]);
    const r = await t.gql(`{ coverageGaps(communeCode: "${LAT}", asOf: "2024-08-01") { totalCount } }`, undefined, officer);
    expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const all = ok(await t.gql(`{ coverageGaps(asOf: "2024-08-01", first: 500) { nodes { person { communeCode } } } }`, undefined, officer), 'coverageGaps');
    expect(all.nodes.every((n: { person: { communeCode: string } }) => n.person.communeCode === DA_SAR)).toBe(true);
  });
});
