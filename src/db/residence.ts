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
  const d = sql`(${asOf})::date`;
  return sql`(
    SELECT ${personColumns('lp')}, lp.commune_code, lp.household_id, lp.relation_to_head, lp.resident_from, lp.resident_to
      FROM persons lp WHERE ${latestPeriodCovers('lp', d)}
    UNION ALL
    SELECT ${personColumns('ep')}, rp.commune_code, rp.household_id, rp.relation_to_head, rp.valid_from, rp.valid_to
      FROM residence_periods rp JOIN persons ep ON ep.id = rp.person_id
      WHERE rp.commune_code IS NOT NULL AND rp.valid_from < ep.resident_from
        AND rp.valid_from <= ${d} AND rp.valid_to >= ${d})`;
}
