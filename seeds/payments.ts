/**
 * The demo's payment history (docs/payments.md#demo-history): a newcomer should find cycles, paid lines, a few
 * failures and arrears to audit. For each of the months before `asOf` (24 by default) every commune's cycle is
 * created and approved through the payments service, the same use cases an officer runs (so amounts are the
 * entitlements' own), then the bank's results are written set-wise: every line paid on the 20th, except about one in
 * fifty that failed (a wrong account). The month of `asOf` gets its cycles, approved and not yet paid.
 *
 * Idempotent: recorded in seed_runs ('demo-payments'). Results are written by SQL, not one mutation per line, and
 * carry no audit event of their own (like the demo population itself); the cycles and their approvals do.
 */
import { sql } from 'drizzle-orm';
import { PAID_TO_CARER } from '../src/core/code-lists.js';
import { addMonths, monthsFrom } from '../src/core/period.js';
import type { Database } from '../src/db/client.js';
import type { AuditActor } from '../src/modules/audit/audit.service.js';
import type { PaymentsService } from '../src/modules/payments/payments.service.js';

const actor = (subject: string): AuditActor => ({
  principal: { subject, role: 'district_officer', communes: [], scopes: new Set() },
  requestId: 'seed-demo-payments',
});

/**
 * Care allowances are paid to the carer (Decree 20/2021 art. 20; heldForCarer): the demo records one for each from
 * its start, the head of the household the person lives in (a community carer or the household itself) or, for a
 * head, a named carer outside it; about one in twenty is left without, so its lines are held and show as
 * ENROLLED_NOT_PAID saying why. Idempotent. The payments bench (bench/payments.ts) records them the same way.
 */
export async function recordDemoCarers(database: Database): Promise<void> {
  await database.db.execute(sql`
    INSERT INTO payment_recipients (enrolment_id, kind, recipient_person_id, recipient_name, method, valid_from, recorded_by)
    SELECT e.id, 'CARER', CASE WHEN head.id <> p.id THEN head.id END,
           CASE WHEN head.id <> p.id THEN head.full_name ELSE 'Người nhận chăm sóc ' || substr(md5(e.id::text), 1, 4) END,
           'CASH', e.start_month, 'seed:demo-commune'
      FROM enrolments e
      JOIN persons p ON p.id = e.person_id
      LEFT JOIN households h ON h.id = p.household_id
      LEFT JOIN persons head ON head.id = h.head_person_id
     WHERE e.program_code = ANY(${sql.param([...PAID_TO_CARER])}::text[]) AND abs(hashtext(e.id::text || 'carer')) % 20 <> 0
    ON CONFLICT DO NOTHING`);
}

export async function seedDemoPayments(
  database: Database,
  payments: PaymentsService,
  opts: { asOf: string; months: number },
): Promise<{ cycles: number; lines: number; ms: number; skipped?: boolean }> {
  const started = performance.now();
  const db = database.db;
  const claimed = await db.execute(
    sql`INSERT INTO seed_runs (name, details) VALUES ('demo-payments', ${JSON.stringify(opts)}::jsonb) ON CONFLICT (name) DO NOTHING RETURNING name`,
  );
  if (claimed.rows.length === 0 || opts.months < 1) return { cycles: 0, lines: 0, ms: 0, skipped: true };
  const current = opts.asOf.slice(0, 7);
  // Never before the first month anything can be paid (Decree 20/2021 from 2021-07).
  const from = addMonths(current, -opts.months) < '2021-07' ? '2021-07' : addMonths(current, -opts.months);
  const creator = actor('seed:demo-commune-payments');
  const approver = actor('seed:demo-district-approver');
  await recordDemoCarers(database);
  let cycles = 0;
  let lines = 0;
  for (const period of monthsFrom(from, current)) {
    const made = await payments.createPaymentCycles(creator, period);
    for (const c of made) {
      await payments.approvePaymentCycle(approver, c.id);
      lines += c.lineCount;
    }
    cycles += made.length;
    if (period === current) break;
    const ids = made.map((c) => c.id);
    // The bank's answer: paid on the 20th, about one line in fifty failed. hashtext keeps it deterministic.
    await db.execute(sql`
      INSERT INTO payment_results (payment_id, status, reference, paid_at, idempotency_key, recorded_by)
      SELECT id, CASE WHEN abs(hashtext(id::text)) % 50 = 0 THEN 'FAILED' ELSE 'PAID' END, 'DEMO-' || left(id::text, 8),
             period + 19, 'demo:' || id, 'seed:demo-bank'
      FROM payments WHERE cycle_id = ANY(${sql.param(ids)}::uuid[]) AND amount > 0`);
    await db.execute(sql`
      UPDATE payments p SET status = r.status, reference = r.reference, paid_at = r.paid_at
      FROM payment_results r WHERE r.payment_id = p.id AND p.cycle_id = ANY(${sql.param(ids)}::uuid[])`);
  }
  return { cycles, lines, ms: Math.round(performance.now() - started) };
}
