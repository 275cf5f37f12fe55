import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { checkNationalId } from '../src/core/national-id.js';
import { classifyPoverty, DEPRIVATION_INDICATORS } from '../src/core/poverty.js';
import { seedAll } from '../seeds/index.js';
import { POVERTY_STANDARDS } from '../src/reference/reference.js';

const PEOPLE = 3_000;

async function fresh(): Promise<Database> {
  const database = await openDatabase({ dataDir: 'memory://' });
  await runMigrations(database);
  return database;
}

async function rows<T>(database: Database, query: string): Promise<T[]> {
  return (await database.db.execute(sql.raw(query))).rows as T[];
}

async function digest(database: Database): Promise<string> {
  const persons = await rows<Record<string, unknown>>(
    database,
    `SELECT id, national_id, full_name, date_of_birth::text, sex, ethnicity, commune_code, household_id, relation_to_head, date_of_death::text
       FROM persons ORDER BY id`,
  );
  const assessments = await rows(database, `SELECT id, household_id, income_per_person, deprivations, classification FROM poverty_assessments ORDER BY id`);
  return createHash('sha256')
    .update(JSON.stringify([persons, assessments]))
    .digest('hex');
}

describe('classifyPoverty (AND rule)', () => {
  const standard = POVERTY_STANDARDS[0];
  const three = DEPRIVATION_INDICATORS.slice(0, 3).map((d) => d.code);
  it('is poor only with income at or under the line and 3+ deprivations', () => {
    expect(classifyPoverty({ incomePerPerson: 1_500_000, area: 'RURAL', deprivations: three }, standard)).toBe('POOR');
    expect(classifyPoverty({ incomePerPerson: 1_500_000, area: 'RURAL', deprivations: three.slice(0, 2) }, standard)).toBe('NEAR_POOR');
    expect(classifyPoverty({ incomePerPerson: 1_500_001, area: 'RURAL', deprivations: three }, standard)).toBe('NONE');
    expect(classifyPoverty({ incomePerPerson: 1_800_000, area: 'URBAN', deprivations: three }, standard)).toBe('POOR');
    // Duplicates count once.
    expect(classifyPoverty({ incomePerPerson: 1_000_000, area: 'RURAL', deprivations: ['EMPLOYMENT', 'EMPLOYMENT', 'NUTRITION'] }, standard)).toBe('NEAR_POOR');
  });
});

describe('seeds', () => {
  let a: Database;
  let b: Database;
  beforeAll(async () => {
    [a, b] = await Promise.all([fresh(), fresh()]);
    await seedAll(a, { people: PEOPLE, seed: 7 });
    await seedAll(b, { people: PEOPLE, seed: 7 });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('is deterministic: the same seed gives identical rows, ids included', async () => {
    expect(await digest(a)).toBe(await digest(b));
  });

  it('is idempotent', async () => {
    const again = await seedAll(a, { people: PEOPLE, seed: 7 });
    expect(again.skipped).toBe(true);
    const [{ n }] = await rows<{ n: number }>(a, 'SELECT count(*)::int AS n FROM persons');
    expect(n).toBe(PEOPLE);
    const [{ units }] = await rows<{ units: number }>(
      a,
      `SELECT count(*)::int AS units FROM admin_units WHERE code IN ('68', '675', '24846', '24847', '24848', '24850', '24862', '24865')`,
    );
    expect(units).toBe(8);
  });

  it('gives consistent, unique identification numbers', async () => {
    const people = await rows<{ national_id: string; dob: string; sex: 'MALE' | 'FEMALE' }>(
      a,
      `SELECT national_id, date_of_birth::text AS dob, sex FROM persons WHERE national_id IS NOT NULL`,
    );
    expect(people.length).toBeGreaterThan(PEOPLE * 0.9);
    expect(new Set(people.map((p) => p.national_id)).size).toBe(people.length);
    expect(people.filter((p) => checkNationalId(p.national_id, p.dob, p.sex) !== undefined)).toEqual([]);
  });

  it('stores classifications that follow from the stored measurements', async () => {
    const assessments = await rows<{ income_per_person: number; area: 'RURAL' | 'URBAN'; deprivations: string[]; classification: string }>(
      a,
      `SELECT income_per_person, area, deprivations, classification FROM poverty_assessments`,
    );
    for (const x of assessments) {
      expect(classifyPoverty({ incomePerPerson: x.income_per_person, area: x.area, deprivations: x.deprivations }, POVERTY_STANDARDS[0])).toBe(
        x.classification,
      );
    }
    expect(assessments.some((x) => x.classification === 'POOR')).toBe(true);
  });

  it('has Nguyễn Văn Đức, households with their heads, and no one dead before birth', async () => {
    const [{ duc }] = await rows<{ duc: number }>(a, `SELECT count(*)::int AS duc FROM persons WHERE full_name_search = 'nguyen van duc'`);
    expect(duc).toBeGreaterThan(0);
    const [{ orphans }] = await rows<{ orphans: number }>(
      a,
      `SELECT count(*)::int AS orphans FROM households h WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.id = h.head_person_id AND p.household_id = h.id)`,
    );
    expect(orphans).toBe(0);
  });
});
