/**
 * Residence as of a date, in SQL: who lived where, and with whom, on a day (LAW.md "Moving house",
 * docs/residence.md). Every as-of read of the registry, the rules and the benefits reads people through
 * `personsOn(d)` instead of the bare `persons` table, so a later move never changes an earlier day.
 *
 * How it stays fast: `persons` keeps a copy of each person's latest period in the district (commune, household,
 * relation to head, `resident_from`..`resident_to`). On most days asked, for most people, that period is the one
 * in force, and the first branch below reads only the person row, through the same indexes as before. The second
 * branch finds the few people who lived somewhere else on that day (an earlier period), from residence_periods.
 * The two branches never return the same person for one day: periods do not overlap, and the second takes only
 * periods that started before the latest one. PostgreSQL pushes a caller's conditions on the union (commune,
 * id order and limit, household) into both branches.
 */
import { sql, type SQL } from 'drizzle-orm';

/**
 * The columns of `persons` that do not depend on the day. The row source gives these and, for the day, the
 * commune, household and relation to head, and the period in force as `resident_from` / `resident_to`.
 */
const COLUMNS = [
  'id',
  'national_id',
  'full_name',
  'full_name_search',
  'date_of_birth',
  'sex',
  'ethnicity',
  'date_of_death',
  'created_at',
  'updated_at',
  'birth_date_precision',
  'birth_year_convention_id',
] as const;

const personColumns = (alias: string) => sql.raw(COLUMNS.map((c) => `${alias}.${c}`).join(', '));

/** The latest period (the copy on the person row) covers the day. */
export const latestPeriodCovers = (alias: string, asOf: SQL): SQL =>
  sql`${sql.raw(alias)}.resident_from <= ${asOf} AND (${sql.raw(alias)}.resident_to IS NULL OR ${sql.raw(alias)}.resident_to >= ${asOf})`;

/**
 * People living in the district on `asOf`, with the commune, household and relation to head of that day, as a
 * row source to alias (`FROM ${personsOn(d)} p`). `asOf` is a date string or an SQL date expression (a
 * correlated column, a placeholder).
 */
export function personsOn(asOf: string | SQL): SQL {
  return sql`(${latestBranch(asOf)} UNION ALL ${earlierBranch(asOf)})`;
}

/** People whose latest period covers the day: the person rows themselves. */
const latestBranch = (asOf: string | SQL): SQL =>
  sql`SELECT ${personColumns('lp')}, lp.commune_code, lp.household_id, lp.relation_to_head, lp.resident_from, lp.resident_to
    FROM persons lp WHERE ${latestPeriodCovers('lp', sql`(${asOf})::date`)}`;

/**
 * People who lived in the district on the day in an earlier period than their latest. Only closed periods
 * qualify (an earlier period has ended), which the partial index residence_periods_closed_commune_idx serves.
 */
function earlierBranch(asOf: string | SQL): SQL {
  const d = sql`(${asOf})::date`;
  return sql`SELECT ${personColumns('ep')}, rp.commune_code, rp.household_id, rp.relation_to_head, rp.valid_from AS resident_from, rp.valid_to AS resident_to
      FROM residence_periods rp JOIN persons ep ON ep.id = rp.person_id
      WHERE rp.commune_code IS NOT NULL AND rp.valid_to IS NOT NULL AND rp.valid_from < ep.resident_from
        AND rp.valid_from <= ${d} AND rp.valid_to >= ${d}`;
}

/**
 * `latestOnly` (forEachResidenceBranch, pageOfPersonsOn): the caller knows `asOf` is today or later. No residence
 * change is ever dated in the future (every mutation refuses it), so an earlier period ends before a latest one that
 * has begun by today: on such a day only latest periods are in force, and the person table alone answers. This
 * matters for prepared statements: PostgreSQL re-plans a page statement on every execution (its custom plans look
 * cheaper than the generic one), and planning the two-branch union cost about 0.8 ms a page at 1M people
 * (bench/results.md); a day's list of today, the common case, keeps the one-table statement of before.
 */
export const noEarlierPeriodOn = (asOf: string, today: string): boolean => asOf >= today;

/** personsOn for a day known to be today or later (noEarlierPeriodOn): the person table alone. */
export const latestPersonsOn = (asOf: string | SQL): SQL => sql`(${latestBranch(asOf)})`;

/**
 * A statement over the people living in the district on `asOf`, built once per branch and the results
 * concatenated (UNION ALL): `build(from)` gets the row source to select from, already aliased `p`. Use it for
 * set-wise statements (counts, coverage gaps) instead of `FROM ${personsOn(d)} p`: PostgreSQL pushes a
 * condition on a union into each branch as a filter evaluated on every row, before any join, so the rule
 * conditions' EXISTS sub-queries could no longer become the semi-joins that cut the population first (coverage
 * gaps over 1M people took 11 s instead of 2). Built per branch, the first branch is the person table itself,
 * planned as before.
 */
export function forEachResidenceBranch(asOf: string | SQL, build: (from: SQL) => SQL, latestOnly = false): SQL {
  const latest = build(sql`(${latestBranch(asOf)}) p`);
  return latestOnly ? latest : sql`${latest} UNION ALL ${build(sql`(${earlierBranch(asOf)}) p`)}`;
}

/**
 * The first `limit` people (in id order) living in the district on `asOf` who match `where` (a condition over a
 * person row aliased `p`, as over personsOn) — a page. The page is taken in each branch before the two are
 * merged: PostgreSQL plans the branches of a union without the caller's ORDER BY … LIMIT, so over personsOn it
 * would read and sort every match in the commune (2.4 ms instead of 0.3 ms at 1M people); here the first branch
 * walks the (commune_code, id) index and stops after `limit` rows, as the query did before residence was dated.
 */
export function pageOfPersonsOn(asOf: string | SQL, where: SQL, limit: SQL | number, latestOnly = false): SQL {
  if (latestOnly) return sql`(SELECT p.* FROM (${latestBranch(asOf)}) p WHERE ${where} ORDER BY p.id LIMIT ${limit})`;
  return sql`(SELECT u.* FROM (
      (SELECT p.* FROM (${latestBranch(asOf)}) p WHERE ${where} ORDER BY p.id LIMIT ${limit})
      UNION ALL
      (SELECT p.* FROM (${earlierBranch(asOf)}) p WHERE ${where} ORDER BY p.id LIMIT ${limit})
    ) u ORDER BY u.id LIMIT ${limit})`;
}
