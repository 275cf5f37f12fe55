/**
 * Moving house through the real app (LAW.md "Moving house", issue 9 items 4 and 5): past months' entitlements
 * and eligibility never change because of a later move, each entitlement line names the commune that pays it
 * (the old one through the month of the move, the new one from the month after), and what a commune officer
 * sees follows where the person lived on the date asked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { assess, DA_SAR, eligibility, enrolAndApprove, household, LAT, ok, person } from './support/people.js';
import { movePerson } from './support/residence.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => closeTestApp(t));

const ENTITLEMENTS = `query($personId: ID!, $from: Period!, $to: Period!) {
  entitlements(personId: $personId, from: $from, to: $to) {
    period total
    lines { programCode status amount payableAmount coefficient note payingCommuneCode payingCommune { code name }
      enrolment { id person { id communeCode household { id } } } baseLevel { amount } ruleVersion { version } failedConditions { fact actual } }
  }
}`;

const entitlementsAs = (personId: string, from: string, to: string, token?: string) => t.gql(ENTITLEMENTS, { personId, from, to }, token);
const codeOf = (r: { body: { errors?: JsonBody } }) => r.body.errors?.[0]?.extensions?.code;

/**
 * A child of 20 months in a poor household of a region III commune (Da Sar), enrolled in 5.7 (750,000 a month);
 * the family moves to Lát, a commune that is not classified, into a new household, on 2024-10-15.
 */
async function familyThatMoves(): Promise<{ child: string; parent: string; before: JsonBody[] }> {
  const h = await household(t, { commune: DA_SAR });
  const parent = await person(t, { dateOfBirth: '1996-01-01', householdId: h, isHead: true });
  const child = await person(t, { dateOfBirth: '2022-11-15', householdId: h, relation: 'Con' });
  await assess(t, h, 'POOR');
  await enrolAndApprove(t, child, 'D20_5_7', '2024-02', DA_SAR);
  const before = ok(await entitlementsAs(child, '2024-01', '2024-12'), 'entitlements');
  const h2 = await household(t, { commune: LAT });
  await movePerson(t, parent, { movedOn: '2024-10-15', communeCode: LAT, householdId: h2, relationToHead: 'Chủ hộ' });
  await movePerson(t, child, { movedOn: '2024-10-15', communeCode: LAT, householdId: h2, relationToHead: 'Con' });
  return { child, parent, before };
}

describe('entitlements after a move within the district', () => {
  it('past months are identical before and after a later move; the month of the move is paid by the old commune, the next by the new', async () => {
    const { child, before } = await familyThatMoves();
    expect(before.map((m: JsonBody) => [m.period, m.total, m.lines[0]?.payingCommuneCode ?? null])).toEqual([
      ['2024-01', 0, null],
      ...['02', '03', '04', '05', '06'].map((m) => [`2024-${m}`, 540_000, DA_SAR]),
      ...['07', '08', '09', '10', '11', '12'].map((m) => [`2024-${m}`, 750_000, DA_SAR]),
    ]);
    const after: JsonBody[] = ok(await entitlementsAs(child, '2024-01', '2024-12'), 'entitlements');
    // Every month before the move's month, to the last field (amounts, notes, paying commune, the person that month).
    expect(after.slice(0, 9)).toEqual(before.slice(0, 9));
    const [oct, nov, dec] = after.slice(9);
    // October: lived in Da Sar on its first day (eligible there) and on September's last day (Da Sar pays).
    expect(oct).toEqual(before[9]);
    expect(oct.lines[0]).toMatchObject({ status: 'PAYABLE', amount: 750_000, payingCommuneCode: DA_SAR, payingCommune: { code: DA_SAR } });
    expect(oct.lines[0].enrolment.person).toMatchObject({ id: child, communeCode: DA_SAR });
    // November: Lát pays, and reads the new residence (a household not assessed, a commune not classified).
    expect(nov.lines[0]).toMatchObject({ status: 'NOT_ELIGIBLE', payableAmount: 0, payingCommuneCode: LAT, payingCommune: { code: LAT } });
    expect(nov.lines[0].failedConditions.map((c: JsonBody) => c.fact)).toEqual(['householdPoverty', 'disadvantagedArea']);
    expect(nov.lines[0].enrolment.person).toMatchObject({ id: child, communeCode: LAT });
    expect(dec.lines[0].payingCommuneCode).toBe(LAT);
    // Eligibility on a past date is unchanged too.
    expect((await eligibility(t, child, '2024-07-01')).get('D20_5_7')).toMatchObject({ eligible: true, amount: 750_000 });
    expect((await eligibility(t, child, '2024-12-01')).get('D20_5_7')).toMatchObject({ eligible: false });
  });
});

describe('visibility follows residence', () => {
  it('the old commune sees the months it pays and the dates the person lived there; the new commune the rest', async () => {
    const { child } = await familyThatMoves();
    const daSar = await t.token('commune_officer', [DA_SAR]);
    const lat = await t.token('commune_officer', [LAT]);
    const both = await t.token('commune_officer', [DA_SAR, LAT]);

    // Today the child lives in Lát.
    expect(ok(await t.gql(`{ person(id: "${child}") { id } }`, {}, daSar), 'person')).toBeNull();
    expect(ok(await t.gql(`{ person(id: "${child}") { id communeCode } }`, {}, lat), 'person')).toEqual({ id: child, communeCode: LAT });

    // Entitlements: each commune the months it pays; both communes (or the district) every month.
    const old = ok(await entitlementsAs(child, '2024-01', '2024-12', daSar), 'entitlements');
    expect(old.map((m: JsonBody) => m.period)).toEqual(['01', '02', '03', '04', '05', '06', '07', '08', '09', '10'].map((m) => `2024-${m}`));
    expect(old.slice(1).every((m: JsonBody) => m.lines[0].payingCommuneCode === DA_SAR)).toBe(true);
    expect(old[9].lines[0].enrolment.person).toMatchObject({ id: child, communeCode: DA_SAR });
    const now = ok(await entitlementsAs(child, '2024-01', '2024-12', lat), 'entitlements');
    expect(now.map((m: JsonBody) => [m.period, m.lines[0].payingCommuneCode])).toEqual([
      ['2024-11', LAT],
      ['2024-12', LAT],
    ]);
    const all = ok(await entitlementsAs(child, '2024-01', '2024-12', both), 'entitlements');
    expect(all).toEqual(ok(await entitlementsAs(child, '2024-01', '2024-12'), 'entitlements'));
    expect(all).toEqual([...old, ...now]);
    expect(codeOf(await entitlementsAs(child, '2024-11', '2025-03', daSar))).toBe('FORBIDDEN');
    expect(codeOf(await entitlementsAs(child, '2024-02', '2024-09', lat))).toBe('FORBIDDEN');

    // Eligibility: where the person lived on the date asked.
    const ELIG = `query($p: ID!, $d: Date) { eligibility(personId: $p, asOf: $d) { programCode eligible } }`;
    expect(ok(await t.gql(ELIG, { p: child, d: '2024-07-01' }, daSar), 'eligibility').length).toBeGreaterThan(0);
    expect(codeOf(await t.gql(ELIG, { p: child, d: '2024-07-01' }, lat))).toBe('FORBIDDEN');
    expect(codeOf(await t.gql(ELIG, { p: child, d: '2024-10-15' }, daSar))).toBe('FORBIDDEN');
    expect(ok(await t.gql(ELIG, { p: child, d: '2024-10-15' }, lat), 'eligibility').length).toBeGreaterThan(0);

    // Beneficiary lists: a past date lists the people who lived there then, as they lived then.
    const LIST = `query($c: String!, $d: Date) { beneficiaries(communeCode: $c, group: CHILD_UNDER_36_MONTHS, asOf: $d, first: 200) {
      nodes { id communeCode household { id communeCode members { id } } groups(asOf: $d) } } }`;
    const ids = (r: JsonBody) => ok(r, 'beneficiaries').nodes.map((n: JsonBody) => n.id);
    const thenInDaSar = ok(await t.gql(LIST, { c: DA_SAR, d: '2024-07-01' }, daSar), 'beneficiaries').nodes.find((n: JsonBody) => n.id === child);
    expect(thenInDaSar).toMatchObject({ communeCode: DA_SAR, household: { communeCode: DA_SAR }, groups: ['POOR_HOUSEHOLD', 'CHILD_UNDER_36_MONTHS'] });
    // The old household's members today: nobody left there, and never a member of another commune.
    expect(thenInDaSar.household.members).toEqual([]);
    expect(ids(await t.gql(LIST, { c: DA_SAR, d: '2024-12-01' }, daSar))).not.toContain(child);
    expect(ids(await t.gql(LIST, { c: LAT, d: '2024-07-01' }, lat))).not.toContain(child);
    expect(ids(await t.gql(LIST, { c: LAT, d: '2024-12-01' }, lat))).toContain(child);
  });

  it('coverage gaps on a date list the people who lived in the commune then, with their person as of that date', async () => {
    // 82 in 2024, no pension: eligible for 5.5c wherever they live, never enrolled.
    const elder = await person(t, { dateOfBirth: '1942-03-03', commune: DA_SAR });
    await movePerson(t, elder, { movedOn: '2024-10-15', communeCode: LAT });
    const daSar = await t.token('commune_officer', [DA_SAR]);
    const lat = await t.token('commune_officer', [LAT]);
    const GAPS = `query($c: String, $d: Date, $after: String) { coverageGaps(communeCode: $c, programCode: "D20_5_5C", asOf: $d, first: 500, after: $after) {
      pageInfo { hasNextPage endCursor } nodes { programCode person { id communeCode } } } }`;
    /** Every gap node of the elder, over all pages. */
    async function gapsOfElder(c: string | null, d: string, token: string): Promise<JsonBody[]> {
      const found: JsonBody[] = [];
      let after: string | null = null;
      for (;;) {
        const page: JsonBody = ok(await t.gql(GAPS, { c, d, after }, token), 'coverageGaps');
        found.push(...page.nodes.filter((n: JsonBody) => n.person.id === elder));
        if (!page.pageInfo.hasNextPage) return found;
        after = page.pageInfo.endCursor;
      }
    }
    // Before the move: Da Sar's gap, as they lived then (this read failed with INTERNAL before the person was read as of asOf).
    expect(await gapsOfElder(DA_SAR, '2024-08-01', daSar)).toEqual([{ programCode: 'D20_5_5C', person: { id: elder, communeCode: DA_SAR } }]);
    expect(await gapsOfElder(null, '2024-08-01', daSar)).toEqual([{ programCode: 'D20_5_5C', person: { id: elder, communeCode: DA_SAR } }]);
    expect(await gapsOfElder(LAT, '2024-08-01', lat)).toEqual([]);
    expect(await gapsOfElder(null, '2024-08-01', lat)).toEqual([]);
    // After it: Lát's.
    expect(await gapsOfElder(DA_SAR, '2024-12-01', daSar)).toEqual([]);
    expect(await gapsOfElder(LAT, '2024-12-01', lat)).toEqual([{ programCode: 'D20_5_5C', person: { id: elder, communeCode: LAT } }]);
    expect(await gapsOfElder(null, '2024-12-01', lat)).toEqual([{ programCode: 'D20_5_5C', person: { id: elder, communeCode: LAT } }]);
  });

  it('after a move out of the district, the last commune keeps the person and the months without a paying commune', async () => {
    const elder = await person(t, { dateOfBirth: '1941-06-06', commune: LAT });
    await enrolAndApprove(t, elder, 'D20_5_5C', '2024-07', LAT);
    await movePerson(t, elder, { movedOn: '2024-09-20', communeCode: null, destination: 'Bảo Lộc' });
    const lat = await t.token('commune_officer', [LAT]);
    const daSar = await t.token('commune_officer', [DA_SAR]);
    expect(ok(await t.gql(`{ person(id: "${elder}") { id communeCode } }`, {}, lat), 'person')).toEqual({ id: elder, communeCode: LAT });
    expect(ok(await t.gql(`{ person(id: "${elder}") { id } }`, {}, daSar), 'person')).toBeNull();
    const months = ok(await entitlementsAs(elder, '2024-08', '2024-11', lat), 'entitlements');
    expect(months.map((m: JsonBody) => [m.period, m.total, m.lines[0]?.payingCommuneCode ?? null, m.lines[0]?.payingCommune?.code ?? null])).toEqual([
      ['2024-08', 500_000, LAT, LAT],
      // The month of the move: Lát pays it (eligible on its first day).
      ['2024-09', 500_000, LAT, LAT],
      // The move out of the district ended the enrolment with the month of the move: nothing is owed after it.
      ['2024-10', 0, null, null],
      ['2024-11', 0, null, null],
    ]);
    expect(months[2].lines).toEqual([]);
    // Lát, which keeps the file, still sees the enrolment and why it ended.
    const enrolments = ok(await t.gql(`{ person(id: "${elder}") { enrolments { status endPeriod endReason endDestination } } }`, {}, lat), 'person');
    expect(enrolments.enrolments).toEqual([{ status: 'ENDED', endPeriod: '2024-09', endReason: 'TRANSFERRED_OUT', endDestination: 'Bảo Lộc' }]);
    expect(codeOf(await entitlementsAs(elder, '2024-08', '2024-11', daSar))).toBe('FORBIDDEN');
  });
});
