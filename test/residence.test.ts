/**
 * Issue 9 items 1, 2 and the transfer-out of item 4, through the real app: moves (within a commune, between
 * communes, out of the district), household splits, merges, changes of head and corrections. For each kind, every
 * past month's `entitlements` and every past day's `eligibility` are the same before and after the change; months
 * after it follow the new residence; a move out of the district ends the enrolments (TRANSFERRED_OUT, destination);
 * each refused change writes nothing. The clock is fixed after the 2025-07-01 merger, so the successor-code rule
 * for households is reachable.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { assess, DA_SAR, ENROL, enrolAndApprove, eligibility, entitlements, household, LAT, ok, person } from './support/people.js';

const TODAY = '2025-09-15';
/** The successor of Đạ Sar (and Đạ Nhim, Đạ Chais) from 2025-07-01 (src/reference/reference.ts). */
const XA_LAC_DUONG = '90001';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ clock: { today: () => TODAY } });
});
afterAll(() => closeTestApp(t));

const count = async (query: string) => Number((await t.db.database.db.execute<{ n: number }>(sql.raw(query))).rows[0]?.n);
const periodsOf = (id: string) => count(`SELECT count(*)::int AS n FROM residence_periods WHERE person_id = '${id}'`);
const auditEvents = () => count(`SELECT count(*)::int AS n FROM audit_events`);
const householdCount = () => count(`SELECT count(*)::int AS n FROM households`);

const PERIOD_FIELDS = `from to communeCode relationToHead destination reason household { id }`;
const PERSON_FIELDS = `id communeCode relationToHead household { id } residenceHistory { ${PERIOD_FIELDS} }`;
const MOVE = `mutation($input: MovePersonInput!) { movePerson(input: $input) { ${PERSON_FIELDS} } }`;
const SPLIT = `mutation($input: SplitHouseholdInput!) { splitHousehold(input: $input) { id code communeCode head { id relationToHead } } }`;
const MERGE = `mutation($input: MergeHouseholdsInput!) { mergeHouseholds(input: $input) { id } }`;
const HEAD = `mutation($input: ChangeHouseholdHeadInput!) { changeHouseholdHead(input: $input) { id head { id } } }`;
const CORRECT = `mutation($input: CorrectResidenceInput!) { correctResidence(input: $input) { ${PERSON_FIELDS} } }`;
const HISTORY = `query($id: ID!) { person(id: $id) { ${PERSON_FIELDS} } }`;
const RESIDENCE = `query($id: ID!, $d: Date) { person(id: $id) { residence(asOf: $d) { ${PERIOD_FIELDS} commune { code } } } }`;
const MEMBERS = `query($id: ID!, $d: Date) { household(id: $id) { members(asOf: $d) { id communeCode relationToHead } } }`;
const ENROLMENT = `query($id: ID!) { enrolment(id: $id) { status startPeriod endPeriod endReason endDestination } }`;

const move = (input: Record<string, unknown>, token?: string) => t.gql(MOVE, { input }, token);
const historyOf = async (id: string): Promise<JsonBody[]> => ok(await t.gql(HISTORY, { id }), 'person').residenceHistory;
const residenceOn = async (id: string, d: string | null) => ok(await t.gql(RESIDENCE, { id, d }), 'person').residence;
const memberIds = async (householdId: string, d: string | null) =>
  (ok(await t.gql(MEMBERS, { id: householdId, d }), 'household').members as { id: string }[]).map((m) => m.id).sort();
const trailOf = async (entityType: string, id: string): Promise<JsonBody[]> =>
  ok(await t.gql(`{ auditTrail(entityType: "${entityType}", entityId: "${id}") { action before after } }`), 'auditTrail');
const errorOf = (r: { body: { errors?: JsonBody } }) => {
  expect(r.body.errors, 'expected an error').toBeDefined();
  return r.body.errors[0];
};
const month = (months: JsonBody[], period: string) => months.find((m: { period: string }) => m.period === period);

/** What the API says about a person's past: entitlements month by month, and eligibility on given days. */
async function pastOf(personId: string, from: string, to: string, days: string[]) {
  const months = await entitlements(t, personId, from, to);
  const eligible: [string, Record<string, JsonBody>][] = [];
  for (const d of days) eligible.push([d, Object.fromEntries(await eligibility(t, personId, d))]);
  return { months, eligible };
}

/** A poor family of Đạ Sar (extremely disadvantaged): head, and a child of 20 months on 2024-07 enrolled in 5.7 from 2024-07. */
async function poorFamilyWithChild(commune = DA_SAR) {
  const h = await household(t, { commune });
  const head = await person(t, { dateOfBirth: '1996-01-01', commune, householdId: h, isHead: true });
  const child = await person(t, { dateOfBirth: '2022-11-15', commune, householdId: h, relation: 'Con' });
  await assess(t, h, 'POOR');
  const enrolment = await enrolAndApprove(t, child, 'D20_5_7', '2024-07', commune);
  return { h, head, child, enrolment };
}

describe('moves keep the past and follow the new residence after', () => {
  it('within a commune: past months and days unchanged, from the month after the move the new household counts; the enrolment stays', async () => {
    const { child, enrolment } = await poorFamilyWithChild();
    const other = await household(t, { commune: DA_SAR });
    await person(t, { dateOfBirth: '1970-01-01', householdId: other, isHead: true });
    await assess(t, other, 'NONE');
    const before = await pastOf(child, '2024-06', '2024-10', ['2024-07-15', '2024-10-09']);
    expect(month(before.months, '2024-07').total).toBe(750_000);

    const moved = ok(await move({ personId: child, movedOn: '2024-10-10', householdId: other, relationToHead: 'Cháu' }), 'movePerson');
    expect(moved).toMatchObject({ communeCode: DA_SAR, relationToHead: 'Cháu', household: { id: other } });

    expect(await pastOf(child, '2024-06', '2024-10', ['2024-07-15', '2024-10-09'])).toEqual(before);
    const nov = month(await entitlements(t, child, '2024-11', '2024-11'), '2024-11');
    expect(nov.total).toBe(0);
    expect(nov.lines[0]).toMatchObject({ status: 'NOT_ELIGIBLE', enrolment: { id: enrolment } });
    expect(nov.lines[0].failedConditions.map((c: { fact: string }) => c.fact)).toEqual(['householdPoverty']);
    expect((await eligibility(t, child, '2024-11-15')).get('D20_5_7').eligible).toBe(false);
    expect(ok(await t.gql(ENROLMENT, { id: enrolment }), 'enrolment')).toMatchObject({ status: 'ACTIVE', endPeriod: null, endReason: null });
  });

  it('between communes (LAW.md example): 5.7 keeps 750,000 for 2024-07 after the family moves in 2024-10 to an unclassified commune; from 2024-11 the new commune counts', async () => {
    const { h, head, child, enrolment } = await poorFamilyWithChild();
    const days = ['2024-07-01', '2024-09-30', '2024-10-04'];
    const before = await pastOf(child, '2024-05', '2024-10', days);
    expect(month(before.months, '2024-07')).toMatchObject({ total: 750_000 });

    const code = `LAT-NEW-${Date.now().toString(36)}`;
    const headMoved = ok(
      await move({ personId: head, movedOn: '2024-10-05', newHousehold: { code, communeCode: LAT, villageCode: `${LAT}.02`, address: 'Thôn Đưng K’Si' } }),
      'movePerson',
    );
    expect(headMoved).toMatchObject({ communeCode: LAT, relationToHead: 'Chủ hộ' });
    const newHousehold = headMoved.household.id as string;
    ok(await move({ personId: child, movedOn: '2024-10-05', householdId: newHousehold, relationToHead: 'Con' }));

    expect(await pastOf(child, '2024-05', '2024-10', days)).toEqual(before);
    const nov = month(await entitlements(t, child, '2024-11', '2024-11'), '2024-11');
    expect(nov).toMatchObject({ total: 0, lines: [{ status: 'NOT_ELIGIBLE', payableAmount: 0 }] });
    expect(nov.lines[0].failedConditions.map((c: { fact: string }) => c.fact)).toContain('disadvantagedArea');
    expect(ok(await t.gql(ENROLMENT, { id: enrolment }), 'enrolment').status).toBe('ACTIVE');

    // Where the child lived, day by day, and who lived in each household.
    expect(await historyOf(child)).toEqual([
      { from: '2022-11-15', to: '2024-10-04', communeCode: DA_SAR, relationToHead: 'Con', destination: null, reason: 'REGISTRATION', household: { id: h } },
      { from: '2024-10-05', to: null, communeCode: LAT, relationToHead: 'Con', destination: null, reason: 'MOVE', household: { id: newHousehold } },
    ]);
    expect(await residenceOn(child, '2024-07-15')).toMatchObject({ communeCode: DA_SAR, commune: { code: DA_SAR }, household: { id: h } });
    expect(await residenceOn(child, null)).toMatchObject({ communeCode: LAT, household: { id: newHousehold } });
    expect(await memberIds(h, '2024-09-01')).toEqual([child, head].sort());
    expect(await memberIds(h, null)).toEqual([]);
    expect(await memberIds(newHousehold, '2024-10-05')).toEqual([child, head].sort());
    // The head left the old household: it has no recorded head until one is named.
    expect(ok(await t.gql(`{ household(id: "${h}") { head { id } } }`), 'household').head).toBeNull();
    // Listed under the commune they lived in on the day asked.
    const listed = async (commune: string, asOf: string) =>
      (
        ok(
          await t.gql(`{ beneficiaries(communeCode: "${commune}", group: CHILD_UNDER_36_MONTHS, asOf: "${asOf}", first: 200) { nodes { id } } }`),
          'beneficiaries',
        ).nodes as { id: string }[]
      ).map((n) => n.id);
    expect(await listed(DA_SAR, '2024-09-01')).toContain(child);
    expect(await listed(LAT, '2024-09-01')).not.toContain(child);
    expect(await listed(LAT, '2024-11-01')).toContain(child);
    // Audited as a move, on the person.
    expect((await trailOf('Person', child)).map((e) => e.action)).toEqual(['registerPerson', 'movePerson']);
    expect((await trailOf('Household', newHousehold)).map((e) => e.action)).toEqual(['registerHousehold']);
  });

  it('an elderly woman moving into a poor household of a classified commune is not paid for months before she lived there', async () => {
    const before = await household(t, { commune: LAT });
    const woman = await person(t, { dateOfBirth: '1949-05-10', commune: LAT, householdId: before, isHead: true });
    await assess(t, before, 'NONE');
    const poor = await household(t, { commune: DA_SAR });
    await person(t, { dateOfBirth: '1975-03-03', householdId: poor, isHead: true });
    await assess(t, poor, 'POOR');
    const past = await pastOf(woman, '2024-04', '2024-07', ['2024-05-15', '2024-08-04']);
    ok(await move({ personId: woman, movedOn: '2024-08-05', householdId: poor, relationToHead: 'Mẹ' }));
    expect(await pastOf(woman, '2024-04', '2024-07', ['2024-05-15', '2024-08-04'])).toEqual(past);
    expect((await eligibility(t, woman, '2024-05-15')).get('D20_5_5B').eligible).toBe(false);
    expect((await eligibility(t, woman, '2024-08-15')).get('D20_5_5B').eligible).toBe(true);

    // From her 75th-birthday month she lived elsewhere, in a household that was not poor: refused.
    const officer = await t.token('commune_officer', [DA_SAR]);
    const early = await t.gql(
      ENROL,
      { input: { personId: woman, programCode: 'D20_5_5B', decisionNo: 'QĐ-75', decisionDate: '2024-08-20', startPeriod: '2024-05' } },
      officer,
    );
    expect(errorOf(early).extensions).toMatchObject({ code: 'CONFLICT', field: 'input.startPeriod' });
    await enrolAndApprove(t, woman, 'D20_5_5B', '2024-08', DA_SAR, '2024-08-20');
    const months = await entitlements(t, woman, '2024-05', '2024-09');
    expect(months.map((m: { period: string; total: number }) => [m.period, m.total])).toEqual([
      ['2024-05', 0],
      ['2024-06', 0],
      ['2024-07', 0],
      ['2024-08', 500_000],
      ['2024-09', 500_000],
    ]);
  });

  it('out of the district: the enrolments end with the month of the move (TRANSFERRED_OUT, destination); nothing is owed after', async () => {
    const { h, child, enrolment } = await poorFamilyWithChild();
    const days = ['2024-07-15', '2024-10-01'];
    const before = await pastOf(child, '2024-06', '2024-10', days);
    const destination = 'Huyện Đức Trọng, tỉnh Lâm Đồng';
    const officer = await t.token('commune_officer', [DA_SAR]);
    const moved = ok(await move({ personId: child, movedOn: '2024-10-20', outOfDistrict: { destination } }, officer), 'movePerson');
    // The person row keeps the last commune they lived in.
    expect(moved).toMatchObject({ communeCode: DA_SAR, household: { id: h } });
    expect(moved.residenceHistory.at(-1)).toEqual({
      from: '2024-10-20',
      to: null,
      communeCode: null,
      relationToHead: null,
      destination,
      reason: 'TRANSFER_OUT',
      household: null,
    });
    expect(await pastOf(child, '2024-06', '2024-10', days)).toEqual(before);
    expect(month(before.months, '2024-10').total).toBe(750_000);
    expect(ok(await t.gql(ENROLMENT, { id: enrolment }), 'enrolment')).toEqual({
      status: 'ENDED',
      startPeriod: '2024-07',
      endPeriod: '2024-10',
      endReason: 'TRANSFERRED_OUT',
      endDestination: destination,
    });
    const after = await entitlements(t, child, '2024-11', '2025-01');
    expect(after.map((m: { total: number; lines: unknown[] }) => [m.total, m.lines.length])).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect(await residenceOn(child, '2024-11-01')).toBeNull();
    expect(await memberIds(h, '2024-10-19')).toContain(child);
    expect(await memberIds(h, '2024-10-20')).not.toContain(child);
    expect([...(await eligibility(t, child, '2024-12-01')).values()].some((e: { eligible: boolean }) => e.eligible)).toBe(false);
    // Both ends audited in the move's request.
    expect((await trailOf('Enrolment', enrolment)).map((e) => e.action)).toEqual(['enrol', 'approveEnrolment', 'endEnrolment']);
  });

  it('out of the district ends PROPOSED enrolments too; a move within the district leaves them', async () => {
    const h2 = await household(t, { commune: DA_SAR });
    await person(t, { dateOfBirth: '1980-01-01', householdId: h2, isHead: true });
    await assess(t, h2, 'POOR');
    const adult = await person(t, { dateOfBirth: '1949-01-20', commune: DA_SAR, householdId: h2, relation: 'Mẹ' });
    const proposed = ok(
      await t.gql(
        ENROL,
        { input: { personId: adult, programCode: 'D20_5_5B', decisionNo: 'QĐ-P', decisionDate: '2024-09-02', startPeriod: '2024-09' } },
        await t.token('commune_officer', [DA_SAR]),
      ),
      'enrol',
    );
    const h3 = await household(t, { commune: DA_SAR });
    await person(t, { dateOfBirth: '1981-01-01', householdId: h3, isHead: true });
    ok(await move({ personId: adult, movedOn: '2024-09-15', householdId: h3 }));
    expect(ok(await t.gql(ENROLMENT, { id: proposed.id }), 'enrolment')).toMatchObject({ status: 'PROPOSED', endReason: null });
    ok(await move({ personId: adult, movedOn: '2024-11-02', outOfDistrict: { destination: 'Thành phố Hồ Chí Minh' } }));
    expect(ok(await t.gql(ENROLMENT, { id: proposed.id }), 'enrolment')).toEqual({
      status: 'ENDED',
      startPeriod: '2024-09',
      endPeriod: '2024-11',
      endReason: 'TRANSFERRED_OUT',
      endDestination: 'Thành phố Hồ Chí Minh',
    });
  });
});

describe('members on a date', () => {
  it('are the same through the compiled read, the prefetched page and the loaders', async () => {
    const { h, head, child } = await poorFamilyWithChild();
    const other = await household(t, { commune: DA_SAR });
    await person(t, { dateOfBirth: '1970-01-01', householdId: other, isHead: true });
    ok(await move({ personId: child, movedOn: '2024-10-10', householdId: other, relationToHead: 'Cháu' }));
    const executor = await startTestApp({ sharedDatabase: t.db, compiledReads: false, clock: { today: () => TODAY } });
    try {
      const post = (app: TestApp, query: string, variables: Record<string, unknown>) =>
        app.app.inject({
          method: 'POST',
          url: '/graphql',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          payload: { query, variables },
        });
      const token = await t.token('district_officer');
      for (const d of ['2024-09-01', '2024-10-10', null]) {
        const compiled = await post(t, MEMBERS, { id: h, d });
        expect(compiled.headers['x-an-sinh-compiled']).toBe('1');
        const loaded = await post(executor, MEMBERS, { id: h, d });
        expect(loaded.headers['x-an-sinh-compiled']).toBeUndefined();
        expect(loaded.json()).toEqual(compiled.json());
        const expected = d === '2024-09-01' ? [child, head].sort() : [head];
        expect((compiled.json().data.household.members as { id: string }[]).map((m) => m.id).sort()).toEqual(expected);
      }
      // Members without a date are today's, also when prefetched with a page of people.
      const PAGE = `query($c: String!) { beneficiaries(communeCode: $c, group: POOR_HOUSEHOLD, first: 200) { nodes { id household { id members { id relationToHead } } } } }`;
      const page = (r: { json(): JsonBody }) => (r.json().data.beneficiaries.nodes as JsonBody[]).find((n: { id: string }) => n.id === head).household.members;
      const [compiledPage, prefetchedPage] = [await post(t, PAGE, { c: DA_SAR }), await post(executor, PAGE, { c: DA_SAR })];
      expect(page(prefetchedPage)).toEqual([{ id: head, relationToHead: 'Chủ hộ' }]);
      expect(page(compiledPage)).toEqual(page(prefetchedPage));
    } finally {
      await executor.close();
    }
  });
});

describe('household changes keep the past', () => {
  it('split: members leave to form a new household in the same commune; their past is unchanged, after it the new household counts', async () => {
    const h = await household(t, { commune: DA_SAR });
    const grandfather = await person(t, { dateOfBirth: '1960-01-01', householdId: h, isHead: true });
    const son = await person(t, { dateOfBirth: '1995-02-02', sex: 'MALE', householdId: h, relation: 'Con' });
    const baby = await person(t, { dateOfBirth: '2023-03-03', householdId: h, relation: 'Cháu' });
    await assess(t, h, 'POOR');
    await enrolAndApprove(t, baby, 'D20_5_7', '2024-07', DA_SAR);
    const days = ['2024-07-15', '2024-10-09'];
    const before = await pastOf(baby, '2024-07', '2024-10', days);

    const code = `SPLIT-${Date.now().toString(36)}`;
    const created = ok(
      await t.gql(SPLIT, {
        input: {
          householdId: h,
          memberIds: [son, baby],
          headId: son,
          newHousehold: { code, villageCode: `${DA_SAR}.03` },
          splitOn: '2024-10-10',
          relations: [{ personId: baby, relationToHead: 'Con' }],
        },
      }),
      'splitHousehold',
    );
    expect(created).toMatchObject({ code, communeCode: DA_SAR, head: { id: son, relationToHead: 'Chủ hộ' } });
    expect(await pastOf(baby, '2024-07', '2024-10', days)).toEqual(before);
    expect(month(await entitlements(t, baby, '2024-11', '2024-11'), '2024-11').total).toBe(0);
    expect(await memberIds(h, '2024-10-09')).toEqual([baby, grandfather, son].sort());
    expect(await memberIds(h, '2024-10-10')).toEqual([grandfather]);
    expect(await memberIds(created.id, null)).toEqual([baby, son].sort());
    expect((await historyOf(baby)).map((r) => [r.from, r.to, r.reason, r.relationToHead])).toEqual([
      ['2023-03-03', '2024-10-09', 'REGISTRATION', 'Cháu'],
      ['2024-10-10', null, 'SPLIT', 'Con'],
    ]);
    expect((await trailOf('Person', son)).map((e) => e.action)).toEqual(['registerPerson', 'splitHousehold']);
    expect((await trailOf('Household', created.id)).map((e) => e.action)).toEqual(['splitHousehold']);
  });

  it('split: at least one member stays; the head is one of the members leaving', async () => {
    const h = await household(t, { commune: DA_SAR });
    const a = await person(t, { dateOfBirth: '1960-01-01', householdId: h, isHead: true });
    const b = await person(t, { dateOfBirth: '1990-01-01', householdId: h, relation: 'Con' });
    const events = await auditEvents();
    const households = await householdCount();
    const all = await t.gql(SPLIT, {
      input: { householdId: h, memberIds: [a, b], headId: a, newHousehold: { code: `S-ALL-${Date.now()}` }, splitOn: '2024-10-10' },
    });
    expect(errorOf(all).extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.memberIds' });
    const head = await t.gql(SPLIT, {
      input: { householdId: h, memberIds: [b], headId: a, newHousehold: { code: `S-H-${Date.now()}` }, splitOn: '2024-10-10' },
    });
    expect(errorOf(head).extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.headId' });
    expect(await auditEvents()).toBe(events);
    expect(await householdCount()).toBe(households);
  });

  it('merge: everyone moves into the other household; the absorbed one is dissolved the day before and nobody can join it after', async () => {
    const absorbed = await household(t, { commune: DA_SAR });
    const mother = await person(t, { dateOfBirth: '1994-04-04', householdId: absorbed, isHead: true });
    const child = await person(t, { dateOfBirth: '2023-01-20', householdId: absorbed, relation: 'Con' });
    await assess(t, absorbed, 'POOR');
    await enrolAndApprove(t, child, 'D20_5_7', '2024-07', DA_SAR);
    const into = await household(t, { commune: DA_SAR });
    const grandmother = await person(t, { dateOfBirth: '1965-05-05', householdId: into, isHead: true });
    const days = ['2024-08-01', '2024-10-09'];
    const before = await pastOf(child, '2024-07', '2024-10', days);

    ok(
      await t.gql(MERGE, {
        input: { householdId: absorbed, intoHouseholdId: into, mergedOn: '2024-10-10', relations: [{ personId: child, relationToHead: 'Cháu' }] },
      }),
    );
    expect(await pastOf(child, '2024-07', '2024-10', days)).toEqual(before);
    // The absorbing household was never assessed: from 2024-11 the child is not in a poor household.
    expect(month(await entitlements(t, child, '2024-11', '2024-11'), '2024-11').lines[0].status).toBe('NOT_ELIGIBLE');
    expect(await memberIds(into, null)).toEqual([child, grandmother, mother].sort());
    expect(await memberIds(absorbed, '2024-10-09')).toEqual([child, mother].sort());
    expect(await memberIds(absorbed, null)).toEqual([]);
    expect(await count(`SELECT count(*)::int AS n FROM households WHERE id = '${absorbed}' AND dissolved_on = '2024-10-09'`)).toBe(1);
    expect((await trailOf('Household', absorbed)).map((e) => e.action)).toContain('mergeHouseholds');

    const late = await person(t, { dateOfBirth: '2000-01-01', commune: DA_SAR });
    const periods = await periodsOf(late);
    const r = await move({ personId: late, movedOn: '2024-12-01', householdId: absorbed });
    expect(errorOf(r).extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.householdId' });
    expect(errorOf(r).message).toContain('dissolved on 2024-10-09');
    expect(errorOf(r).extensions.messageVi).toContain('giải thể');
    expect(await periodsOf(late)).toBe(periods);
    // The same holds for a merge into another commune's household.
    const elsewhere = await household(t, { commune: LAT });
    const other = await household(t, { commune: DA_SAR });
    await person(t, { dateOfBirth: '1970-01-01', householdId: other, isHead: true });
    const across = await t.gql(MERGE, { input: { householdId: other, intoHouseholdId: elsewhere, mergedOn: '2024-10-10' } });
    expect(errorOf(across).extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.intoHouseholdId' });
  });

  it('change of head: new periods only for members whose relation changes; the past is unchanged', async () => {
    const h = await household(t, { commune: DA_SAR });
    const husband = await person(t, { dateOfBirth: '1990-01-01', sex: 'MALE', householdId: h, isHead: true });
    const wife = await person(t, { dateOfBirth: '1992-02-02', householdId: h, relation: 'Vợ' });
    const child = await person(t, { dateOfBirth: '2023-06-06', householdId: h, relation: 'Con' });
    await assess(t, h, 'POOR');
    await enrolAndApprove(t, child, 'D20_5_7', '2024-07', DA_SAR);
    const days = ['2024-07-02', '2024-10-09'];
    const before = await pastOf(child, '2024-07', '2024-10', days);
    const wifeBefore = await pastOf(wife, '2024-07', '2024-10', days);

    const r = ok(
      await t.gql(HEAD, { input: { householdId: h, newHeadId: wife, changedOn: '2024-10-10', relations: [{ personId: husband, relationToHead: 'Chồng' }] } }),
      'changeHouseholdHead',
    );
    expect(r).toEqual({ id: h, head: { id: wife } });
    expect(await pastOf(child, '2024-07', '2024-10', days)).toEqual(before);
    expect(await pastOf(wife, '2024-07', '2024-10', days)).toEqual(wifeBefore);
    expect((await historyOf(wife)).map((p) => [p.from, p.relationToHead, p.reason])).toEqual([
      ['1992-02-02', 'Vợ', 'REGISTRATION'],
      ['2024-10-10', 'Chủ hộ', 'HEAD_CHANGE'],
    ]);
    expect((await historyOf(husband)).map((p) => [p.from, p.relationToHead, p.reason])).toEqual([
      ['1990-01-01', 'Chủ hộ', 'REGISTRATION'],
      ['2024-10-10', 'Chồng', 'HEAD_CHANGE'],
    ]);
    expect(await historyOf(child)).toHaveLength(1);
    // Same household throughout: 2024-11 still paid.
    expect(month(await entitlements(t, child, '2024-11', '2024-11'), '2024-11').total).toBe(750_000);
    const again = await t.gql(HEAD, { input: { householdId: h, newHeadId: wife, changedOn: '2024-12-01' } });
    expect(errorOf(again).extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.newHeadId' });
  });

  it('correction: a move recorded on the wrong date is rewritten, audited as a correction; months before it are unchanged', async () => {
    const { h, child } = await poorFamilyWithChild();
    const other = await household(t, { commune: DA_SAR });
    await person(t, { dateOfBirth: '1970-01-01', householdId: other, isHead: true });
    await assess(t, other, 'POOR');
    ok(await move({ personId: child, movedOn: '2024-10-10', householdId: other, relationToHead: 'Cháu' }));
    const before = await pastOf(child, '2024-06', '2024-08', ['2024-07-15', '2024-08-31']);

    const periods = [{ from: '2024-09-01', householdId: other, communeCode: DA_SAR, relationToHead: 'Cháu' }];
    const corrected = ok(await t.gql(CORRECT, { input: { personId: child, periods, reason: 'Chuyển hộ từ 01/9, ghi nhầm ngày' } }), 'correctResidence');
    expect(corrected.residenceHistory.map((p: JsonBody) => [p.from, p.to, p.reason, p.household?.id])).toEqual([
      ['2022-11-15', '2024-08-31', 'REGISTRATION', h],
      ['2024-09-01', null, 'CORRECTION', other],
    ]);
    expect(await pastOf(child, '2024-06', '2024-08', ['2024-07-15', '2024-08-31'])).toEqual(before);
    expect(await memberIds(h, '2024-09-15')).not.toContain(child);
    const trail = await trailOf('Person', child);
    expect(trail.map((e) => e.action)).toEqual(['registerPerson', 'movePerson', 'correctResidence']);
    const event = trail.at(-1);
    expect(event.before.periods.map((p: { validFrom: string }) => p.validFrom)).toEqual(['2022-11-15', '2024-10-10']);
    expect(event.after.periods.map((p: { validFrom: string }) => p.validFrom)).toEqual(['2022-11-15', '2024-09-01']);
    expect(event.after.correctionReason).toBe('Chuyển hộ từ 01/9, ghi nhầm ngày');
  });

  it('registerPerson: residentSince starts the first period (not before birth, not in the future)', async () => {
    const h = await household(t, { commune: LAT });
    const REGISTER = `mutation($input: RegisterPersonInput!) { registerPerson(input: $input) { id residenceHistory { from reason } } }`;
    const input = { fullName: 'Lơ Mu Ha', dateOfBirth: '1980-06-01', sex: 'FEMALE', communeCode: LAT, householdId: h, relationToHead: 'Vợ' };
    const p = ok(await t.gql(REGISTER, { input: { ...input, residentSince: '2023-03-01' } }), 'registerPerson');
    expect(p.residenceHistory).toEqual([{ from: '2023-03-01', reason: 'REGISTRATION' }]);
    expect(await residenceOn(p.id, '2023-02-28')).toBeNull();
    expect(await residenceOn(p.id, '2023-03-01')).toMatchObject({ communeCode: LAT });
    for (const residentSince of ['1980-05-31', '2025-09-16']) {
      const r = await t.gql(REGISTER, { input: { ...input, residentSince } });
      expect(errorOf(r).extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.residentSince' });
    }
  });
});

describe('refused changes write nothing', () => {
  /** Runs a refused mutation and checks its error and that no period and no audit event was written. */
  async function refused(personId: string, run: () => Promise<{ body: { errors?: JsonBody } }>, expected: Record<string, unknown>, text?: RegExp) {
    const [periods, events] = [await periodsOf(personId), await auditEvents()];
    const error = errorOf(await run());
    expect(error.extensions).toMatchObject(expected);
    if (text) expect(error.message).toMatch(text);
    if (expected.code === 'VALIDATION_FAILED') expect(error.extensions.messageVi).toBeTruthy();
    expect(await periodsOf(personId)).toBe(periods);
    expect(await auditEvents()).toBe(events);
  }

  it('movePerson: dates, targets, households and destinations', async () => {
    const h = await household(t, { commune: DA_SAR });
    const id = await person(t, { dateOfBirth: '1990-05-05', householdId: h, isHead: true });
    const other = await household(t, { commune: DA_SAR });
    const V = { code: 'VALIDATION_FAILED' };
    const to = (extra: Record<string, unknown>) => () => move({ personId: id, householdId: other, ...extra });
    await refused(id, to({ movedOn: '2025-09-16' }), { ...V, field: 'input.movedOn' }, /future/);
    await refused(id, to({ movedOn: '1990-05-04' }), { ...V, field: 'input.movedOn' }, /before the date of birth/);
    await refused(id, to({ movedOn: '1990-05-05' }), { ...V, field: 'input.movedOn' }, /not after 1990-05-05/);
    await refused(id, () => move({ personId: id, movedOn: '2024-01-01', householdId: h }), { ...V, field: 'input.householdId' }, /already lives in/);
    await refused(id, () => move({ personId: id, movedOn: '2024-01-01' }), { ...V, field: 'input' });
    await refused(id, () => move({ personId: id, movedOn: '2024-01-01', householdId: other, outOfDistrict: { destination: 'Đà Lạt' } }), {
      ...V,
      field: 'input',
    });
    await refused(id, () => move({ personId: id, movedOn: '2024-01-01', outOfDistrict: { destination: '   ' } }), {
      ...V,
      field: 'input.outOfDistrict.destination',
    });
    await refused(id, () => move({ personId: id, movedOn: '2024-01-01', outOfDistrict: { destination: 'Đà\u0007Lạt' } }), {
      ...V,
      field: 'input.outOfDistrict.destination',
    });
    await refused(id, () => move({ personId: id, movedOn: '2024-01-01', outOfDistrict: { destination: 'x'.repeat(501) } }), {
      ...V,
      field: 'input.outOfDistrict.destination',
    });
    // After the 2025-07-01 merger, Đạ Sar's households take no one; a new household uses the successor code.
    await refused(id, to({ movedOn: '2025-08-01' }), { ...V, field: 'input.householdId' }, /ended on 2025-06-30: its successor is 90001/);
    const oldCode = () => move({ personId: id, movedOn: '2025-08-01', newHousehold: { code: `OLD-${Date.now()}`, communeCode: DA_SAR } });
    await refused(id, oldCode, { ...V, field: 'input.newHousehold.communeCode' });
    const newCode = ok(
      await move({ personId: id, movedOn: '2025-08-01', newHousehold: { code: `NEW-${Date.now()}`, communeCode: XA_LAC_DUONG } }),
      'movePerson',
    );
    expect(newCode).toMatchObject({ communeCode: XA_LAC_DUONG, relationToHead: 'Chủ hộ' });
    // Now the current period starts 2025-08-01: an earlier change is a correction.
    await refused(id, to({ movedOn: '2025-07-31' }), { ...V, field: 'input.movedOn' }, /correctResidence/);

    ok(await t.gql(`mutation { recordDeath(personId: "${id}", dateOfDeath: "2025-08-10") { id } }`));
    await refused(
      id,
      () => move({ personId: id, movedOn: '2025-08-11', outOfDistrict: { destination: 'Đà Lạt' } }),
      { ...V, field: 'input.movedOn' },
      /after the death/,
    );
  });

  it('NOT_FOUND for unknown people and households, and for those outside the token (no existence leak)', async () => {
    const h = await household(t, { commune: DA_SAR });
    const id = await person(t, { dateOfBirth: '1990-05-05', householdId: h, isHead: true });
    const unknown = '00000000-0000-4000-8000-000000000000';
    await refused(id, () => move({ personId: unknown, movedOn: '2024-01-01', outOfDistrict: { destination: 'Đà Lạt' } }), { code: 'NOT_FOUND' });
    await refused(id, () => move({ personId: id, movedOn: '2024-01-01', householdId: unknown }), { code: 'NOT_FOUND' });
    await refused(id, () => t.gql(MERGE, { input: { householdId: h, intoHouseholdId: unknown, mergedOn: '2024-01-01' } }), { code: 'NOT_FOUND' });
    const inLat = await household(t, { commune: LAT });
    // A Lát officer cannot move a Đạ Sar person; a Đạ Sar officer cannot move them into Lát (the district does).
    // Either answers as for an unknown id: the person, or the household, is not theirs to know of.
    await refused(id, async () => move({ personId: id, movedOn: '2024-01-01', householdId: inLat }, await t.token('commune_officer', [LAT])), {
      code: 'NOT_FOUND',
    });
    await refused(id, async () => move({ personId: id, movedOn: '2024-01-01', householdId: inLat }, await t.token('commune_officer', [DA_SAR])), {
      code: 'NOT_FOUND',
    });
    await refused(id, async () => move({ personId: id, movedOn: '2024-01-01', householdId: inLat }, await t.token('auditor')), { code: 'FORBIDDEN' });
    const both = await t.token('commune_officer', [DA_SAR, LAT]);
    expect(ok(await move({ personId: id, movedOn: '2024-01-01', householdId: inLat }, both), 'movePerson').communeCode).toBe(LAT);
    // A commune officer sees the whole history, but not another commune's household.
    const history = ok(await t.gql(HISTORY, { id }, await t.token('commune_officer', [LAT])), 'person').residenceHistory;
    expect(history.map((p: JsonBody) => [p.communeCode, p.household?.id ?? null])).toEqual([
      [DA_SAR, null],
      [LAT, inLat],
    ]);
  });

  it('correctResidence: overlaps, gaps, open periods, births, households of another commune', async () => {
    const h = await household(t, { commune: DA_SAR });
    const id = await person(t, { dateOfBirth: '2000-01-01', householdId: h, isHead: true });
    const other = await household(t, { commune: DA_SAR });
    const V = { code: 'VALIDATION_FAILED' };
    const correct =
      (periods: Record<string, unknown>[], reason = 'Ghi nhầm') =>
      () =>
        t.gql(CORRECT, { input: { personId: id, periods, reason } });
    await refused(
      id,
      correct([
        { from: '2020-01-01', to: '2021-01-01', householdId: h },
        { from: '2021-01-01', householdId: other },
      ]),
      { ...V, field: 'input.periods[1].from' },
      /overlaps/,
    );
    await refused(
      id,
      correct([
        { from: '2020-01-01', to: '2020-12-30', householdId: h },
        { from: '2021-01-01', householdId: other },
      ]),
      { ...V, field: 'input.periods[1].from' },
      /gap/,
    );
    await refused(
      id,
      correct([
        { from: '2020-01-01', householdId: h },
        { from: '2021-01-01', householdId: other },
      ]),
      { ...V, field: 'input.periods[0].to' },
    );
    await refused(id, correct([{ from: '2020-01-01', to: '2020-05-05', householdId: h }]), { ...V, field: 'input.periods[0].to' });
    await refused(id, correct([{ from: '1999-12-31', householdId: h }]), { ...V, field: 'input.periods[0].from' }, /before the date of birth/);
    await refused(id, correct([{ from: '2020-01-01', householdId: other, communeCode: LAT }]), { ...V, field: 'input.periods[0].communeCode' });
    await refused(id, correct([{ from: '2020-01-01' }]), { ...V, field: 'input.periods[0]' });
    await refused(id, correct([{ from: '2020-01-01', householdId: other }], ' '), { ...V, field: 'input.reason' });
    await refused(id, correct([{ from: '2000-01-01', destination: 'Đà Lạt' }]), { ...V, field: 'input.periods' }, /no period in the district/);
    // The whole history replaced, starting at birth: allowed.
    const whole = ok(
      await t.gql(CORRECT, {
        input: { personId: id, reason: 'Hộ ghi nhầm từ đầu', periods: [{ from: '2000-01-01', householdId: other, relationToHead: 'Con' }] },
      }),
      'correctResidence',
    );
    expect(whole.residenceHistory).toEqual([
      { from: '2000-01-01', to: null, communeCode: DA_SAR, relationToHead: 'Con', destination: null, reason: 'CORRECTION', household: { id: other } },
    ]);
    expect(whole).toMatchObject({ household: { id: other }, relationToHead: 'Con' });
  });
});

describe('concurrent moves', () => {
  it('two moves of one person on the same day: exactly one wins, and periods never overlap', async () => {
    const h = await household(t, { commune: DA_SAR });
    const id = await person(t, { dateOfBirth: '1990-05-05', householdId: h, isHead: true });
    const [a, b] = [await household(t, { commune: DA_SAR }), await household(t, { commune: DA_SAR })];
    const results = await Promise.all([
      move({ personId: id, movedOn: '2024-03-01', householdId: a }),
      move({ personId: id, movedOn: '2024-03-01', householdId: b }),
    ]);
    const won = results.filter((r) => !r.body.errors);
    const lost = results.filter((r) => r.body.errors);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(errorOf(lost[0] ?? { body: {} }).extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.movedOn' });
    const history = await historyOf(id);
    expect(history.map((p) => [p.from, p.to])).toEqual([
      ['1990-05-05', '2024-02-29'],
      ['2024-03-01', null],
    ]);
  });

  it('two moves on different days apply in order or the earlier is refused; periods never overlap', async () => {
    const h = await household(t, { commune: DA_SAR });
    const id = await person(t, { dateOfBirth: '1990-05-05', householdId: h, isHead: true });
    const [a, b] = [await household(t, { commune: DA_SAR }), await household(t, { commune: DA_SAR })];
    const results = await Promise.all([
      move({ personId: id, movedOn: '2024-03-01', householdId: a }),
      move({ personId: id, movedOn: '2024-04-01', householdId: b }),
    ]);
    const history = await historyOf(id);
    for (let i = 1; i < history.length; i++) expect(history[i - 1].to < history[i].from).toBe(true);
    if (results.every((r) => !r.body.errors)) {
      expect(history.map((p) => [p.from, p.to, p.household.id])).toEqual([
        ['1990-05-05', '2024-02-29', h],
        ['2024-03-01', '2024-03-31', a],
        ['2024-04-01', null, b],
      ]);
    } else {
      expect(errorOf(results[0]).extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.movedOn' });
      expect(history.map((p) => [p.from, p.household.id])).toEqual([
        ['1990-05-05', h],
        ['2024-04-01', b],
      ]);
    }
  });
});
