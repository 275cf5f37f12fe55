/**
 * Start, change and stop months as dated law (docs/law.md#start-change-and-stop-months), through the real app:
 * the timing rules as data, 5.5.a turning 80 under Decree 20/2021 art. 8.1 (from the birthday month) and under
 * Decree 147/2025 art. 5 (from the month after), back pay from a legal start before the decision month (never
 * before 2021-07), and suspension under Circular 02/2021 art. 2 (docs/law.md#suspension-and-stopping).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PersonFactsSource } from '../src/core/facts.js';
import { addDays, addMonths, firstDay, periodOf } from '../src/core/period.js';
import { decide, decideEnrolmentMonth } from '../src/modules/rules/rule-book.js';
import { loadRuleBook } from '../src/modules/rules/rules.repository.js';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { assess, ENROL, enrolAndApprove, flag, household, LAT, ok, person } from './support/people.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => closeTestApp(t));

const LINES = `query($personId: ID!, $from: Period!, $to: Period!) {
  entitlements(personId: $personId, from: $from, to: $to) {
    period total needsApprovalTotal
    lines { programCode status kind needsApproval amount payableAmount coefficient note noteVi
      timingRule { code legalBasis confirmed } timingReason timingReasonVi
      levelChange { on fromAmount toAmount fromCoefficient toCoefficient appliesFrom }
      suspension { reason fromPeriod toPeriod paidBack } }
  }
}`;

async function lines(personId: string, from: string, to: string, programCode: string): Promise<Map<string, JsonBody>> {
  const months: JsonBody[] = ok(await t.gql(LINES, { personId, from, to }), 'entitlements');
  return new Map(months.map((m) => [m.period, { ...m.lines.find((l: { programCode: string }) => l.programCode === programCode), month: m }]));
}

/** Someone in a poor household with no one to support them (Decree 20 art. 5.5.a), head of their household. */
async function elderlyPoor(dateOfBirth: string): Promise<string> {
  const h = await household(t, { commune: LAT });
  const id = await person(t, { dateOfBirth, householdId: h, isHead: true, commune: LAT });
  await assess(t, h, 'POOR', '2022-01-15');
  await flag(t, id, 'NO_SUPPORTER');
  return id;
}

const SUSPEND = `mutation($id: ID!, $from: Period!, $reason: SuspensionReason!) {
  suspendEnrolment(id: $id, fromPeriod: $from, reason: $reason) { id status suspensions { reason fromPeriod toPeriod paidBack suspendedBy } } }`;
const RESUME = `mutation($id: ID!, $from: Period!, $payBack: Boolean) {
  resumeEnrolment(id: $id, fromPeriod: $from, payBack: $payBack) { id status suspensions { reason fromPeriod toPeriod paidBack resumedBy } } }`;
const STOP = `mutation($id: ID!, $end: Period!, $case: StopCase!, $reason: String!) {
  stopEnrolment(id: $id, endPeriod: $end, stopCase: $case, reason: $reason) { status endPeriod endReason endCase } }`;

const suspensionCount = async (enrolmentId: string) =>
  Number((await t.db.database.db.execute(`SELECT count(*)::int AS n FROM enrolment_suspensions WHERE enrolment_id = '${enrolmentId}'`)).rows[0]!.n);

describe('timing rules as data', () => {
  it('lists Decree 20 art. 8 (2021-07-01..2025-06-30) and Decree 147 art. 5 (from 2025-07-01, unconfirmed) with their legal basis', async () => {
    const rules = ok(
      await t.gql(`{ timingRules { code validFrom validTo families startBasis backPayFloor increaseEffect decreaseEffect legalBasis confirmed note } }`),
      'timingRules',
    );
    expect(rules.map((r: JsonBody) => [r.code, r.validFrom, r.validTo, r.startBasis, r.backPayFloor, r.increaseEffect, r.decreaseEffect, r.confirmed])).toEqual(
      [
        ['D20_ART8', '2021-07-01', '2025-06-30', 'LEGAL_START', '2021-07-01', 'SAME_MONTH', 'MONTH_AFTER', true],
        ['D147_ART5', '2025-07-01', null, 'DECISION_MONTH', null, 'MONTH_AFTER', 'MONTH_AFTER', false],
      ],
    );
    expect(rules[0].legalBasis).toMatch(/Nghị định 20\/2021\/NĐ-CP, điều 8/);
    expect(rules[1].legalBasis).toMatch(/Nghị định 147\/2025\/NĐ-CP, điều 5/);
    expect(rules[1].note).toMatch(/Unconfirmed/);
    expect(rules[0].families).toEqual(['SOCIAL_ASSISTANCE', 'CARE_ALLOWANCE']);
  });
});

describe('a change of level within an enrolment (5.5.a at 80: 1.5 → 2.0)', () => {
  it('turning 80 in 2024-03 (Decree 20 art. 8.1): 2.0 from the birthday month', async () => {
    const id = await elderlyPoor('1944-03-15');
    await enrolAndApprove(t, id, 'D20_5_5A', '2024-01', LAT, '2024-01-10');
    const m = await lines(id, '2024-02', '2024-04', 'D20_5_5A');
    expect([...m.values()].map((l) => [l.coefficient, l.payableAmount])).toEqual([
      [1.5, 540_000],
      [2, 720_000],
      [2, 720_000],
    ]);
    const march = m.get('2024-03');
    expect(march).toMatchObject({
      status: 'PAYABLE',
      kind: 'REGULAR',
      needsApproval: false,
      timingRule: { code: 'D20_ART8', confirmed: true },
      levelChange: { on: '2024-03-15', fromAmount: 540_000, toAmount: 720_000, fromCoefficient: 1.5, toCoefficient: 2, appliesFrom: '2024-03' },
    });
    expect(march.timingRule.legalBasis).toMatch(/điều 8/);
    expect(march.timingReason).toMatch(/applies from 2024-03, the month of the change \(D20_ART8/);
    expect(march.timingReasonVi).toMatch(/áp dụng từ tháng 2024-03/);
    // The months around it are ordinary months under the decision's rule, with no change.
    expect(m.get('2024-04')).toMatchObject({ timingRule: { code: 'D20_ART8' }, levelChange: null });
  });

  it('turning 80 in 2025-09 (Decree 147 art. 5, unconfirmed): 1.5 in the birthday month, 2.0 from the month after; both rule sets cited', async () => {
    const id = await elderlyPoor('1945-09-15');
    // Decided in 2024: the start is Decree 20's; the change in 2025-09 is timed by the rule of its day.
    await enrolAndApprove(t, id, 'D20_5_5A', '2024-06', LAT, '2024-06-10');
    const m = await lines(id, '2025-08', '2025-11', 'D20_5_5A');
    expect([...m.values()].map((l) => [l.coefficient, l.payableAmount])).toEqual([
      [1.5, 750_000],
      [1.5, 750_000],
      [2, 1_000_000],
      [2, 1_000_000],
    ]);
    expect(m.get('2025-08')).toMatchObject({ timingRule: { code: 'D20_ART8' }, levelChange: null });
    const change = { on: '2025-09-15', fromCoefficient: 1.5, toCoefficient: 2, appliesFrom: '2025-10' };
    expect(m.get('2025-09')).toMatchObject({ timingRule: { code: 'D147_ART5', confirmed: false }, levelChange: change });
    expect(m.get('2025-10')).toMatchObject({ timingRule: { code: 'D147_ART5', confirmed: false }, levelChange: change });
    expect(m.get('2025-10').timingReason).toMatch(/applies from 2025-10, the month after the change \(D147_ART5/);
    expect(m.get('2025-11')).toMatchObject({ timingRule: { code: 'D20_ART8' }, levelChange: null });
  });
});

/** A 5.5.a person (poor household, no supporter) born on `dateOfBirth`, living in the district since birth. */
function elderlySource(dateOfBirth: string): PersonFactsSource {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    dateOfBirth,
    dateOfDeath: null,
    sex: 'FEMALE',
    ethnicity: "K'Ho",
    residences: [
      { validFrom: dateOfBirth, validTo: null, communeCode: LAT, communeSuccessor: null, householdId: 'h', villageCode: null, relationToHead: 'Chủ hộ' },
    ],
    assessments: [{ householdId: 'h', assessedOn: '2021-01-01', classification: 'POOR', standardValidTo: '2030-12-31' }],
    certificates: [],
    merits: [],
    pensions: [],
    pregnancies: [],
    flags: [{ flag: 'NO_SUPPORTER', validFrom: '2020-01-01', validTo: null }],
    children: [],
  };
}

describe('versioned change rules (property)', () => {
  it('an 80th birthday on any day from 2021-08 to 2027: 2.0 from the birthday month under Decree 20, from the month after under Decree 147; never earlier or later', async () => {
    const book = await loadRuleBook(t.db.database.db);
    const program = book.program('D20_5_5A')!;
    const days = Math.round((Date.parse('2027-12-31') - Date.parse('2021-08-02')) / 86_400_000);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: days }), (n) => {
        const birthday = addDays('2021-08-02', n);
        const src = elderlySource(`${Number(birthday.slice(0, 4)) - 80}${birthday.slice(4)}`);
        // 29 February births turn 80 on 1 March in non-leap years (age arithmetic); read the day from the facts.
        const month = periodOf(birthday);
        const byMonth = (period: string) => decideEnrolmentMonth(book, program, src, [], period);
        const rule = book.timingAt('SOCIAL_ASSISTANCE', birthday)!;
        const turnsOnFirst = birthday.endsWith('-01') || decide(book, program, src, [], firstDay(month)).coefficient === 2;
        expect(byMonth(addMonths(month, -1)).decision.coefficient).toBe(1.5);
        expect(byMonth(addMonths(month, 1)).decision.coefficient).toBe(2);
        const at = byMonth(month);
        if (turnsOnFirst) {
          expect(at.decision.coefficient).toBe(2);
          expect(at.change).toBeUndefined();
        } else {
          expect(at.decision.coefficient).toBe(rule.increaseEffect === 'SAME_MONTH' ? 2 : 1.5);
          expect(at.change?.rule.code).toBe(rule.code);
          expect(rule.code).toBe(birthday <= '2025-06-30' ? 'D20_ART8' : 'D147_ART5');
          // The month after names the change only when it is the month the change took effect.
          expect(byMonth(addMonths(month, 1)).change?.rule.code).toBe(rule.increaseEffect === 'MONTH_AFTER' ? rule.code : undefined);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('back pay from a legal start before the decision month', () => {
  it('a TURNS_80 decision in 2024-10 for someone 80 since 2015: back-pay lines from 2021-07 to 2024-09, needing approval', async () => {
    const id = await person(t, { dateOfBirth: '1935-05-20', commune: LAT });
    const elig = ok(
      await t.gql(`query($p: ID!) { eligibility(personId: $p, asOf: "2024-10-15") { programCode startsFrom startRuleText startTimingRule { code } } }`, {
        p: id,
      }),
      'eligibility',
    ).find((e: JsonBody) => e.programCode === 'D20_5_5C');
    expect(elig).toMatchObject({ startsFrom: '2021-07', startTimingRule: { code: 'D20_ART8' } });
    expect(elig.startRuleText).toMatch(/turn 80 \(2015-05\), but not before 2021-07/);
    // Nothing before Decree 20 took effect.
    const early = await t.gql(
      ENROL,
      { input: { personId: id, programCode: 'D20_5_5C', decisionNo: 'QĐ-80', decisionDate: '2024-10-15', startPeriod: '2021-06' } },
      await t.token('commune_officer', [LAT]),
    );
    expect(early.body.errors[0].extensions.field).toBe('input.startPeriod');
    await enrolAndApprove(t, id, 'D20_5_5C', '2021-07', LAT, '2024-10-15');
    const months: JsonBody[] = ok(await t.gql(LINES, { personId: id, from: '2021-06', to: '2024-11' }), 'entitlements');
    expect(months[0]).toMatchObject({ period: '2021-06', total: 0, lines: [] });
    const backPay = months.filter((m) => m.lines[0]?.kind === 'BACK_PAY').map((m) => m.period);
    expect(backPay[0]).toBe('2021-07');
    expect(backPay.at(-1)).toBe('2024-09');
    expect(backPay).toHaveLength(39);
    for (const m of months.slice(1, 40)) {
      expect(m.lines[0]).toMatchObject({ status: 'PAYABLE', kind: 'BACK_PAY', needsApproval: true, timingRule: { code: 'D20_ART8' } });
      expect(m.needsApprovalTotal).toBe(m.total);
    }
    expect(months.find((m) => m.period === '2024-06')).toMatchObject({ total: 360_000, needsApprovalTotal: 360_000 });
    expect(months.find((m) => m.period === '2024-09').lines[0].timingReason).toMatch(/^back pay: 2024-09 is before the month of the decision of 2024-10-15/);
    for (const period of ['2024-10', '2024-11']) {
      const m = months.find((x) => x.period === period);
      expect(m).toMatchObject({ total: 500_000, needsApprovalTotal: 0 });
      expect(m.lines[0]).toMatchObject({ kind: 'REGULAR', needsApproval: false, timingRule: { code: 'D20_ART8' } });
    }
  });

  it('under Decree 147 (decided from 2025-07-01) no back-dating: the start is the decision month', async () => {
    const id = await person(t, { dateOfBirth: '1935-05-20', commune: LAT });
    const r = await t.gql(
      ENROL,
      { input: { personId: id, programCode: 'D20_5_5C', decisionNo: 'QĐ-147', decisionDate: '2025-10-15', startPeriod: '2025-07' } },
      await t.token('commune_officer', [LAT]),
    );
    expect(r.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.startPeriod' });
    expect(r.body.errors[0].message).toMatch(/decision \(2025-10\) \(D147_ART5\)/);
    await enrolAndApprove(t, id, 'D20_5_5C', '2025-10', LAT, '2025-10-15');
    const m = await lines(id, '2025-10', '2025-10', 'D20_5_5C');
    expect(m.get('2025-10')).toMatchObject({ kind: 'REGULAR', needsApproval: false, timingRule: { code: 'D147_ART5' }, payableAmount: 500_000 });
  });
});

describe('suspension (Circular 02/2021 art. 2)', () => {
  it('a suspended enrolment owes nothing until resumed; refusals are CONFLICT or VALIDATION_FAILED and write nothing', async () => {
    const id = await person(t, { dateOfBirth: '1940-02-01', commune: LAT });
    const e = await enrolAndApprove(t, id, 'D20_5_5C', '2024-06', LAT);
    const officer = await t.token('commune_officer', [LAT]);

    const before = await t.gql(SUSPEND, { id: e, from: '2024-05', reason: 'NOT_COLLECTED_3_MONTHS' }, officer);
    expect(before.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'fromPeriod' });
    expect(await suspensionCount(e)).toBe(0);
    const notSuspended = await t.gql(RESUME, { id: e, from: '2024-09' }, officer);
    expect(notSuspended.body.errors[0].extensions.code).toBe('CONFLICT');

    const s = ok(await t.gql(SUSPEND, { id: e, from: '2024-09', reason: 'NOT_COLLECTED_3_MONTHS' }, officer), 'suspendEnrolment');
    expect(s.suspensions).toEqual([
      { reason: 'NOT_COLLECTED_3_MONTHS', fromPeriod: '2024-09', toPeriod: null, paidBack: false, suspendedBy: expect.any(String) },
    ]);
    const again = await t.gql(SUSPEND, { id: e, from: '2024-10', reason: 'DETENTION' }, officer);
    expect(again.body.errors[0].extensions.code).toBe('CONFLICT');

    let m = await lines(id, '2024-08', '2024-12', 'D20_5_5C');
    expect([...m.values()].map((l) => [l.status, l.payableAmount, l.month.total])).toEqual([
      ['PAYABLE', 500_000, 500_000],
      ['SUSPENDED', 0, 0],
      ['SUSPENDED', 0, 0],
      ['SUSPENDED', 0, 0],
      ['SUSPENDED', 0, 0],
    ]);
    expect(m.get('2024-10')).toMatchObject({ amount: 500_000, suspension: { reason: 'NOT_COLLECTED_3_MONTHS', fromPeriod: '2024-09' } });
    expect(m.get('2024-10').note).toMatch(/suspended from 2024-09 \(not collected for 3 months or more, Circular 02\/2021 art\. 2\): nothing owed/);
    expect(m.get('2024-10').noteVi).toMatch(/tạm dừng từ tháng 2024-09/);

    const tooEarly = await t.gql(RESUME, { id: e, from: '2024-09' }, officer);
    expect(tooEarly.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'fromPeriod' });
    const r = ok(await t.gql(RESUME, { id: e, from: '2024-12' }, officer), 'resumeEnrolment');
    expect(r.suspensions).toEqual([
      { reason: 'NOT_COLLECTED_3_MONTHS', fromPeriod: '2024-09', toPeriod: '2024-11', paidBack: false, resumedBy: expect.any(String) },
    ]);
    m = await lines(id, '2024-08', '2025-01', 'D20_5_5C');
    expect([...m.values()].map((l) => [l.status, l.payableAmount])).toEqual([
      ['PAYABLE', 500_000],
      ['SUSPENDED', 0],
      ['SUSPENDED', 0],
      ['SUSPENDED', 0],
      ['PAYABLE', 500_000],
      ['PAYABLE', 500_000],
    ]);
    // A new suspension cannot reach back into the last one.
    const overlap = await t.gql(SUSPEND, { id: e, from: '2024-11', reason: 'DETENTION' }, officer);
    expect(overlap.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'fromPeriod' });
    expect(await suspensionCount(e)).toBe(1);

    const trail = ok(await t.gql(`{ auditTrail(entityType: "Enrolment", entityId: "${e}") { action } }`), 'auditTrail');
    expect(trail.map((x: { action: string }) => x.action)).toEqual(['enrol', 'approveEnrolment', 'suspendEnrolment', 'resumeEnrolment']);
  });

  it('resumed with payBack, the suspended months become back pay needing approval', async () => {
    const id = await person(t, { dateOfBirth: '1940-03-01', commune: LAT });
    const e = await enrolAndApprove(t, id, 'D20_5_5C', '2024-06', LAT);
    ok(await t.gql(SUSPEND, { id: e, from: '2024-08', reason: 'REASSESSMENT_REFUSED' }));
    ok(await t.gql(RESUME, { id: e, from: '2024-10', payBack: true }));
    const m = await lines(id, '2024-07', '2024-10', 'D20_5_5C');
    expect([...m.values()].map((l) => [l.status, l.kind, l.needsApproval, l.payableAmount, l.month.needsApprovalTotal])).toEqual([
      ['PAYABLE', 'REGULAR', false, 500_000, 0],
      ['PAYABLE', 'BACK_PAY', true, 500_000, 500_000],
      ['PAYABLE', 'BACK_PAY', true, 500_000, 500_000],
      ['PAYABLE', 'REGULAR', false, 500_000, 0],
    ]);
    expect(m.get('2024-08').note).toMatch(/granted back on resumption/);
  });

  it('an ended or only proposed enrolment cannot be suspended; a stop after 3 months suspended cites the stop case', async () => {
    const id = await person(t, { dateOfBirth: '1940-04-01', commune: LAT });
    const e = await enrolAndApprove(t, id, 'D20_5_5C', '2024-06', LAT);
    ok(await t.gql(SUSPEND, { id: e, from: '2024-08', reason: 'DETENTION' }));
    const short = await t.gql(STOP, { id: e, end: '2024-09', case: 'SUSPENDED_WITHOUT_COOPERATION', reason: 'BB-02' });
    expect(short.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'stopCase' });
    const stopped = ok(await t.gql(STOP, { id: e, end: '2024-10', case: 'SUSPENDED_WITHOUT_COOPERATION', reason: 'BB-02' }), 'stopEnrolment');
    expect(stopped).toEqual({ status: 'ENDED', endPeriod: '2024-10', endReason: 'BB-02', endCase: 'SUSPENDED_WITHOUT_COOPERATION' });
    const ended = await t.gql(SUSPEND, { id: e, from: '2024-11', reason: 'DETENTION' });
    expect(ended.body.errors[0].extensions.code).toBe('CONFLICT');
    const resumeEnded = await t.gql(RESUME, { id: e, from: '2024-11' });
    expect(resumeEnded.body.errors[0].extensions.code).toBe('CONFLICT');

    const other = await person(t, { dateOfBirth: '1940-05-01', commune: LAT });
    const proposed = ok(
      await t.gql(
        ENROL,
        { input: { personId: other, programCode: 'D20_5_5C', decisionNo: 'QĐ-P', decisionDate: '2024-06-10', startPeriod: '2024-06' } },
        await t.token('commune_officer', [LAT]),
      ),
      'enrol',
    );
    const r = await t.gql(SUSPEND, { id: proposed.id, from: '2024-07', reason: 'DETENTION' });
    expect(r.body.errors[0].extensions.code).toBe('CONFLICT');
    expect(await suspensionCount(proposed.id)).toBe(0);
  });
});

describe('birth year only', () => {
  const REGISTER = `mutation($input: RegisterPersonInput!) {
    registerPerson(input: $input) { id dateOfBirth birthDatePrecision birthYearConvention { monthDay legalBasis confirmed } } }`;
  const SET = `mutation($monthDay: String!, $basis: String!) { setBirthYearConvention(monthDay: $monthDay, legalBasis: $basis) { id monthDay legalBasis confirmed setBy } }`;
  const input = { fullName: 'Ka Năm Sinh', dateOfBirth: '1944-05-20', sex: 'FEMALE', ethnicity: "K'Ho", communeCode: LAT, birthDatePrecision: 'YEAR' };

  it('a year-only birth takes the admin-set convention day, is marked, and the reasons cite the convention', async () => {
    const none = await t.gql(REGISTER, { input });
    expect(none.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.birthDatePrecision' });

    const admin = await t.token('admin');
    expect((await t.gql(SET, { monthDay: '07-01', basis: 'Quy ước thử' })).body.errors[0].extensions.code).toBe('FORBIDDEN');
    const leap = await t.gql(SET, { monthDay: '02-29', basis: 'Quy ước thử' }, admin);
    expect(leap.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'monthDay' });
    expect(ok(await t.gql(`{ birthYearConventions { id } }`), 'birthYearConventions')).toEqual([]);
    const set = ok(await t.gql(SET, { monthDay: '07-01', basis: 'Công văn của Sở (thử)' }, admin), 'setBirthYearConvention');
    expect(set).toMatchObject({ monthDay: '07-01', confirmed: false, setBy: 'test-admin' });

    const p = ok(await t.gql(REGISTER, { input }), 'registerPerson');
    expect(p).toMatchObject({ dateOfBirth: '1944-07-01', birthDatePrecision: 'YEAR', birthYearConvention: { monthDay: '07-01', confirmed: false } });
    const elig = ok(
      await t.gql(`query($p: ID!) { eligibility(personId: $p, asOf: "2024-07-15") { programCode eligible startsFrom conditions { fact held text textVi } } }`, {
        p: p.id,
      }),
      'eligibility',
    ).find((e: JsonBody) => e.programCode === 'D20_5_5C');
    expect(elig).toMatchObject({ eligible: true, startsFrom: '2024-07' });
    const reason = elig.conditions.find((c: { fact: string }) => c.fact === 'birthDate');
    expect(reason).toMatchObject({ held: true });
    expect(reason.text).toMatch(/year of birth only \(1944\): birthday rules read 1944-07-01 by the convention 07-01 \(Công văn của Sở \(thử\); unconfirmed\)/);
    expect(reason.textVi).toMatch(/chỉ biết năm sinh \(1944\)/);
    // Someone whose day of birth is known is marked DAY and gets no such reason.
    const known = await person(t, { dateOfBirth: '1944-05-20', commune: LAT });
    const k = ok(await t.gql(`query($p: ID!) { person(id: $p) { birthDatePrecision birthYearConvention { id } } }`, { p: known }), 'person');
    expect(k).toEqual({ birthDatePrecision: 'DAY', birthYearConvention: null });
    const trail = ok(await t.gql(`{ auditTrail(entityType: "BirthYearConvention", entityId: "${set.id}") { action } }`, undefined, admin), 'auditTrail');
    expect(trail.map((x: { action: string }) => x.action)).toEqual(['setBirthYearConvention']);
  });
});
