import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { seedOnStart } from '../seeds/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'an-sinh-data-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function start() {
  const database = await openDatabase({ dataDir: dir });
  await runMigrations(database);
  const seeded = await seedOnStart(database, { demo: true, people: 400 });
  const counts = await database.db.execute(
    `SELECT (SELECT count(*) FROM persons)::int AS persons, (SELECT count(*) FROM households)::int AS households,
            (SELECT count(*) FROM admin_units)::int AS units, (SELECT count(*) FROM poverty_assessments)::int AS assessments`,
  );
  await database.close();
  return { seeded, counts: counts.rows[0] as Record<string, number> };
}

describe('the embedded database', () => {
  it('keeps every row across a restart and does not seed twice', async () => {
    const first = await start();
    expect(first.seeded).toMatchObject({ demo: true, people: 400 });
    expect(first.counts.persons).toBe(400);
    const second = await start();
    expect(second.seeded).toMatchObject({ demo: true, skipped: true });
    expect(second.counts).toEqual(first.counts);
  });
});
