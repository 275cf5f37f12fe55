/**
 * The demo's planted audit findings (docs/payments.md#demo-findings): a newcomer asking `auditFindings` over the demo
 * should see every kind. After the payment history (seeds/payments.ts), a handful of people get what an officer
 * records every day, late: a death, an enrolment ended back to an earlier month, a suspension from a past month, a
 * move, a namesake registered in another commune, an enrolment approved after its month's cycle was made. The
 * findings follow from those records through the same use cases an officer runs (services, audited), so they are
 * exactly what the audit would raise on real data.
 *
 * One kind the system rightly refuses to create: a month paid twice. A REGULAR line is unique per enrolment and
 * month (payments_regular_uq) and cycles never pay a month already held, so the demo plants it directly, as
 * **historical data imported from a legacy payment system**: a BACK_PAY line for a month the person's own commune
 * paid, recorded in another commune's cycle of that month with that cycle's control totals raised to match, paid.
 * `ELIGIBLE_NOT_ENROLLED` needs no planting: the demo enrolments leave ~15% of eligible people behind
 * (seeds/enrolments.ts).
 *
 * Deterministic: the people are chosen by md5 of their id, in order; a use case refusing one (a head whose household
 * cannot be left, say) writes nothing, and the next is taken. Once only (seed_runs 'demo-findings').
 */
import { sql } from 'drizzle-orm';
import { addMonths, firstDay, periodOf } from '../src/core/period.js';
import type { Database } from '../src/db/client.js';
import { DomainError } from '../src/errors.js';
import type { AuditActor } from '../src/modules/audit/audit.service.js';
import type { BenefitsService } from '../src/modules/benefits/benefits.service.js';
import type { RegistryService } from '../src/modules/registry/registry.service.js';
import type { ResidenceService } from '../src/modules/registry/residence.service.js';

/** How many people each kind is planted on (each gives one finding per month it touches). */
export const PLANTED_PER_KIND = 3;

const actor = (subject: string): AuditActor => ({
  principal: { subject, role: 'district_officer', communes: [], scopes: new Set() },
  requestId: 'seed-demo-findings',
});

export interface DemoFindingsServices {
  registry: RegistryService;
  residence: ResidenceService;
  benefits: BenefitsService;
}

/** What was planted, per finding kind: the people (or, for ENROLLED_NOT_PAID, the enrolments). */
export type Planted = Record<string, string[]>;

/** A candidate the legacy import cannot be planted on (no cycle of another commune that month): the next is taken. */
class NotPlantable extends Error {}

interface Candidate {
  enrolment_id: string;
  person_id: string;
  program_code: string;
  commune_code: string;
  full_name: string;
  date_of_birth: string;
  sex: 'MALE' | 'FEMALE';
}

export async function seedDemoFindings(
  database: Database,
  services: DemoFindingsServices,
  opts: { asOf: string },
): Promise<{ planted: Planted; ms: number; skipped?: boolean }> {
  const started = performance.now();
  const db = database.db;
  const current = periodOf(opts.asOf);
  // The two months before asOf's: paid by the demo history (the month of asOf is approved, not paid yet).
  const m1 = addMonths(current, -1);
  const m2 = addMonths(current, -2);
  const paid = await db.execute(
    sql`SELECT count(DISTINCT period)::int AS n FROM payment_cycles WHERE period IN (${firstDay(m1)}::date, ${firstDay(m2)}::date)`,
  );
  if (Number((paid.rows[0] as { n: number } | undefined)?.n) < 2) return { planted: {}, ms: 0, skipped: true };
  const claimed = await db.execute(
    sql`INSERT INTO seed_runs (name, details) VALUES ('demo-findings', ${JSON.stringify(opts)}::jsonb) ON CONFLICT (name) DO NOTHING RETURNING name`,
  );
  if (claimed.rows.length === 0) return { planted: {}, ms: 0, skipped: true };

  const officer = actor('seed:demo-findings-officer');
  const approver = actor('seed:demo-findings-approver');
  // People paid a REGULAR line in both months, alive, on a single enrolment (so each plant touches one line a month).
  const candidates = (
    await db.execute(sql`
      SELECT e.id::text AS enrolment_id, e.person_id::text AS person_id, e.program_code, c.commune_code,
             pe.full_name, pe.date_of_birth::text AS date_of_birth, pe.sex
        FROM payments p
        JOIN payment_cycles c ON c.id = p.cycle_id
        JOIN enrolments e ON e.id = p.enrolment_id
        JOIN persons pe ON pe.id = p.person_id
       WHERE p.kind = 'REGULAR' AND p.status = 'PAID' AND p.period = ${firstDay(m1)}::date
         AND pe.date_of_death IS NULL AND e.status = 'ACTIVE' AND e.end_month IS NULL
         AND EXISTS (SELECT 1 FROM payments q WHERE q.enrolment_id = e.id AND q.kind = 'REGULAR' AND q.status = 'PAID' AND q.period = ${firstDay(m2)}::date)
         AND (SELECT count(*) FROM enrolments o WHERE o.person_id = e.person_id) = 1
       ORDER BY md5(e.person_id::text || 'demo-findings')
       LIMIT 200`)
  ).rows as unknown as Candidate[];
  const communes = (await db.execute(sql`SELECT DISTINCT commune_code FROM payment_cycles WHERE period = ${firstDay(m1)}::date ORDER BY commune_code`))
    .rows as { commune_code: string }[];
  /** Another commune that had a cycle in m1: the first after the person's own, in code order. */
  const otherCommune = (code: string) => {
    const i = communes.findIndex((c) => c.commune_code === code);
    return communes[(i + 1) % communes.length]?.commune_code ?? code;
  };

  const planted: Planted = {};
  let next = 0;
  /** Plants `kind` on the next candidates until PLANTED_PER_KIND took; a use case refusing one writes nothing. */
  async function plant(kind: string, apply: (c: Candidate, n: number) => Promise<void>) {
    const done: string[] = (planted[kind] = []);
    while (done.length < PLANTED_PER_KIND && next < candidates.length) {
      const c = candidates[next++];
      if (!c) break;
      try {
        await apply(c, done.length);
        done.push(c.person_id);
      } catch (err) {
        if (!(err instanceof DomainError || err instanceof NotPlantable)) throw err;
      }
    }
  }

  // PAID_AFTER_DEATH (and PAID_OUTSIDE_ENROLMENT, the death ending the enrolment): a death reported late, dated in
  // m2; m1 was paid and the month of asOf is pending.
  await plant('PAID_AFTER_DEATH', (c) => services.registry.recordDeath(officer, c.person_id, `${m2}-10`).then(() => undefined));
  // PAID_OUTSIDE_ENROLMENT: a decision ending the enrolment with m2, taken after m1 was paid.
  await plant('PAID_OUTSIDE_ENROLMENT', (c) =>
    services.benefits
      .endEnrolment(officer, c.enrolment_id, m2, 'Demo: chấm dứt hưởng từ tháng sau, quyết định ban hành muộn (late decision)')
      .then(() => undefined),
  );
  // AMOUNT_MISMATCH: a suspension from m1 recorded after m1 was paid: m1's entitlement is now nothing, its line paid.
  await plant('AMOUNT_MISMATCH', (c) => services.benefits.suspendEnrolment(officer, c.enrolment_id, m1, 'NOT_COLLECTED_3_MONTHS').then(() => undefined));
  // PAID_TO_MOVED_AWAY: a move to another commune in m2, reported late: m1 and asOf's month decided by the new
  // commune, paid by the old one.
  await plant('PAID_TO_MOVED_AWAY', (c, n) =>
    services.residence
      .movePerson(officer, {
        personId: c.person_id,
        movedOn: `${m2}-15`,
        newHousehold: { code: `DEMO-MOVED-${n + 1}-${c.person_id.slice(0, 8)}`, communeCode: otherCommune(c.commune_code) },
      })
      .then(() => undefined),
  );
  // DUPLICATE_IDENTITY: the same name and date of birth registered again in another commune, without a number.
  await plant('DUPLICATE_IDENTITY', (c) =>
    services.registry
      .registerPerson(officer, { fullName: c.full_name, dateOfBirth: c.date_of_birth, sex: c.sex, communeCode: otherCommune(c.commune_code) })
      .then(() => undefined),
  );
  // DUPLICATE_PAYMENT: planted directly, as legacy data (see the header): m1 paid again by another commune.
  await plant('DUPLICATE_PAYMENT', async (c) => {
    await db.transaction(async (tx) => {
      const line = await tx.execute(sql`
        INSERT INTO payments (cycle_id, enrolment_id, person_id, program_code, period, kind, amount, needs_approval, method, note, note_vi)
        SELECT h.id, p.enrolment_id, p.person_id, p.program_code, p.period, 'BACK_PAY', p.amount, true, 'CASH',
               'Demo anomaly: imported from the legacy payment system, a month the person''s own commune also paid',
               'Dữ liệu demo bất thường: nhập từ hệ thống chi trả cũ, tháng đã được xã nơi cư trú chi'
          FROM payments p
          JOIN payment_cycles h ON h.period = p.period AND h.commune_code = ${otherCommune(c.commune_code)}
         WHERE p.enrolment_id = ${c.enrolment_id}::uuid AND p.kind = 'REGULAR' AND p.period = ${firstDay(m1)}::date
        RETURNING id, cycle_id, program_code, amount`);
      const row = line.rows[0] as { id: string; cycle_id: string; program_code: string; amount: number | string } | undefined;
      if (!row) throw new NotPlantable();
      const amount = Number(row.amount);
      // The host cycle's control totals include the imported line, so approval checks and exports still agree.
      await tx.execute(sql`
        UPDATE payment_cycles SET line_count = line_count + 1, payable_amount = payable_amount + ${amount},
               by_program = jsonb_set(by_program, ARRAY[${row.program_code}::text], jsonb_build_object(
                 'lines', coalesce((by_program -> ${row.program_code}::text ->> 'lines')::int, 0) + 1,
                 'amount', coalesce((by_program -> ${row.program_code}::text ->> 'amount')::bigint, 0) + ${amount}))
         WHERE id = ${row.cycle_id}::uuid`);
      await tx.execute(sql`
        INSERT INTO payment_results (payment_id, status, reference, paid_at, idempotency_key, recorded_by)
        VALUES (${row.id}::uuid, 'PAID', ${`LEGACY-${row.id.slice(0, 8)}`}, ${`${m1}-25`}::date, ${`demo-legacy:${row.id}`}, 'seed:demo-legacy-import')`);
      await tx.execute(
        sql`UPDATE payments SET status = 'PAID', reference = ${`LEGACY-${row.id.slice(0, 8)}`}, paid_at = ${`${m1}-25`}::date WHERE id = ${row.id}::uuid`,
      );
    });
  });
  // ENROLLED_NOT_PAID: people left behind, enrolled from asOf's month after its cycles were made (the lines of a
  // month are made once: the next cycle pays the month as arrears).
  const gaps = await services.benefits.coverageGaps(officer.principal, { asOf: opts.asOf, first: 50 });
  const enrolled: string[] = (planted.ENROLLED_NOT_PAID = []);
  for (const gap of gaps.nodes) {
    if (enrolled.length >= PLANTED_PER_KIND) break;
    try {
      const e = await services.benefits.enrol(officer, {
        personId: gap.personId,
        programCode: gap.programCode,
        decisionNo: `DEMO-LATE-${gap.personId.slice(0, 6)}`,
        decisionDate: opts.asOf,
        startPeriod: current,
      });
      await services.benefits.approveEnrolment(approver, e.id);
      enrolled.push(e.id);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
    }
  }
  await db.execute(sql`UPDATE seed_runs SET details = ${JSON.stringify({ ...opts, planted })}::jsonb WHERE name = 'demo-findings'`);
  return { planted, ms: Math.round(performance.now() - started) };
}
