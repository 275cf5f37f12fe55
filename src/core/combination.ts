/**
 * Which amounts compete with which (docs/law.md#highest-amount-only, #care-allowances, #provincial-schemes):
 * the pure part of the combination rules, shared by the month-by-month entitlements (benefits.service.ts
 * applyCombinationRules) and the coverage-gap SQL (src/db/rule-sql.ts).
 */
import { HEAD_RELATION } from './code-lists.js';

/** What the combination rules read of a program. */
export interface CombiningProgram {
  code: string;
  family: string;
  /** A provincial scheme's own choice: it competes under Decree 20 art. 6.2 (programs.highest_only). */
  highestOnly?: boolean;
}

/**
 * Decree 20/2021/NĐ-CP art. 6.2: of the social-assistance allowances only the highest is paid. A provincial scheme
 * joins them when its resolution says so (highestOnly); care allowances (art. 20), merit allowances and birth
 * support are paid on top.
 */
export const competesForHighestAmount = (p: CombiningProgram): boolean =>
  p.family === 'SOCIAL_ASSISTANCE' || (p.family === 'PROVINCIAL' && p.highestOnly === true);

/**
 * Someone receiving one of these is not "left behind" by another of them (coverage gaps): the allowances that
 * compete under art. 6.2, and the social pension, which competes with them (Law 41/2024/QH15 art. 22.2).
 */
export const competesInCoverage = (p: CombiningProgram): boolean => competesForHighestAmount(p) || p.family === 'SOCIAL_PENSION';

/**
 * Decree 20 art. 20.2: where husband and wife both qualify for the care allowance of a severely disabled parent
 * (pregnant or raising a child under 36 months), the couple receives one award.
 */
export const ONE_AWARD_PER_COUPLE: ReadonlySet<string> = new Set(['D20_20_2']);

/** Spouses in the household register: the head and the head's wife or husband. */
export const SPOUSE_RELATIONS: readonly string[] = ['Vợ', 'Chồng'];
export const areSpouses = (
  a: { householdId: string | null; relationToHead: string | null },
  b: { householdId: string | null; relationToHead: string | null },
) =>
  a.householdId !== null &&
  a.householdId === b.householdId &&
  ((a.relationToHead === HEAD_RELATION && SPOUSE_RELATIONS.includes(b.relationToHead ?? '')) ||
    (b.relationToHead === HEAD_RELATION && SPOUSE_RELATIONS.includes(a.relationToHead ?? '')));

/** One spouse's claim on a one-award-per-couple program in a month. */
export interface CoupleClaim {
  enrolmentId: string;
  /** First month of the enrolment, yyyy-mm. */
  startPeriod: string;
  amount: number;
}

/**
 * Which of two spouses' claims is paid: the higher amount, then the enrolment that started first, then the lower
 * id (so both spouses' entitlements, computed apart, agree on the same winner).
 */
export const claimPaidOverOther = (a: CoupleClaim, b: CoupleClaim): boolean =>
  a.amount !== b.amount ? a.amount > b.amount : a.startPeriod !== b.startPeriod ? a.startPeriod < b.startPeriod : a.enrolmentId < b.enrolmentId;
