/**
 * npm run db:seed [-- --scale N] [--seed S] [--as-of yyyy-mm-dd]
 * Migrates, seeds the reference data, then a demo population of N people (default 36,000, about Lạc Dương's
 * size). Uses DATABASE_URL when set, else the embedded database in DATA_DIR.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { seedDemoPopulation } from './demo.js';
import { seedReferenceData } from '../src/reference/reference.js';

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${value}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { scale: { type: 'string' }, seed: { type: 'string' }, 'as-of': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(`Usage: npm run db:seed -- [--scale N] [--seed S] [--as-of yyyy-mm-dd]

Migrates, applies the reference data, then generates a demo population of N people (default 36,000) once.
A database that already has its demo population is left as it is, whatever --scale says: seed another,
empty database (createdb) to get another size.`);
    return;
  }
  const config = loadConfig();
  const people = positiveInt('scale', values.scale, 36_000);
  const seed = values.seed === undefined ? undefined : positiveInt('seed', values.seed, 0);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  try {
    const t0 = performance.now();
    await runMigrations(database);
    await seedReferenceData(database.db);
    const t1 = performance.now();
    console.log(`database: ${database.kind}; migrations and reference data: ${Math.round(t1 - t0)} ms`);
    const result = await seedDemoPopulation(database, { people, seed, asOf: values['as-of'] });
    if (result.skipped) {
      console.log(
        `the demo population is already there (seed_runs "demo"): nothing written` +
          (values.scale === undefined ? '' : `; --scale ${values.scale} was not applied (seed an empty database for another size)`),
      );
      return;
    }
    const rows = result.rows ?? {};
    const total = Object.values(rows).reduce((a, b) => a + b, 0);
    for (const [table, n] of Object.entries(rows)) console.log(`  ${table.padEnd(24)} ${n.toLocaleString('en-US').padStart(12)}`);
    console.log(
      `  (residence_periods: besides each person's first; ${(result.movers ?? 0).toLocaleString('en-US')} people have moved, ${(result.splits ?? 0).toLocaleString('en-US')} households split off)`,
    );
    const seconds = result.ms / 1000;
    console.log(
      `seeded ${result.people.toLocaleString('en-US')} people in ${result.households.toLocaleString('en-US')} households: ` +
        `${total.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s (${Math.round(total / seconds).toLocaleString('en-US')} rows/s, ` +
        `${Math.round(result.people / seconds).toLocaleString('en-US')} people/s)`,
    );
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
