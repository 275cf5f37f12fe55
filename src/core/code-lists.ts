/**
 * Code lists the domain speaks in: stable codes stored in the database and accepted over GraphQL. They live
 * in core so that the rule format, the services and the database schema all take them from one place.
 */

/** Merit categories of Ordinance 02/2020/UBTVQH14, as stable codes. */
export const MERIT_CATEGORIES = [
  'REVOLUTIONARY_PRE_1945',
  'REVOLUTIONARY_1945',
  'MARTYR_RELATIVE',
  'HEROIC_MOTHER',
  'HERO',
  'WAR_INVALID',
  'WAR_INVALID_TYPE_B',
  'SICK_SOLDIER',
  'AGENT_ORANGE',
  'IMPRISONED',
  'RESISTANCE_PARTICIPANT',
  'REVOLUTION_HELPER',
] as const;

/**
 * Families of programs whose amounts compete (Decree 20/2021 art. 6.2, the social pension's "higher of the two").
 * PROVINCIAL: a scheme of the province's own, by People's Council resolution (Decree 20 art. 4.3 as amended by Decree
 * 76/2024); whether it competes under art. 6.2 is the scheme's own `highestOnly` (core/combination.ts).
 */
export const PROGRAM_FAMILIES = ['SOCIAL_ASSISTANCE', 'CARE_ALLOWANCE', 'SOCIAL_PENSION', 'MERIT', 'BIRTH_SUPPORT', 'PROVINCIAL'] as const;
export type ProgramFamily = (typeof PROGRAM_FAMILIES)[number];
/** Kinds of base level (mức chuẩn) an amount is a multiple of. */
export const BASE_LEVEL_KINDS = ['SOCIAL_ASSISTANCE', 'SOCIAL_PENSION', 'MERIT'] as const;
/** The first month an enrolment may start (Decree 20/2021 art. 8.1). */
export const START_RULES = ['DECISION_MONTH', 'TURNS_75', 'TURNS_80', 'CERTIFICATE_MONTH'] as const;
/**
 * When a change of level within an enrolment takes effect (timing rules, src/db/schema/rules.ts timing_rules):
 * from the month of the event, or from the month after it.
 */
export const CHANGE_EFFECTS = ['SAME_MONTH', 'MONTH_AFTER'] as const;
export type ChangeEffect = (typeof CHANGE_EFFECTS)[number];
/**
 * Where an enrolment may start under a timing rule: from the program's legal start (turning 75/80, the
 * certificate month; months before the decision are back pay), or only from the month of the decision.
 */
export const START_BASES = ['LEGAL_START', 'DECISION_MONTH'] as const;
/** Why an enrolment is suspended (Circular 02/2021/TT-BLĐTBXH art. 2): no months are owed while suspended. */
export const SUSPENSION_REASONS = ['NOT_COLLECTED_3_MONTHS', 'REASSESSMENT_REFUSED', 'DETENTION'] as const;
export type SuspensionReason = (typeof SUSPENSION_REASONS)[number];
/** Why an enrolment is stopped (Circular 02/2021/TT-BLĐTBXH art. 2), when an officer ends it. */
export const STOP_CASES = ['DIED_OR_MISSING', 'NO_LONGER_ELIGIBLE', 'IMPRISONED', 'REFUSED', 'SUSPENDED_WITHOUT_COOPERATION'] as const;
export type StopCase = (typeof STOP_CASES)[number];
/**
 * How much of a date of birth is recorded: the day, or only the year (then the day stored is an admin-set
 * convention's, docs/law.md#birth-year-only).
 */
export const BIRTH_DATE_PRECISIONS = ['DAY', 'YEAR'] as const;
/** Dated social circumstances the rules read that the registry's own records do not hold. */
export const CIRCUMSTANCE_FLAGS = [
  'NO_SUPPORTER',
  'SINGLE_PARENT',
  'HIV',
  'NO_STABLE_INCOME',
  'ORPHAN_NO_SUPPORT',
  'IN_SCHOOL',
  'COMMUNITY_CARER',
  'COMPULSORY_SOCIAL_INSURANCE',
  'NON_FAMILY_CARER',
] as const;

/** The registry's beneficiary groups (the SQL that decides membership is src/db/beneficiary-groups.ts). */
export const BENEFICIARY_GROUPS = [
  'MERIT',
  'POOR_HOUSEHOLD',
  'NEAR_POOR_HOUSEHOLD',
  'ELDERLY',
  'DISABILITY',
  'CHILD_UNDER_36_MONTHS',
  'PREGNANT_WOMAN',
] as const;
export type BeneficiaryGroup = (typeof BENEFICIARY_GROUPS)[number];

/** Age at which a person counts as elderly (Law on the Elderly 2009, art. 2). */
export const ELDERLY_AGE = 60;

/**
 * What opened a residence period (src/db/schema/registry.ts residence_periods): registration, a move (within a
 * commune, between communes of the district, or out of it), a household split or merge, a change of head, or
 * the correction of a wrongly recorded move.
 */
export const RESIDENCE_CHANGE_REASONS = ['REGISTRATION', 'MOVE', 'TRANSFER_OUT', 'SPLIT', 'MERGE', 'HEAD_CHANGE', 'CORRECTION'] as const;
export type ResidenceChangeReason = (typeof RESIDENCE_CHANGE_REASONS)[number];

/** The relation to head a household's head has on their residence period. */
export const HEAD_RELATION = 'Chủ hộ';

/** How a benefit reaches its recipient; the law pushes non-cash methods (the non-cash share is reported). */
export const PAYMENT_METHODS = ['BANK', 'EWALLET', 'POST_OFFICE', 'CASH'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
/**
 * Who receives an enrolment's money: the beneficiary, a guardian (children, severe disability), an authorised person,
 * or, for the care allowances paid to whoever cares for the beneficiary (PAID_TO_CARER), the carer or the household.
 */
export const RECIPIENT_KINDS = ['BENEFICIARY', 'GUARDIAN', 'AUTHORISED', 'CARER'] as const;
export type RecipientKind = (typeof RECIPIENT_KINDS)[number];
/**
 * Care allowances recorded on the person cared for but paid to who cares for them (Decree 20/2021 art. 20): the
 * household or person taking in an orphan child or a poor elderly person in the community (20.1), the household caring
 * for its member with particularly severe disability (20.2.c), the carer outside the family (20.2.d). Their recipient
 * is a CARER record; without one in force their lines are held (docs/payments.md#recipients). D20_20_2 (20.2.a/b, a
 * disabled parent) is paid to the parent, the beneficiary.
 */
export const PAID_TO_CARER: ReadonlySet<string> = new Set(['D20_20_1', 'D20_20_2C', 'D20_20_2D']);
/**
 * What a payment line pays: the month (REGULAR), a past month's shortfall (ARREARS), an overpayment to recover
 * (RECOVERY, negative, never netted), back pay granted by a decision (BACK_PAY, needs approval), or a failed or
 * returned payment paid again once the recipient's details are fixed (CARRY_OVER).
 */
export const PAYMENT_KINDS = ['REGULAR', 'ARREARS', 'RECOVERY', 'BACK_PAY', 'CARRY_OVER'] as const;
export type PaymentKind = (typeof PAYMENT_KINDS)[number];
export const PAYMENT_STATUSES = ['PENDING', 'PAID', 'FAILED', 'RETURNED'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
export const PAYMENT_CYCLE_STATUSES = ['CREATED', 'APPROVED'] as const;
/** What an audit finding says is wrong (docs/payments.md#audit-findings). */
export const FINDING_KINDS = [
  'PAID_AFTER_DEATH',
  'PAID_OUTSIDE_ENROLMENT',
  'AMOUNT_MISMATCH',
  'DUPLICATE_PAYMENT',
  'DUPLICATE_IDENTITY',
  'PAID_TO_MOVED_AWAY',
  'ELIGIBLE_NOT_ENROLLED',
  'ENROLLED_NOT_PAID',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];
