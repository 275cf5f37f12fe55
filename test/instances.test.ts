/**
 * Issue 14, case 8: instances that share a database agree on its reference data. Places (units and area
 * classifications) and the poverty standards are cached per process; the database NOTIFYs every change to
 * them and each instance reloads. On PostgreSQL two app instances run on one database; PGlite is one
 * process, where the instance must see its own writes, including those made outside the API.
 */
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { closeTestApp, startTestApp, TEST_JWT, type JsonBody, type TestApp } from './support/app.js';
import { assess, household, LAT, ok } from './support/people.js';

let t: TestApp;
let admin: string;
beforeAll(async () => {
  t = await startTestApp();
  admin = await t.token('admin');
});
afterAll(() => closeTestApp(t));

const CLASSES = `query($code: String!) { adminUnit(code: $code) { classifications { id validTo legalBasis confirmed } } }`;
const RECORD = `mutation($input: AreaClassificationInput!) { recordAreaClassification(input: $input) { id } }`;

async function gqlOn(app: FastifyInstance, query: string, variables: Record<string, unknown>): Promise<{ data?: JsonBody; errors?: unknown }> {
  const res = await app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    payload: { query, variables },
  });
  return res.json();
}

/** Polls until `check` holds (a notification is asynchronous), failing after a few seconds. */
async function eventually(check: () => Promise<boolean>, what: string, ms = 8_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not seen within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Classification {
  id: string;
  validTo: string | null;
  legalBasis: string;
  confirmed: boolean;
}
const classificationsOn = async (app: FastifyInstance, code: string): Promise<Classification[]> => {
  const unit: { classifications: Classification[] } | null = ok({ body: await gqlOn(app, CLASSES, { code }) }, 'adminUnit');
  return unit?.classifications ?? [];
};
const hasLegalBasis = (app: FastifyInstance, code: string, legalBasis: string) => async () =>
  (await classificationsOn(app, code)).some((c) => c.legalBasis === legalBasis);

describe('one instance', () => {
  it('sees its own recordAreaClassification at once, and a classification written by SQL after the notification', async () => {
    const basis = 'Quyết định 1/QĐ-UBND (thử nghiệm một phiên bản)';
    ok(await t.gql(RECORD, { input: { unitCode: LAT, classification: 'EXTREMELY_DISADVANTAGED', validFrom: '2026-01-01', legalBasis: basis } }, admin));
    expect(await hasLegalBasis(t.app, LAT, basis)()).toBe(true);
    // As a seed or a hand-written statement would: no API call, only the database's notification.
    await t.db.database.db.execute(sql`INSERT INTO area_classifications (unit_code, classification, valid_from, legal_basis, confirmed)
      VALUES (${LAT}, 'EXTREMELY_DISADVANTAGED', '2026-02-01', 'Ghi trực tiếp bằng SQL', true)`);
    await eventually(hasLegalBasis(t.app, LAT, 'Ghi trực tiếp bằng SQL'), 'a classification inserted by SQL');
  });
});

describe('two instances on one PostgreSQL database', () => {
  let second: Database | undefined;
  let app2: FastifyInstance | undefined;
  afterAll(async () => {
    await app2?.close();
    await second?.close();
  });

  it('the second instance sees what the first records and confirms, also after its listening connection was cut', async (ctx) => {
    const url = t.db.database.pool?.options.connectionString;
    if (t.db.database.kind !== 'postgres' || !url) return ctx.skip();
    second = await openDatabase({ databaseUrl: url, poolSize: 2 });
    const other = await buildApp({ config: { jwt: TEST_JWT, graphiql: false, env: 'test' }, database: second });
    app2 = other;
    const seeded = (await classificationsOn(other, '24865')).find((c) => !c.confirmed);
    if (!seeded) throw new Error('the seeds hold an unconfirmed classification of Đạ Sar');

    const basis = 'Quyết định 2/QĐ-UBND (hai phiên bản)';
    ok(await t.gql(RECORD, { input: { unitCode: '24862', classification: 'EXTREMELY_DISADVANTAGED', validFrom: '2026-03-01', legalBasis: basis } }, admin));
    await eventually(hasLegalBasis(other, '24862', basis), 'recordAreaClassification on the other instance');

    ok(
      await t.gql(
        `mutation($id: ID!) { confirmAreaClassification(id: $id, legalBasis: "Quyết định 861/QĐ-TTg", validTo: "2025-06-30") { id } }`,
        { id: seeded.id },
        admin,
      ),
    );
    await eventually(
      async () => (await classificationsOn(other, '24865')).some((c) => c.id === seeded.id && c.confirmed && c.validTo === '2025-06-30'),
      'confirmAreaClassification on the other instance',
    );

    // Cut every listening connection: each instance reconnects (and reloads), then hears the next change.
    await t.db.database.db.execute(sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()`);
    const later = 'Quyết định 3/QĐ-UBND (sau khi mất kết nối)';
    await new Promise((r) => setTimeout(r, 200));
    ok(await t.gql(RECORD, { input: { unitCode: '24862', classification: 'EXTREMELY_DISADVANTAGED', validFrom: '2026-04-01', legalBasis: later } }, admin));
    await eventually(hasLegalBasis(other, '24862', later), 'a change after the listening connection was cut');
  });

  it('the poverty standards the second instance holds follow a change made through the first database', async (ctx) => {
    if (!app2) return ctx.skip();
    const other = app2;
    const h = await household(t, { commune: LAT });
    await assess(t, h, 'POOR', '2025-12-15');
    const Q = `query($id: ID!) { household(id: $id) { povertyAssessment(asOf: "2025-12-20") { classification } } }`;
    const inForce = async () => ok({ body: await gqlOn(other, Q, { id: h }) }, 'household').povertyAssessment;
    expect(await inForce()).toEqual({ classification: 'POOR' });
    const [standard] = (
      await t.db.database.db.execute<{ valid_to: string }>(sql`SELECT valid_to::text AS valid_to FROM poverty_standards WHERE code = 'DECREE_07_2021'`)
    ).rows;
    // The standard ends earlier: the assessment is no longer in force on 2025-12-20.
    await t.db.database.db.execute(sql`UPDATE poverty_standards SET valid_to = '2025-12-16' WHERE code = 'DECREE_07_2021'`);
    try {
      await eventually(async () => (await inForce()) === null, 'a changed poverty standard on the other instance');
    } finally {
      await t.db.database.db.execute(sql`UPDATE poverty_standards SET valid_to = ${standard!.valid_to}::date WHERE code = 'DECREE_07_2021'`);
    }
  });
});
