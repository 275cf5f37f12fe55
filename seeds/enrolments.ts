/**
 * Demo enrolments consistent with the rules: for each program, people the rules find eligible on `asOf`
 * (the same SQL as coverage gaps) are enrolled, except a deterministic ~15% "left behind" share, so
 * coverageGaps has realistic work. Competing allowances follow Decree 20 art. 6.2 and the social pension
 * rule: programs are visited highest-coefficient first and someone already holding a social-assistance or
 * social-pension record is not enrolled in another (the same "covered" test as coverage gaps).
 *
 * The start month is 12 months before asOf when the person was eligible then too (so entitlements have a
 * history), else the month of asOf. Deterministic (ids are md5(person, program)), idempotent (seed_runs
 * 'demo-enrolments'), and set-wise: one INSERT … SELECT per program and start, whatever the population.
 */
import { asc, sql } from 'drizzle-orm';
import { addMonths, firstDay, periodOf } from '../src/core/period.js';
import type { Database, Db } from '../src/db/client.js';
import { latestPeriodCovers } from '../src/db/residence.js';
import { coveredSql, eligibleSql } from '../src/db/rule-sql.js';
import { baseLevels, programRules, programRuleWithdrawals, programs, provincialSchemes, timingRules } from '../src/db/schema/index.js';
import { buildRuleBook } from '../src/modules/rules/rule-book.js';

/** The rule book as the service reads it (the seeds read the tables themselves: no module repository). */
async function readRuleBook(db: Db) {
  const [progs, rules, bases, withdrawals, timing, schemes] = await Promise.all([
    db.select().from(programs).orderBy(asc(programs.sortOrder)),
    db.select().from(programRules).orderBy(asc(programRules.programCode), asc(programRules.version)),
    db.select().from(baseLevels).orderBy(asc(baseLevels.kind), asc(baseLevels.effectiveFrom)),
    db.select().from(programRuleWithdrawals),
    db.select().from(timingRules).orderBy(asc(timingRules.validFrom)),
    db.select().from(provincialSchemes),
  ]);
  return buildRuleBook({ programs: progs, rules, baseLevels: bases, withdrawals, timingRules: timing, provincialSchemes: schemes });
}

/** Out of 100: the share of eligible people left without a record. */
export const LEFT_BEHIND_PERCENT = 15;

/** Visiting order: the larger allowance first, as a commune officer would propose it. */
const ORDER = [
  'D20_5_5D',
  'D20_5_6',
  'D20_5_3',
  'D20_5_1',
  'D20_5_5A',
  'D20_5_8',
  'D20_5_2',
  'D20_5_7',
  'D20_5_4',
  'D20_5_5B',
  'SOCIAL_PENSION',
  'D20_5_5C',
  'D20_20_2',
  'MERIT_WAR_INVALID',
  'MERIT_MARTYR_FAMILY',
  'MERIT_HEROIC_MOTHER',
];

export async function seedDemoEnrolments(database: Database, asOf: string): Promise<{ enrolments: number; ms: number; skipped?: boolean }> {
  const started = performance.now();
  const book = await readRuleBook(database.db);
  const count = await database.db.transaction(async (tx) => {
    const claimed = await tx.execute(
      sql`INSERT INTO seed_runs (name, details) VALUES ('demo-enrolments', ${JSON.stringify({ asOf })}::jsonb) ON CONFLICT (name) DO NOTHING RETURNING name`,
    );
    if (claimed.rows.length === 0) return undefined;
    const earlier = firstDay(addMonths(periodOf(asOf), -12));
    let total = 0;
    const programs = [...ORDER.map((c) => book.program(c)).filter((p) => p !== undefined), ...book.programs.filter((p) => !ORDER.includes(p.code))];
    for (const program of programs) {
      const code = program.code;
      // One-off birth support is a single payment: no standing demo record.
      if (program.kind !== 'MONTHLY') continue;
      const now = eligibleSql(book, code, asOf);
      if (!now) continue;
      const then = eligibleSql(book, code, earlier);
      for (const start of then ? [earlier, firstDay(periodOf(asOf))] : [firstDay(periodOf(asOf))]) {
        // People who moved (seeds/demo.ts MOVES): the rows are the people whose latest period covers asOf, where and
        // with whom they live then (no demo move is dated after asOf, so that is everyone living in the district on
        // asOf; reading personsOn(asOf) instead gives the same rows but made this statement 30 times slower). Nobody
        // living outside the district is enrolled, and a start a year back also needs them to have lived in the same
        // place since then (the row holds for both dates), so no month before a move is paid by the new commune.
        const alsoThen = start === earlier ? sql` AND p.resident_from <= ${earlier}::date AND ${then}` : sql``;
        const r = await tx.execute(sql`
          INSERT INTO enrolments (id, person_id, program_code, status, decision_no, decision_date, start_month, proposed_by, approved_by, approved_at)
          SELECT md5(p.id::text || ${code})::uuid, p.id, ${code}, 'ACTIVE',
                 'DEMO-' || ${code} || '-' || substr(md5(p.id::text), 1, 6), ${start}::date, ${start}::date,
                 'seed:demo-commune', 'seed:demo-district', now()
          FROM persons p
          WHERE ${latestPeriodCovers('p', sql`${asOf}::date`)} AND ${now}${alsoThen}
            AND NOT ${coveredSql(book, code, asOf)}
            AND abs(hashtext(p.id::text || ${code})) % 100 >= ${LEFT_BEHIND_PERCENT}`);
        total += r.rowCount ?? (r as unknown as { affectedRows?: number }).affectedRows ?? 0;
      }
    }
    await tx.execute(sql`UPDATE seed_runs SET details = ${JSON.stringify({ asOf, enrolments: total })}::jsonb WHERE name = 'demo-enrolments'`);
    return total;
  });
  await database.db.execute(sql`ANALYZE enrolments`);
  const ms = Math.round(performance.now() - started);
  return count === undefined ? { enrolments: 0, ms, skipped: true } : { enrolments: count, ms };
}
