/**
 * Rules and benefits: programs (one per benefit scheme), their effective-dated rule versions stored as
 * data (jsonb, validated by src/core/rule-format.ts), the effective-dated base levels, the dated
 * social circumstances the registry did not yet hold, and enrolments (a person's benefit record).
 *
 * Rule versions and base levels are never edited: a new decree is a new row. Migration 0002 adds a
 * trigger refusing UPDATE and DELETE on both tables, so even a hand-written SQL statement cannot rewrite
 * a released amount (arrears come from new rows, never from silent rewrites).
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import {
  BASE_LEVEL_KINDS,
  CHANGE_EFFECTS,
  CIRCUMSTANCE_FLAGS,
  PROGRAM_FAMILIES,
  START_BASES,
  START_RULES,
  STOP_CASES,
  SUSPENSION_REASONS,
} from '../../core/code-lists.js';
import { adminUnits, persons, withdrawal } from './registry.js';

// The code lists are the domain's (src/core/code-lists.ts); re-exported for the schema's readers.
export { BASE_LEVEL_KINDS, CIRCUMSTANCE_FLAGS, PROGRAM_FAMILIES, START_RULES, SUSPENSION_REASONS, STOP_CASES } from '../../core/code-lists.js';
export const ENROLMENT_STATUSES = ['PROPOSED', 'ACTIVE', 'ENDED'] as const;

/** One benefit scheme, e.g. Decree 20/2021 art. 5.5c "aged 80+ without pension". */
export const programs = pgTable(
  'programs',
  {
    code: text('code').primaryKey(),
    nameVi: text('name_vi').notNull(),
    nameEn: text('name_en').notNull(),
    /** Which amounts compete under Decree 20 art. 6.2 / the social pension's "higher of the two". */
    family: text('family', { enum: PROGRAM_FAMILIES }).notNull(),
    kind: text('kind', { enum: ['MONTHLY', 'ONE_OFF'] }).notNull(),
    /** The first month an enrolment may start (Decree 20/2021 art. 8.1: 5.5b/5.5c on turning 75/80, disability from the certificate). */
    startRule: text('start_rule', { enum: START_RULES }).notNull(),
    legalBasis: text('legal_basis').notNull(),
    sortOrder: smallint('sort_order').notNull(),
    /**
     * A PROVINCIAL scheme that competes with the social-assistance allowances under Decree 20 art. 6.2 (only the
     * highest amount is paid); false for one paid on top. National programs compete by their family instead.
     */
    highestOnly: boolean('highest_only').notNull().default(false),
  },
  (t) => [check('programs_highest_only_provincial', sql`NOT ${t.highestOnly} OR ${t.family} = 'PROVINCIAL'`)],
);

/**
 * A province's own scheme (Decree 20/2021 art. 4.3 as amended by Decree 76/2024: a province may pay more, or add
 * groups, by a resolution of its People's Council): the resolution it rests on and the dates it applies. Its
 * conditions and amount (a fixed amount or a coefficient of the social-assistance base) are the program's rule
 * versions like any other; whether it competes under art. 6.2 is programs.highest_only.
 */
export const provincialSchemes = pgTable(
  'provincial_schemes',
  {
    programCode: text('program_code')
      .primaryKey()
      .references(() => programs.code),
    /** The province whose People's Council passed the resolution. */
    provinceCode: text('province_code')
      .notNull()
      .references(() => adminUnits.code),
    resolutionNo: text('resolution_no').notNull(),
    resolutionIssuedOn: date('resolution_issued_on').notNull(),
    /** First and last day the scheme applies (the resolution's own dates). */
    validFrom: date('valid_from').notNull(),
    validTo: date('valid_to'),
    publishedBy: text('published_by').notNull(),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('provincial_schemes_dates', sql`${t.validTo} IS NULL OR ${t.validTo} >= ${t.validFrom}`)],
);

/**
 * Timing rules: when an enrolment may start, and when a change of level within it takes effect, as the law
 * said at the time (Decree 20/2021/NĐ-CP art. 8 from 2021-07-01, Decree 147/2025/NĐ-CP art. 5 from
 * 2025-07-01; docs/law.md#start-change-and-stop-months). The rule in force on the decision's date governs the
 * start; the rule in force on the day a change happens governs that change. Seeded from
 * src/reference/timing-rules.ts, read-only over GraphQL; applies to the program families it lists.
 */
export const timingRules = pgTable(
  'timing_rules',
  {
    code: text('code').primaryKey(),
    validFrom: date('valid_from').notNull(),
    /** Last day it applies; null while in force. */
    validTo: date('valid_to'),
    /** The program families (PROGRAM_FAMILIES) it governs. */
    families: text('families').array().notNull(),
    startBasis: text('start_basis', { enum: START_BASES }).notNull(),
    /** The earliest month any back pay may cover (Decree 20 took effect on 2021-07-01). */
    backPayFloor: date('back_pay_floor'),
    /** A change to a higher amount: from the month of the event or the month after. */
    increaseEffect: text('increase_effect', { enum: CHANGE_EFFECTS }).notNull(),
    /** A change to a lower amount. */
    decreaseEffect: text('decrease_effect', { enum: CHANGE_EFFECTS }).notNull(),
    legalBasis: text('legal_basis').notNull(),
    confirmed: boolean('confirmed').notNull(),
    note: text('note'),
  },
  (t) => [check('timing_rules_dates', sql`${t.validTo} IS NULL OR ${t.validTo} >= ${t.validFrom}`)],
);

/** A rule version: conditions and amount formula (jsonb), its legal basis and worked examples. */
export const programRules = pgTable(
  'program_rules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    programCode: text('program_code')
      .notNull()
      .references(() => programs.code),
    version: integer('version').notNull(),
    effectiveFrom: date('effective_from').notNull(),
    /** Usually null: a later version supersedes this one from its own effective date. */
    effectiveTo: date('effective_to'),
    legalBasis: text('legal_basis').notNull(),
    definition: jsonb('definition').notNull(),
    examples: jsonb('examples').notNull(),
    confirmed: boolean('confirmed').notNull(),
    note: text('note'),
    publishedBy: text('published_by').notNull(),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('program_rules_version_uq').on(t.programCode, t.version),
    index('program_rules_effective_idx').on(t.programCode, t.effectiveFrom),
    check('program_rules_dates', sql`${t.effectiveTo} IS NULL OR ${t.effectiveTo} >= ${t.effectiveFrom}`),
  ],
);

/**
 * A rule version withdrawn (published by mistake, or ended early): the version applies up to `effective_to`
 * (inclusive) at most; an `effective_to` before the version's effective_from means it never applied. The
 * version's own row is never changed (a trigger forbids it): this row, appended with its reason, is what the
 * rule book reads. One withdrawal per version; append-only like the versions themselves.
 */
export const programRuleWithdrawals = pgTable(
  'program_rule_withdrawals',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ruleId: uuid('rule_id')
      .notNull()
      .references(() => programRules.id),
    effectiveTo: date('effective_to').notNull(),
    reason: text('reason').notNull(),
    withdrawnBy: text('withdrawn_by').notNull(),
    withdrawnAt: timestamp('withdrawn_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('program_rule_withdrawals_rule_uq').on(t.ruleId)],
);

/**
 * Effective-dated base amounts (mức chuẩn): amount = base × coefficient, resolved month by month. A decree has
 * three dates (docs/law.md#social-assistance-base-level): issued (`issued_on`, null when our sources do not give
 * it), in force (`in_force_on`) and applies from (`effective_from`, which months use it). A level applying from
 * before it came into force pays those months back: months that ended before `in_force_on` are arrears.
 * Rows are never changed (trigger): a wrong figure is corrected by a new row for the same kind and date that
 * `supersedes` it (the rule book then ignores the old one), a right unconfirmed one is confirmed by a row of
 * base_level_confirmations.
 */
export const baseLevels = pgTable(
  'base_levels',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind', { enum: BASE_LEVEL_KINDS }).notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    /** Applies from: the first month whose amount it sets. */
    effectiveFrom: date('effective_from').notNull(),
    /** The day the decree was signed; null when unknown. */
    issuedOn: date('issued_on'),
    /** The day the decree came into force (legally payable); effective_from when the decree gives no other date. */
    inForceOn: date('in_force_on').notNull(),
    legalBasis: text('legal_basis').notNull(),
    confirmed: boolean('confirmed').notNull(),
    publishedBy: text('published_by').notNull(),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
    /** The row of the same kind and date this one corrects (null for the first published). */
    supersedes: uuid('supersedes').references((): AnyPgColumn => baseLevels.id),
  },
  (t) => [
    // One first row per kind and date; each correction supersedes one row, each row is superseded at most once: so
    // for a kind and date exactly one row is not superseded.
    uniqueIndex('base_levels_kind_from_uq')
      .on(t.kind, t.effectiveFrom)
      .where(sql`${t.supersedes} IS NULL`),
    uniqueIndex('base_levels_supersedes_uq').on(t.supersedes),
    check('base_levels_amount_positive', sql`${t.amount} > 0`),
    check('base_levels_issued_before_in_force', sql`${t.issuedOn} IS NULL OR ${t.issuedOn} <= ${t.inForceOn}`),
  ],
);

/**
 * The confirmation of a base level published unconfirmed (taken from secondary sources), once an admin has checked
 * its figure and dates against the decree itself: amounts on it stop being flagged unconfirmed. The level's own row
 * is never changed; one confirmation per level.
 */
export const baseLevelConfirmations = pgTable(
  'base_level_confirmations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    baseLevelId: uuid('base_level_id')
      .notNull()
      .references(() => baseLevels.id),
    /** What was checked: the official text (gazette number, page, link). */
    source: text('source').notNull(),
    confirmedBy: text('confirmed_by').notNull(),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('base_level_confirmations_level_uq').on(t.baseLevelId)],
);

/** Dated social circumstances the rules read (no one to support them, single parent, HIV, ...). */
export const personCircumstanceFlags = pgTable(
  'person_circumstance_flags',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => persons.id),
    flag: text('flag', { enum: CIRCUMSTANCE_FLAGS }).notNull(),
    validFrom: date('valid_from').notNull(),
    validTo: date('valid_to'),
    evidence: text('evidence').notNull(),
    ...withdrawal,
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('person_circumstance_flags_person_idx').on(t.personId, t.flag, t.validFrom),
    check('person_circumstance_flags_dates', sql`${t.validTo} IS NULL OR ${t.validTo} >= ${t.validFrom}`),
  ],
);

/**
 * A person's benefit record in a program. Months are stored as the first day of the month; `end_month`
 * is the last month with an entitlement (inclusive), null while open.
 */
export const enrolments = pgTable(
  'enrolments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => persons.id),
    programCode: text('program_code')
      .notNull()
      .references(() => programs.code),
    status: text('status', { enum: ENROLMENT_STATUSES }).notNull(),
    decisionNo: text('decision_no').notNull(),
    decisionDate: date('decision_date').notNull(),
    startMonth: date('start_month').notNull(),
    endMonth: date('end_month'),
    endReason: text('end_reason'),
    /** Where the person went, for an enrolment ended by a move out of the district (end reason TRANSFERRED_OUT). */
    endDestination: text('end_destination'),
    /** The stop case of Circular 02/2021 art. 2 the officer cited, when ended with one. */
    endCase: text('end_case', { enum: STOP_CASES }),
    proposedBy: text('proposed_by').notNull(),
    approvedBy: text('approved_by'),
    approvedAt: timestamp('approved_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('enrolments_person_idx').on(t.personId, t.programCode),
    // At most one open (proposed or active) record per person and program; the database has the last word.
    uniqueIndex('enrolments_open_uq')
      .on(t.personId, t.programCode)
      .where(sql`${t.status} <> 'ENDED'`),
    index('enrolments_program_idx').on(t.programCode, t.status, t.personId),
    // What a payment line's enrolment and person are checked against together (payments_enrolment_person_fk).
    unique('enrolments_id_person_uq').on(t.id, t.personId),
    check('enrolments_months', sql`${t.endMonth} IS NULL OR ${t.endMonth} >= ${t.startMonth} - interval '1 month'`),
  ],
);

/**
 * The conversion of a commune's art. 5.5.b / 5.5.c recipients to the social pension (Law 41/2024/QH15, Decree
 * 176/2025/NĐ-CP; docs/law.md#social-pension): a reviewed bulk event an admin records with its legal basis, because
 * whether and from which month they moved over is unconfirmed and must not be assumed in code. From
 * `effective_month` on, the months of those enrolments paid by the commune (or, for a 2025 successor, by its
 * predecessors) follow the social pension. One in force per commune: a conversion recorded in error is withdrawn
 * (`withdrawn_at`, by whom and why), never deleted, so its history stays; entitlements and coverage gaps then ignore
 * it and a new one may be recorded for the commune.
 */
export const pensionConversions = pgTable(
  'pension_conversions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    communeCode: text('commune_code')
      .notNull()
      .references(() => adminUnits.code),
    /** First month that follows the social pension (first day of the month). */
    effectiveMonth: date('effective_month').notNull(),
    legalBasis: text('legal_basis').notNull(),
    decisionNo: text('decision_no').notNull(),
    recordedBy: text('recorded_by').notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
    withdrawnAt: timestamp('withdrawn_at', { withTimezone: true }),
    withdrawnBy: text('withdrawn_by'),
    withdrawalReason: text('withdrawal_reason'),
  },
  (t) => [
    uniqueIndex('pension_conversions_commune_uq')
      .on(t.communeCode)
      .where(sql`${t.withdrawnAt} IS NULL`),
    check(
      'pension_conversions_withdrawal_complete',
      sql`(${t.withdrawnAt} IS NULL) = (${t.withdrawnBy} IS NULL) AND (${t.withdrawnAt} IS NULL) = (${t.withdrawalReason} IS NULL)`,
    ),
    check('pension_conversions_month_first_day', sql`extract(day from ${t.effectiveMonth}) = 1`),
  ],
);

/**
 * A suspension of an enrolment (Circular 02/2021/TT-BLĐTBXH art. 2): from `from_month` through `to_month`
 * (inclusive; null while suspended) nothing is owed, unless the resumption granted the suspended months back
 * (`paid_back`: they become back pay needing approval). Suspensions of one enrolment never overlap and at most one
 * is open.
 */
export const enrolmentSuspensions = pgTable(
  'enrolment_suspensions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    enrolmentId: uuid('enrolment_id')
      .notNull()
      .references(() => enrolments.id),
    fromMonth: date('from_month').notNull(),
    toMonth: date('to_month'),
    reason: text('reason', { enum: SUSPENSION_REASONS }).notNull(),
    paidBack: boolean('paid_back').notNull().default(false),
    suspendedBy: text('suspended_by').notNull(),
    suspendedAt: timestamp('suspended_at', { withTimezone: true }).notNull().defaultNow(),
    resumedBy: text('resumed_by'),
    resumedAt: timestamp('resumed_at', { withTimezone: true }),
  },
  (t) => [
    index('enrolment_suspensions_enrolment_idx').on(t.enrolmentId, t.fromMonth),
    uniqueIndex('enrolment_suspensions_open_uq')
      .on(t.enrolmentId)
      .where(sql`${t.toMonth} IS NULL`),
    check('enrolment_suspensions_months', sql`${t.toMonth} IS NULL OR ${t.toMonth} >= ${t.fromMonth}`),
  ],
);
