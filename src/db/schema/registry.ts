/**
 * Drizzle table definitions: the single source from which `drizzle-kit generate` writes the SQL
 * migrations in /migrations. Feature modules read and write these tables through their repositories.
 */
import { sql } from 'drizzle-orm';
import { BIRTH_DATE_PRECISIONS, RESIDENCE_CHANGE_REASONS } from '../../core/code-lists.js';
import { bigint, bigserial, boolean, check, date, index, integer, jsonb, pgTable, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

// ---------------------------------------------------------------------------------------------
// Places
// ---------------------------------------------------------------------------------------------

/**
 * Administrative units of every generation: province, district, commune (GSO codes) and the villages
 * (thôn/bon, which have no GSO code: ours are `<commune code>.<nn>`). Units are never deleted: a merged
 * unit gets `valid_to` and a `successor_code`, so records made under the old unit stay queryable.
 */
export const adminUnits = pgTable(
  'admin_units',
  {
    code: text('code').primaryKey(),
    name: text('name').notNull(),
    level: text('level', { enum: ['PROVINCE', 'DISTRICT', 'COMMUNE', 'VILLAGE'] }).notNull(),
    kind: text('kind').notNull(), // tỉnh, huyện, xã, thị trấn, phường, thôn, bon, tổ dân phố
    parentCode: text('parent_code'),
    validFrom: date('valid_from').notNull(),
    validTo: date('valid_to'),
    successorCode: text('successor_code'),
    /** Whether the code is an official GSO code; the 2025 successor codes are not yet confirmed. */
    codeConfirmed: boolean('code_confirmed').notNull().default(true),
  },
  (t) => [index('admin_units_parent_idx').on(t.parentCode)],
);

/**
 * Dated classifications of a commune or village that eligibility rules read, e.g. "extremely
 * disadvantaged ethnic-minority and mountain area" (xã khu vực III / thôn đặc biệt khó khăn).
 * Seeded unconfirmed where the legal list could not be checked; an admin confirms or corrects a row
 * by citing the decision.
 */
export const areaClassifications = pgTable(
  'area_classifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    unitCode: text('unit_code')
      .notNull()
      .references(() => adminUnits.code),
    classification: text('classification', { enum: ['EXTREMELY_DISADVANTAGED'] }).notNull(),
    validFrom: date('valid_from').notNull(),
    validTo: date('valid_to'),
    legalBasis: text('legal_basis').notNull(),
    confirmed: boolean('confirmed').notNull().default(false),
    note: text('note'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('area_classifications_unit_idx').on(t.unitCode, t.validFrom)],
);

/**
 * The day-and-month an admin sets for people whose year of birth only is known (docs/law.md#birth-year-only),
 * with its basis: a person registered with a year only gets that day, and keeps the convention they were
 * registered under. Append-only: the latest row is the one in use.
 */
export const birthYearConventions = pgTable(
  'birth_year_conventions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** 'MM-DD', a day every year has (no 29 February). */
    monthDay: text('month_day').notNull(),
    legalBasis: text('legal_basis').notNull(),
    confirmed: boolean('confirmed').notNull(),
    setBy: text('set_by').notNull(),
    setAt: timestamp('set_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('birth_year_conventions_month_day', sql`${t.monthDay} ~ '^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' AND ${t.monthDay} <> '02-29'`)],
);

// ---------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------

export const households = pgTable(
  'households',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    code: text('code').notNull(),
    communeCode: text('commune_code')
      .notNull()
      .references(() => adminUnits.code),
    villageCode: text('village_code').references(() => adminUnits.code),
    address: text('address'),
    headPersonId: uuid('head_person_id'),
    /**
     * Last day the household existed: set when it merged into another (mergeHouseholds). Nobody can move into it
     * after that day. A household never changes commune: moving to another commune means another household.
     */
    dissolvedOn: date('dissolved_on'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('households_code_uq').on(t.code),
    index('households_commune_idx').on(t.communeCode, t.id),
    // The households of a village classified as extremely disadvantaged (rule-sql disadvantagedArea).
    index('households_village_idx').on(t.villageCode),
  ],
);

export const persons = pgTable(
  'persons',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** 12-digit personal identification number; optional for legacy records, unique when present. */
    nationalId: text('national_id'),
    fullName: text('full_name').notNull(),
    /** Lower-case, accent-free copy of the name for search; kept by the database (see migration 0000). */
    fullNameSearch: text('full_name_search')
      .notNull()
      .generatedAlwaysAs(sql`an_sinh_search_text(full_name)`),
    dateOfBirth: date('date_of_birth').notNull(),
    /** YEAR: only the year is known, and date_of_birth is that year on the convention's day (birth_year_convention_id). */
    birthDatePrecision: text('birth_date_precision', { enum: BIRTH_DATE_PRECISIONS }).notNull().default('DAY'),
    birthYearConventionId: uuid('birth_year_convention_id').references(() => birthYearConventions.id),
    sex: text('sex', { enum: ['MALE', 'FEMALE'] }).notNull(),
    ethnicity: text('ethnicity'),
    communeCode: text('commune_code')
      .notNull()
      .references(() => adminUnits.code),
    householdId: uuid('household_id').references(() => households.id),
    relationToHead: text('relation_to_head'),
    dateOfDeath: date('date_of_death'),
    /**
     * `commune_code`, `household_id` and `relation_to_head` above are a copy of the person's latest period in the
     * district (residence_periods), which runs from `resident_from` to `resident_to` (null while they live here; the
     * last day in the district after a move out of it). Reads as of a date covered by that period use the copy;
     * other dates read residence_periods (src/db/residence.ts). The copy keeps the hot reads as fast as before.
     */
    // NOT NULL, and filled when left out by the trigger persons_first_residence (migration 0005): the date of
    // birth, with the person's first residence period. A trigger, so that seeds, tests and hand-written SQL
    // that insert people directly keep the invariant "everyone has a residence period".
    residentFrom: date('resident_from')
      .notNull()
      .default(sql`NULL`),
    residentTo: date('resident_to'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('persons_national_id_uq').on(t.nationalId),
    // Commune pages are read in id order; date_of_birth rides along for the age groups.
    index('persons_commune_id_idx').on(t.communeCode, t.id),
    index('persons_commune_dob_idx').on(t.communeCode, t.dateOfBirth),
    // Age thresholds over the whole population (coverage gaps of age-based rules: 75+, 80+, under 36 months).
    index('persons_dob_idx').on(t.dateOfBirth),
    index('persons_household_idx').on(t.householdId),
    index('persons_name_trgm_idx').using('gin', sql`${t.fullNameSearch} gin_trgm_ops`),
    // The same accent-free name and date of birth twice (audit finding DUPLICATE_IDENTITY).
    index('persons_name_dob_idx').on(t.fullNameSearch, t.dateOfBirth),
    check('persons_death_after_birth', sql`${t.dateOfDeath} IS NULL OR ${t.dateOfDeath} >= ${t.dateOfBirth}`),
  ],
);

/**
 * Where and with whom a person lived, over dated periods that never overlap (LAW.md "Moving house",
 * docs/residence.md). Registering a person opens their first period; each move, split, merge or change of head
 * closes one period the day before the change and opens the next. A period with no commune is spent outside the
 * district (`destination` says where). A wrongly recorded move is corrected by rewriting the periods, audited as
 * a correction with the periods before and after.
 */
export const residencePeriods = pgTable(
  'residence_periods',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => persons.id),
    /** Null outside the district, or for someone registered without a household. */
    householdId: uuid('household_id').references(() => households.id),
    /** The household's commune; null outside the district. */
    communeCode: text('commune_code').references(() => adminUnits.code),
    relationToHead: text('relation_to_head'),
    validFrom: date('valid_from').notNull(),
    /** Last day of the period; null while it lasts. */
    validTo: date('valid_to'),
    /** Where the person went, for a period outside the district. */
    destination: text('destination'),
    /** What opened the period. */
    reason: text('reason', { enum: RESIDENCE_CHANGE_REASONS }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('residence_periods_person_from_uq').on(t.personId, t.validFrom),
    // Who lived in a commune on a date, among the periods that are not a person's latest (src/db/residence.ts).
    // Only closed periods can be earlier than a person's latest one (src/db/residence.ts earlierBranch).
    index('residence_periods_closed_commune_idx')
      .on(t.communeCode, t.validTo)
      .where(sql`${t.validTo} IS NOT NULL`),
    index('residence_periods_household_idx').on(t.householdId, t.validFrom),
    check('residence_periods_order', sql`${t.validTo} IS NULL OR ${t.validTo} >= ${t.validFrom}`),
    check('residence_periods_place', sql`${t.communeCode} IS NOT NULL OR ${t.destination} IS NOT NULL`),
  ],
);

/** The poverty standards (chuẩn nghèo) by period: income lines and the deprivation threshold. */
export const povertyStandards = pgTable('poverty_standards', {
  code: text('code').primaryKey(),
  validFrom: date('valid_from').notNull(),
  validTo: date('valid_to').notNull(),
  ruralIncomeLine: integer('rural_income_line').notNull(),
  urbanIncomeLine: integer('urban_income_line').notNull(),
  /** Deprived in at least this many indicators (with income at or under the line) → poor. */
  poorMinDeprivations: smallint('poor_min_deprivations').notNull(),
  legalBasis: text('legal_basis').notNull(),
});

export const povertyAssessments = pgTable(
  'poverty_assessments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    householdId: uuid('household_id')
      .notNull()
      .references(() => households.id),
    assessedOn: date('assessed_on').notNull(),
    standardCode: text('standard_code')
      .notNull()
      .references(() => povertyStandards.code),
    area: text('area', { enum: ['RURAL', 'URBAN'] }).notNull(),
    incomePerPerson: integer('income_per_person').notNull(),
    deprivations: text('deprivations').array().notNull(),
    classification: text('classification', { enum: ['POOR', 'NEAR_POOR', 'NONE'] }).notNull(),
    decisionNo: text('decision_no'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The classification in force (rules' householdPoverty, the registry's poverty groups): read backwards, a
    // household's latest assessment comes first, from the index alone, without sorting or visiting the table.
    index('poverty_assessments_household_latest_idx').on(t.householdId, t.assessedOn, t.createdAt, t.standardCode, t.classification),
    // One assessment per household and date: two on one day would leave "which applies" to timing.
    uniqueIndex('poverty_assessments_household_date_uq').on(t.householdId, t.assessedOn),
    check('poverty_assessments_income_nonneg', sql`${t.incomePerPerson} >= 0`),
  ],
);

/**
 * A circumstance recorded wrongly is withdrawn, never deleted: it keeps its row (and its audit trail) but no
 * longer counts anywhere (groups, rules, eligibility, coverage gaps, the person's lists).
 */
export const withdrawal = {
  withdrawnAt: timestamp('withdrawn_at', { withTimezone: true }),
  withdrawalReason: text('withdrawal_reason'),
};

export const disabilityCertificates = pgTable(
  'disability_certificates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => persons.id),
    level: text('level', { enum: ['MILD', 'SEVERE', 'PARTICULARLY_SEVERE'] }).notNull(),
    certificateNo: text('certificate_no').notNull(),
    issuedOn: date('issued_on').notNull(),
    validTo: date('valid_to'),
    ...withdrawal,
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('disability_certificates_person_idx').on(t.personId, t.issuedOn)],
);

export const meritRecords = pgTable(
  'merit_records',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => persons.id),
    category: text('category').notNull(),
    injuryRate: smallint('injury_rate'),
    decisionNo: text('decision_no').notNull(),
    recognizedOn: date('recognized_on').notNull(),
    validTo: date('valid_to'),
    ...withdrawal,
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('merit_records_person_idx').on(t.personId, t.recognizedOn),
    check('merit_records_injury_rate', sql`${t.injuryRate} IS NULL OR (${t.injuryRate} BETWEEN 1 AND 100)`),
  ],
);

/** Pension or monthly social-insurance benefit a person receives (rules read "receives pension: no"). */
export const pensionStatuses = pgTable(
  'pension_statuses',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => persons.id),
    kind: text('kind', { enum: ['RETIREMENT_PENSION', 'SOCIAL_INSURANCE_MONTHLY', 'SOCIAL_ALLOWANCE'] }).notNull(),
    monthlyAmount: bigint('monthly_amount', { mode: 'number' }),
    startsOn: date('starts_on').notNull(),
    endsOn: date('ends_on'),
    decisionNo: text('decision_no'),
    ...withdrawal,
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('pension_statuses_person_idx').on(t.personId, t.startsOn)],
);

export const pregnancies = pgTable(
  'pregnancies',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => persons.id),
    reportedOn: date('reported_on').notNull(),
    expectedDeliveryOn: date('expected_delivery_on').notNull(),
    /** Set when the pregnancy ends (birth or loss). */
    endedOn: date('ended_on'),
    outcome: text('outcome', { enum: ['BIRTH', 'LOSS'] }),
    ...withdrawal,
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('pregnancies_person_idx').on(t.personId, t.reportedOn)],
);

// ---------------------------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------------------------

/**
 * Append-only, hash-chained log of every change: each row's hash covers its content and the previous
 * row's hash in the same chain, so editing or deleting a past row breaks its chain from that row on. The log is
 * split into chains (`chain`, a bucket of the entity changed first) so that writers of different chains do not
 * wait for each other; `audit_roots` anchors the heads of all chains. UPDATE, DELETE and TRUNCATE are refused by
 * triggers (migration 0009).
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    // Events written before chains existed form chain 0: their links are unchanged.
    chain: smallint('chain').notNull().default(0),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    actor: text('actor').notNull(),
    actorRole: text('actor_role').notNull(),
    action: text('action').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    before: jsonb('before'),
    after: jsonb('after'),
    requestId: text('request_id'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [index('audit_events_entity_idx').on(t.entityType, t.entityId, t.seq), index('audit_events_chain_idx').on(t.chain, t.seq)],
);

/**
 * Roots of the audit log: each records the head (last event) of every chain at the time and is itself chained to
 * the previous root. A chain rewritten and re-hashed from some event on no longer matches the root that named its
 * head; a chain cut short no longer has the event a root named. Written by `npm run audit:verify -- --anchor`.
 */
export const auditRoots = pgTable('audit_roots', {
  seq: bigserial('seq', { mode: 'number' }).primaryKey(),
  anchoredAt: timestamp('anchored_at', { withTimezone: true }).notNull(),
  /** [{ chain, seq, hash }], by chain. */
  heads: jsonb('heads').notNull(),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
});

/** Bookkeeping for seeds: which seed sets were applied, so a restart never seeds twice. */
export const seedRuns = pgTable('seed_runs', {
  name: text('name').primaryKey(),
  appliedAt: timestamp('applied_at', { withTimezone: true }).notNull().defaultNow(),
  details: jsonb('details'),
});
