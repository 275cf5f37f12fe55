/**
 * SQL of audit findings and payment reports (docs/payments.md#audit-findings, #reports). Each finding kind is one
 * set-based statement over the lines of the communes' cycles in a range of months: no statement per person or per
 * line. Dates and amounts come back as text (to_char, ::text) so that PostgreSQL and PGlite answer alike.
 */
import { eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { auditFindingReviews } from '../../db/schema/index.js';
import { inputsChangedSql } from './payments.repository.js';

/** Which cycles a finding looks at: those of some communes (null: every commune) whose lines pay months from..to. */
export interface FindingScope {
  communeCodes: readonly string[] | null;
  /** First days of the first and last month. */
  from: string;
  to: string;
}

export type ReviewRow = typeof auditFindingReviews.$inferSelect;

const codesIn = (column: SQL, codes: readonly string[] | null): SQL =>
  codes === null
    ? sql`true`
    : codes.length === 0
      ? sql`false`
      : sql`${column} IN (${sql.join(
          codes.map((c) => sql`${c}`),
          sql`, `,
        )})`;

/**
 * The lines of the scope's cycles for months in range, with their cycle's commune, as a row source to alias. A
 * line never pays a month later than its cycle's, so the cycles are those from `from` on
 * (payment_cycles_commune_period_uq), and their lines are read by payments_cycle_idx.
 */
const scopeLines = (s: FindingScope): SQL => sql`(SELECT sp.*, sc.commune_code AS cycle_commune
  FROM payment_cycles sc JOIN payments sp ON sp.cycle_id = sc.id
  WHERE ${codesIn(sql`sc.commune_code`, s.communeCodes)} AND sc.period >= ${s.from}::date
    AND sp.period BETWEEN ${s.from}::date AND ${s.to}::date)`;

/** A line that pays money out and has not failed: what counts as paid (or about to be). */
const LIVE = sql`p.amount > 0 AND p.status IN ('PAID', 'PENDING')`;

export interface LineRaw extends Record<string, unknown> {
  payment_id: string;
  person_id: string;
  enrolment_id: string;
  cycle_id: string;
  program_code: string;
  period: string;
  amount: string;
  status: string;
  kind: string;
  commune_code: string;
}

const LINE_COLUMNS = sql`p.id AS payment_id, p.person_id, p.enrolment_id, p.cycle_id, p.program_code, to_char(p.period, 'YYYY-MM') AS period,
  p.amount::text AS amount, p.status, p.kind, p.cycle_commune AS commune_code`;

/** Lines paying a month after the month of the person's death. */
export async function paidAfterDeath(db: DbOrTx, s: FindingScope) {
  const { rows } = await db.execute<LineRaw & { date_of_death: string }>(sql`
    SELECT ${LINE_COLUMNS}, per.date_of_death::text AS date_of_death
    FROM ${scopeLines(s)} p JOIN persons per ON per.id = p.person_id
    WHERE ${LIVE} AND per.date_of_death IS NOT NULL AND p.period > date_trunc('month', per.date_of_death)::date`);
  return rows;
}

/** Lines paying a month before the enrolment's first month or after its last. Recoveries are not findings. */
export async function paidOutsideEnrolment(db: DbOrTx, s: FindingScope) {
  const { rows } = await db.execute<LineRaw & { start_month: string; end_month: string | null }>(sql`
    SELECT ${LINE_COLUMNS}, to_char(e.start_month, 'YYYY-MM') AS start_month, to_char(e.end_month, 'YYYY-MM') AS end_month
    FROM ${scopeLines(s)} p JOIN enrolments e ON e.id = p.enrolment_id
    WHERE ${LIVE} AND (p.period < e.start_month OR p.period > e.end_month)`);
  return rows;
}

export interface DuplicateRaw extends Record<string, unknown> {
  person_id: string;
  program_code: string;
  period: string;
  commune_code: string;
  payment_ids: string[];
  enrolment_ids: string[];
  communes: string[];
  amounts: string[];
  kinds: string[];
}

/**
 * A person's month of a program paid in full more than once, by whichever communes: two or more live lines that
 * each pay a whole month (regular, back pay, carry-over; arrears and recoveries are differences).
 *
 * Only two things can make such a pair, since payments_regular_uq allows one REGULAR line per enrolment and month:
 * a second enrolment of the person in the program, or a BACK_PAY / CARRY_OVER line for the month (found by the
 * small partial index payments_full_month_extra_idx). So the scope's lines are checked only against those, and the
 * months that match are read whole, in any commune, by payments_person_period_idx: no pass over all payments to
 * group them.
 */
export async function duplicatePayments(db: DbOrTx, s: FindingScope) {
  const { rows } = await db.execute<DuplicateRaw>(sql`
    WITH multi AS (
      SELECT person_id, program_code FROM enrolments GROUP BY person_id, program_code HAVING count(*) > 1),
    extra AS (
      SELECT DISTINCT x.person_id, x.program_code, x.period FROM payments x
      WHERE x.kind IN ('BACK_PAY', 'CARRY_OVER') AND x.amount > 0 AND x.status IN ('PAID', 'PENDING')
        AND x.period BETWEEN ${s.from}::date AND ${s.to}::date),
    mine AS (
      SELECT p.person_id, p.program_code, p.period, min(p.cycle_commune) AS commune_code
      FROM ${scopeLines(s)} p
      WHERE ${LIVE} AND p.kind IN ('REGULAR', 'BACK_PAY', 'CARRY_OVER')
        AND ((p.person_id, p.program_code) IN (SELECT person_id, program_code FROM multi)
          OR (p.person_id, p.program_code, p.period) IN (SELECT person_id, program_code, period FROM extra))
      GROUP BY 1, 2, 3)
    SELECT m.person_id, m.program_code, to_char(m.period, 'YYYY-MM') AS period, m.commune_code,
      array_agg(q.id::text ORDER BY q.id) AS payment_ids, array_agg(q.enrolment_id::text ORDER BY q.id) AS enrolment_ids,
      array_agg(qc.commune_code ORDER BY q.id) AS communes, array_agg(q.amount::text ORDER BY q.id) AS amounts,
      array_agg(q.kind ORDER BY q.id) AS kinds
    FROM mine m
    JOIN payments q ON q.person_id = m.person_id AND q.period = m.period AND q.program_code = m.program_code
    JOIN payment_cycles qc ON qc.id = q.cycle_id
    WHERE q.amount > 0 AND q.status IN ('PAID', 'PENDING') AND q.kind IN ('REGULAR', 'BACK_PAY', 'CARRY_OVER')
    GROUP BY m.person_id, m.program_code, m.period, m.commune_code
    HAVING count(*) > 1`);
  return rows;
}

/**
 * Lines paid by a commune the person did not live in for the month: the residence that decides the month's paying
 * commune (core/residence.ts payingResidence: the one covering the last day of the month before, else the first
 * one starting during the month) is in another commune, or there is none. A successor commune of the 2025 merger
 * covers its predecessors from its first day (db/communes.ts).
 */
export async function paidToMovedAway(db: DbOrTx, s: FindingScope) {
  const { rows } = await db.execute<LineRaw & { lived_in: string | null; decided_on: string | null }>(sql`
    SELECT ${LINE_COLUMNS}, pay.commune_code AS lived_in, pay.valid_on::text AS decided_on
    FROM ${scopeLines(s)} p
    JOIN persons per ON per.id = p.person_id
    LEFT JOIN LATERAL (
      SELECT r.commune_code, greatest(r.valid_from, p.period - 1) AS valid_on
      FROM residence_periods r
      WHERE r.person_id = p.person_id AND r.commune_code IS NOT NULL
        AND r.valid_from <= (p.period + interval '1 month' - interval '1 day')::date
        AND (r.valid_to IS NULL OR r.valid_to >= p.period - 1)
      ORDER BY (r.valid_from <= p.period - 1) DESC, r.valid_from
      LIMIT 1) pay ON true
    WHERE ${LIVE}
      -- Most lines are paid by the commune of the person's latest period (the copy on the person row), which
      -- covered the eve: settled without reading their periods (the lateral read runs only for the others).
      AND NOT (per.commune_code = p.cycle_commune AND per.resident_from <= p.period - 1
               AND (per.resident_to IS NULL OR per.resident_to >= p.period - 1))
      AND (pay.commune_code IS NULL OR (pay.commune_code <> p.cycle_commune AND NOT EXISTS (
        SELECT 1 FROM admin_units au JOIN admin_units su ON su.code = au.successor_code
        WHERE au.code = pay.commune_code AND su.code = p.cycle_commune AND su.valid_from <= pay.valid_on)))`);
  return rows;
}

export interface MonthPaidRaw extends Record<string, unknown> {
  enrolment_id: string;
  person_id: string;
  program_code: string;
  period: string;
  commune_code: string;
  paid: string;
  payment_ids: string[];
  /** What the month's lines hold as a cycle counts them (payments.service.ts createOne): paid, plus failed or returned not yet paid again. */
  held: string;
  /** How many communes' cycles hold lines of the month. */
  communes: number;
  /** A line of the month was not written by its cycle's creation (payments.repository.ts findPaidMonths). */
  foreign: boolean;
  /**
   * A cycle settled the month (findings.service.ts settledRows, the same test in SQL): it is owed what it holds. Such a
   * month paid what it holds is not returned at all.
   */
  settled: boolean;
}

/**
 * What each (enrolment, month) the scope's lines pay has been paid, by all communes: the sum of its PAID lines
 * (recoveries recovered count negative). Only months with a paid line and none pending: a month still being paid
 * is not a mismatch yet. The entitlement to compare with is computed in TypeScript (findings.service.ts).
 */
export async function paidByMonth(db: DbOrTx, s: FindingScope, lookbackMonths: number) {
  // Every commune: one pass grouping the months' lines; some communes: their months, then those months' lines
  // in any commune (payments_enrolment_idx).
  const months =
    s.communeCodes === null
      ? sql`
      SELECT q.enrolment_id, q.person_id, q.program_code, q.period AS day, to_char(q.period, 'YYYY-MM') AS period, min(qc.commune_code) AS commune_code,
        (coalesce(sum(q.amount) FILTER (WHERE q.status = 'PAID'), 0))::text AS paid,
        coalesce(array_agg(q.id::text ORDER BY q.id) FILTER (WHERE q.status = 'PAID'), '{}') AS payment_ids,
        (coalesce(sum(q.amount) FILTER (WHERE q.status = 'PAID'
          OR (q.status IN ('FAILED', 'RETURNED') AND NOT EXISTS (SELECT 1 FROM payments co WHERE co.carried_from = q.id))), 0))::text AS held,
        count(DISTINCT qc.commune_code)::int AS communes, bool_or(q.created_at <> qc.created_at) AS foreign
      FROM payments q JOIN payment_cycles qc ON qc.id = q.cycle_id
      WHERE q.period BETWEEN ${s.from}::date AND ${s.to}::date
      GROUP BY q.enrolment_id, q.person_id, q.program_code, q.period
      HAVING count(*) FILTER (WHERE q.status = 'PAID') > 0 AND count(*) FILTER (WHERE q.status = 'PENDING') = 0`
      : sql`
      WITH mine AS (
        SELECT p.enrolment_id, p.period, min(p.cycle_commune) AS commune_code FROM ${scopeLines(s)} p GROUP BY 1, 2)
      SELECT m.enrolment_id, e.person_id, e.program_code, m.period AS day, to_char(m.period, 'YYYY-MM') AS period, m.commune_code,
        (coalesce(sum(q.amount) FILTER (WHERE q.status = 'PAID'), 0))::text AS paid,
        coalesce(array_agg(q.id::text ORDER BY q.id) FILTER (WHERE q.status = 'PAID'), '{}') AS payment_ids,
        (coalesce(sum(q.amount) FILTER (WHERE q.status = 'PAID'
          OR (q.status IN ('FAILED', 'RETURNED') AND NOT EXISTS (SELECT 1 FROM payments co WHERE co.carried_from = q.id))), 0))::text AS held,
        count(DISTINCT qc.commune_code)::int AS communes, bool_or(q.created_at <> qc.created_at) AS foreign
      FROM mine m
      JOIN enrolments e ON e.id = m.enrolment_id
      JOIN payments q ON q.enrolment_id = m.enrolment_id AND q.period = m.period
      JOIN payment_cycles qc ON qc.id = q.cycle_id
      GROUP BY m.enrolment_id, e.person_id, e.program_code, m.period, m.commune_code
      HAVING count(*) FILTER (WHERE q.status = 'PAID') > 0 AND count(*) FILTER (WHERE q.status = 'PENDING') = 0`;
  // A month a cycle settled (findings.service.ts settledRows: one commune's lines, all written by its cycles, and
  // nothing of the person changed since the latest cycle of that commune whose look-back reached the month) holds
  // what it is owed: if it is paid what it holds, there is no finding, and the month is left out here rather than
  // sent to be left out (millions of months at national volumes). The others are returned, marked settled or not. Both
  // helpers are MATERIALIZED: inlined, the planner ran their lookups once per month (3.75M) instead of once per
  // commune and month, and per person: 54.8 s against 21.6 s over 4M lines (EXPLAIN ANALYZE, bench/results-payments.md).
  const { rows } = await db.execute<MonthPaidRaw>(sql`
    WITH months AS MATERIALIZED (${months}),
    settling AS MATERIALIZED (
      SELECT k.commune_code, k.day,
        (SELECT c.planned_below::text::numeric FROM payment_cycles c
          WHERE c.commune_code = k.commune_code AND c.period >= k.day AND c.period <= (k.day + make_interval(months => ${lookbackMonths}))::date
          ORDER BY c.period DESC LIMIT 1) AS below
      FROM (SELECT DISTINCT commune_code, day FROM months) k),
    changed AS MATERIALIZED (
      SELECT m.person_id, ${inputsChangedSql(sql`m.person_id`)} AS xid
      FROM (SELECT DISTINCT person_id FROM months) m),
    judged AS (
      SELECT m.*, (m.communes = 1 AND NOT m.foreign AND st.below IS NOT NULL AND coalesce(ch.xid, 0) < st.below) AS settled
      FROM months m
      JOIN settling st ON st.commune_code = m.commune_code AND st.day = m.day
      JOIN changed ch ON ch.person_id = m.person_id)
    SELECT j.enrolment_id, j.person_id, j.program_code, j.period, j.commune_code, j.paid, j.payment_ids, j.held, j.communes, j.foreign, j.settled
    FROM judged j WHERE NOT (j.settled AND j.paid = j.held)`);
  return rows;
}

export interface UnpaidRaw extends Record<string, unknown> {
  commune_code: string;
  cycle_id: string;
  period: string;
  enrolment_id: string;
  person_id: string;
  program_code: string;
}

/**
 * Approved enrolments running in a month for which a commune of the scope had a cycle, of people who lived in the
 * commune around the month (as forecast.repository.ts planPeople reads it), without any line for the month in any cycle. Whether
 * the month was payable and paid by that commune is decided on their entitlements (findings.service.ts).
 */
export async function unpaidEnrolments(db: DbOrTx, s: FindingScope) {
  // Driven from the enrolments, not the residents: the months an approved enrolment runs in, less the months some
  // line pays (EXCEPT: one hashed pass over each side, never a probe per enrolment and month), leave the few months
  // nobody paid; only for those is the person's residence read and matched to a cycle. Reading every resident of
  // every commune for every cycle first, as this did before, took minutes at 1M people (bench/results-payments.md).
  const { rows } = await db.execute<UnpaidRaw>(sql`
    WITH cyc AS MATERIALIZED (
      SELECT c.id, c.commune_code, c.period FROM payment_cycles c
      WHERE ${codesIn(sql`c.commune_code`, s.communeCodes)} AND c.period BETWEEN ${s.from}::date AND ${s.to}::date),
    codes AS (
      SELECT cyc.id AS cycle_id, cyc.commune_code, cyc.period, cyc.commune_code AS code FROM cyc
      UNION ALL
      SELECT cyc.id, cyc.commune_code, cyc.period, au.code FROM cyc
      JOIN admin_units su ON su.code = cyc.commune_code AND su.valid_from <= cyc.period
      JOIN admin_units au ON au.successor_code = su.code),
    unpaid AS MATERIALIZED (
      SELECT e.id AS enrolment_id, m.period
      FROM (SELECT DISTINCT period FROM cyc) m
      JOIN enrolments e ON e.approved_at IS NOT NULL AND e.start_month <= m.period AND (e.end_month IS NULL OR e.end_month >= m.period)
      EXCEPT
      SELECT enrolment_id, period FROM payments WHERE period BETWEEN ${s.from}::date AND ${s.to}::date),
    months AS (
      SELECT u.enrolment_id, u.period, (u.period + interval '1 month' - interval '1 day')::date AS month_end,
        e.person_id, e.program_code
      FROM unpaid u JOIN enrolments e ON e.id = u.enrolment_id),
    lived AS (
      SELECT m.enrolment_id, m.period, m.person_id, m.program_code, per.commune_code AS code
      FROM months m JOIN persons per ON per.id = m.person_id
      WHERE per.resident_from <= m.month_end AND (per.resident_to IS NULL OR per.resident_to >= m.period - 1)
      UNION
      SELECT m.enrolment_id, m.period, m.person_id, m.program_code, r.commune_code
      FROM months m JOIN residence_periods r ON r.person_id = m.person_id
      WHERE r.valid_to IS NOT NULL AND r.valid_to >= m.period - 1 AND r.valid_from <= m.month_end)
    SELECT DISTINCT codes.commune_code, codes.cycle_id, to_char(lived.period, 'YYYY-MM') AS period, lived.enrolment_id,
      lived.person_id, lived.program_code
    FROM lived JOIN codes ON codes.code = lived.code AND codes.period = lived.period`);
  return rows;
}

export interface IdentityRaw extends Record<string, unknown> {
  a_id: string;
  b_id: string;
  a_household: string | null;
  b_household: string | null;
  a_commune: string;
  b_commune: string;
  date_of_birth: string;
}

/**
 * Two people with the same accent-free name (persons.full_name_search, kept by the database) and date of birth in
 * different households or communes, at least one of them in the scope's communes (their latest commune), by
 * persons_name_dob_idx. Identification numbers cannot repeat: persons_national_id_uq refuses a second one.
 */
export async function duplicateIdentities(db: DbOrTx, communeCodes: readonly string[] | null) {
  const { rows } = await db.execute<IdentityRaw>(sql`
    SELECT a.id AS a_id, b.id AS b_id, a.household_id AS a_household, b.household_id AS b_household,
      a.commune_code AS a_commune, b.commune_code AS b_commune, a.date_of_birth::text AS date_of_birth
    FROM persons a
    JOIN persons b ON b.full_name_search = a.full_name_search AND b.date_of_birth = a.date_of_birth AND b.id <> a.id
    WHERE ${codesIn(sql`a.commune_code`, communeCodes)}
      AND (a.household_id IS DISTINCT FROM b.household_id OR a.commune_code <> b.commune_code)`);
  return rows;
}

export async function reviewsOf(db: DbOrTx, keys: readonly string[]): Promise<ReviewRow[]> {
  if (keys.length === 0) return [];
  const out: ReviewRow[] = [];
  for (let i = 0; i < keys.length; i += 5000)
    out.push(
      ...(await db
        .select()
        .from(auditFindingReviews)
        .where(inArray(auditFindingReviews.findingKey, keys.slice(i, i + 5000)))),
    );
  return out;
}

export async function findReview(db: DbOrTx, key: string, forUpdate = false): Promise<ReviewRow | undefined> {
  const q = db.select().from(auditFindingReviews).where(eq(auditFindingReviews.findingKey, key));
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

/** Writes a finding's review, replacing an earlier one (the audit log keeps both). */
export async function upsertReview(tx: DbOrTx, values: typeof auditFindingReviews.$inferInsert): Promise<ReviewRow> {
  const [row] = await tx
    .insert(auditFindingReviews)
    .values(values)
    .onConflictDoUpdate({
      target: auditFindingReviews.findingKey,
      set: { note: values.note, communeCode: values.communeCode, reviewedBy: values.reviewedBy, reviewedAt: sql`now()` },
    })
    .returning();
  if (!row) throw new Error('INSERT … RETURNING gave no row');
  return row;
}

export interface ReportRaw extends Record<string, unknown> {
  commune_code: string;
  period: string;
  program_code: string;
  lines: number;
  owed: string;
  paid: string;
  recoveries: string;
  recovered: string;
  arrears_paid: string;
  back_pay_paid: string;
  to_pay_lines: number;
  non_cash_lines: number;
}

/**
 * Per commune, cycle month and program: what the lines say is owed (all but recoveries), paid (PAID lines that pay
 * out), recoveries (apart) and how much of them was recovered, arrears and back pay paid, and the lines paying out
 * with those by a non-cash method.
 */
export async function paymentReport(db: DbOrTx, communeCodes: readonly string[] | null, from: string, to: string) {
  const { rows } = await db.execute<ReportRaw>(sql`
    SELECT c.commune_code, to_char(c.period, 'YYYY-MM') AS period, p.program_code, count(*)::int AS lines,
      (coalesce(sum(p.amount) FILTER (WHERE p.kind <> 'RECOVERY'), 0))::text AS owed,
      (coalesce(sum(p.amount) FILTER (WHERE p.kind <> 'RECOVERY' AND p.status = 'PAID'), 0))::text AS paid,
      (coalesce(sum(p.amount) FILTER (WHERE p.kind = 'RECOVERY'), 0))::text AS recoveries,
      (coalesce(sum(p.amount) FILTER (WHERE p.kind = 'RECOVERY' AND p.status = 'PAID'), 0))::text AS recovered,
      (coalesce(sum(p.amount) FILTER (WHERE p.kind = 'ARREARS' AND p.status = 'PAID'), 0))::text AS arrears_paid,
      (coalesce(sum(p.amount) FILTER (WHERE p.kind = 'BACK_PAY' AND p.status = 'PAID'), 0))::text AS back_pay_paid,
      (count(*) FILTER (WHERE p.amount > 0))::int AS to_pay_lines,
      (count(*) FILTER (WHERE p.amount > 0 AND p.method <> 'CASH'))::int AS non_cash_lines
    FROM payment_cycles c JOIN payments p ON p.cycle_id = c.id
    WHERE ${codesIn(sql`c.commune_code`, communeCodes)} AND c.period BETWEEN ${from}::date AND ${to}::date
    GROUP BY c.commune_code, c.period, p.program_code
    ORDER BY c.commune_code, c.period, p.program_code`);
  return rows;
}
