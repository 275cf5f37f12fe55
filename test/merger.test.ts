/**
 * The 2025 merger on live data (LAW.md "Moving house", "Places and identifiers"; issue 9 item 6): the people of
 * Đạ Sar, Đạ Nhim and Đạ Chais keep their records under those codes, and from 2025-07-01 a list, count or
 * coverage query for their successor Xã Lạc Dương (90001) covers them; before that day 90001 covers nobody's
 * old records. A commune officer's token naming 90001 reaches them from the merger on. A residence cannot begin
 * in a commune that had already ended: someone born since goes under the successor.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/clock.js';
import { communesCoveredOn } from '../src/db/communes.js';
import { createPlacesService } from '../src/modules/places/places.service.js';
import { NEW_GENERATION_VALID_FROM, OLD_GENERATION_VALID_TO, SUCCESSOR_UNITS } from '../src/reference/reference.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';
import { household, ok, person } from './support/people.js';

const LAC_DUONG = '90001';
const PREDECESSORS = ['24865', '24848', '24847'] as const;
/** Thị trấn Lạc Dương: merged into another successor (90002), so never in 90001's lists. */
const TOWN = '24846';
const AFTER = '2026-03-01';
const BEFORE = '2024-06-01';

let t: TestApp;
/** An elderly person (a beneficiary, and eligible for art. 5.5c with no pension) per commune. */
const elder = new Map<string, string>();
let baby = '';

const PAGE = `query($c: String!, $asOf: Date) { beneficiaries(communeCode: $c, asOf: $asOf, first: 200) { totalCount nodes { id communeCode } } }`;
/** The same list through the executor: `commune { code }` is a field the compiled path leaves to it. */
const PAGE_EXECUTOR = `query($c: String!, $asOf: Date) { beneficiaries(communeCode: $c, asOf: $asOf, first: 200) { totalCount nodes { id communeCode commune { code } } } }`;
const GAPS = `query($c: String, $asOf: Date) { coverageGaps(communeCode: $c, programCode: "D20_5_5C", asOf: $asOf, first: 500) { totalCount nodes { person { id } } } }`;

interface Page {
  totalCount: number;
  nodes: { id: string; communeCode: string }[];
}

async function page(c: string, asOf: string, token?: string, query = PAGE): Promise<Page> {
  return ok(await t.gql(query, { c, asOf }, token), 'beneficiaries');
}
async function gapIds(c: string | null, asOf: string, token?: string): Promise<string[]> {
  const g = ok(await t.gql(GAPS, { c, asOf }, token), 'coverageGaps');
  expect(g.totalCount).toBe(g.nodes.length);
  return g.nodes.map((n: { person: { id: string } }) => n.person.id).sort();
}

beforeAll(async () => {
  t = await startTestApp();
  for (const c of [...PREDECESSORS, TOWN]) {
    const h = await household(t, { commune: c });
    elder.set(c, await person(t, { dateOfBirth: '1940-05-01', sex: 'FEMALE', commune: c, householdId: h, isHead: true }));
  }
  // Born after the merger: registered under the successor.
  baby = await person(t, { dateOfBirth: '2025-09-01', commune: LAC_DUONG });
}, 60_000);
afterAll(() => closeTestApp(t));

describe('a successor commune after the merger', () => {
  it("lists and counts its predecessors' people from its first day on, through both paths", async () => {
    for (const query of [PAGE, PAGE_EXECUTOR]) {
      const after = await page(LAC_DUONG, AFTER, undefined, query);
      const ids = after.nodes.map((n) => n.id);
      for (const c of PREDECESSORS) expect(ids).toContain(elder.get(c));
      expect(ids).toContain(baby);
      expect(ids).not.toContain(elder.get(TOWN));
      // Records keep their codes: each person is listed under the commune they were recorded in.
      expect(after.nodes.find((n) => n.id === elder.get('24848'))?.communeCode).toBe('24848');
      // Exactly the predecessors' lists and its own, on the same day.
      let sum = 0;
      for (const c of [...PREDECESSORS]) sum += (await page(c, AFTER)).totalCount;
      expect(after.totalCount).toBe(sum + 1);
      expect(after.totalCount).toBe(after.nodes.length);
      // The successor did not exist before: nobody (the baby was not born yet either).
      const before = await page(LAC_DUONG, BEFORE, undefined, query);
      expect(before).toEqual({ totalCount: 0, nodes: [] });
      // The day before the merger and the day of it.
      expect((await page(LAC_DUONG, OLD_GENERATION_VALID_TO, undefined, query)).totalCount).toBe(0);
      const first = await page(LAC_DUONG, NEW_GENERATION_VALID_FROM, undefined, query);
      expect(first.nodes.map((n) => n.id).sort()).toEqual(PREDECESSORS.map((c) => elder.get(c)).sort());
    }
  });

  it("gives its predecessors' coverage gaps on dates after the merger, none before", async () => {
    const after = await gapIds(LAC_DUONG, AFTER);
    const union: string[] = [];
    for (const c of PREDECESSORS) union.push(...(await gapIds(c, AFTER)));
    expect(union.length).toBeGreaterThanOrEqual(PREDECESSORS.length);
    expect(after).toEqual(union.sort());
    expect(after).not.toContain(elder.get(TOWN));
    expect(await gapIds(LAC_DUONG, BEFORE)).toEqual([]);
    // The predecessors themselves still answer for the time before.
    expect(await gapIds('24848', BEFORE)).toContain(elder.get('24848'));
  });

  it('is the same rule in SQL and over the units in memory, for every commune and date', async () => {
    const places = createPlacesService(t.db.database);
    await places.reload();
    const communes = places.list({ level: 'COMMUNE' });
    expect(communes.map((u) => u.code)).toEqual(expect.arrayContaining([...SUCCESSOR_UNITS.map((s) => s.code), ...PREDECESSORS]));
    for (const asOf of ['2020-01-01', OLD_GENERATION_VALID_TO, NEW_GENERATION_VALID_FROM, AFTER]) {
      for (const u of communes) {
        const r = await t.db.database.db.execute<{ code: string }>(sql`SELECT code FROM ${communesCoveredOn([u.code], asOf)} c ORDER BY code`);
        expect(
          r.rows.map((x) => x.code),
          `${u.code} on ${asOf}`,
        ).toEqual([...places.communesOn(u.code, asOf)].sort());
      }
    }
    expect(places.communesOn(LAC_DUONG, AFTER).sort()).toEqual([LAC_DUONG, ...PREDECESSORS].sort());
    expect(places.communesOn(LAC_DUONG, BEFORE)).toEqual([LAC_DUONG]);
  });
});

describe('a commune officer of the successor', () => {
  it("reaches the predecessors' people from the merger on, not before", async () => {
    const officer = await t.token('commune_officer', [LAC_DUONG]);
    // Today (after the merger): the person as recorded, in Đạ Nhim.
    const p = ok(
      await t.gql(`query($id: ID!) { person(id: $id) { id communeCode household { code members { id } } } }`, { id: elder.get('24848') }, officer),
      'person',
    );
    expect(p.communeCode).toBe('24848');
    expect(p.household.members.map((m: { id: string }) => m.id)).toEqual([elder.get('24848')]);
    // A list of Đạ Nhim as of a date after the merger, through both paths; before it, refused.
    for (const query of [PAGE, PAGE_EXECUTOR]) {
      expect((await page('24848', AFTER, officer, query)).nodes.map((n) => n.id)).toContain(elder.get('24848'));
      const before = await t.gql(query, { c: '24848', asOf: BEFORE }, officer);
      expect(before.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const own = await page(LAC_DUONG, AFTER, officer, query);
      expect(own.nodes.map((n) => n.id)).toContain(elder.get('24865'));
    }
    // Coverage gaps over the token's communes: the predecessors' after the merger, nobody's before.
    const gaps = await gapIds(null, AFTER, officer);
    for (const c of PREDECESSORS) expect(gaps).toContain(elder.get(c));
    expect(gaps).not.toContain(elder.get(TOWN));
    expect(await gapIds(null, BEFORE, officer)).toEqual([]);
    // Another commune's officer: not Đạ Nhim's people, not the successor's list.
    const town = await t.token('commune_officer', [TOWN]);
    // Null, as for nobody: a look-up does not tell that the person exists elsewhere (test/existence.test.ts).
    const other = await t.gql(`query($id: ID!) { person(id: $id) { id } }`, { id: elder.get('24848') }, town);
    expect(other.body).toEqual({ data: { person: null } });
    // A predecessor's officer does not reach the whole successor.
    const daNhim = await t.token('commune_officer', ['24848']);
    const wider = await t.gql(PAGE, { c: LAC_DUONG, asOf: AFTER }, daNhim);
    expect(wider.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it("reads a predecessor's gaps, eligibility and entitlements as of dates after the merger, and moves its people today", async () => {
    const officer = await t.token('commune_officer', [LAC_DUONG]);
    const daNhimElder = elder.get('24848');
    // A predecessor's coverage gaps by its own code: after the merger yes (the gap's person included), before no.
    expect(await gapIds('24848', AFTER, officer)).toContain(daNhimElder);
    expect((await t.gql(GAPS, { c: '24848', asOf: BEFORE }, officer)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // Eligibility and entitlements follow the same date.
    const ELIGIBILITY = `query($id: ID!, $asOf: Date) { eligibility(personId: $id, asOf: $asOf) { program { code } } }`;
    expect(ok(await t.gql(ELIGIBILITY, { id: daNhimElder, asOf: AFTER }, officer), 'eligibility').length).toBeGreaterThan(0);
    expect((await t.gql(ELIGIBILITY, { id: daNhimElder, asOf: BEFORE }, officer)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const ENTITLEMENTS = `query($id: ID!, $from: Period!, $to: Period!) { entitlements(personId: $id, from: $from, to: $to) { period } }`;
    const months = ok(await t.gql(ENTITLEMENTS, { id: daNhimElder, from: '2025-05', to: '2025-08' }, officer), 'entitlements');
    expect(months.map((m: { period: string }) => m.period)).toEqual(['2025-07', '2025-08']);
    // A move today, within the successor's reach: from a predecessor's household into a new one under 90001.
    const moved = await t.gql(
      `mutation($input: MovePersonInput!) { movePerson(input: $input) { id communeCode } }`,
      {
        input: {
          personId: daNhimElder,
          movedOn: systemClock.today(),
          newHousehold: { code: `MERGER-MOVE-${Date.now().toString(36)}`, communeCode: LAC_DUONG },
        },
      },
      officer,
    );
    expect(ok(moved, 'movePerson')).toEqual({ id: daNhimElder, communeCode: LAC_DUONG });
  });
});

describe('registration after the merger', () => {
  const REGISTER = `mutation($input: RegisterPersonInput!) { registerPerson(input: $input) { id communeCode } }`;
  const input = (communeCode: string, dateOfBirth: string) => ({ fullName: 'Ka Mới', dateOfBirth, sex: 'FEMALE', communeCode });

  it('refuses a residence beginning in a commune that had ended, naming the successor', async () => {
    const r = await t.gql(REGISTER, { input: input('24848', '2025-09-01') });
    const error = r.body.errors?.[0];
    expect(error?.extensions?.code).toBe('VALIDATION_FAILED');
    expect(error?.extensions?.field).toBe('input.communeCode');
    expect(error?.message).toContain('90001');
    expect(error?.message).toContain('Xã Lạc Dương');
    expect(error?.extensions?.messageVi).toContain('90001');
    // Nothing written: the commune's list on a date after the birth does not have her.
    expect((await page('24848', AFTER)).totalCount).toBe(1);
  });

  it('takes the successor for them, and keeps the old code for people who lived there before', async () => {
    const born = ok(await t.gql(REGISTER, { input: input(LAC_DUONG, '2025-09-01') }), 'registerPerson');
    expect(born.communeCode).toBe(LAC_DUONG);
    const earlier = ok(await t.gql(REGISTER, { input: input('24848', '1980-02-02') }), 'registerPerson');
    expect(earlier.communeCode).toBe('24848');
  });
});
