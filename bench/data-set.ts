/**
 * The bench's data set: migrates the database and seeds the national-scale demo population once (reused by later
 * runs; a database seeded at another scale is refused). Shared by bench/run.ts and bench/payments.ts.
 */
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';

export const SCALE = Number((process.env.BENCH_SCALE ?? '1000000').replace(/_/g, ''));

export const log = (...args: unknown[]) => {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);
};

// ---------------------------------------------------------------------------------------------
// Seeding (or reusing) the data set
// ---------------------------------------------------------------------------------------------

export interface SeedInfo {
  people: number;
  asOf: string;
  reused: boolean;
  rows?: number;
  seconds?: number;
  analyzeSeconds?: number;
  measuredAt?: string;
}

export async function ensureDataSet(url: string): Promise<SeedInfo> {
  const database = await openDatabase({ databaseUrl: url, poolSize: 2 });
  const pool = database.pool!;
  try {
    await runMigrations(database);
    // The bench's own bookkeeping (seed timings), outside the application's schema.
    await pool.query(`CREATE SCHEMA IF NOT EXISTS bench_meta;
      CREATE TABLE IF NOT EXISTS bench_meta.seed_timing (measured_at timestamptz NOT NULL DEFAULT now(), people int NOT NULL,
        rows bigint NOT NULL, seconds double precision NOT NULL, analyze_seconds double precision NOT NULL)`);
    const existing = await pool.query<{ details: { people: number; asOf: string } }>(`SELECT details FROM seed_runs WHERE name = 'demo'`);
    if (existing.rows[0]) {
      const { people, asOf } = existing.rows[0].details;
      if (people !== SCALE) {
        throw new Error(`${url} holds a demo population of ${people} people, not ${SCALE}: use another database (or BENCH_SCALE=${people})`);
      }
      const t = await pool.query(`SELECT * FROM bench_meta.seed_timing WHERE people = $1 ORDER BY measured_at DESC LIMIT 1`, [people]);
      const r = t.rows[0];
      log(`data set reused: ${people.toLocaleString('en-US')} people (seed_runs 'demo')`);
      return {
        people,
        asOf,
        reused: true,
        ...(r && {
          rows: Number(r.rows),
          seconds: r.seconds,
          analyzeSeconds: r.analyze_seconds,
          measuredAt: new Date(r.measured_at).toISOString().slice(0, 10),
        }),
      };
    }
    // The seeds engineer's functions: reference data, then the generated population (COPY on a real server).
    const { seedReferenceData, seedDemoPopulation } = await import('../seeds/index.js');
    log(`seeding ${SCALE.toLocaleString('en-US')} people (this takes a few minutes)`);
    await seedReferenceData(database.db);
    const result = await seedDemoPopulation(database, { people: SCALE });
    const rows = Object.values(result.rows ?? {}).reduce((a, b) => a + b, 0);
    const seconds = result.ms / 1000;
    const t0 = performance.now();
    // COPY leaves the visibility map empty and the statistics stale: both matter to the plans measured.
    await pool.query('VACUUM (ANALYZE)');
    const analyzeSeconds = (performance.now() - t0) / 1000;
    await pool.query(`INSERT INTO bench_meta.seed_timing (people, rows, seconds, analyze_seconds) VALUES ($1, $2, $3, $4)`, [
      SCALE,
      rows,
      seconds,
      analyzeSeconds,
    ]);
    const asOf = (await pool.query(`SELECT details->>'asOf' AS a FROM seed_runs WHERE name = 'demo'`)).rows[0].a as string;
    log(`seeded ${rows.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s, VACUUM ANALYZE ${analyzeSeconds.toFixed(1)} s`);
    return { people: SCALE, asOf, reused: false, rows, seconds, analyzeSeconds, measuredAt: new Date().toISOString().slice(0, 10) };
  } finally {
    await database.close();
  }
}
