/**
 * The demo seed's bulk path (a real server, from 200,000 people): foreign keys, secondary indexes and the
 * entitlement-input triggers are off during the load and come back after it. The triggers joined every COPY batch
 * to an unindexed residence_periods, which made a 1M seed run for over 25 minutes (bench/results-payments.md); the
 * load now marks everyone once instead. Exercised here on a small population by lowering the threshold: the result
 * must be the same rows as the ordinary path, with every trigger and index back and the everyone-marker written.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAll } from '../seeds/index.js';
import { EVERYONE } from '../src/db/schema/entitlement-inputs.js';
import type { Database } from '../src/db/client.js';
import { openTestDatabase, type TestDatabase } from './support/database.js';

const onServer = Boolean(process.env.TEST_DATABASE_URL);
const PEOPLE = 1_500;

async function rows<T>(database: Database, query: string): Promise<T[]> {
  return (await database.db.execute(sql.raw(query))).rows as T[];
}

const catalogue = (database: Database) =>
  Promise.all([
    rows<{ name: string; enabled: string }>(
      database,
      `SELECT tgrelid::regclass::text || '.' || tgname AS name, tgenabled::text AS enabled FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1`,
    ),
    rows<{ def: string }>(
      database,
      `SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = current_schema()::regnamespace ORDER BY 1`,
    ),
    rows<{ def: string }>(
      database,
      `SELECT conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'f' ORDER BY 1`,
    ),
  ]);

const people = (database: Database) =>
  rows(database, `SELECT id, national_id, full_name, date_of_birth::text, commune_code, household_id, resident_from::text FROM persons ORDER BY id`);

describe.skipIf(!onServer)('bulk-loading the demo population (PostgreSQL server only: COPY)', () => {
  let bulk: TestDatabase;
  let ordinary: TestDatabase;
  beforeAll(async () => {
    [bulk, ordinary] = await Promise.all([openTestDatabase(), openTestDatabase()]);
    await seedAll(bulk.database, { people: PEOPLE, seed: 11, bulkLoadFrom: 0 });
    await seedAll(ordinary.database, { people: PEOPLE, seed: 11 });
  }, 240_000);
  afterAll(async () => {
    await Promise.all([bulk.dispose(), ordinary.dispose()]);
  });

  it('writes the same people as the ordinary path', async () => {
    const [a, b] = await Promise.all([people(bulk.database), people(ordinary.database)]);
    expect(a).toHaveLength(PEOPLE);
    expect(a).toEqual(b);
  });

  it('puts back every trigger, index and foreign key, triggers enabled', async () => {
    const [a, b] = await Promise.all([catalogue(bulk.database), catalogue(ordinary.database)]);
    expect(a).toEqual(b);
    const [triggers] = a;
    expect(triggers.filter((t) => t.name.includes('_inputs_')).length).toBeGreaterThan(20);
    expect(triggers.filter((t) => t.enabled !== 'O')).toEqual([]);
  });

  it('marks everyone changed by the load, and marks people again on later changes', async () => {
    const [marker] = await rows<{ newer: boolean }>(
      bulk.database,
      `SELECT changed_xid >= (SELECT max(xmin::text::bigint) FROM persons)::text::xid8 AS newer FROM entitlement_input_changes WHERE id = '${EVERYONE}'`,
    );
    expect(marker?.newer).toBe(true);
    const [someone] = await rows<{ id: string }>(bulk.database, `SELECT id FROM persons ORDER BY id LIMIT 1`);
    await bulk.database.db.execute(sql`UPDATE persons SET full_name = full_name WHERE id = ${someone?.id}`);
    const marked = await rows(bulk.database, `SELECT 1 FROM entitlement_input_changes WHERE id = '${someone?.id}'`);
    expect(marked).toHaveLength(1);
  });
});
