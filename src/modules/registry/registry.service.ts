/**
 * Registry use cases: registering households and people, recording their circumstances, and every read
 * of them with the caller's access policy applied. Each mutation checks its input completely (every field
 * at fault is reported), then runs in one transaction with its audit event.
 */
import { groupBy } from '../../core/collections.js';
import type { Clock } from '../../clock.js';
import { MERIT_CATEGORIES, type BeneficiaryGroup } from '../../core/code-lists.js';
import { checkNationalId, type NationalIdProblem, type Sex } from '../../core/national-id.js';
import { isValidDate } from '../../core/period.js';
import { classifyPoverty, isDeprivationIndicator } from '../../core/poverty.js';
import type { Database, DbOrTx, Tx } from '../../db/client.js';
import { yearsBetween } from '../../clock.js';
import { disabilityCertificates, meritRecords, pensionStatuses, personCircumstanceFlags, pregnancies } from '../../db/schema/index.js';
import { checkId, conflict, DomainError, isUuid, notFound, Problems, uniqueAsConflict } from '../../errors.js';
import { auditedTransaction, type AuditActor, type AuditEntry } from '../audit/audit.service.js';
import { assertCanSee, assertReachesOrMissing, canSee, filterVisible, HIV_PROGRAMS, principalOn, seesHiv, visibleOrNull } from '../auth/access-policy.js';
import { assertCanMutate, assertRole } from '../auth/auth.service.js';
import type { Principal } from '../auth/auth.types.js';
import type { PlacesService } from '../places/places.service.js';
import { withMembersOn, type PersonInclude } from './registry.prefetch.js';
import * as repo from './registry.repository.js';
import * as residence from './residence.repository.js';
import { noEarlierPeriodOn } from '../../db/residence.js';
import type {
  BeneficiaryFilter,
  HouseholdRow,
  PersonCircumstance,
  PersonCircumstanceRows,
  PersonRecord,
  PovertyAssessmentRow,
  PovertyStandardRow,
} from './registry.repository.js';

// The rows the service hands out, named for its callers (resolvers do not reach into the repository).
export type {
  BeneficiaryFilter,
  BirthYearConventionRow,
  HouseholdRow,
  PersonCircumstanceRows,
  PersonRecord,
  PovertyAssessmentRow,
  PovertyStandardRow,
} from './registry.repository.js';

/** The largest page of beneficiaries one request may ask for. */
export const MAX_PAGE_SIZE = 200;

const NATIONAL_ID_MESSAGES: Record<NationalIdProblem, [en: string, vi: string]> = {
  FORMAT: ['must be exactly 12 digits', 'phải gồm đúng 12 chữ số'],
  PROVINCE: ['starts with an unknown province code', 'có mã tỉnh (3 số đầu) không tồn tại'],
  BIRTH_YEAR_OR_SEX: [
    'does not match the date of birth and sex (digits 4–6 encode century, sex and year of birth)',
    'không khớp với năm sinh và giới tính (số thứ 4–6 mã hoá thế kỷ, giới tính, năm sinh)',
  ],
};

export interface RegisterHouseholdInput {
  code: string;
  communeCode: string;
  villageCode?: string | null;
  address?: string | null;
}

export interface RegisterPersonInput {
  nationalId?: string | null;
  fullName: string;
  dateOfBirth: string;
  sex: Sex;
  ethnicity?: string | null;
  communeCode: string;
  householdId?: string | null;
  relationToHead?: string | null;
  isHead?: boolean | null;
  /** First day at this address (the first residence period); default the date of birth. */
  residentSince?: string | null;
  /** YEAR: only the year of dateOfBirth is known; the day stored is the birth-year convention's. */
  birthDatePrecision?: 'DAY' | 'YEAR' | null;
}

/** Every field may be left out; an explicit null is refused for the required ones ("cannot be cleared"). */
export type UpdatePersonInput = { [K in keyof Omit<RegisterPersonInput, 'isHead' | 'residentSince' | 'birthDatePrecision'>]?: RegisterPersonInput[K] | null };

export interface PovertyAssessmentInput {
  householdId: string;
  assessedOn: string;
  area: 'RURAL' | 'URBAN';
  incomePerPerson: number;
  deprivations: string[];
  decisionNo?: string | null;
}

export interface DisabilityInput {
  personId: string;
  level: 'MILD' | 'SEVERE' | 'PARTICULARLY_SEVERE';
  certificateNo: string;
  issuedOn: string;
  validTo?: string | null;
}

export interface MeritStatusInput {
  personId: string;
  category: string;
  injuryRate?: number | null;
  decisionNo: string;
  recognizedOn: string;
  validTo?: string | null;
}

export interface PensionStatusInput {
  personId: string;
  kind: 'RETIREMENT_PENSION' | 'SOCIAL_INSURANCE_MONTHLY' | 'SOCIAL_ALLOWANCE';
  monthlyAmount?: number | null;
  startsOn: string;
  endsOn?: string | null;
  decisionNo?: string | null;
}

export interface PregnancyInput {
  personId: string;
  reportedOn: string;
  expectedDeliveryOn: string;
  endedOn?: string | null;
  outcome?: 'BIRTH' | 'LOSS' | null;
}

export interface BeneficiariesInput {
  communeCode: string;
  group?: BeneficiaryGroup | null;
  programCode?: string | null;
  search?: string | null;
  asOf?: string | null;
  first?: number | null;
  after?: string | null;
}

/**
 * One page of beneficiaries as the GraphQL BeneficiaryConnection's parent (codegen.ts maps it): the page
 * carries its filter so that totalCount can count it when asked.
 */
/** The circumstance rows, parents of the GraphQL types of the same names (codegen.ts maps them). */
export type DisabilityCertificateRow = PersonCircumstanceRows['disabilityCertificates'];
export type MeritRecordRow = PersonCircumstanceRows['meritRecords'];
export type PensionStatusRow = PersonCircumstanceRows['pensionStatuses'];
export type PregnancyRow = PersonCircumstanceRows['pregnancies'];

export interface BeneficiaryPage {
  filter: BeneficiaryFilter;
  nodes: PersonRecord[];
  edges: { cursor: string; node: PersonRecord }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A text without content (empty, or nothing given) as null. */
/** The year of a yyyy-mm-dd date, to which a birth-year convention adds its day. */
const YEAR_PREFIX_RE = /^\d{4}-/;

const emptyAsNull = (text: string | null | undefined) => (text === '' ? null : (text ?? null));

/** Page cursors are opaque to clients: base64url of the last person's id. */
export const encodePersonCursor = (id: string) => Buffer.from(`p:${id}`).toString('base64url');
function decodePersonCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith('p:') ? text.slice(2) : '';
  if (!isUuid(id)) new Problems().add('after', 'is not a cursor this API returned', 'không phải mã trang do dịch vụ trả về').throwIfAny();
  return id;
}

/**
 * Called inside recordDeath's transaction (the benefits module ends enrolments from the month after death);
 * returns the audit entries of what it changed.
 */
export type OnDeathHook = (tx: Tx, personId: string, dateOfDeath: string) => Promise<AuditEntry[]>;

/**
 * Called inside correctDeath's transaction: undoes what the recorded death closed (the benefits module
 * re-opens enrolments ended by it, or moves their end to the corrected date); returns its audit entries.
 */
export type OnDeathCorrectedHook = (tx: Tx, personId: string, dateOfDeath: string | null, reason: string) => Promise<AuditEntry[]>;

/** The circumstances a correction can withdraw, and their tables. */
export const WITHDRAWABLE_CIRCUMSTANCES = {
  DISABILITY_CERTIFICATE: disabilityCertificates,
  MERIT_RECORD: meritRecords,
  PENSION_STATUS: pensionStatuses,
  PREGNANCY: pregnancies,
  CIRCUMSTANCE_FLAG: personCircumstanceFlags,
} as const;
export type CircumstanceKind = keyof typeof WITHDRAWABLE_CIRCUMSTANCES;

const CIRCUMSTANCE_NAMES: Record<CircumstanceKind, [en: string, vi: string]> = {
  DISABILITY_CERTIFICATE: ['disability certificate', 'giấy xác nhận khuyết tật'],
  MERIT_RECORD: ['merit record', 'hồ sơ người có công'],
  PENSION_STATUS: ['pension status', 'thông tin lương hưu, trợ cấp'],
  PREGNANCY: ['pregnancy', 'thông tin mang thai'],
  CIRCUMSTANCE_FLAG: ['circumstance', 'thông tin hoàn cảnh'],
};
const circumstanceNotFound = (kind: CircumstanceKind, id: string) =>
  new DomainError(
    'NOT_FOUND',
    { en: `No ${CIRCUMSTANCE_NAMES[kind][0]} ${id}`, vi: `Không tìm thấy ${CIRCUMSTANCE_NAMES[kind][1]} ${id}` },
    { id, field: 'id' },
  );

/** Youngest and oldest plausible age (whole years) of a woman when a pregnancy is reported. */
export const PREGNANCY_AGE = { min: 10, max: 60 } as const;

export function createRegistryService(deps: {
  database: Database;
  places: PlacesService;
  clock: Clock;
  onDeath?: OnDeathHook;
  onDeathCorrected?: OnDeathCorrectedHook;
}) {
  const { database, places, clock } = deps;
  const db = database.db;

  const checkDate = (p: Problems, field: string, value: string | null | undefined, opts: { notFuture?: boolean } = {}) => {
    if (value == null) return;
    if (!isValidDate(value)) p.add(field, 'is not a valid date (yyyy-mm-dd)', 'không phải ngày hợp lệ (yyyy-mm-dd)');
    else if (opts.notFuture && value > clock.today()) p.add(field, 'is in the future', 'là ngày trong tương lai');
  };

  /** The caller as of a date: a successor commune in the token reaches its predecessors from the merger on. */
  const callerOn = (principal: Principal, asOf: string) => principalOn(principal, asOf, places.communesOn);
  /** The caller for reads of the person rows as they are (their latest residence): as of today. */
  const callerToday = (principal: Principal) => callerOn(principal, clock.today());

  /**
   * The person, visible to the caller (a commune officer only reaches their communes). One the caller does not
   * reach answers as one that does not exist (no existence leak): `missing` is the NOT_FOUND of the id the
   * operation was given (the person's by default; an enrolment's or a record's when it named that).
   */
  async function personForCaller(
    principal: Principal,
    id: string,
    tx: DbOrTx = db,
    forUpdate = false,
    missing: () => Error = () => notFound('person', id),
  ): Promise<PersonRecord> {
    const person = forUpdate ? await repo.lockPerson(tx, id) : (await repo.findPersonsByIds(tx, [id]))[0];
    if (!person) throw missing();
    assertReachesOrMissing(callerToday(principal), person.communeCode, missing);
    return person;
  }

  let standardsOnce: Promise<PovertyStandardRow[]> | undefined;
  /** The poverty standards (reference data, read once, again after forgetPovertyStandards). */
  const povertyStandards = () =>
    (standardsOnce ??= repo.findPovertyStandards(db).catch((err: unknown) => {
      // A failed read is not kept: the next call reads again.
      standardsOnce = undefined;
      throw err;
    }));

  function checkPersonFields(p: Problems, input: UpdatePersonInput, merged: { dateOfBirth: string; sex: Sex }) {
    if (input.fullName !== undefined) {
      const name = input.fullName?.trim() ?? '';
      if (name.length === 0 || name.length > 200) p.add('input.fullName', 'must be 1–200 characters', 'phải có 1–200 ký tự');
    }
    checkDate(p, 'input.dateOfBirth', input.dateOfBirth, { notFuture: true });
    if (input.communeCode != null) places.checkCommune(p, 'input.communeCode', input.communeCode);
    if (input.nationalId != null && isValidDate(merged.dateOfBirth)) {
      const problem = checkNationalId(input.nationalId, merged.dateOfBirth, merged.sex);
      if (problem) p.add('input.nationalId', ...NATIONAL_ID_MESSAGES[problem]);
    }
  }

  async function checkHousehold(principal: Principal, tx: DbOrTx, p: Problems, householdId: string | null | undefined, communeCode: string) {
    if (householdId == null) return undefined;
    const found = await repo.lockHousehold(tx, householdId);
    // A household of a commune the caller does not reach is reported as one that does not exist (no existence leak).
    const household = found && canSee(callerToday(principal), found.communeCode) ? found : undefined;
    if (!household) p.add('input.householdId', `No household ${householdId}`, `Không có hộ ${householdId}`);
    else if (household.communeCode !== communeCode) {
      p.add('input.householdId', 'belongs to another commune than the person', 'thuộc xã khác với xã cư trú của người này');
    }
    return household;
  }

  /**
   * The checked filter of a beneficiary list (the arguments, and access as of asOf); `more` adds the checks of the
   * caller's own arguments (the page size) to the same list of problems.
   */
  function beneficiaryFilter(principal: Principal, args: Omit<BeneficiariesInput, 'first' | 'after'>, more?: (p: Problems) => void): BeneficiaryFilter {
    const p = new Problems();
    places.checkCommune(p, 'communeCode', args.communeCode);
    more?.(p);
    const search = emptyAsNull(args.search?.trim()) ?? undefined;
    if (search && search.length > 100) p.add('search', 'must be at most 100 characters', 'tối đa 100 ký tự');
    p.throwIfAny();
    const asOf = args.asOf ?? clock.today();
    // Whom the list shows is asked as of asOf: a successor commune of the 2025 merger reaches its predecessors'
    // people from the merger on, before it nobody's.
    assertCanSee(callerOn(principal, asOf), args.communeCode);
    return {
      communeCode: args.communeCode,
      group: args.group ?? undefined,
      programCode: args.programCode ?? undefined,
      // The people enrolled in art. 5.3 or 5.8 are people with HIV: for callers without HIV sight that list (and its
      // totalCount) is empty, as every other list leaves those enrolments out (docs/security.md "HIV status").
      nobody: !!args.programCode && HIV_PROGRAMS.has(args.programCode) && !seesHiv(principal),
      search,
      asOf,
      coversPredecessors: places.predecessors(args.communeCode).length > 0,
      latestOnly: noEarlierPeriodOn(asOf, clock.today()),
    };
  }

  async function assertNationalIdFree(tx: DbOrTx, nationalId: string | null | undefined, exceptId?: string) {
    if (!nationalId) return;
    const existing = await repo.findPersonByNationalId(tx, nationalId);
    if (existing && existing.id !== exceptId) throw duplicateNationalId();
  }
  const duplicateNationalId = () =>
    conflict('A person with this identification number is already registered', 'Số định danh này đã được đăng ký cho người khác', {
      field: 'input.nationalId',
    });

  const duplicateHouseholdCode = () => conflict('A household with this code already exists', 'Mã hộ này đã tồn tại', { field: 'input.code' });

  const guardUnique = <T>(run: () => Promise<T>) =>
    uniqueAsConflict(run, { persons_national_id_uq: duplicateNationalId, households_code_uq: duplicateHouseholdCode });

  return {
    async registerHousehold(actor: AuditActor, input: RegisterHouseholdInput) {
      assertCanMutate(actor.principal);
      const p = new Problems();
      const code = input.code.trim();
      if (!/^[\p{L}\p{N}._\-/]{1,40}$/u.test(code)) p.add('input.code', 'must be 1–40 letters, digits or . _ - /', 'phải có 1–40 ký tự chữ, số hoặc . _ - /');
      // Any generation: a household of a merged commune keeps its code, and people who lived there before the
      // merger may still be registered into it (registerPerson).
      places.checkCommune(p, 'input.communeCode', input.communeCode);
      if (input.villageCode != null) {
        const village = places.get(input.villageCode);
        // Villages outlive the merger under the successor commune: a predecessor's village is the successor's.
        const parents = places.communesOn(input.communeCode, clock.today());
        if (village?.level !== 'VILLAGE' || !parents.includes(village.parentCode ?? '')) {
          p.add('input.villageCode', `is not a village of commune ${input.communeCode}`, `không phải thôn/bon của xã ${input.communeCode}`);
        }
      }
      p.throwIfAny();
      assertCanSee(actor.principal, input.communeCode);
      return guardUnique(() =>
        auditedTransaction(db, actor, async (tx) => {
          if (await repo.findHouseholdByCode(tx, code)) {
            throw duplicateHouseholdCode();
          }
          const household = await repo.insertHousehold(tx, {
            code,
            communeCode: input.communeCode,
            villageCode: input.villageCode ?? null,
            address: emptyAsNull(input.address?.trim()),
          });
          return { result: household, audit: [{ action: 'registerHousehold', entityType: 'Household', entityId: household.id, after: household }] };
        }),
      );
    },

    /** The birth-year conventions, oldest first: the last is the one in use (docs/law.md#birth-year-only). */
    birthYearConventions: () => repo.findBirthYearConventions(db),

    /**
     * Admin only: sets the day-and-month used for people whose year of birth only is known, citing its basis.
     * People registered before keep the convention they were registered under (a correction re-dates them).
     */
    async setBirthYearConvention(actor: AuditActor, args: { monthDay: string; legalBasis: string; confirmed?: boolean | null }) {
      assertRole(actor.principal, 'admin');
      const p = new Problems();
      const monthDay = args.monthDay.trim();
      // A day every year has: 29 February would give no birthday three years in four.
      if (!/^\d{2}-\d{2}$/.test(monthDay) || !isValidDate(`2023-${monthDay}`))
        p.add('monthDay', 'must be a day of every year, MM-DD (e.g. 01-01 or 07-01)', 'phải là ngày có trong mọi năm, dạng MM-DD (vd. 01-01, 07-01)');
      if (!args.legalBasis.trim()) p.add('legalBasis', 'is required: cite the basis of the convention', 'là bắt buộc: ghi rõ căn cứ của quy ước');
      p.throwIfAny();
      return auditedTransaction(db, actor, async (tx) => {
        const row = await repo.insertBirthYearConvention(tx, {
          monthDay,
          legalBasis: args.legalBasis.trim(),
          confirmed: args.confirmed ?? false,
          setBy: actor.principal.subject,
        });
        return { result: row, audit: [{ action: 'setBirthYearConvention', entityType: 'BirthYearConvention', entityId: row.id, after: row }] };
      });
    },

    /** How much of each person's date of birth is known (people the caller already reached). */
    birthDatePrecisionsOf: (ids: readonly string[]) => repo.findBirthDatePrecisions(db, ids),

    async registerPerson(actor: AuditActor, raw: RegisterPersonInput) {
      assertCanMutate(actor.principal);
      const p = new Problems();
      // A year of birth only: the day is the convention in use (docs/law.md#birth-year-only), never a guess.
      const yearOnly = raw.birthDatePrecision === 'YEAR';
      const convention = yearOnly ? (await repo.findBirthYearConventions(db)).at(-1) : undefined;
      if (yearOnly && !convention) {
        p.add(
          'input.birthDatePrecision',
          'no birth-year convention is set: an admin sets one first (setBirthYearConvention)',
          'chưa có quy ước ngày sinh cho người chỉ biết năm sinh: quản trị viên cần thiết lập trước',
        );
      }
      const input = convention && YEAR_PREFIX_RE.test(raw.dateOfBirth) ? { ...raw, dateOfBirth: `${raw.dateOfBirth.slice(0, 4)}-${convention.monthDay}` } : raw;
      checkPersonFields(p, input, input);
      checkDate(p, 'input.residentSince', input.residentSince, { notFuture: true });
      if (input.residentSince != null && input.residentSince < input.dateOfBirth) {
        p.add('input.residentSince', 'is before the date of birth', 'trước ngày sinh');
      }
      // Registration opens a residence (at birth, or on residentSince). Like a move, it cannot begin in a commune
      // that had already ended (the 2025 merger): someone arriving since goes under the successor. Records of people
      // who lived there before keep the old code, as everyone's do; joining a household on record keeps the
      // household's code (checkHousehold below: the person's commune is the household's).
      const residentFrom = input.residentSince ?? input.dateOfBirth;
      if (input.householdId == null && isValidDate(residentFrom)) {
        places.checkCommuneOpen(p, 'input.communeCode', input.communeCode, residentFrom);
      }
      p.throwIfAny();
      assertCanSee(actor.principal, input.communeCode);
      return guardUnique(() =>
        auditedTransaction(db, actor, async (tx) => {
          const household = await checkHousehold(actor.principal, tx, p, input.householdId, input.communeCode);
          if (input.isHead && !household) p.add('input.isHead', 'needs a householdId', 'cần có householdId');
          p.throwIfAny();
          await assertNationalIdFree(tx, input.nationalId);
          const person = await repo.insertPerson(tx, {
            nationalId: input.nationalId ?? null,
            fullName: input.fullName.trim().normalize('NFC'),
            dateOfBirth: input.dateOfBirth,
            ...(convention ? { birthDatePrecision: 'YEAR' as const, birthYearConventionId: convention.id } : {}),
            sex: input.sex,
            ethnicity: input.ethnicity ?? null,
            communeCode: input.communeCode,
            householdId: input.householdId ?? null,
            relationToHead: input.isHead ? 'Chủ hộ' : (input.relationToHead ?? null),
            // Left out, the database starts the first period at the date of birth (trigger persons_resident_from).
            ...(input.residentSince != null ? { residentFrom: input.residentSince } : {}),
          });
          const audit: AuditEntry[] = [{ action: 'registerPerson', entityType: 'Person', entityId: person.id, after: person }];
          if (input.isHead && household) {
            await repo.setHouseholdHead(tx, household.id, person.id);
            audit.push({
              action: 'setHouseholdHead',
              entityType: 'Household',
              entityId: household.id,
              after: { ...household, headPersonId: person.id },
            });
          }
          return { result: person, audit };
        }),
      );
    },

    async updatePerson(actor: AuditActor, id: string, input: UpdatePersonInput) {
      assertCanMutate(actor.principal);
      return guardUnique(() =>
        auditedTransaction(db, actor, async (tx) => {
          const before = await personForCaller(actor.principal, id, tx, true);
          const merged = { dateOfBirth: input.dateOfBirth ?? before.dateOfBirth, sex: input.sex ?? before.sex };
          const p = new Problems();
          for (const key of ['fullName', 'dateOfBirth', 'sex', 'communeCode'] as const) {
            if (key in input && input[key] === null) p.add(`input.${key}`, 'cannot be cleared', 'không được để trống');
          }
          checkPersonFields(p, input, merged);
          // A change of birth date or sex must still agree with the identification number on record.
          const nationalId = input.nationalId === undefined ? before.nationalId : input.nationalId;
          if (nationalId && input.nationalId === undefined && (input.dateOfBirth || input.sex)) {
            const problem = checkNationalId(nationalId, merged.dateOfBirth, merged.sex);
            if (problem) p.add(input.dateOfBirth ? 'input.dateOfBirth' : 'input.sex', ...NATIONAL_ID_MESSAGES[problem]);
          }
          if (before.dateOfDeath && merged.dateOfBirth > before.dateOfDeath) {
            p.add('input.dateOfBirth', 'is after the recorded date of death', 'sau ngày mất đã ghi nhận');
          }
          const communeCode = input.communeCode ?? before.communeCode;
          if (input.communeCode && !canSee(actor.principal, input.communeCode)) {
            assertCanSee(actor.principal, input.communeCode);
          }
          const householdId = input.householdId === undefined ? before.householdId : input.householdId;
          if (input.householdId !== undefined || input.communeCode) await checkHousehold(actor.principal, tx, p, householdId, communeCode);
          p.throwIfAny();
          await assertNationalIdFree(tx, input.nationalId, id);
          // A field left out is absent or undefined (callers other than GraphQL may pass undefined).
          const changes = Object.fromEntries(Object.entries<unknown>(input).filter(([, v]) => v !== undefined));
          if (typeof changes.fullName === 'string') changes.fullName = changes.fullName.trim().normalize('NFC');
          const after = await repo.updatePersonRow(tx, id, changes);
          // The residence fields describe the latest residence period: correcting them corrects that period.
          const { communeCode: newCommune, householdId: newHousehold, relationToHead: newRelation } = input;
          if (newCommune != null || newHousehold !== undefined || newRelation !== undefined) {
            await residence.correctLatestPeriod(tx, id, { communeCode: newCommune ?? undefined, householdId: newHousehold, relationToHead: newRelation });
          }
          return { result: after, audit: [{ action: 'updatePerson', entityType: 'Person', entityId: id, before, after }] };
        }),
      );
    },

    async recordDeath(actor: AuditActor, personId: string, dateOfDeath: string) {
      assertCanMutate(actor.principal);
      const p = new Problems();
      checkDate(p, 'dateOfDeath', dateOfDeath, { notFuture: true });
      p.throwIfAny();
      return auditedTransaction(db, actor, async (tx) => {
        const before = await personForCaller(actor.principal, personId, tx, true);
        if (dateOfDeath < before.dateOfBirth) {
          p.add('dateOfDeath', `is before the date of birth ${before.dateOfBirth}`, `trước ngày sinh ${before.dateOfBirth}`).throwIfAny();
        }
        if (before.dateOfDeath) {
          throw conflict(`A death on ${before.dateOfDeath} is already recorded`, `Đã ghi nhận ngày mất ${before.dateOfDeath}`, { field: 'dateOfDeath' });
        }
        const after = await repo.updatePersonRow(tx, personId, { dateOfDeath });
        const consequences = deps.onDeath ? await deps.onDeath(tx, personId, dateOfDeath) : [];
        return { result: after, audit: [{ action: 'recordDeath', entityType: 'Person', entityId: personId, before, after }, ...consequences] };
      });
    },

    /**
     * Corrects a death recorded wrongly: a different date, or none (the person is alive). Audited as a
     * correction with the reason; what the death closed is re-opened in the same transaction.
     */
    async correctDeath(actor: AuditActor, personId: string, dateOfDeath: string | null, reason: string) {
      assertCanMutate(actor.principal);
      const p = new Problems();
      checkDate(p, 'dateOfDeath', dateOfDeath, { notFuture: true });
      const why = reason.trim();
      if (why.length === 0 || why.length > 1000) p.add('reason', 'must be 1–1000 characters', 'phải có 1–1000 ký tự');
      p.throwIfAny();
      // Re-opening could meet another open enrolment of the same program (proposed after the death): the
      // database's one-open-enrolment index refuses it, reported as a conflict.
      const reopenClash = () =>
        conflict(
          'An enrolment the death ended cannot re-open: the person has another open enrolment in that program; end it first',
          'Không thể mở lại hồ sơ đã kết thúc do mất: người này đang có hồ sơ khác còn mở trong cùng chương trình; hãy kết thúc hồ sơ đó trước',
          { field: 'personId' },
        );
      return uniqueAsConflict(
        () =>
          auditedTransaction(db, actor, async (tx) => {
            const before = await personForCaller(actor.principal, personId, tx, true);
            if (!before.dateOfDeath) {
              throw conflict(
                'No death is recorded for this person: record it with recordDeath',
                'Chưa ghi nhận người này đã mất: hãy ghi nhận ngày mất trước',
                { field: 'personId' },
              );
            }
            if (dateOfDeath !== null && dateOfDeath < before.dateOfBirth) {
              p.add('dateOfDeath', `is before the date of birth ${before.dateOfBirth}`, `trước ngày sinh ${before.dateOfBirth}`);
            }
            if (dateOfDeath === before.dateOfDeath) p.add('dateOfDeath', 'is the date already recorded', 'trùng với ngày mất đã ghi nhận');
            p.throwIfAny();
            const after = await repo.updatePersonRow(tx, personId, { dateOfDeath });
            const consequences = deps.onDeathCorrected ? await deps.onDeathCorrected(tx, personId, dateOfDeath, why) : [];
            return {
              result: after,
              audit: [
                { action: 'correctDeath', entityType: 'Person', entityId: personId, before, after: { ...after, correctionReason: why } },
                ...consequences,
              ],
            };
          }),
        { enrolments_open_uq: reopenClash },
      );
    },

    /**
     * Withdraws a circumstance recorded wrongly (a certificate, merit record, pension, pregnancy or flag): the
     * row stays, marked withdrawn with the reason, and no longer counts in groups, rules or eligibility.
     */
    async withdrawCircumstance(actor: AuditActor, kind: CircumstanceKind, id: string, reason: string) {
      assertCanMutate(actor.principal);
      const p = new Problems();
      const table = Object.hasOwn(WITHDRAWABLE_CIRCUMSTANCES, kind) ? WITHDRAWABLE_CIRCUMSTANCES[kind] : undefined;
      if (!table)
        p.add(
          'kind',
          `must be one of ${Object.keys(WITHDRAWABLE_CIRCUMSTANCES).join(', ')}`,
          `phải là một trong ${Object.keys(WITHDRAWABLE_CIRCUMSTANCES).join(', ')}`,
        );
      if (!isUuid(id)) p.add('id', 'is not a valid id', 'không phải mã hợp lệ');
      const why = reason.trim();
      if (why.length === 0 || why.length > 1000) p.add('reason', 'must be 1–1000 characters', 'phải có 1–1000 ký tự');
      p.throwIfAny();
      // (Unreachable: an unknown kind was reported above; this narrows the type.)
      if (!table) throw circumstanceNotFound(kind, id);
      return auditedTransaction(db, actor, async (tx) => {
        const found = await repo.findWithdrawable(tx, table, id);
        if (!found) throw circumstanceNotFound(kind, id);
        // Access and the person's lock first (as when it was recorded), then the row itself.
        await personForCaller(actor.principal, found.personId, tx, true, () => circumstanceNotFound(kind, id));
        const before = await repo.findWithdrawable(tx, table, id, true);
        if (!before) throw circumstanceNotFound(kind, id);
        if (before.withdrawnAt) {
          throw conflict(`Already withdrawn (${before.withdrawalReason ?? ''})`, `Đã rút bỏ trước đó (${before.withdrawalReason ?? ''})`, { field: 'id' });
        }
        const after = await repo.markWithdrawn(tx, table, id, why);
        return {
          result: { kind, id, personId: before.personId, withdrawnAt: after.withdrawnAt, reason: why },
          audit: [
            {
              action: 'withdrawCircumstance',
              entityType: 'Person',
              entityId: before.personId,
              before: { circumstanceKind: kind, ...before },
              after: { circumstanceKind: kind, ...after },
            },
          ],
        };
      });
    },

    async recordPovertyAssessment(actor: AuditActor, input: PovertyAssessmentInput) {
      assertCanMutate(actor.principal);
      const p = new Problems();
      checkDate(p, 'input.assessedOn', input.assessedOn, { notFuture: true });
      if (input.incomePerPerson < 0) p.add('input.incomePerPerson', 'cannot be negative', 'không được âm');
      // The column is a 32-bit integer.
      else if (input.incomePerPerson > 2_147_483_647) p.add('input.incomePerPerson', 'is too large', 'quá lớn');
      input.deprivations.forEach((code, i) => {
        if (!isDeprivationIndicator(code)) {
          p.add(`input.deprivations[${i}]`, `unknown deprivation indicator ${code}`, `không có chỉ số thiếu hụt ${code}`);
        }
      });
      const deprivations = [...new Set(input.deprivations)];
      const standards = await repo.findPovertyStandards(db);
      const standard = standards.find((s) => s.validFrom <= input.assessedOn && input.assessedOn <= s.validTo);
      if (!standard && isValidDate(input.assessedOn)) {
        p.add('input.assessedOn', 'no poverty standard is in force on this date', 'không có chuẩn nghèo áp dụng cho ngày này');
      }
      p.throwIfAny();
      // Without a standard, the date was either invalid (checkDate reported it) or reported above.
      if (!standard) throw new Error('no poverty standard yet no problem reported');
      const alreadyAssessed = () =>
        conflict(
          `The household already has an assessment on ${input.assessedOn}: one assessment per household and date`,
          `Hộ đã có kết quả rà soát ngày ${input.assessedOn}: mỗi hộ chỉ có một kết quả rà soát cho một ngày`,
          { field: 'input.assessedOn' },
        );
      return uniqueAsConflict(
        () =>
          auditedTransaction(db, actor, async (tx) => {
            const household = (await repo.findHouseholdsByIds(tx, [input.householdId]))[0];
            if (!household) throw notFound('household', input.householdId);
            assertReachesOrMissing(actor.principal, household.communeCode, () => notFound('household', input.householdId));
            if (await repo.findAssessmentOn(tx, household.id, input.assessedOn)) throw alreadyAssessed();
            const classification = classifyPoverty({ incomePerPerson: input.incomePerPerson, area: input.area, deprivations }, standard);
            const row = await repo.insertCircumstance.povertyAssessment(tx, {
              householdId: household.id,
              assessedOn: input.assessedOn,
              standardCode: standard.code,
              area: input.area,
              incomePerPerson: input.incomePerPerson,
              deprivations,
              classification,
              decisionNo: input.decisionNo ?? null,
            });
            return { result: row, audit: [{ action: 'recordPovertyAssessment', entityType: 'Household', entityId: household.id, after: row }] };
          }),
        { poverty_assessments_household_date_uq: alreadyAssessed },
      );
    },

    async recordDisability(actor: AuditActor, input: DisabilityInput) {
      return recordPersonCircumstance(
        actor,
        input.personId,
        'recordDisability',
        (p, person) => {
          checkDate(p, 'input.issuedOn', input.issuedOn, { notFuture: true });
          checkDate(p, 'input.validTo', input.validTo);
          if (!input.certificateNo.trim()) p.add('input.certificateNo', 'is required', 'là bắt buộc');
          if (input.issuedOn < person.dateOfBirth) p.add('input.issuedOn', 'is before the date of birth', 'trước ngày sinh');
          if (input.validTo && input.validTo < input.issuedOn) p.add('input.validTo', 'is before issuedOn', 'trước ngày cấp');
        },
        (tx) => repo.insertCircumstance.disabilityCertificate(tx, { ...input, certificateNo: input.certificateNo.trim(), validTo: input.validTo ?? null }),
      );
    },

    async recordMeritStatus(actor: AuditActor, input: MeritStatusInput) {
      return recordPersonCircumstance(
        actor,
        input.personId,
        'recordMeritStatus',
        (p) => {
          if (!(MERIT_CATEGORIES as readonly string[]).includes(input.category)) {
            p.add('input.category', `must be one of ${MERIT_CATEGORIES.join(', ')}`, `phải là một trong ${MERIT_CATEGORIES.join(', ')}`);
          }
          if (input.injuryRate != null && (!Number.isInteger(input.injuryRate) || input.injuryRate < 1 || input.injuryRate > 100)) {
            p.add('input.injuryRate', 'must be a whole percentage 1–100', 'phải là tỷ lệ phần trăm nguyên 1–100');
          }
          if ((input.category === 'WAR_INVALID' || input.category === 'WAR_INVALID_TYPE_B') && input.injuryRate == null) {
            p.add('input.injuryRate', 'is required for war invalids', 'là bắt buộc với thương binh');
          }
          if (!input.decisionNo.trim()) p.add('input.decisionNo', 'is required', 'là bắt buộc');
          checkDate(p, 'input.recognizedOn', input.recognizedOn, { notFuture: true });
          checkDate(p, 'input.validTo', input.validTo);
        },
        (tx) => repo.insertCircumstance.meritRecord(tx, { ...input, injuryRate: input.injuryRate ?? null, validTo: input.validTo ?? null }),
      );
    },

    async recordPensionStatus(actor: AuditActor, input: PensionStatusInput) {
      return recordPersonCircumstance(
        actor,
        input.personId,
        'recordPensionStatus',
        (p) => {
          if (input.monthlyAmount != null && input.monthlyAmount < 0) p.add('input.monthlyAmount', 'cannot be negative', 'không được âm');
          checkDate(p, 'input.startsOn', input.startsOn);
          checkDate(p, 'input.endsOn', input.endsOn);
          if (input.endsOn && input.endsOn < input.startsOn) p.add('input.endsOn', 'is before startsOn', 'trước ngày bắt đầu');
        },
        (tx) =>
          repo.insertCircumstance.pensionStatus(tx, {
            ...input,
            monthlyAmount: input.monthlyAmount ?? null,
            endsOn: input.endsOn ?? null,
            decisionNo: input.decisionNo ?? null,
          }),
      );
    },

    async recordPregnancy(actor: AuditActor, input: PregnancyInput) {
      return recordPersonCircumstance(
        actor,
        input.personId,
        'recordPregnancy',
        (p, person) => {
          if (person.sex !== 'FEMALE') p.add('input.personId', 'is not a woman', 'không phải là nữ');
          if (isValidDate(input.reportedOn) && input.reportedOn >= person.dateOfBirth) {
            const age = yearsBetween(person.dateOfBirth, input.reportedOn);
            if (age < PREGNANCY_AGE.min || age > PREGNANCY_AGE.max) {
              p.add(
                'input.reportedOn',
                `the woman would be ${age}: a pregnancy is recorded between ages ${PREGNANCY_AGE.min} and ${PREGNANCY_AGE.max}`,
                `người này khi đó ${age} tuổi: chỉ ghi nhận mang thai trong độ tuổi từ ${PREGNANCY_AGE.min} đến ${PREGNANCY_AGE.max}`,
              );
            }
          } else if (isValidDate(input.reportedOn)) {
            p.add('input.reportedOn', 'is before the date of birth', 'trước ngày sinh');
          }
          checkDate(p, 'input.reportedOn', input.reportedOn, { notFuture: true });
          checkDate(p, 'input.expectedDeliveryOn', input.expectedDeliveryOn);
          checkDate(p, 'input.endedOn', input.endedOn, { notFuture: true });
          if (input.expectedDeliveryOn <= input.reportedOn) p.add('input.expectedDeliveryOn', 'must be after reportedOn', 'phải sau ngày khai báo');
          if (input.endedOn && input.endedOn < input.reportedOn) p.add('input.endedOn', 'is before reportedOn', 'trước ngày khai báo');
          if ((input.endedOn == null) !== (input.outcome == null))
            p.add('input.outcome', 'endedOn and outcome go together', 'endedOn và outcome phải đi cùng nhau');
        },
        (tx) => repo.insertCircumstance.pregnancy(tx, { ...input, endedOn: input.endedOn ?? null, outcome: input.outcome ?? null }),
      );
    },

    // Reads ------------------------------------------------------------------------------------------

    /** A person by id: null when there is none or the caller may not see them (no existence leak). */
    async person(principal: Principal, id: string): Promise<PersonRecord | null> {
      const [person] = await repo.findPersonsByIds(db, [id]);
      if (!person) return null;
      return visibleOrNull(callerToday(principal), person.communeCode, person);
    },

    async personByNationalId(principal: Principal, nationalId: string, include?: PersonInclude): Promise<PersonRecord | null> {
      if (!/^\d{12}$/.test(nationalId)) new Problems().add('nationalId', 'must be exactly 12 digits', 'phải gồm đúng 12 chữ số').throwIfAny();
      const person = await repo.findPersonByNationalId(db, nationalId, withMembersOn(include, clock.today()));
      if (!person) return null;
      return visibleOrNull(callerToday(principal), person.communeCode, person);
    },

    async household(principal: Principal, args: { id?: string | null; code?: string | null }): Promise<HouseholdRow | null> {
      if (!args.id === !args.code) new Problems().add('id', 'give exactly one of id or code', 'cần đúng một trong id hoặc code').throwIfAny();
      if (args.id) checkId('id', args.id);
      const household = args.id ? (await repo.findHouseholdsByIds(db, [args.id]))[0] : await repo.findHouseholdByCode(db, args.code ?? '');
      if (!household) return null;
      return visibleOrNull(callerToday(principal), household.communeCode, household);
    },

    /** One page of a commune's beneficiaries (keyset on id), as the GraphQL connection wants it. */
    async beneficiaries(principal: Principal, args: BeneficiariesInput, include?: PersonInclude): Promise<BeneficiaryPage> {
      const first = args.first ?? 50;
      const filter = beneficiaryFilter(principal, args, (p) => {
        if (first < 1 || first > MAX_PAGE_SIZE) p.add('first', `must be 1–${MAX_PAGE_SIZE}`, `phải từ 1 đến ${MAX_PAGE_SIZE}`);
      });
      const afterId = args.after ? decodePersonCursor(args.after) : undefined;
      const rows = await repo.findBeneficiaryPage(db, filter, afterId, first + 1, withMembersOn(include, clock.today()));
      const page = rows.slice(0, first);
      const last = page[page.length - 1];
      return {
        filter,
        nodes: page,
        edges: page.map((node) => ({ cursor: encodePersonCursor(node.id), node })),
        pageInfo: { hasNextPage: rows.length > first, endCursor: last ? encodePersonCursor(last.id) : null },
      };
    },

    /**
     * A whole beneficiary list for an export (src/http/exports.ts), in pages of `pageSize` people: the checks of
     * `beneficiaries` run now (a refused export is answered before its file starts), the pages are read as the
     * consumer asks for them, each with the same statement as a `beneficiaries` page (keyset on id), so the file
     * holds the rows GraphQL pages through, in the same order, and memory holds one page at a time.
     */
    beneficiaryPages(
      principal: Principal,
      args: Omit<BeneficiariesInput, 'first' | 'after'>,
      pageSize = 1000,
    ): { asOf: string; pages: AsyncIterable<PersonRecord[]> } {
      const filter = beneficiaryFilter(principal, args);
      async function* pages() {
        let afterId: string | undefined;
        for (;;) {
          const rows = await repo.findBeneficiaryPage(db, filter, afterId, pageSize);
          if (rows.length > 0) yield rows;
          if (rows.length < pageSize) return;
          afterId = rows[rows.length - 1]?.id;
        }
      }
      return { asOf: filter.asOf, pages: pages() };
    },

    /** The size of a page's whole list; the filter comes from `beneficiaries`, which checked access. */
    countBeneficiaries: (filter: BeneficiaryFilter) => repo.countBeneficiaries(db, filter),

    /**
     * The caller as of a date: after the 2025 merger a token naming a successor commune also reaches its
     * predecessors' people from the merger on (access-policy.ts principalOn). Other modules' dated checks use it.
     */
    callerOn,

    /** People by id, only those the caller may see (for nested fields: never another commune's). */
    async visiblePersons(principal: Principal, ids: readonly string[]): Promise<PersonRecord[]> {
      return filterVisible(callerToday(principal), await repo.findPersonsByIds(db, [...new Set(ids)]));
    },

    /**
     * People by id as they lived on `asOf`, only those the caller may see that day (visibility follows residence:
     * a row reached through a dated read, e.g. a coverage gap or an entitlement month, shows the person where
     * they lived then).
     */
    async visiblePersonsOn(principal: Principal, ids: readonly string[], asOf: string): Promise<PersonRecord[]> {
      return filterVisible(callerOn(principal, asOf), await repo.findPersonsOnByIds(db, [...new Set(ids)], asOf));
    },

    /** Households by id (reached from a person the caller already sees). */
    householdsByIds: (ids: readonly string[]) => repo.findHouseholdsByIds(db, [...new Set(ids)]),

    /** Who lived in many households on `asOf`, those the caller may see that day, grouped by household. */
    async visibleMembersOf(principal: Principal, householdIds: readonly string[], asOf: string): Promise<Map<string, PersonRecord[]>> {
      if (!isValidDate(asOf)) new Problems().add('asOf', 'is not a valid date', 'không phải ngày hợp lệ').throwIfAny();
      const rows = await repo.findMembersOfHouseholds(db, [...new Set(householdIds)], asOf, noEarlierPeriodOn(asOf, clock.today()));
      return groupBy(filterVisible(callerOn(principal, asOf), rows), (r) => r.householdId ?? '');
    },

    /** One kind of circumstance record for many people, grouped by person. */
    async circumstancesOf<K extends PersonCircumstance>(kind: K, personIds: readonly string[]): Promise<Map<string, PersonCircumstanceRows[K][]>> {
      const rows = await repo.findCircumstances(db, kind, personIds);
      return groupBy(rows, (r) => r.personId);
    },

    /** The groups many people are in on `asOf`. */
    async groupsOf(personIds: readonly string[], asOf: string): Promise<Map<string, BeneficiaryGroup[]>> {
      if (!isValidDate(asOf)) new Problems().add('asOf', 'is not a valid date', 'không phải ngày hợp lệ').throwIfAny();
      return repo.findGroupsOfPersons(db, [...new Set(personIds)], asOf);
    },

    /** Every poverty assessment of many households, oldest first, grouped by household. */
    async assessmentsOf(householdIds: readonly string[]): Promise<Map<string, PovertyAssessmentRow[]>> {
      return groupBy(await repo.findAssessmentsOfHouseholds(db, householdIds), (r) => r.householdId);
    },

    /**
     * The assessment in force for each (household, date): the same rule as the POOR_HOUSEHOLD group, the
     * latest assessment on or before the date under a standard still in force.
     */
    async assessmentsInForce(asked: readonly { householdId: string; asOf: string }[]): Promise<(PovertyAssessmentRow | null)[]> {
      const [rows, all] = await Promise.all([
        repo.findAssessmentsOfHouseholds(
          db,
          asked.map((a) => a.householdId),
        ),
        povertyStandards(),
      ]);
      const byHousehold = groupBy(rows, (r) => r.householdId);
      const validTo = new Map(all.map((s) => [s.code, s.validTo]));
      return asked.map(({ householdId, asOf }) => {
        const inForce = (byHousehold.get(householdId) ?? []).filter((a) => a.assessedOn <= asOf && (validTo.get(a.standardCode) ?? '') >= asOf);
        return inForce[inForce.length - 1] ?? null;
      });
    },

    povertyStandards,
    /** Called when the database notifies a change of reference data (another instance may have written it). */
    forgetPovertyStandards() {
      standardsOnce = undefined;
    },
    personForCaller,
    recordPersonCircumstance,
  };

  /** Shared shape of the circumstance mutations: check access and input, insert, audit, in one transaction. */
  async function recordPersonCircumstance<T extends { id: string }>(
    actor: AuditActor,
    personId: string,
    action: string,
    check: (p: Problems, person: PersonRecord) => void,
    insert: (tx: DbOrTx) => Promise<T>,
  ): Promise<T> {
    assertCanMutate(actor.principal);
    return auditedTransaction(db, actor, async (tx) => {
      const person = await personForCaller(actor.principal, personId, tx, true);
      const p = new Problems();
      check(p, person);
      if (person.dateOfDeath) p.add('input.personId', `died on ${person.dateOfDeath}`, `đã mất ngày ${person.dateOfDeath}`);
      p.throwIfAny();
      const row = await insert(tx);
      return { result: row, audit: [{ action, entityType: 'Person', entityId: personId, after: row }] };
    });
  }
}
export type RegistryService = ReturnType<typeof createRegistryService>;
