/**
 * Times coverageGaps (eligible but not enrolled, evaluated set-wise in SQL) on the demo data.
 *
 *   npx tsx bench/coverage-gaps.ts [--scale 36000] [--as-of 2026-11-29] [--explain]
 *
 * Uses DATABASE_URL when set (a real server: seed it first, e.g. `npx tsx seeds/seed.cli.ts --scale 1000000`),
 * else a throw-away in-memory PGlite seeded with --scale people. Prints, per case, the best and median of
 * five runs of the count (every gap) and of the first page (100 gaps with their reasons); --explain adds
 * EXPLAIN ANALYZE of the whole-population count.
 */
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { countGaps, findGapPage, type GapFilter } from '../src/modules/benefits/benefits.repository.js';
import { decide } from '../src/modules/rules/rule-book.js';
import { loadAreaClasses, loadFactsSources, loadRuleBook } from '../src/modules/rules/rules.repository.js';
import { DEFAULT_AS_OF, seedDemoPopulation } from '../seeds/demo.js';
import { seedDemoEnrolments } from '../seeds/enrolments.js';
import { seedReferenceData } from '../src/reference/reference.js';

const { values } = parseArgs({ options: { scale: { type: 'string' }, 'as-of': { type: 'string' }, explain: { type: 'boolean' } } });
const asOf = values['as-of'] ?? DEFAULT_AS_OF;
const url = process.env.DATABASE_URL;
const database = await openDatabase(url ? { databaseUrl: url, poolSize: 2 } : { dataDir: 'memory://' });
const db = database.db;

if (!url) {
  const people = Number(values.scale ?? 36_000);
  await runMigrations(database);
  await seedReferenceData(db);
  const t0 = performance.now();
  await seedDemoPopulation(database, { people, asOf });
  console.log(`PGlite: seeded ${people.toLocaleString('en-US')} people (and demo enrolments) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
} else {
  const e = await seedDemoEnrolments(database, asOf);
  if (!e.skipped) console.log(`seeded ${e.enrolments.toLocaleString('en-US')} demo enrolments in ${e.ms} ms`);
}

const n = async (q: string) => Number(((await db.execute(sql.raw(q))).rows[0] as { n: number }).n);
const people = await n('SELECT count(*)::int AS n FROM persons');
const enrolments = await n('SELECT count(*)::int AS n FROM enrolments');
console.log(`database: ${database.kind}; ${people.toLocaleString('en-US')} people, ${enrolments.toLocaleString('en-US')} enrolments; asOf ${asOf}`);

const book = await loadRuleBook(db);
const areas = await loadAreaClasses(db);
const all = book.programs.map((p) => p.code);
const biggestCommune = String(
  ((await db.execute(sql`SELECT commune_code AS c FROM persons GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`)).rows[0] as { c: string }).c,
);

async function time<T>(fn: () => Promise<T>): Promise<{ best: number; median: number; result: T }> {
  const ms: number[] = [];
  let result!: T;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    result = await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { best: ms[0], median: ms[2], result };
}

const cases: [string, GapFilter][] = [
  ['whole population, every program', { communeCodes: undefined, programCodes: all, asOf }],
  [`largest commune ${biggestCommune}, every program`, { communeCodes: [biggestCommune], programCodes: all, asOf }],
  ['whole population, D20_5_5C', { communeCodes: undefined, programCodes: ['D20_5_5C'], asOf }],
  ['whole population, D20_5_7', { communeCodes: undefined, programCodes: ['D20_5_7'], asOf }],
];
for (const [name, filter] of cases) {
  const count = await time(() => countGaps(db, book, filter));
  const page = await time(async () => {
    const rows = await findGapPage(db, book, filter, undefined, 100);
    const sources = await loadFactsSources(
      db,
      rows.map((r) => r.personId),
    );
    return rows.map((r) => decide(book, book.program(r.programCode)!, sources.get(r.personId)!, areas, asOf));
  });
  const total = count.result.reduce((s, c) => s + c.count, 0);
  console.log(
    `${name.padEnd(44)} gaps ${total.toLocaleString('en-US').padStart(9)} | count best ${count.best.toFixed(0).padStart(6)} ms, median ${count.median.toFixed(0).padStart(6)} ms | first page+reasons best ${page.best.toFixed(0).padStart(5)} ms, median ${page.median.toFixed(0).padStart(5)} ms`,
  );
  if (name.startsWith('whole population, every')) console.log('  by program:', count.result.map((c) => `${c.programCode} ${c.count}`).join(', '));
}

if (values.explain) {
  // The very statement countGaps sends (whole population, every program), under EXPLAIN ANALYZE: a stand-in
  // database handle receives it and runs it prefixed.
  const filter: GapFilter = { communeCodes: undefined, programCodes: all, asOf };
  const captured: string[] = [];
  const probe = {
    execute: async (q: ReturnType<typeof sql>) => {
      const plan = await db.execute(sql`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${q}`);
      captured.push(...plan.rows.map((r) => String(Object.values(r as object)[0])));
      return { rows: [] };
    },
  };
  await countGaps(probe as never, book, filter);
  console.log(captured.join('\n'));
}
await database.close();
