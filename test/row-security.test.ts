/**
 * Row-level security (migration 0021, src/db/row-security.ts): the database itself hides other communes' people
 * from a request, even from a statement the application forgot to filter. A test-only route stands for such a
 * bug: it reads whole tables with raw SQL through the handle the services use, with no access check at all.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestScoped, requestTransaction } from '../src/db/row-security.js';
import { insertAccessEvent } from '../src/modules/audit/access-log.repository.js';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { DA_SAR, enrolAndApprove, household, ok, person } from './support/people.js';
import { movePerson } from './support/residence.js';

const DA_NHIM = '24848';
const LAT = '24862';
/** Tables the policies cover, with the commune column their rows are counted by. */
const TABLES = ['persons', 'households', 'residence_periods', 'enrolments', 'poverty_assessments'] as const;

/** Warnings this test file's process emitted (pg's about statements sent to a busy client among them). */
const warnings: string[] = [];
process.on('warning', (w) => warnings.push(w.message));

let t: TestApp;
/** The same database served without row security, to compare answers. */
let plain: TestApp;
let sarPeople: string[];
let nhimPeople: string[];
let movedToNhim: string;
let sarHousehold: string;

/** What a forgotten filter would return: every row of the table this request's database role can see. */
async function rawRead(token: string, table: (typeof TABLES)[number]): Promise<{ viaTx: string[]; viaHandle: string[] }> {
  const res = await t.app.inject({ method: 'GET', url: `/test/raw/${table}`, headers: { authorization: `Bearer ${token}` } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

beforeAll(async () => {
  t = await startTestApp({ config: { rowSecurity: true } });
  plain = await startTestApp({ sharedDatabase: t.db, config: { rowSecurity: false } });
  // The bug: no access check, all rows (through the request transaction, and through the services' handle).
  const scoped = requestScoped(t.db.database);
  t.app.get<{ Params: { table: string } }>('/test/raw/:table', async (request) => {
    const table = request.params.table;
    if (!(TABLES as readonly string[]).includes(table)) throw new Error('unknown table');
    const ids = async (db: { execute: typeof scoped.db.execute }) =>
      ((await db.execute(sql`SELECT id::text AS id FROM ${sql.identifier(table)} ORDER BY id`)).rows as { id: string }[]).map((r) => r.id);
    const tx = requestTransaction();
    if (!tx) throw new Error('no request transaction');
    return { viaTx: await ids(tx), viaHandle: await ids(scoped.db) };
  });
  // The same bug in a write: an UPDATE of a person of Đạ Nhim, whoever asks.
  t.app.post('/test/raw-update', async () => {
    const r = await scoped.db.execute(sql`UPDATE persons SET full_name = 'Đã bị sửa' WHERE id = ${nhimPeople[0]!}::uuid`);
    return { updated: r.rowCount };
  });
  // Logging a read in a request that has already written (a mutation's answer) must not relax that write's
  // durability: the access event's synchronous_commit off is for transactions that wrote nothing else.
  t.app.post<{ Querystring: { write?: string } }>('/test/log-read', async (request) => {
    const tx = requestTransaction()!;
    if (request.query.write) await tx.execute(sql`UPDATE persons SET full_name = full_name WHERE id = ${sarPeople[0]!}::uuid`);
    await insertAccessEvent(tx, {
      actor: 'test',
      actorRole: 'commune_officer',
      requestId: request.id,
      operation: 'test',
      fieldGroups: ['ethnicity'],
      personIds: [],
      householdIds: [],
    });
    const r = await tx.execute(sql`SELECT current_setting('synchronous_commit') AS s`);
    return { synchronousCommit: (r.rows[0] as { s: string }).s };
  });
  const hSar = await household(t, { commune: DA_SAR });
  sarHousehold = hSar;
  const hNhim = await household(t, { commune: DA_NHIM });
  sarPeople = [
    await person(t, { dateOfBirth: '1935-02-01', commune: DA_SAR, householdId: hSar, isHead: true }),
    await person(t, { dateOfBirth: '1990-05-05', commune: DA_SAR, householdId: hSar, relation: 'Con' }),
  ];
  nhimPeople = [
    await person(t, { dateOfBirth: '1936-03-01', commune: DA_NHIM, householdId: hNhim, isHead: true }),
    await person(t, { dateOfBirth: '1992-07-07', commune: DA_NHIM, householdId: hNhim, relation: 'Con' }),
  ];
  // Lived in Đạ Sar, then moved to Đạ Nhim: both communes' officers see their record (its periods in each).
  movedToNhim = await person(t, { dateOfBirth: '1970-01-01', commune: DA_SAR });
  await movePerson(t, movedToNhim, { movedOn: '2024-03-01', communeCode: DA_NHIM });
  await enrolAndApprove(t, sarPeople[0]!, 'D20_5_5C', '2024-01');
  await enrolAndApprove(t, nhimPeople[0]!, 'D20_5_5C', '2024-01', DA_NHIM);
});
afterAll(async () => {
  await closeTestApp(plain);
  await closeTestApp(t);
});

/** The ids of a table as the owner sees them (no policy applies to it). */
async function ownerIds(table: string, where = sql`true`): Promise<string[]> {
  const r = await t.db.database.db.execute(sql`SELECT id::text AS id FROM ${sql.identifier(table)} WHERE ${where} ORDER BY id`);
  return (r.rows as { id: string }[]).map((x) => x.id);
}

describe('the wall holds when the application check is bypassed', () => {
  it('covers every table that names a person (a new one without a policy fails here)', async () => {
    const r = await t.db.database.db.execute(sql`
      SELECT c.relname AS name, c.relrowsecurity AS walled FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'person_id' AND NOT a.attisdropped
      WHERE c.relkind = 'r' ORDER BY 1`);
    const tables = r.rows as { name: string; walled: boolean }[];
    expect(tables.map((x) => x.name)).toContain('entitlement_forecasts');
    expect(tables.filter((x) => !x.walled).map((x) => x.name)).toEqual([]);
  });

  it('shows a commune officer no person, household or period of another commune', async () => {
    const sar = await t.token('commune_officer', [DA_SAR]);
    const persons = await rawRead(sar, 'persons');
    expect(persons.viaTx).toEqual(persons.viaHandle);
    expect(persons.viaTx).toEqual([...sarPeople, movedToNhim].sort());
    for (const id of nhimPeople) expect(persons.viaTx).not.toContain(id);

    const households = await rawRead(sar, 'households');
    expect(households.viaTx).toEqual(await ownerIds('households', sql`commune_code = ${DA_SAR}`));
    expect(households.viaTx).toContain(sarHousehold);

    // The mover's periods in both communes: their history in Đạ Sar belongs to Đạ Sar's officers too.
    const periods = await rawRead(sar, 'residence_periods');
    const expected = await ownerIds(
      'residence_periods',
      sql`person_id IN (${sql.join(
        [...sarPeople, movedToNhim].map((p) => sql`${p}::uuid`),
        sql`, `,
      )})`,
    );
    expect(periods.viaTx).toEqual(expected);
    expect(await ownerIds('residence_periods', sql`commune_code = ${DA_NHIM} AND person_id <> ${movedToNhim}::uuid`)).not.toEqual([]);

    const enrolments = await rawRead(sar, 'enrolments');
    expect(enrolments.viaTx).toEqual(await ownerIds('enrolments', sql`person_id = ${sarPeople[0]!}::uuid`));
    expect(enrolments.viaTx).toHaveLength(1);
  });

  it('shows a commune officer of a third commune nothing at all', async () => {
    const lat = await t.token('commune_officer', [LAT]);
    for (const table of TABLES) expect((await rawRead(lat, table)).viaTx, table).toEqual([]);
  });

  it('shows the officer of the other commune their people and the mover, not Đạ Sar’s', async () => {
    const nhim = await t.token('commune_officer', [DA_NHIM]);
    const persons = await rawRead(nhim, 'persons');
    expect(persons.viaTx).toEqual([...nhimPeople, movedToNhim].sort());
  });

  it('shows the district roles every commune', async () => {
    for (const role of ['district_officer', 'auditor', 'integration', 'admin'] as const) {
      const token = await t.token(role);
      for (const table of TABLES) expect((await rawRead(token, table)).viaTx, `${role} ${table}`).toEqual(await ownerIds(table));
    }
  });

  it('shows a commune officer whose token names no commune nothing', async () => {
    const none = await t.token('commune_officer', []);
    for (const table of TABLES) expect((await rawRead(none, table)).viaTx, table).toEqual([]);
  });

  it('shows the request role nothing when the settings were never made (fails closed)', async () => {
    const seen = await t.db.database.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL ROLE ansinh_request`);
      const counts: Record<string, number> = {};
      for (const table of TABLES) {
        const r = await tx.execute(sql`SELECT count(*)::int AS n FROM ${sql.identifier(table)}`);
        counts[table] = (r.rows[0] as { n: number }).n;
      }
      return counts;
    });
    expect(seen).toEqual(Object.fromEntries(TABLES.map((table) => [table, 0])));
    // The owner, outside any request, still sees every row (seeds, jobs, the dispatcher run as the owner).
    expect((await ownerIds('persons')).length).toBeGreaterThanOrEqual(5);
  });

  it('keeps a commune officer from changing another commune’s rows even through a raw UPDATE', async () => {
    const sar = await t.token('commune_officer', [DA_SAR]);
    const res = await t.app.inject({ method: 'POST', url: '/test/raw-update', headers: { authorization: `Bearer ${sar}` } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ updated: 0 });
    const names = await t.db.database.db.execute(sql`SELECT full_name FROM persons WHERE id = ${nhimPeople[0]!}::uuid`);
    expect((names.rows[0] as { full_name: string }).full_name).not.toBe('Đã bị sửa');
  });
});

describe('logged reads under row security', () => {
  it('keeps synchronous commit on for a request that has written, off for one that only read', async () => {
    const sar = await t.token('commune_officer', [DA_SAR]);
    const ask = async (url: string) => {
      const res = await t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${sar}` } });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ synchronousCommit: string }>().synchronousCommit;
    };
    expect(await ask('/test/log-read')).toBe('off');
    expect(await ask('/test/log-read?write=1')).toBe('on');
  });
});

const PAGE = `query($c: String!, $asOf: Date) {
  beneficiaries(communeCode: $c, first: 50, asOf: $asOf) {
    totalCount
    nodes { id fullName nationalId communeCode household { code members { fullName } } enrolments { programCode status } }
  }
}`;

describe('the normal paths answer as without the wall', () => {
  it('answers the same beneficiaries page, household and person, for each role', async () => {
    const callers: [string, string][] = [
      ['sar officer', await t.token('commune_officer', [DA_SAR])],
      ['nhim officer', await t.token('commune_officer', [DA_NHIM])],
      ['district officer', await t.token('district_officer')],
    ];
    for (const [who, token] of callers) {
      for (const c of [DA_SAR, DA_NHIM]) {
        for (const asOf of ['2024-01-15', '2025-06-01']) {
          const walled = await t.gql(PAGE, { c, asOf }, token);
          const open = await plain.gql(PAGE, { c, asOf }, token);
          expect(walled, `${who} ${c} ${asOf}`).toEqual(open);
        }
      }
      const q = `query($id: ID!) { household(id: $id) { code members { fullName } } person(id: "${movedToNhim}") { communeCode residenceHistory { communeCode } } }`;
      expect(await t.gql(q, { id: sarHousehold }, token), who).toEqual(await plain.gql(q, { id: sarHousehold }, token));
    }
    // The answers were not empty: the officer of Đạ Sar sees its page, and is refused Đạ Nhim's as before.
    const sar = callers[0]![1];
    const page: JsonBody = ok(await t.gql(PAGE, { c: DA_SAR, asOf: '2025-06-01' }, sar), 'beneficiaries');
    // Beneficiaries only: the elderly head (born 1935), not the daughter.
    expect(page.nodes.map((n: JsonBody) => n.id)).toEqual([sarPeople[0]]);
    const refused = await t.gql(PAGE, { c: DA_NHIM, asOf: '2025-06-01' }, sar);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('still lets a commune officer register and change their own commune’s people', async () => {
    const sar = await t.token('commune_officer', [DA_SAR]);
    const r = await t.gql(
      `mutation($input: RegisterHouseholdInput!) { registerHousehold(input: $input) { id communeCode } }`,
      { input: { code: `RLS-${Date.now().toString(36)}`, communeCode: DA_SAR, villageCode: `${DA_SAR}.01` } },
      sar,
    );
    expect(ok(r, 'registerHousehold').communeCode).toBe(DA_SAR);
    // A failed mutation (another commune) changes nothing and leaves the request's transaction usable.
    const other = await t.gql(
      `mutation($input: RegisterHouseholdInput!) { registerHousehold(input: $input) { id } }`,
      { input: { code: `RLS-X-${Date.now().toString(36)}`, communeCode: DA_NHIM, villageCode: `${DA_NHIM}.01` } },
      sar,
    );
    expect(other.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('sends the statements of resolvers running side by side one at a time on the request’s connection', async () => {
    // Four root fields resolved concurrently, all on the request's one transaction. pg 8 warned (once per process)
    // about a statement sent while another ran, which pg 9 refuses; the request's client now queues them.
    const r = await t.gql(
      `{ a: beneficiaries(communeCode: "${DA_SAR}", first: 5) { totalCount } b: beneficiaries(communeCode: "${DA_NHIM}", first: 5) { totalCount }
         c: person(id: "${sarPeople[0]!}") { id } d: coverageGaps(communeCode: "${DA_SAR}", first: 5) { totalCount } }`,
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.c.id).toBe(sarPeople[0]);
    expect(warnings.filter((m) => m.includes('already executing a query'))).toEqual([]);
  });
});
