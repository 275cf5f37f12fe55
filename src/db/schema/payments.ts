/**
 * Payments: who receives an enrolment's money and how (dated), the monthly payment cycles of a commune with their
 * control totals, the payment lines, and the results the bank or post office reports (docs/payments.md).
 *
 * The database has the last word on the two rules that protect money: at most one REGULAR payment per enrolment
 * and month (payments_regular_uq), and a payment line is never rewritten or deleted once written: only its
 * status, reference and paid date move forward (trigger in migration 0010); corrections are new lines.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  date,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import { PAYMENT_CYCLE_STATUSES, PAYMENT_KINDS, PAYMENT_METHODS, PAYMENT_STATUSES, RECIPIENT_KINDS } from '../../core/code-lists.js';
import { adminUnits, persons } from './registry.js';
import { enrolments, programs } from './rules.js';
import { xid8 } from './entitlement-inputs.js';

/** Who receives an enrolment's money, by which method, from a date (a later row supersedes from its own date). */
export const paymentRecipients = pgTable(
  'payment_recipients',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    enrolmentId: uuid('enrolment_id')
      .notNull()
      .references(() => enrolments.id),
    kind: text('kind', { enum: RECIPIENT_KINDS }).notNull(),
    /** The guardian or authorised person, when registered; null for the beneficiary (the enrolment's person). */
    recipientPersonId: uuid('recipient_person_id').references(() => persons.id),
    recipientName: text('recipient_name').notNull(),
    method: text('method', { enum: PAYMENT_METHODS }).notNull(),
    /** Bank account or e-wallet number: personal data, masked like identification numbers. */
    accountNo: text('account_no'),
    /** The bank, e-wallet or post office. */
    provider: text('provider'),
    validFrom: date('valid_from').notNull(),
    recordedBy: text('recorded_by').notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('payment_recipients_enrolment_from_uq').on(t.enrolmentId, t.validFrom),
    check('payment_recipients_account', sql`${t.method} IN ('POST_OFFICE', 'CASH') OR (${t.accountNo} IS NOT NULL AND ${t.provider} IS NOT NULL)`),
  ],
);

/**
 * One commune's payments for one month, with its control totals as created: recomputed from the lines and compared
 * at approval and at export, so a line added, removed or changed in between is caught.
 */
export const paymentCycles = pgTable(
  'payment_cycles',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    communeCode: text('commune_code')
      .notNull()
      .references(() => adminUnits.code),
    /** First day of the month paid. */
    period: date('period').notNull(),
    status: text('status', { enum: PAYMENT_CYCLE_STATUSES }).notNull(),
    lineCount: integer('line_count').notNull(),
    /** Sum of the lines to pay (positive amounts). */
    payableAmount: bigint('payable_amount', { mode: 'number' }).notNull(),
    /** Sum of the recovery lines (negative). */
    recoveryAmount: bigint('recovery_amount', { mode: 'number' }).notNull(),
    /** { programCode: { lines, amount } } as created. */
    byProgram: jsonb('by_program').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    approvedBy: text('approved_by'),
    approvedAt: timestamp('approved_at', { withTimezone: true }),
    /**
     * The oldest transaction still running when the cycle's entitlements began to be computed: every change made by
     * an earlier transaction was seen (entitlement-inputs.ts). Null for cycles created before it was recorded.
     */
    plannedBelow: xid8('planned_below'),
  },
  (t) => [uniqueIndex('payment_cycles_commune_period_uq').on(t.communeCode, t.period)],
);

/** One line of a cycle: an enrolment, the month it pays for, what kind of line, the amount and how it fared. */
export const payments = pgTable(
  'payments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    cycleId: uuid('cycle_id')
      .notNull()
      .references(() => paymentCycles.id),
    // The enrolment and its person, checked together by one key (payments_enrolment_person_fk).
    enrolmentId: uuid('enrolment_id').notNull(),
    personId: uuid('person_id').notNull(),
    programCode: text('program_code')
      .notNull()
      .references(() => programs.code),
    /** First day of the month the line pays for (earlier than the cycle's for arrears, back pay, carry-overs). */
    period: date('period').notNull(),
    kind: text('kind', { enum: PAYMENT_KINDS }).notNull(),
    /** VND; negative for a recovery. */
    amount: bigint('amount', { mode: 'number' }).notNull(),
    /** Back pay and recoveries are paid or recovered only as part of an approved cycle that lists them apart. */
    needsApproval: boolean('needs_approval').notNull().default(false),
    recipientId: uuid('recipient_id').references(() => paymentRecipients.id),
    method: text('method', { enum: PAYMENT_METHODS }).notNull(),
    /** The failed or returned payment this line pays again. */
    carriedFrom: uuid('carried_from').references((): AnyPgColumn => payments.id),
    /** Why the amount, in English and Vietnamese (arrears: owed now vs paid). */
    note: text('note').notNull(),
    noteVi: text('note_vi').notNull(),
    status: text('status', { enum: PAYMENT_STATUSES }).notNull().default('PENDING'),
    reference: text('reference'),
    paidAt: date('paid_at'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // One check per line, not two (the enrolment, then the person): a month's cycles write hundreds of thousands of
    // lines, and each check locks the row it finds. It also refuses a line whose person is not its enrolment's.
    foreignKey({ name: 'payments_enrolment_person_fk', columns: [t.enrolmentId, t.personId], foreignColumns: [enrolments.id, enrolments.personId] }),
    // At most one regular payment per enrolment and month, whichever cycle or commune creates it.
    uniqueIndex('payments_regular_uq')
      .on(t.enrolmentId, t.period)
      .where(sql`${t.kind} = 'REGULAR'`),
    uniqueIndex('payments_carried_uq')
      .on(t.carriedFrom)
      .where(sql`${t.carriedFrom} IS NOT NULL`),
    index('payments_cycle_idx').on(t.cycleId),
    // Failed and returned lines waiting to be paid again (carry-overs): a handful among millions of lines.
    index('payments_unpaid_idx')
      .on(t.cycleId)
      .where(sql`${t.status} IN ('FAILED', 'RETURNED')`),
    index('payments_enrolment_idx').on(t.enrolmentId, t.period),
    index('payments_person_period_idx').on(t.personId, t.period),
    // The few lines other than REGULAR that pay a whole month: where a month can be paid twice (audit findings).
    index('payments_full_month_extra_idx')
      .on(t.period, t.personId)
      .where(sql`${t.kind} IN ('BACK_PAY', 'CARRY_OVER')`),
    check('payments_amount_sign', sql`(${t.kind} = 'RECOVERY') = (${t.amount} < 0) AND ${t.amount} <> 0`),
  ],
);

/**
 * A result the bank or post office reported for a payment (append-only). The same idempotency key twice is one
 * result; the payment's status follows its results.
 */
export const paymentResults = pgTable(
  'payment_results',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    paymentId: uuid('payment_id')
      .notNull()
      .references(() => payments.id),
    status: text('status', { enum: PAYMENT_STATUSES }).notNull(),
    reference: text('reference').notNull(),
    paidAt: date('paid_at').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    recordedBy: text('recorded_by').notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('payment_results_key_uq').on(t.idempotencyKey), index('payment_results_payment_idx').on(t.paymentId)],
);
