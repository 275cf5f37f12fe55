/**
 * The access policy: which communes' people a caller may see, and which personal fields they see in full.
 * Every path that returns people goes through it: single look-ups (assertCanSee), lists and nested fields
 * (filterVisible), prefetched lists, and SQL filters (communeCondition). Keep it the only place that
 * decides; a second copy of a visibility rule is how personal data leaks.
 */
import { sql, type SQL } from 'drizzle-orm';
import { BENEFIT_CHANGE_TYPES, type ChangeType } from '../../core/change-types.js';
import { maskNationalId } from '../../core/national-id.js';
import { communeAnsweringForMonth, communeAnsweringOn, type CommunePeriod } from '../../core/residence.js';
import { forbidden } from '../../errors.js';
import type { Principal, Role } from './auth.types.js';

/** District-level roles reach every commune; a commune officer only the communes in the token. */
const DISTRICT_ROLES: ReadonlySet<Role> = new Set(['district_officer', 'auditor', 'integration', 'admin']);

/** The communes whose people this caller may see; null means every commune. */
export function communesVisibleTo(p: Principal): readonly string[] | null {
  return DISTRICT_ROLES.has(p.role) ? null : p.communes;
}

export function canSee(p: Principal, communeCode: string): boolean {
  const communes = communesVisibleTo(p);
  return communes === null || communes.includes(communeCode);
}

export function assertCanSee(p: Principal, communeCode: string): void {
  if (!canSee(p, communeCode)) {
    throw forbidden(`Your token does not cover commune ${communeCode}`, `Tài khoản của bạn không có quyền với xã ${communeCode}`);
  }
}

/**
 * A single look-up (person, personByNationalId, household) of a record the caller may not see answers as if
 * there were none: null, never FORBIDDEN. FORBIDDEN for a number registered elsewhere and null for an unknown
 * one would let a commune officer test whether anyone holds a given identification number or household code.
 */
export function visibleOrNull<T>(p: Principal, communeCode: string, found: T): T | null {
  return canSee(p, communeCode) ? found : null;
}

/**
 * Visibility follows residence (LAW.md "Moving house"): on a date, a commune officer sees the people who lived
 * in their communes that day; someone who did not live in the district that day answers to their latest commune
 * (core/residence.ts communeAnsweringOn). District roles see every period. Single look-ups without a date
 * (person, personByNationalId, mutations) read today, i.e. the person's latest commune.
 */
export function assertCanSeeOn(p: Principal, residences: readonly CommunePeriod[], d: string): void {
  assertCanSeeCommune(p, communeAnsweringOn(residences, d));
}

/**
 * A month of a person's entitlements is visible to the officers of the commune that pays it (after a move, the
 * old commune sees the months through the month of the move, the new one the months after); a month without a
 * paying commune (the person did not live in the district) to those of the person's latest commune.
 */
export function canSeeMonth(p: Principal, residences: readonly CommunePeriod[], period: string): boolean {
  return canSeeCommune(p, communeAnsweringForMonth(residences, period));
}

/** As canSee, for a commune that may be unknown (a person without a period in the district: district roles only). */
function canSeeCommune(p: Principal, communeCode: string | undefined): boolean {
  const communes = communesVisibleTo(p);
  return communes === null || (communeCode !== undefined && communes.includes(communeCode));
}

export function assertCanSeeCommune(p: Principal, communeCode: string | undefined): void {
  if (!canSeeCommune(p, communeCode)) {
    throw forbidden(`Your token does not cover commune ${communeCode ?? '(none)'}`, `Tài khoản của bạn không có quyền với xã ${communeCode ?? '(không có)'}`);
  }
}

/**
 * The caller as of a date, for reads as of that date. After the 2025 merger a commune officer's token may name a
 * successor commune, whose people keep their records under its predecessors' codes: from the successor's first
 * day on, the token reaches those predecessors too (before it, the successor code covers nobody's old records).
 * `communesOn` says which codes a commune code covers on a date (PlacesService.communesOn). The checks above and
 * below then apply to the caller returned, unchanged.
 */
export function principalOn(p: Principal, asOf: string, communesOn: (code: string, asOf: string) => readonly string[]): Principal {
  if (communesVisibleTo(p) === null) return p;
  const reached = new Set(p.communes.flatMap((c) => communesOn(c, asOf)));
  return reached.size === p.communes.length ? p : { ...p, communes: [...reached] };
}

/** Drops the rows of communes the caller may not see (nested lists never leak another commune). */
export function filterVisible<T extends { communeCode: string }>(p: Principal, rows: T[]): T[] {
  const communes = communesVisibleTo(p);
  return communes === null ? rows : rows.filter((r) => communes.includes(r.communeCode));
}

/**
 * The same rule as an SQL condition on a commune-code column, for queries that filter in the database;
 * undefined when the caller sees every commune (no condition to add).
 */
export function communeCondition(communes: readonly string[] | null, column: SQL): SQL | undefined {
  if (communes === null) return undefined;
  if (communes.length === 0) return sql`false`;
  return sql`${column} IN (${sql.join(
    communes.map((c) => sql`${c}`),
    sql`, `,
  )})`;
}

/** Everyone but integration clients sees identification numbers in full; those need the `person:national_id` scope. */
export function seesFullNationalId(p: Principal): boolean {
  return p.role !== 'integration' || p.scopes.has('person:national_id');
}

/** The identification number as this caller may see it. */
export function maskNationalIdFor(p: Principal, nationalId: string | null): string | null {
  if (nationalId == null) return null;
  return seesFullNationalId(p) ? nationalId : maskNationalId(nationalId);
}

/** Roles that see bank and e-wallet account numbers in full: they record them and prepare the bank files. */
const SEES_ACCOUNTS: ReadonlySet<Role> = new Set(['commune_officer', 'district_officer', 'admin']);

/** Only the last 4 digits of an account number. */
export const maskAccount = (accountNo: string): string => `${'*'.repeat(Math.max(0, accountNo.length - 4))}${accountNo.slice(-4)}`;

/** An account number as this caller may see it: in full for the roles above or the `payment:account_no` scope. */
export function maskAccountFor(p: Principal, accountNo: string | null): string | null {
  if (accountNo === null) return null;
  return SEES_ACCOUNTS.has(p.role) || p.scopes.has('payment:account_no') ? accountNo : maskAccount(accountNo);
}

/**
 * Eligibility, entitlements, enrolments, circumstance flags and coverage gaps reveal health, disability
 * and HIV circumstances (sensitive personal data, Decree 13/2023/ND-CP): integration clients need the
 * explicit `benefits:read` scope.
 */
export function assertMayReadBenefits(p: Principal): void {
  if (p.role === 'integration' && !p.scopes.has('benefits:read')) {
    throw forbidden('This needs the benefits:read scope', 'Chức năng này cần quyền xem thông tin trợ cấp');
  }
}

/** The scope an integration client needs to read the change feed (docs/integration.md#change-events). */
export const CHANGES_SCOPE = 'changes:read';

/**
 * Who reads the change feed: every officer and auditor (commune officers only their communes' events, through
 * communesVisibleTo), and integration clients holding the `changes:read` scope.
 */
export function assertMayReadChanges(p: Principal): void {
  if (p.role === 'integration' && !p.scopes.has(CHANGES_SCOPE)) {
    throw forbidden(`This needs the ${CHANGES_SCOPE} scope`, 'Chức năng này cần quyền xem luồng thay đổi');
  }
}

/** Change types the caller may not see: enrolment events name the program (HIV, disability), so benefits rules apply. */
export function changeTypesHiddenFrom(p: Principal): ChangeType[] {
  return p.role === 'integration' && !p.scopes.has('benefits:read') ? [...BENEFIT_CHANGE_TYPES] : [];
}
