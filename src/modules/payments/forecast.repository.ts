/**
 * SQL of the entitlement forecast (docs/payments.md, "Months read from the forecast"): which of a cycle's people can
 * take their month from it, writing it after a computation, and turning it into a commune's lines.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { PAID_TO_CARER } from '../../core/code-lists.js';
import { inputsChangedSql } from './payments.repository.js';

/** A cycle's people: each with the cycle communes they lived in over the window, and whether the forecast serves. */
export interface PlannedPerson {
  personId: string;
  communes: string[];
  fromForecast: boolean;
}

/**
 * The people a cycle for the month of `periodEnd` looks at (an approved enrolment reaching into the window, and a
 * residence under one of `codes` from the day before the window to the month's end: the paying commune of a month is
 * decided by the last day of the month before, core/residence.ts; each code names its cycle commune), and for each
 * whether the forecast gives their month:
 * it was computed with an earlier month and reaches this one, and nothing their entitlements read has changed since
 * it was computed nor since each of their communes' latest cycle (the cycle that settled their past months).
 */
export async function planPeople(
  db: DbOrTx,
  codes: readonly { code: string; cycleCommune: string }[],
  windowStart: string,
  periodEnd: string,
): Promise<PlannedPerson[]> {
  if (codes.length === 0) return [];
  const { rows } = await db.execute<{ person_id: string; communes: string[]; from_forecast: boolean }>(sql`
    WITH codes AS (
      SELECT * FROM unnest(${sql.param(codes.map((c) => c.code))}::text[], ${sql.param(codes.map((c) => c.cycleCommune))}::text[]) AS c(code, cycle_commune)
    ),
    candidates AS (
      SELECT DISTINCT r.person_id, c.cycle_commune
      FROM (SELECT DISTINCT person_id FROM enrolments
            WHERE approved_at IS NOT NULL AND start_month <= ${periodEnd}::date
              AND (end_month IS NULL OR end_month >= ${windowStart}::date)) e
      JOIN residence_periods r ON r.person_id = e.person_id
      JOIN codes c ON c.code = r.commune_code
      WHERE r.valid_from <= ${periodEnd}::date
        AND coalesce(r.valid_to, 'infinity'::date) >= ${windowStart}::date - 1
    ),
    latest AS (
      SELECT DISTINCT ON (commune_code) commune_code, planned_below::text::numeric AS below
      FROM payment_cycles WHERE commune_code IN (SELECT cycle_commune FROM codes) AND period < ${periodEnd}::date
      ORDER BY commune_code, period DESC
    ),
    people AS (
      -- A commune without an earlier cycle, or with one from before planned_below was kept, settles nobody.
      SELECT k.person_id, array_agg(k.cycle_commune ORDER BY k.cycle_commune) AS communes, min(coalesce(l.below, 0)) AS below
      FROM candidates k LEFT JOIN latest l ON l.commune_code = k.cycle_commune
      GROUP BY k.person_id
    )
    SELECT p.person_id, p.communes,
      coalesce(f.computed_month < ${periodEnd}::date AND f.through_month >= ${periodEnd}::date
        AND coalesce(${inputsChangedSql(sql`p.person_id`)}, 0) < least(p.below, f.computed_below::text::numeric), false) AS from_forecast
    FROM people p LEFT JOIN entitlement_forecast_people f ON f.person_id = p.person_id`);
  return rows.map((r) => ({ personId: r.person_id, communes: r.communes, fromForecast: r.from_forecast }));
}

/** A run of months an enrolment is owed the same line in (entitlement-inputs.ts entitlementForecasts). */
export interface ForecastRun {
  personId: string;
  enrolmentId: string;
  programCode: string;
  payingCommuneCode: string;
  fromMonth: string;
  throughMonth: string;
  kind: 'REGULAR' | 'BACK_PAY';
  amount: number;
  note: string;
  noteVi: string;
}

/**
 * Replaces some people's forecasts with those just computed. One lock for every writer: two cycles planning the same
 * person at once (one commune's and the district's) would otherwise mix their runs.
 */
export async function saveForecasts(
  tx: DbOrTx,
  people: readonly { personId: string; throughMonth: string }[],
  computedMonth: string,
  computedBelow: string,
  runs: readonly ForecastRun[],
): Promise<void> {
  if (people.length === 0) return;
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('entitlement_forecasts'))`);
  const ids = sql.param(people.map((p) => p.personId));
  await tx.execute(sql`DELETE FROM entitlement_forecasts WHERE person_id = ANY(${ids}::uuid[])`);
  if (runs.length > 0)
    await tx.execute(sql`
      INSERT INTO entitlement_forecasts (person_id, enrolment_id, program_code, paying_commune_code, from_month, through_month, kind, amount, note, note_vi)
      SELECT "personId", "enrolmentId", "programCode", "payingCommuneCode", "fromMonth", "throughMonth", kind, amount, note, "noteVi"
      FROM json_to_recordset(${JSON.stringify(runs)}::json) AS x("personId" uuid, "enrolmentId" uuid, "programCode" text, "payingCommuneCode" text,
        "fromMonth" date, "throughMonth" date, kind text, amount bigint, note text, "noteVi" text)`);
  await tx.execute(sql`
    INSERT INTO entitlement_forecast_people (person_id, computed_month, through_month, computed_below)
    SELECT id, ${computedMonth}::date, through, ${computedBelow}::xid8
    FROM unnest(${ids}::uuid[], ${sql.param(people.map((p) => p.throughMonth))}::date[]) AS x(id, through)
    ON CONFLICT (person_id) DO UPDATE SET computed_month = excluded.computed_month, through_month = excluded.through_month,
      computed_below = excluded.computed_below`);
}

/**
 * Writes a commune's lines for the month of `day` from the forecast of `personIds` (people planPeople found it
 * serves), as cycleLines would from their computed month: a line for each enrolment owed something that month by one
 * of `codes`, unless the month has a line already; to the recipient in force on `day` (cash without one); a care
 * allowance without a carer recorded is held (payments.service.ts heldForCarer). Returns how many lines it wrote.
 */
export async function insertForecastLines(
  tx: DbOrTx,
  args: { cycleId: string; personIds: readonly string[]; day: string; codes: readonly string[] },
): Promise<number> {
  if (args.personIds.length === 0) return 0;
  const { rows } = await tx.execute<{ n: number }>(sql`
    WITH written AS (
      INSERT INTO payments (cycle_id, enrolment_id, person_id, program_code, period, kind, amount, needs_approval, recipient_id, method, carried_from, note, note_vi)
      SELECT ${args.cycleId}::uuid, f.enrolment_id, f.person_id, f.program_code, ${args.day}::date, f.kind, f.amount, f.kind = 'BACK_PAY',
             rcp.id, coalesce(rcp.method, 'CASH'), NULL, f.note, f.note_vi
      FROM entitlement_forecasts f
      LEFT JOIN LATERAL (
        SELECT r.id, r.method, r.kind FROM payment_recipients r
        WHERE r.enrolment_id = f.enrolment_id AND r.valid_from <= ${args.day}::date
        ORDER BY r.valid_from DESC LIMIT 1
      ) rcp ON true
      WHERE f.person_id = ANY(${sql.param([...args.personIds])}::uuid[])
        AND f.from_month <= ${args.day}::date AND f.through_month >= ${args.day}::date
        AND f.paying_commune_code = ANY(${sql.param([...args.codes])}::text[])
        AND f.amount > 0
        AND NOT (f.program_code = ANY(${sql.param([...PAID_TO_CARER])}::text[]) AND rcp.kind IS DISTINCT FROM 'CARER')
        AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.enrolment_id = f.enrolment_id AND p.period = ${args.day}::date)
      ORDER BY f.person_id, f.enrolment_id
      RETURNING 1
    )
    SELECT count(*)::int AS n FROM written`);
  return rows[0]?.n ?? 0;
}
