/**
 * Prints what coverageGaps answers on DATABASE_URL, as JSON lines, so two versions of the SQL can be compared
 * with diff: for the whole population and the largest commune, every program and each program alone, the count
 * by program and the first two pages of 100 (the second through the keyset) with every reason.
 *
 *   DATABASE_URL=… npx tsx bench/coverage-gaps-answers.ts [--as-of 2026-11-29] > before.jsonl
 *   (change the code)
 *   DATABASE_URL=… npx tsx bench/coverage-gaps-answers.ts [--as-of 2026-11-29] > after.jsonl && diff before.jsonl after.jsonl
 */
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../src/db/client.js';
import { countGaps, findGapPage, type GapFilter } from '../src/modules/benefits/benefits.repository.js';
import { decide } from '../src/modules/rules/rule-book.js';
import { loadAreaClasses, loadFactsSources, loadRuleBook } from '../src/modules/rules/rules.repository.js';
import { DEFAULT_AS_OF } from '../seeds/demo.js';

const { values } = parseArgs({ options: { 'as-of': { type: 'string' } } });
const asOf = values['as-of'] ?? DEFAULT_AS_OF;
const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const database = await openDatabase({ databaseUrl: url, poolSize: 1 });
const db = database.db;
const book = await loadRuleBook(db);
const areas = await loadAreaClasses(db);
const all = book.programs.map((p) => p.code);
const biggest = await db.execute<{ c: string }>(sql`SELECT commune_code AS c FROM persons GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`);
const commune = String(biggest.rows[0]?.c);

for (const communeCodes of [undefined, [commune]]) {
  for (const programCodes of [all, ...all.map((c) => [c])]) {
    const filter: GapFilter = { communeCodes, programCodes, asOf };
    const counts = await countGaps(db, book, filter);
    const firstPage = await findGapPage(db, book, filter, undefined, 100);
    const last = firstPage.rows.at(-1);
    const secondPage = last ? await findGapPage(db, book, filter, last, 100) : { rows: [], counts };
    // The counts that come with every page must be the count's.
    for (const { counts: c } of [firstPage, secondPage]) {
      if (JSON.stringify(c) !== JSON.stringify(counts)) throw new Error(`counts with a page differ: ${JSON.stringify(c)}`);
    }
    const [first, second] = [firstPage.rows, secondPage.rows];
    const page = [...first, ...second];
    const sources = await loadFactsSources(
      db,
      page.map((r) => r.personId),
    );
    const rows = page.map((r) => {
      const program = book.program(r.programCode);
      const source = sources.get(r.personId);
      if (!program || !source) throw new Error(`no program or person for ${r.personId} ${r.programCode}`);
      const d = decide(book, program, source, areas, asOf);
      return { ...r, eligible: d.eligible, amount: d.amount, reasons: d.conditions.map((c) => c.text) };
    });
    console.log(JSON.stringify({ communeCodes, programCodes: programCodes.length > 1 ? 'every' : programCodes, counts, rows }));
  }
}
await database.close();
