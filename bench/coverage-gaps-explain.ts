/**
 * EXPLAIN (ANALYZE, BUFFERS) of the coverage-gaps count, one program at a time, on DATABASE_URL.
 *
 *   DATABASE_URL=… npx tsx bench/coverage-gaps-explain.ts [--as-of 2026-11-29] [--program D20_5_7 | --all] [--page] [--sql]
 *
 * --all explains the one statement for every program; --page the first page instead of the count; --sql
 * prints the statement (parameters inlined) instead of explaining it.
 */
import { parseArgs } from 'node:util';
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { openDatabase, type DbOrTx } from '../src/db/client.js';
import { countGaps, findGapPage, type GapFilter } from '../src/modules/benefits/benefits.repository.js';
import { loadRuleBook } from '../src/modules/rules/rules.repository.js';
import { DEFAULT_AS_OF } from '../seeds/demo.js';

const { values } = parseArgs({
  options: {
    'as-of': { type: 'string' },
    program: { type: 'string', multiple: true },
    page: { type: 'boolean' },
    all: { type: 'boolean' },
    sql: { type: 'boolean' },
  },
});
const asOf = values['as-of'] ?? DEFAULT_AS_OF;
const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const database = await openDatabase({ databaseUrl: url, poolSize: 1 });
const db = database.db;
const book = await loadRuleBook(db);

/**
 * A stand-in database handle that runs what it receives under EXPLAIN and prints the plan; inside the
 * repository's transaction, so that its SET LOCAL (passed through as is) applies.
 */
const lines: string[] = [];
const dialect = new PgDialect();
const probeOf = (real: DbOrTx): DbOrTx =>
  ({
    transaction: <T>(fn: (tx: DbOrTx) => Promise<T>) => real.transaction((tx) => fn(probeOf(tx))),
    execute: async (q: SQL) => {
      const text = dialect.sqlToQuery(q.inlineParams()).sql;
      if (text.startsWith('SET ')) return real.execute(q);
      if (values.sql) {
        // The statement with its parameters inlined, to paste into psql.
        lines.push(text + ';');
        return { rows: [] };
      }
      const plan = await real.execute(sql`EXPLAIN (ANALYZE, BUFFERS) ${q}`);
      lines.push(...plan.rows.map((r) => String(Object.values(r as object)[0])));
      return { rows: [] };
    },
  }) as unknown as DbOrTx;
const probe = probeOf(db);

const groups = values.all ? [book.programs.map((p) => p.code)] : (values.program ?? book.programs.map((p) => p.code)).map((c) => [c]);
for (const programCodes of groups) {
  const filter: GapFilter = { communeCodes: undefined, programCodes, asOf };
  lines.length = 0;
  if (values.page) await findGapPage(probe, book, filter, undefined, 101);
  else await countGaps(probe, book, filter);
  const total = lines.find((l) => l.startsWith('Execution Time')) ?? '';
  console.log(`=== ${programCodes.length > 1 ? 'every program' : programCodes[0]}: ${total}`);
  console.log(lines.join('\n'));
}
await database.close();
