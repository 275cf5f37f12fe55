/**
 * The 2025 merger in SQL (LAW.md "Moving house", "Places and identifiers"): communes merged into successor units,
 * and the merged communes' people keep their records under the old codes. A list, count, rule or coverage query
 * asked for a successor code on a date from the successor's first day (its valid_from) on covers everyone living
 * in its predecessors then. Before that day, and for every other commune, a code covers itself only.
 * The same rule over the units held in memory: PlacesService.communesOn (test/merger.test.ts checks they agree).
 */
import { sql, type SQL } from 'drizzle-orm';

/**
 * The commune codes covered on `asOf` by the codes asked (a list, or an SQL text[] expression such as a bound
 * parameter), as a parenthesised subquery for `column IN …`.
 */
export function communesCoveredOn(codes: readonly string[] | SQL, asOf: string | SQL): SQL {
  const asked = Array.isArray(codes)
    ? sql`ARRAY[${sql.join(
        codes.map((c: string) => sql`${c}`),
        sql`, `,
      )}]::text[]`
    : (codes as SQL);
  return sql`(SELECT au.code FROM admin_units au
    WHERE au.code = ANY(${asked})
       OR au.successor_code IN (SELECT s.code FROM admin_units s WHERE s.code = ANY(${asked}) AND s.valid_from <= (${asOf})::date))`;
}
