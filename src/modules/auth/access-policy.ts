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
 * A mutation (or any operation) that names a person, household or enrolment by id answers for one of a commune the
 * caller does not reach exactly as for an unknown id: `missing()` is the NOT_FOUND the operation gives for an id
 * that does not exist. FORBIDDEN here would tell a commune officer that the id exists elsewhere.
 */
export function assertReachesOrMissing(p: Principal, communeCode: string, missing: () => Error): void {
  if (!canSee(p, communeCode)) throw missing();
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
  return sightOf(p, 'identity') === 'full';
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

// ---------------------------------------------------------------------------------------------
// The authorization matrix (issue 11): field groups, what each role sees of them, and every operation.
// docs/security.md shows these tables; test/access-matrix.test.ts checks the docs against them, walks the
// schema so that an operation or a field of a person-bearing type without an entry fails, and runs the
// matrix through the API for every role.
// ---------------------------------------------------------------------------------------------

/** Groups of personal fields that roles see differently (Decree 13/2023/ND-CP: basic and sensitive data). */
export const FIELD_GROUPS = ['identity', 'health', 'hiv', 'ethnicity', 'financial', 'residence'] as const;
export type FieldGroup = (typeof FIELD_GROUPS)[number];

/**
 * The sensitive groups (Decree 13 art. 2.4: health, ethnic origin, financial data; HIV status in particular):
 * every read of one is written to the access log. Identity and residence are basic personal data.
 */
export const SENSITIVE_GROUPS: ReadonlySet<FieldGroup> = new Set(['health', 'hiv', 'ethnicity', 'financial']);

/** full: the value; masked: part of it (identification and account numbers); withheld: null or left out, with a note. */
export type Sight = 'full' | 'masked' | 'withheld';

/**
 * What each staff role sees of each group, in the communes it reaches. HIV status goes to the officers who
 * record it and decide on the benefits that need it (commune officers propose, district officers approve
 * Decree 20 art. 5.3 and 5.8); auditors check who changed what and admins keep the rules, neither needs a
 * diagnosis (docs/security.md "HIV status").
 */
export const STAFF_SIGHT: Record<Exclude<Role, 'integration'>, Record<FieldGroup, Sight>> = {
  commune_officer: { identity: 'full', health: 'full', hiv: 'full', ethnicity: 'full', financial: 'full', residence: 'full' },
  district_officer: { identity: 'full', health: 'full', hiv: 'full', ethnicity: 'full', financial: 'full', residence: 'full' },
  auditor: { identity: 'full', health: 'full', hiv: 'withheld', ethnicity: 'full', financial: 'full', residence: 'full' },
  admin: { identity: 'full', health: 'full', hiv: 'withheld', ethnicity: 'full', financial: 'full', residence: 'full' },
};

/**
 * Integration clients see a group only with every scope it needs (need to know, per client); without them,
 * `without` applies.
 */
export const INTEGRATION_SCOPES: Record<FieldGroup, { scopes: readonly string[]; without: Sight }> = {
  identity: { scopes: ['person:national_id'], without: 'masked' },
  health: { scopes: ['benefits:read'], without: 'withheld' },
  hiv: { scopes: ['benefits:read', 'health:hiv'], without: 'withheld' },
  ethnicity: { scopes: ['person:ethnicity'], without: 'withheld' },
  financial: { scopes: ['benefits:read'], without: 'withheld' },
  residence: { scopes: [], without: 'full' },
};

/** What this caller sees of a field group. */
export function sightOf(p: Principal, group: FieldGroup): Sight {
  if (p.role !== 'integration') return STAFF_SIGHT[p.role][group];
  const { scopes, without } = INTEGRATION_SCOPES[group];
  return scopes.every((s) => p.scopes.has(s)) ? 'full' : without;
}

/** Why a group is withheld from this caller, in the `extensions.withheld` notes. */
export function withheldReason(p: Principal, group: FieldGroup): string {
  if (p.role === 'integration')
    return `needs the scope${INTEGRATION_SCOPES[group].scopes.length > 1 ? 's' : ''} ${INTEGRATION_SCOPES[group].scopes.join(' and ')}`;
  return `role ${p.role} does not see ${group} data`;
}

/** Programs whose enrolment says that the person has HIV (Decree 20/2021 art. 5.3 and 5.8): the `hiv` group. */
export const HIV_PROGRAMS: ReadonlySet<string> = new Set(['D20_5_3', 'D20_5_8']);

/** Whether this caller sees HIV status (the `hiv` group in full). */
export const seesHiv = (p: Principal): boolean => sightOf(p, 'hiv') === 'full';

/**
 * Whether a rule version's definition reads the HIV flag: art. 5.7 ("not under 5.3", read as "no HIV flag") as
 * well as 5.3 and 5.8. Whether someone is eligible under such a rule, or a gap in it, says their HIV status (a
 * child who meets every other condition of 5.7 and is not eligible has the flag). Decided by the rule, never by
 * the person, so leaving such results out tells nothing about anyone.
 */
export function ruleReadsHiv(definition: unknown): boolean {
  return JSON.stringify(definition ?? null).includes('"HIV"');
}

/** The programs whose results a caller without HIV sight does not get: HIV_PROGRAMS, and those whose rule on a date reads the flag. */
export function programHiddenFrom(p: Principal, programCode: string, ruleDefinition: unknown): boolean {
  return !seesHiv(p) && (HIV_PROGRAMS.has(programCode) || ruleReadsHiv(ruleDefinition));
}

/**
 * The group of a field of a person-bearing type (`Type.field`), null for fields that are no personal data
 * of their own (ids, dates of a record, codes of reference data). Lists whose items differ (a circumstance
 * flag may be HIV, an enrolment may be in an HIV program) name the group of the list and `items` the group of
 * each item: an item of a group withheld from the caller is left out.
 * `enforced` fields are checked by the GraphQL layer (src/graphql/field-policy.ts) and on the compiled path;
 * the fields of the records below them (DisabilityCertificate.level, …) are reached through them only.
 */
export interface FieldEntry {
  group: FieldGroup | null;
  enforced?: true;
  /** The group of each item, and every group it can give (a withheld one is noted whatever the items are). */
  items?: { groupOf: (item: Record<string, unknown>) => FieldGroup; groups: readonly FieldGroup[] };
}

const flagGroup = { groupOf: (item: Record<string, unknown>): FieldGroup => (item.flag === 'HIV' ? 'hiv' : 'health'), groups: ['health', 'hiv'] } as const;
const enrolmentGroup = {
  groupOf: (item: Record<string, unknown>): FieldGroup => (HIV_PROGRAMS.has(String(item.programCode)) ? 'hiv' : 'health'),
  groups: ['health', 'hiv'],
} as const;

export const PERSON_FIELDS: Record<string, FieldEntry> = {
  'Person.id': { group: null },
  'Person.nationalId': { group: 'identity' },
  'Person.fullName': { group: 'identity' },
  'Person.dateOfBirth': { group: 'identity' },
  'Person.sex': { group: 'identity' },
  'Person.birthDatePrecision': { group: 'identity' },
  'Person.birthYearConvention': { group: null },
  'Person.dateOfDeath': { group: 'identity' },
  'Person.ethnicity': { group: 'ethnicity', enforced: true },
  'Person.communeCode': { group: 'residence' },
  'Person.commune': { group: 'residence' },
  'Person.household': { group: 'residence' },
  'Person.relationToHead': { group: 'residence' },
  'Person.residenceHistory': { group: 'residence' },
  'Person.residence': { group: 'residence' },
  'Person.disabilityCertificates': { group: 'health', enforced: true },
  'Person.meritRecords': { group: 'health', enforced: true },
  'Person.pregnancies': { group: 'health', enforced: true },
  'Person.pensionStatuses': { group: 'financial', enforced: true },
  'Person.groups': { group: 'health', enforced: true },
  'Person.circumstanceFlags': { group: 'health', enforced: true, items: flagGroup },
  'Person.enrolments': { group: 'health', enforced: true, items: enrolmentGroup },
  'Household.id': { group: null },
  'Household.code': { group: 'residence' },
  'Household.communeCode': { group: 'residence' },
  'Household.villageCode': { group: 'residence' },
  'Household.village': { group: 'residence' },
  'Household.address': { group: 'residence' },
  'Household.head': { group: 'residence' },
  'Household.members': { group: 'residence' },
  'Household.povertyAssessments': { group: 'financial', enforced: true },
  'Household.povertyAssessment': { group: 'financial', enforced: true },
  'DisabilityCertificate.id': { group: null },
  'DisabilityCertificate.level': { group: 'health' },
  'DisabilityCertificate.certificateNo': { group: 'health' },
  'DisabilityCertificate.issuedOn': { group: 'health' },
  'DisabilityCertificate.validTo': { group: 'health' },
  'MeritRecord.id': { group: null },
  'MeritRecord.category': { group: 'health' },
  'MeritRecord.injuryRate': { group: 'health' },
  'MeritRecord.decisionNo': { group: 'health' },
  'MeritRecord.recognizedOn': { group: 'health' },
  'MeritRecord.validTo': { group: 'health' },
  'PensionStatus.id': { group: null },
  'PensionStatus.kind': { group: 'financial' },
  'PensionStatus.monthlyAmount': { group: 'financial' },
  'PensionStatus.startsOn': { group: 'financial' },
  'PensionStatus.endsOn': { group: 'financial' },
  'PensionStatus.decisionNo': { group: 'financial' },
  'Pregnancy.id': { group: null },
  'Pregnancy.reportedOn': { group: 'health' },
  'Pregnancy.expectedDeliveryOn': { group: 'health' },
  'Pregnancy.endedOn': { group: 'health' },
  'Pregnancy.outcome': { group: 'health' },
  'CircumstanceFlagRecord.id': { group: null },
  'CircumstanceFlagRecord.flag': { group: 'health' },
  'CircumstanceFlagRecord.validFrom': { group: 'health' },
  'CircumstanceFlagRecord.validTo': { group: 'health' },
  'CircumstanceFlagRecord.evidence': { group: 'health' },
  'PovertyAssessment.id': { group: null },
  'PovertyAssessment.assessedOn': { group: 'financial' },
  'PovertyAssessment.standardCode': { group: 'financial' },
  'PovertyAssessment.area': { group: 'financial' },
  'PovertyAssessment.incomePerPerson': { group: 'financial' },
  'PovertyAssessment.deprivations': { group: 'financial' },
  'PovertyAssessment.classification': { group: 'financial' },
  'PovertyAssessment.decisionNo': { group: 'financial' },
  'ResidencePeriod.from': { group: 'residence' },
  'ResidencePeriod.to': { group: 'residence' },
  'ResidencePeriod.communeCode': { group: 'residence' },
  'ResidencePeriod.commune': { group: 'residence' },
  'ResidencePeriod.household': { group: 'residence' },
  'ResidencePeriod.relationToHead': { group: 'residence' },
  'ResidencePeriod.destination': { group: 'residence' },
  'ResidencePeriod.reason': { group: 'residence' },
};
Object.assign(PERSON_FIELDS, {
  'Enrolment.id': { group: null },
  'Enrolment.person': { group: 'identity' },
  'Enrolment.personId': { group: null },
  'Enrolment.programCode': { group: 'health' },
  'Enrolment.program': { group: 'health' },
  'Enrolment.status': { group: 'health' },
  'Enrolment.decisionNo': { group: 'health' },
  'Enrolment.decisionDate': { group: 'health' },
  'Enrolment.startPeriod': { group: 'health' },
  'Enrolment.endPeriod': { group: 'health' },
  'Enrolment.endReason': { group: 'health' },
  'Enrolment.proposedBy': { group: null },
  'Enrolment.approvedBy': { group: null },
  'Enrolment.approvedAt': { group: null },
  'Enrolment.endDestination': { group: 'residence' },
  'Enrolment.suspensions': { group: 'health' },
  'Enrolment.endCase': { group: 'health' },
  'EnrolmentSuspension.id': { group: null },
  'EnrolmentSuspension.fromPeriod': { group: 'health' },
  'EnrolmentSuspension.toPeriod': { group: 'health' },
  'EnrolmentSuspension.reason': { group: 'health' },
  'EnrolmentSuspension.paidBack': { group: 'financial' },
  'EnrolmentSuspension.suspendedBy': { group: null },
  'EnrolmentSuspension.suspendedAt': { group: null },
  'EnrolmentSuspension.resumedBy': { group: null },
  'EnrolmentSuspension.resumedAt': { group: null },
  'CoverageGap.person': { group: 'identity' },
  'CoverageGap.programCode': { group: 'health' },
  'CoverageGap.program': { group: 'health' },
  'CoverageGap.ruleVersion': { group: null },
  'CoverageGap.monthlyAmount': { group: 'financial' },
  'CoverageGap.reasons': { group: 'health' },
  'CoverageGap.unconfirmed': { group: null },
  'CoverageGap.unconfirmedReasons': { group: null },
  'BeneficiaryEdge.cursor': { group: null },
  'BeneficiaryEdge.node': { group: 'identity' },
  'BeneficiaryConnection.totalCount': { group: null },
  'BeneficiaryConnection.pageInfo': { group: null },
  'BeneficiaryConnection.edges': { group: 'identity' },
  'BeneficiaryConnection.nodes': { group: 'identity' },
} satisfies Record<string, FieldEntry>);

/**
 * Types reached from a person that hold no one's personal data (reference data, rules): the schema walk of the
 * matrix test stops at them.
 */
export const REFERENCE_TYPES: ReadonlySet<string> = new Set([
  'AdminUnit',
  'AreaClassification',
  'Program',
  'RuleVersion',
  'RuleWithdrawal',
  'ProvincialScheme',
  'BirthYearConvention',
  'PageInfo',
  'ConditionResult',
  'UnconfirmedReason',
]);

/**
 * How an operation treats a record of a commune outside the caller's token:
 * - `null`: answered as for a record that does not exist (null; NOT_FOUND where it names the record to read
 *   from or act on, as paymentRecipients its enrolment and the mutations their person, household, enrolment or
 *   record, with the same message as for an unknown id): no existence leak;
 * - `filtered`: lists, counts and totals leave it out (the list's commune argument itself is FORBIDDEN);
 * - `forbidden`: FORBIDDEN — the operation names a commune by its (public) code (registerHousehold,
 *   registerPerson's commune, createPaymentCycle, reviewAuditFinding), or computes from a person named by id
 *   (entitlements, eligibility), or is for district roles only, who reach every commune;
 * - `none`: nothing of a commune (reference data, the audit chain) or a role that sees every commune.
 */
export type OtherCommune = 'null' | 'filtered' | 'forbidden' | 'none';

export interface OperationEntry {
  /** Roles that may call it (other roles: FORBIDDEN). */
  roles: readonly Role[];
  /** Integration clients need these scopes as well. */
  scopes?: readonly string[];
  otherCommune: OtherCommune;
  /** Field groups its answer can carry (each then follows the caller's sight of it). */
  groups: readonly FieldGroup[];
}

const ALL: readonly Role[] = ['commune_officer', 'district_officer', 'auditor', 'integration', 'admin'];
const WRITERS: readonly Role[] = ['commune_officer', 'district_officer', 'admin'];
const DISTRICT_WRITERS: readonly Role[] = ['district_officer', 'admin'];
const ADMIN: readonly Role[] = ['admin'];
const BENEFITS = ['benefits:read'] as const;
const PERSON_GROUPS: readonly FieldGroup[] = FIELD_GROUPS;
/** A mutation on a record named by id: another commune's answers as an unknown id (NOT_FOUND). */
const write = (groups: readonly FieldGroup[], roles = WRITERS): OperationEntry => ({ roles, otherCommune: 'null', groups });
/** A mutation whose commune is its own argument (a public code): FORBIDDEN outside the caller's communes. */
const writeIn = (groups: readonly FieldGroup[], roles = WRITERS): OperationEntry => ({ roles, otherCommune: 'forbidden', groups });
const reference = (roles = ALL): OperationEntry => ({ roles, otherCommune: 'none', groups: [] });

/** Every Query and Mutation field. */
export const OPERATIONS: Record<string, OperationEntry> = {
  'Query.ping': reference(),
  'Query.person': { roles: ALL, otherCommune: 'null', groups: PERSON_GROUPS },
  'Query.personByNationalId': { roles: ALL, otherCommune: 'null', groups: PERSON_GROUPS },
  'Query.household': { roles: ALL, otherCommune: 'null', groups: PERSON_GROUPS },
  'Query.beneficiaries': { roles: ALL, otherCommune: 'filtered', groups: PERSON_GROUPS },
  'Query.enrolment': { roles: ALL, scopes: BENEFITS, otherCommune: 'null', groups: PERSON_GROUPS },
  'Query.entitlements': { roles: ALL, scopes: BENEFITS, otherCommune: 'forbidden', groups: ['health', 'financial'] },
  'Query.eligibility': { roles: ALL, scopes: BENEFITS, otherCommune: 'forbidden', groups: ['health', 'hiv', 'financial'] },
  'Query.coverageGaps': { roles: ALL, scopes: BENEFITS, otherCommune: 'filtered', groups: PERSON_GROUPS },
  'Query.pensionConversions': { roles: ALL, scopes: BENEFITS, otherCommune: 'filtered', groups: ['health', 'financial'] },
  'Query.auditFindings': { roles: ALL, scopes: BENEFITS, otherCommune: 'filtered', groups: ['health', 'financial'] },
  'Query.paymentReport': { roles: ALL, scopes: BENEFITS, otherCommune: 'filtered', groups: ['financial'] },
  'Query.paymentCycle': { roles: ALL, scopes: BENEFITS, otherCommune: 'null', groups: ['identity', 'financial'] },
  'Query.paymentCycles': { roles: ALL, scopes: BENEFITS, otherCommune: 'filtered', groups: ['identity', 'financial'] },
  'Query.paymentRecipients': { roles: ALL, scopes: BENEFITS, otherCommune: 'null', groups: ['identity', 'financial'] },
  'Query.auditTrail': { roles: ['auditor', 'district_officer', 'admin'], otherCommune: 'none', groups: PERSON_GROUPS },
  'Query.verifyAuditChain': reference(['auditor', 'admin']),
  'Query.accessLog': reference(['auditor', 'admin']),
  'Query.dciPartners': reference(ADMIN),
  // Ids, codes and dates of what changed (docs/integration.md#change-events); enrolment events need benefits:read,
  // and those of HIV programs the hiv group.
  'Query.changes': { roles: ALL, scopes: ['changes:read'], otherCommune: 'filtered', groups: ['residence', 'health', 'hiv'] },
  'Query.changeDeadLetters': reference(ADMIN),
  'Query.birthYearConventions': reference(),
  'Query.adminUnits': reference(),
  'Query.adminUnit': reference(),
  'Query.programs': reference(),
  'Query.program': reference(),
  'Query.baseLevels': reference(),
  'Query.timingRules': reference(),
  'Mutation._noop': reference(),
  'Mutation.registerHousehold': writeIn(['residence']),
  'Mutation.registerPerson': writeIn(PERSON_GROUPS),
  'Mutation.updatePerson': write(PERSON_GROUPS),
  'Mutation.recordDeath': write(PERSON_GROUPS),
  'Mutation.correctDeath': write(PERSON_GROUPS),
  'Mutation.recordPovertyAssessment': write(['financial']),
  'Mutation.recordDisability': write(['health']),
  'Mutation.recordMeritStatus': write(['health']),
  'Mutation.recordPensionStatus': write(['financial']),
  'Mutation.recordPregnancy': write(['health']),
  'Mutation.recordCircumstanceFlag': write(['health', 'hiv']),
  'Mutation.withdrawCircumstance': write(['health']),
  'Mutation.movePerson': write(PERSON_GROUPS),
  'Mutation.splitHousehold': write(PERSON_GROUPS),
  'Mutation.mergeHouseholds': write(PERSON_GROUPS),
  'Mutation.changeHouseholdHead': write(PERSON_GROUPS),
  'Mutation.correctResidence': write(PERSON_GROUPS),
  'Mutation.enrol': write(PERSON_GROUPS),
  'Mutation.approveEnrolment': write(PERSON_GROUPS, DISTRICT_WRITERS),
  'Mutation.endEnrolment': write(PERSON_GROUPS),
  'Mutation.suspendEnrolment': write(PERSON_GROUPS),
  'Mutation.resumeEnrolment': write(PERSON_GROUPS),
  'Mutation.stopEnrolment': write(PERSON_GROUPS),
  'Mutation.recordPaymentRecipient': write(['identity', 'financial']),
  'Mutation.createPaymentCycle': writeIn(['identity', 'financial']),
  'Mutation.createPaymentCycles': writeIn(['identity', 'financial'], DISTRICT_WRITERS),
  'Mutation.approvePaymentCycle': writeIn(['identity', 'financial'], DISTRICT_WRITERS),
  'Mutation.recordPaymentResult': writeIn(['financial'], DISTRICT_WRITERS),
  'Mutation.reviewAuditFinding': {
    roles: ['auditor', 'district_officer', 'admin', 'commune_officer'],
    otherCommune: 'forbidden',
    groups: ['health', 'financial'],
  },
  'Mutation.setBirthYearConvention': reference(ADMIN),
  'Mutation.recordPensionConversion': writeIn(['financial'], ADMIN),
  'Mutation.withdrawPensionConversion': writeIn(['financial'], ADMIN),
  'Mutation.recordAreaClassification': reference(ADMIN),
  'Mutation.confirmAreaClassification': reference(ADMIN),
  'Mutation.publishProvincialScheme': reference(ADMIN),
  // The registry of DCI partner systems (docs/integration.md): their ids, keys, callback URIs and scopes, nobody's data.
  'Mutation.saveDciPartner': reference(ADMIN),
  'Mutation.replayChangeDeadLetters': reference(ADMIN),
  'Mutation.publishRuleVersion': reference(ADMIN),
  'Mutation.withdrawRuleVersion': reference(ADMIN),
  'Mutation.publishBaseLevel': reference(ADMIN),
  'Mutation.confirmBaseLevel': reference(ADMIN),
};

/**
 * The audit trail's before/after images follow the same sight: fields of a group withheld from the caller are
 * replaced by null (listed in `extensions.withheld`), and a circumstance flag or an enrolment whose record is
 * HIV data (flag HIV, an HIV program) is withheld whole from callers without `hiv`.
 */
const AUDIT_IMAGE_GROUPS: Record<string, Record<string, FieldGroup>> = {
  Person: { ethnicity: 'ethnicity' },
  PaymentRecipient: { accountNo: 'financial' },
  PovertyAssessment: { incomePerPerson: 'financial' },
};

/** Keys of audit images that carry a sensitive group, to log reads of the trail. */
const AUDIT_IMAGE_KEYS: Record<string, FieldGroup> = {
  ethnicity: 'ethnicity',
  flag: 'health',
  level: 'health',
  certificateNo: 'health',
  injuryRate: 'health',
  expectedDeliveryOn: 'health',
  programCode: 'health',
  monthlyAmount: 'financial',
  incomePerPerson: 'financial',
  accountNo: 'financial',
};

/** The sensitive groups an audit image shows (for the access log). */
export function auditImageGroups(image: unknown): FieldGroup[] {
  if (image === null || typeof image !== 'object' || Array.isArray(image)) return [];
  const record = image as Record<string, unknown>;
  const groups = new Set<FieldGroup>();
  for (const [key, group] of Object.entries(AUDIT_IMAGE_KEYS)) if (record[key] != null) groups.add(group);
  if (record.flag === 'HIV' || (typeof record.programCode === 'string' && HIV_PROGRAMS.has(record.programCode))) groups.add('hiv');
  return [...groups];
}

/** The groups of one audit image withheld from this caller, and the image as the caller may see it. */
export function auditImageFor(p: Principal, entityType: string, image: unknown): { image: unknown; withheld: { key: string | null; group: FieldGroup }[] } {
  if (image === null || typeof image !== 'object' || Array.isArray(image)) return { image, withheld: [] };
  const record = image as Record<string, unknown>;
  const hiv = record.flag === 'HIV' || (typeof record.programCode === 'string' && HIV_PROGRAMS.has(record.programCode));
  if (hiv && sightOf(p, 'hiv') !== 'full') return { image: null, withheld: [{ key: null, group: 'hiv' }] };
  const fields = AUDIT_IMAGE_GROUPS[entityType] ?? {};
  const out: Record<string, unknown> = { ...record };
  const withheld: { key: string | null; group: FieldGroup }[] = [];
  for (const [key, group] of Object.entries(fields)) {
    if (!(key in out) || sightOf(p, group) === 'full') continue;
    if (key === 'accountNo' && typeof out.accountNo === 'string') out.accountNo = maskAccountFor(p, out.accountNo);
    else out[key] = null;
    withheld.push({ key, group });
  }
  if ('nationalId' in out && typeof out.nationalId === 'string') out.nationalId = maskNationalIdFor(p, out.nationalId);
  return { image: out, withheld };
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
