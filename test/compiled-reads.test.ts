/**
 * Compiled reads (src/graphql/compiled/, registry.compiled.ts) must answer exactly as the general
 * executor: two apps on one database, one with the compiled path and one without, must give the same HTTP
 * status, content type and body bytes for every registry read of the test suite and for random selections,
 * as every role. The compiled app marks what it answered itself (x-an-sinh-compiled, test mode only), so
 * the test also proves the compiled path was taken where it should be.
 */
import fc from 'fast-check';
import { buildSchema, getNamedType, isLeafType, isNonNullType, isObjectType } from 'graphql';
import { loadSchemaText } from '../src/graphql/schema.js';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disabilityCertificates, households, meritRecords, pensionStatuses, persons, povertyAssessments, pregnancies } from '../src/db/schema/index.js';
import type { Role } from '../src/modules/auth/auth.types.js';
import { makeNationalId } from '../src/core/national-id.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';
import { CORPUS } from './support/graphql-corpus.js';
import { writeMove } from './support/residence.js';
import { systemClock } from '../src/clock.js';
import { countBeneficiaries, findBeneficiaryPage } from '../src/modules/registry/registry.repository.js';

const DA_SAR = '24865';
const DA_NHIM = '24848';
const LAT = '24862';
/** Xã Lạc Dương, the 2025 successor of Đạ Sar, Đạ Nhim and Đạ Chais: its lists cover theirs from 2025-07-01. */
const LAC_DUONG = '90001';
const AS_OF = '2026-06-01';
/** Dates before the moves below, between them, and after (today, the clock's date, is after all of them). */
const PAST = ['2024-06-01', '2025-01-15', '2025-06-01'];

let on: TestApp;
let off: TestApp;
const data = {
  personIds: [] as string[],
  nationalIds: [] as string[],
  householdIds: [] as string[],
  householdCodes: [] as string[],
  cursors: [] as string[],
  /** Split off from household DF-4 into DF-9 on 2026-09-01 (after AS_OF, before today). */
  splitHead: '',
  /** Left the district from household DF-1 on 2026-02-01. */
  movedOut: '',
};
const callers: { name: string; token: string }[] = [];

/**
 * People in Đạ Sar and Đạ Nhim with every kind of value the compiled SQL must render as the executor does:
 * nulls, quotes, backslashes and control characters in names, large amounts, members and heads living in
 * another commune than their household, a dead person. Circumstance dates differ per person, so list order
 * has no ties.
 */
async function seed(db: TestApp['db']) {
  const d = db.database.db;
  const hh = await d
    .insert(households)
    .values(
      Array.from({ length: 9 }, (_, i) => ({
        code: `DF-${i}`,
        communeCode: i === 8 ? DA_NHIM : DA_SAR,
        villageCode: i % 2 ? null : `${i === 8 ? DA_NHIM : DA_SAR}.01`,
        address: i % 3 ? `Thôn ${i} "Đạ" \\ số\t${i}` : null,
      })),
    )
    .returning();
  let serial = 1;
  const names = ['Nguyễn Văn Đức', "Kră Jăn K' Sơn", 'Liêng "Hót" Ha Đức', 'Trần Thị\nLan \\ Ka', 'Ka Thị Hoa'];
  const rows = hh.flatMap((h, i) => {
    const commune = h.communeCode;
    return [
      {
        householdId: h.id,
        communeCode: commune,
        fullName: names[i % 5] ?? 'x',
        dateOfBirth: `19${40 + i}-03-0${1 + (i % 9)}`,
        sex: 'MALE' as const,
        relationToHead: 'Chủ hộ',
        ethnicity: i % 2 ? "K'Ho" : null,
        nationalId: makeNationalId('068', 1940 + i, 'MALE', serial++),
      },
      {
        householdId: h.id,
        communeCode: commune,
        fullName: `Vợ ${i}`,
        dateOfBirth: `19${42 + i}-07-1${i % 9}`,
        sex: 'FEMALE' as const,
        relationToHead: 'Vợ',
        nationalId: i % 3 ? makeNationalId('068', 1942 + i, 'FEMALE', serial++) : null,
      },
      // Registered in the other commune: a commune officer of the household's commune must not see them.
      {
        householdId: h.id,
        communeCode: commune === DA_SAR ? DA_NHIM : DA_SAR,
        fullName: `Con ${i}`,
        dateOfBirth: '1990-01-01',
        sex: 'FEMALE' as const,
        relationToHead: 'Con',
        nationalId: makeNationalId('068', 1990, 'FEMALE', serial++),
      },
      {
        householdId: h.id,
        communeCode: commune,
        fullName: `Cháu ${i}`,
        dateOfBirth: `2025-0${1 + (i % 9)}-15`,
        sex: 'MALE' as const,
        relationToHead: null,
        nationalId: null,
      },
    ];
  });
  const people = await d.insert(persons).values(rows).returning();
  const heads = people.filter((p) => p.relationToHead === 'Chủ hộ');
  const wives = people.filter((p) => p.relationToHead === 'Vợ');
  const children = people.filter((p) => p.relationToHead === 'Con');
  for (const [i, h] of hh.entries()) {
    // Household 3's head is a member who lives in the other commune.
    const head = i === 3 ? children.find((p) => p.householdId === h.id) : heads.find((p) => p.householdId === h.id);
    if (head) await d.update(households).set({ headPersonId: head.id }).where(eq(households.id, h.id));
  }
  await d.insert(persons).values([
    {
      communeCode: DA_SAR,
      fullName: 'Đã Mất',
      dateOfBirth: '1930-01-01',
      dateOfDeath: '2026-01-01',
      sex: 'FEMALE',
      nationalId: makeNationalId('068', 1930, 'FEMALE', 900001),
    },
    { communeCode: LAT, fullName: 'Người Lát', dateOfBirth: '1941-01-01', sex: 'MALE', nationalId: makeNationalId('068', 1941, 'MALE', 900002) },
  ]);
  await d.insert(disabilityCertificates).values([
    ...heads
      .slice(0, 4)
      .map((p, i) => ({ personId: p.id, level: 'SEVERE' as const, certificateNo: `GXN-${i}`, issuedOn: '2020-01-01', validTo: i % 2 ? '2030-12-31' : null })),
    { personId: heads[0]!.id, level: 'MILD' as const, certificateNo: 'GXN-old', issuedOn: '2010-01-01', validTo: '2019-12-31' },
    { personId: children[0]!.id, level: 'PARTICULARLY_SEVERE' as const, certificateNo: 'GXN-c', issuedOn: '2015-01-01' },
    // Withdrawn (recorded wrongly): no path may list it or count it.
    {
      personId: heads[1]!.id,
      level: 'PARTICULARLY_SEVERE' as const,
      certificateNo: 'GXN-wrong',
      issuedOn: '2021-01-01',
      withdrawnAt: new Date('2026-02-01T00:00:00Z'),
      withdrawalReason: 'nhầm người',
    },
  ]);
  await d.insert(meritRecords).values(
    heads.slice(2, 6).map((p, i) => ({
      personId: p.id,
      category: 'WAR_INVALID',
      injuryRate: i % 2 ? 41 : null,
      decisionNo: `QĐ-${i}`,
      recognizedOn: '1985-01-01',
      validTo: i === 3 ? '2000-01-01' : null,
    })),
  );
  await d.insert(pensionStatuses).values([
    ...heads.slice(0, 3).map((p, i) => ({
      personId: p.id,
      kind: 'RETIREMENT_PENSION' as const,
      monthlyAmount: i === 2 ? 12_345_678_901 : 3_000_000,
      startsOn: '2005-01-01',
      decisionNo: i ? `LH-${i}` : null,
    })),
    { personId: heads[0]!.id, kind: 'SOCIAL_ALLOWANCE' as const, monthlyAmount: null, startsOn: '2001-01-01', endsOn: '2004-12-31' },
  ]);
  await d.insert(pregnancies).values([
    { personId: wives[0]!.id, reportedOn: '2026-03-01', expectedDeliveryOn: '2026-10-01' },
    { personId: wives[0]!.id, reportedOn: '2020-03-01', expectedDeliveryOn: '2020-10-01', endedOn: '2020-10-03', outcome: 'BIRTH' as const },
  ]);
  await d.insert(povertyAssessments).values(
    hh.slice(0, 4).flatMap((h, i) => [
      {
        householdId: h.id,
        assessedOn: '2022-01-10',
        standardCode: 'DECREE_07_2021',
        area: 'RURAL' as const,
        incomePerPerson: 900_000,
        deprivations: ['NUTRITION'],
        classification: 'NEAR_POOR' as const,
        decisionNo: i ? `QĐ-N-${i}` : null,
      },
      {
        householdId: h.id,
        assessedOn: '2025-12-15',
        standardCode: 'DECREE_07_2021',
        area: 'URBAN' as const,
        incomePerPerson: 1_000_000,
        deprivations: i ? ['NUTRITION', 'HEALTH_INSURANCE', 'HYGIENIC_LATRINE'] : [],
        classification: 'POOR' as const,
      },
    ]),
  );
  // People who moved (LAW.md "Moving house"): pages as of past dates list them where they lived then, household
  // members are today's, and a split after AS_OF but before today makes the two differ.
  const [split] = await d
    .insert(households)
    .values({ code: 'DF-9', communeCode: DA_SAR, villageCode: `${DA_SAR}.02` })
    .returning();
  const grandchildren = people.filter((p) => p.relationToHead === null);
  await writeMove(db.database.db, heads[5]!.id, { movedOn: '2025-03-01', householdId: hh[8]!.id, communeCode: DA_NHIM, relationToHead: 'Anh' });
  await writeMove(db.database.db, wives[6]!.id, { movedOn: '2024-09-01', householdId: hh[7]!.id, communeCode: DA_SAR, relationToHead: 'Vợ' });
  await writeMove(db.database.db, grandchildren[1]!.id, { movedOn: '2026-02-01', householdId: null, communeCode: null, destination: 'TP. Hồ Chí Minh' });
  await writeMove(db.database.db, heads[4]!.id, {
    movedOn: '2026-09-01',
    householdId: split!.id,
    communeCode: DA_SAR,
    relationToHead: 'Chủ hộ',
    reason: 'SPLIT',
  });
  await d.update(households).set({ headPersonId: heads[4]!.id }).where(eq(households.id, split!.id));
  data.splitHead = heads[4]!.id;
  data.movedOut = grandchildren[1]!.id;
  const all = await d.select({ id: persons.id, nationalId: persons.nationalId }).from(persons);
  data.personIds = [...all.map((p) => p.id), '00000000-0000-4000-8000-000000000000', 'not-a-uuid'];
  data.nationalIds = [...all.flatMap((p) => (p.nationalId ? [p.nationalId] : [])), '068999999999', '12345', ''];
  data.householdIds = [...hh.map((h) => h.id), split!.id, '00000000-0000-4000-8000-000000000000', 'nope'];
  data.householdCodes = [...hh.map((h) => h.code), 'DF-9', 'DF-none', ''];
}

beforeAll(async () => {
  on = await startTestApp({ compiledReads: true });
  await seed(on.db);
  off = await startTestApp({ sharedDatabase: on.db, compiledReads: false });
  const roles: [string, Role, string[], string][] = [
    ['district_officer', 'district_officer', [], ''],
    ['commune_officer Đạ Sar', 'commune_officer', [DA_SAR], ''],
    ['commune_officer Đạ Nhim', 'commune_officer', [DA_NHIM], ''],
    ['commune_officer Xã Lạc Dương (successor)', 'commune_officer', [LAC_DUONG], ''],
    ['auditor', 'auditor', [], ''],
    ['admin', 'admin', [], ''],
    ['integration', 'integration', [], ''],
    ['integration + person:national_id', 'integration', [], 'person:national_id'],
  ];
  for (const [name, role, communes, scope] of roles) callers.push({ name, token: await on.token(role, communes, scope) });
  const page = await off.gql(`{ beneficiaries(communeCode: "${DA_SAR}", asOf: "${AS_OF}", first: 3) { edges { cursor } } }`);
  data.cursors = [...page.body.data.beneficiaries.edges.map((e: { cursor: string }) => e.cursor), 'garbage', Buffer.from('p:nope').toString('base64url')];
}, 120_000);
afterAll(async () => {
  await closeTestApp(off);
  await closeTestApp(on);
});

let compiledCount = 0;

/**
 * Mercurius runs a document's first execution with graphql-js and later ones with graphql-jit, and their
 * error responses differ (locations, the status of variable errors). The compiled app sends fewer requests
 * of a document to its executor, so without this the two executors would be at different stages; both
 * are brought to the jit stage before a document is compared.
 */
const primed = new Set<string>();
async function prime(query: string, operationName: string | undefined) {
  const key = `${operationName ?? ''}\u0000${query}`;
  if (primed.has(key)) return;
  primed.add(key);
  for (const t of [on, off]) {
    for (let i = 0; i < 2; i++) await t.app.graphql(query, {}, undefined, operationName).catch(() => undefined);
  }
}

/** Every other request asks for GraphQL over HTTP's own media type: the compiled path must answer it alike. */
let sameCalls = 0;

/** Sends one request to both apps; they must agree. Returns whether the compiled path answered. */
async function same(
  request: { method: 'GET' | 'POST'; query: string; variables?: Record<string, unknown>; operationName?: string },
  token: string,
  label: string,
) {
  const accept = sameCalls++ % 2 === 1 ? { accept: 'application/graphql-response+json, application/json' } : {};
  const send = (t: TestApp) =>
    request.method === 'POST'
      ? t.app.inject({
          method: 'POST',
          url: '/graphql',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...accept },
          payload: { query: request.query, variables: request.variables, operationName: request.operationName },
        })
      : t.app.inject({
          method: 'GET',
          url: `/graphql?query=${encodeURIComponent(request.query)}${request.variables ? `&variables=${encodeURIComponent(JSON.stringify(request.variables))}` : ''}`,
          headers: { authorization: `Bearer ${token}`, ...accept },
        });
  await prime(request.query, request.operationName);
  const [a, b] = [await send(on), await send(off)];
  const context = `${label} ${JSON.stringify(accept)}\n${request.query}\n${JSON.stringify(request.variables)}`;
  expect(a.statusCode, context).toBe(b.statusCode);
  expect(a.headers['content-type'], context).toBe(b.headers['content-type']);
  expect(a.body, context).toBe(b.body);
  expect(b.headers['x-an-sinh-compiled']).toBeUndefined();
  const compiled = a.headers['x-an-sinh-compiled'] === '1';
  if (compiled) compiledCount++;
  return { compiled, body: a.body };
}

function variablesFor(kind: (typeof CORPUS)[number]['uses'], value: string) {
  switch (kind) {
    case 'person':
      return { id: value };
    case 'nationalId':
      return { n: value, nationalId: value };
    case 'household':
      return { id: value };
    case 'commune':
      return { c: value, communeCode: value, asOf: AS_OF, g: 'ELDERLY', first: 50 };
    default:
      return {};
  }
}

describe('reads for today', () => {
  it('take the person table alone (latestOnly) and give what the two-branch statement gives', async () => {
    const today = systemClock.today();
    const db = on.db.database.db;
    // The movers above moved before today: on today's date, no earlier period can be in force.
    for (const communeCode of [DA_SAR, DA_NHIM, LAT, LAC_DUONG]) {
      for (const group of [undefined, 'ELDERLY', 'POOR_HOUSEHOLD'] as const) {
        const f = { communeCode, group, search: undefined, asOf: today, coversPredecessors: communeCode === LAC_DUONG };
        const both = await findBeneficiaryPage(db, f, undefined, 500);
        const latest = await findBeneficiaryPage(db, { ...f, latestOnly: true }, undefined, 500);
        expect(latest, `${communeCode} ${group ?? 'any'}`).toEqual(both);
        expect(await countBeneficiaries(db, { ...f, latestOnly: true })).toBe(await countBeneficiaries(db, f));
      }
    }
  });
});

describe('compiled reads answer as the executor', () => {
  it('for every registry read of the test suite, as every role', async () => {
    const values = {
      person: data.personIds.slice(0, 6).concat(data.personIds.slice(-4)),
      nationalId: data.nationalIds.slice(0, 4).concat(data.nationalIds.slice(-5)),
      household: data.householdIds.slice(2, 5).concat(data.householdIds.slice(-3)),
      commune: [DA_SAR, DA_NHIM, LAT, LAC_DUONG, '99999', '675'],
      none: [''],
    };
    for (const op of CORPUS) {
      let compiledHere = 0;
      for (const value of values[op.uses]) {
        const query = op.query.replace(/"\$(commune|person|nationalId|household)"/g, JSON.stringify(value));
        for (const caller of callers) {
          const r = await same({ method: 'POST', query, variables: variablesFor(op.uses, value) }, caller.token, `${op.source} as ${caller.name}`);
          if (r.compiled) compiledHere++;
        }
      }
      if (op.compiled) expect(compiledHere, op.source).toBeGreaterThan(0);
      else expect(compiledHere, op.source).toBe(0);
    }
  }, 300_000);

  it('for people who moved, as of past and present dates', async () => {
    const query = `query($c: String!, $asOf: Date) { beneficiaries(communeCode: $c, asOf: $asOf, first: 200) {
      totalCount nodes { id communeCode relationToHead household { code members { id relationToHead communeCode } head { id } } } } }`;
    const seen = new Set<string>();
    for (const asOf of [...PAST, AS_OF, undefined]) {
      for (const c of [DA_SAR, DA_NHIM, LAC_DUONG]) {
        for (const caller of [callers[0]!, callers[1]!, callers[3]!]) {
          const r = await same({ method: 'POST', query, variables: { c, asOf } }, caller.token, `moves ${c} ${asOf ?? 'today'} as ${caller.name}`);
          const page = JSON.parse(r.body).data?.beneficiaries as { nodes: { household: { code: string } | null }[] } | undefined;
          // Every read allowed is answered by the compiled path (a forbidden one is the executor's error).
          expect(r.compiled, r.body).toBe(page !== undefined);
          for (const n of page?.nodes ?? []) seen.add(`${c}|${asOf ?? ''}|${n.household?.code ?? ''}`);
        }
      }
    }
    // Someone who moved out of the district is in no group today, on both paths (the compiled path once read the
    // groups off the person row's last household: POOR_HOUSEHOLD and CHILD_UNDER_36_MONTHS for this grandchild).
    const groups = await same(
      { method: 'POST', query: `query($id: ID!) { person(id: $id) { groups } }`, variables: { id: data.movedOut } },
      callers[0]!.token,
      'groups of a person who moved out',
    );
    expect(groups.compiled).toBe(true);
    expect(JSON.parse(groups.body).data.person.groups).toEqual([]);
    // Household members are the people living there today, on both paths.
    const members = `query($code: String!) { household(code: $code) { members { id } } }`;
    const ids = async (code: string) => {
      const r = await same({ method: 'POST', query: members, variables: { code } }, callers[0]!.token, `members ${code}`);
      expect(r.compiled).toBe(true);
      return (JSON.parse(r.body).data.household.members as { id: string }[]).map((m) => m.id);
    };
    expect(await ids('DF-4')).not.toContain(data.splitHead);
    expect(await ids('DF-9')).toEqual([data.splitHead]);
    expect(await ids('DF-1')).not.toContain(data.movedOut);
    // The mover of household 5 is listed under Đạ Sar before his move and under Đạ Nhim after it.
    expect(seen.has(`${DA_SAR}|2024-06-01|DF-5`)).toBe(true);
    expect(seen.has(`${DA_NHIM}|${AS_OF}|DF-8`)).toBe(true);
  });

  it('answers a selection of every scalar field of a person itself, never by falling back', async () => {
    // A column the row source left out (birth_date_precision) failed the compiled statement on every request that
    // asked for it; the executor answered the same, so only the fallback showed it, and under row-level security
    // the failed statement aborted the request's transaction.
    const person = buildSchema(loadSchemaText()).getType('Person');
    if (!isObjectType(person)) throw new Error('no Person type');
    const scalars = Object.values(person.getFields())
      .filter((f) => f.args.every((a) => !isNonNullType(a.type)) && isLeafType(getNamedType(f.type)))
      .map((f) => f.name);
    expect(scalars).toContain('birthDatePrecision');
    const token = callers.find((c) => c.name === 'district_officer')!.token;
    const page = await same(
      { method: 'POST', query: `{ beneficiaries(communeCode: "${DA_SAR}", asOf: "${AS_OF}", first: 20) { nodes { ${scalars.join(' ')} } } }` },
      token,
      'every scalar, page',
    );
    expect(page.compiled, page.body).toBe(true);
    const one = await same({ method: 'POST', query: `{ person(id: "${data.personIds[0]}") { ${scalars.join(' ')} } }` }, token, 'every scalar, person');
    expect(one.compiled, one.body).toBe(true);
  });

  it('for GET requests', async () => {
    const token = callers[0]!.token;
    const r = await same({ method: 'GET', query: `{ personByNationalId(nationalId: "${data.nationalIds[0]}") { id nationalId } }` }, token, 'GET');
    expect(r.compiled).toBe(true);
    await same(
      { method: 'GET', query: `query($n: String!) { personByNationalId(nationalId: $n) { id } }`, variables: { n: data.nationalIds[1] } },
      token,
      'GET vars',
    );
    await same({ method: 'GET', query: `query($n: String!) { personByNationalId(nationalId: $n) { id } }`, variables: { n: 5 } }, token, 'GET bad vars');
    await same({ method: 'GET', query: `mutation { _noop }` }, token, 'GET mutation');
  });

  it('pages through the commune with the cursors the executor gives', async () => {
    const query = `query($after: String, $first: Int) { beneficiaries(communeCode: "${DA_SAR}", asOf: "${AS_OF}", first: $first, after: $after) {
      totalCount edges { cursor node { id } } pageInfo { endCursor hasNextPage } } }`;
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const r = await same({ method: 'POST', query, variables: { after, first: 4 } }, callers[1]!.token, 'paging');
      expect(r.compiled).toBe(true);
      const info = JSON.parse(r.body).data.beneficiaries.pageInfo as { endCursor: string | null; hasNextPage: boolean };
      pages++;
      if (!info.hasNextPage) break;
      after = info.endCursor;
    }
    expect(pages).toBeGreaterThan(2);
  });

  it('for random selections, arguments and callers', async () => {
    const scalar = (...names: string[]) => fc.constantFrom(...names);
    // Aliases now and then, sometimes colliding (same field: merged; another field: a validation error).
    const alias = fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('a', 'b', 'x1', 'id', 'nodes', 'code') });
    const field = (name: fc.Arbitrary<string>, sub?: fc.Arbitrary<string>): fc.Arbitrary<string> =>
      fc.tuple(alias, name, sub ? sub.map((s) => ` { ${s} }`) : fc.constant('')).map(([a, n, s]) => `${a ? `${a}: ` : ''}${n}${s}`);
    const selection = (parts: fc.Arbitrary<string>) => fc.array(parts, { minLength: 1, maxLength: 6 }).map((xs) => xs.join(' '));
    const circumstance = {
      disabilityCertificates: scalar('id', 'level', 'certificateNo', 'issuedOn', 'validTo', '__typename'),
      meritRecords: scalar('id', 'category', 'injuryRate', 'decisionNo', 'recognizedOn', 'validTo'),
      pensionStatuses: scalar('id', 'kind', 'monthlyAmount', 'startsOn', 'endsOn', 'decisionNo'),
      pregnancies: scalar('id', 'reportedOn', 'expectedDeliveryOn', 'endedOn', 'outcome'),
      povertyAssessments: scalar('id', 'assessedOn', 'standardCode', 'area', 'incomePerPerson', 'deprivations', 'classification', 'decisionNo'),
    };
    const { person: personSel, household: householdSel } = fc.letrec<{ person: string; household: string }>((tie) => ({
      person: selection(
        fc.oneof(
          {
            weight: 24,
            arbitrary: field(
              scalar('id', 'nationalId', 'fullName', 'dateOfBirth', 'sex', 'ethnicity', 'communeCode', 'relationToHead', 'dateOfDeath', '__typename'),
            ),
          },
          { weight: 6, arbitrary: field(fc.constant('household'), tie('household')) },
          ...Object.entries(circumstance)
            .filter(([k]) => k !== 'povertyAssessments')
            .map(([k, s]) => ({ weight: 3, arbitrary: field(fc.constant(k), selection(field(s))) })),
          { weight: 2, arbitrary: field(fc.constantFrom('groups', `groups(asOf: "${AS_OF}")`, 'groups(asOf: "2026-12-01")', 'groups(asOf: $groupsAsOf)')) },
          // Fields the compiled path leaves to the executor (rare: one in a selection sends it all there).
          { weight: 1, arbitrary: fc.constantFrom('commune { name }', '... on Person { id }', 'id @include(if: true)') },
        ),
      ),
      household: selection(
        fc.oneof(
          { weight: 16, arbitrary: field(scalar('id', 'code', 'communeCode', 'villageCode', 'address', '__typename')) },
          { weight: 3, arbitrary: field(fc.constantFrom('head', 'members'), tie('person')) },
          { weight: 3, arbitrary: field(fc.constant('povertyAssessments'), selection(field(circumstance.povertyAssessments))) },
          { weight: 1, arbitrary: fc.constantFrom('village { code }', `povertyAssessment(asOf: "${AS_OF}") { id }`) },
        ),
      ),
    }));
    const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
    const beneficiaryArgs = fc.record({
      communeCode: fc.constantFrom(DA_SAR, DA_SAR, DA_SAR, DA_NHIM, LAT, LAC_DUONG, '99999', '675'),
      group: maybe(fc.constantFrom('ELDERLY', 'CHILD_UNDER_36_MONTHS', 'POOR_HOUSEHOLD', 'NEAR_POOR_HOUSEHOLD', 'DISABILITY', 'MERIT', 'PREGNANT_WOMAN')),
      first: maybe(fc.constantFrom(1, 2, 5, 50, 200, 0, 201, -1)),
      after: maybe(fc.constantFrom(...data.cursors)),
      asOf: maybe(fc.constantFrom(AS_OF, AS_OF, ...PAST, '2020-02-29', '2026-13-01', '0000-01-01')),
      search: fc.option(fc.constantFrom('nguyen', 'ĐỨC', '%', '  ', 'x'.repeat(101), ' ka '), { nil: undefined, freq: 2 }),
      programCode: fc.option(fc.constantFrom('D20_5_5C', ''), { nil: undefined, freq: 2 }),
    });
    const connection = selection(
      fc.oneof(
        field(fc.constant('totalCount')),
        field(fc.constant('__typename')),
        field(fc.constant('pageInfo'), selection(field(scalar('hasNextPage', 'endCursor', '__typename')))),
        field(fc.constant('nodes'), personSel),
        field(fc.constant('edges'), selection(fc.oneof(field(scalar('cursor', '__typename')), field(fc.constant('node'), personSel)))),
      ),
    );
    const root = fc.oneof(
      fc.record({ name: fc.constant('person'), args: fc.record({ id: fc.constantFrom(...data.personIds) }), sel: personSel }),
      fc.record({ name: fc.constant('personByNationalId'), args: fc.record({ nationalId: fc.constantFrom(...data.nationalIds) }), sel: personSel }),
      fc.record({
        name: fc.constant('household'),
        args: fc.record({ id: maybe(fc.constantFrom(...data.householdIds)), code: maybe(fc.constantFrom(...data.householdCodes)) }),
        sel: householdSel,
      }),
      fc.record({ name: fc.constant('beneficiaries'), args: beneficiaryArgs, sel: connection }),
    );
    const TYPES: Record<string, string> = {
      id: 'ID',
      nationalId: 'String',
      code: 'String',
      communeCode: 'String',
      group: 'BeneficiaryGroup',
      first: 'Int',
      after: 'String',
      asOf: 'Date',
      search: 'String',
      programCode: 'String',
    };
    const groupsAsOf = fc.constantFrom(AS_OF, '2025-01-01', '2026-02-30', undefined);
    const before = compiledCount;
    const runs = Number(process.env.COMPILED_READS_RUNS ?? 200);
    await fc.assert(
      fc.asyncProperty(root, alias, fc.boolean(), fc.nat(callers.length - 1), groupsAsOf, async (r, rootAlias, asVariables, who, groupsDate) => {
        const given = Object.entries(r.args).filter(([, v]) => v !== undefined);
        const args = given.map(([k, v]) => `${k}: ${asVariables ? `$${k}` : k === 'group' ? String(v) : JSON.stringify(v)}`).join(', ');
        const defList = asVariables ? given.map(([k]) => `$${k}: ${TYPES[k] ?? 'String'}`) : [];
        // Nested groups(asOf: $groupsAsOf): a variable of its own, sometimes absent or not a date.
        const nested = r.sel.includes('$groupsAsOf');
        if (nested) defList.push('$groupsAsOf: Date');
        const defs = defList.length ? `(${defList.join(', ')})` : '';
        const query = `query Q${defs} { ${rootAlias ? `${rootAlias}: ` : ''}${r.name}${args ? `(${args})` : ''} { ${r.sel} } }`;
        const variables = { ...(asVariables ? Object.fromEntries(given) : {}), ...(nested && groupsDate !== undefined ? { groupsAsOf: groupsDate } : {}) };
        const caller = callers[who]!;
        await same({ method: 'POST', query, variables, operationName: 'Q' }, caller.token, `random as ${caller.name}`);
      }),
      { numRuns: runs },
    );
    // The compiled path must have answered a share of them. Since the field-group policy, it hands to the executor
    // every selection of a group the caller does not fully see (HIV flags for auditors and admins, integration
    // clients without scopes), so the share is about 1 in 7 (23, 26 and 38 of 200 in three runs): the bound leaves
    // room for chance and still fails if the compiled path stops answering.
    console.log(`random selections answered by the compiled path: ${compiledCount - before} of ${runs}`);
    expect(compiledCount - before).toBeGreaterThan(runs / 20);
  }, 600_000);
});
