/**
 * Residence over time (LAW.md "Moving house", docs/residence.md): moves, household splits and merges, changes of
 * head, the correction of a move recorded wrongly, and the reads of a person's periods.
 *
 * Every change appends to a person's history: their current period ends the day before the change and the next
 * starts on it, so a past day never changes because of a later move (only correctResidence rewrites history, and
 * is audited as a correction). Each mutation runs in one transaction with its audit events. The people concerned
 * are locked (FOR UPDATE) before their periods are read, so two changes of one person serialize: the second sees
 * the first's period and is judged against it. Lock order: people (in id order), then households; mergeHouseholds
 * reads the members before locking them and reads them again after, so it waits like a move does.
 */
import { groupBy } from '../../core/collections.js';
import type { Clock } from '../../clock.js';
import { HEAD_RELATION } from '../../core/code-lists.js';
import { addDays, isValidDate } from '../../core/period.js';
import type { Database, DbOrTx, Tx } from '../../db/client.js';
import { conflict, notFound, Problems, uniqueAsConflict } from '../../errors.js';
import { auditedTransaction, type AuditActor, type AuditEntry } from '../audit/audit.service.js';
import { assertCanSee, assertReachesOrMissing, canSee, principalOn } from '../auth/access-policy.js';
import { assertCanMutate } from '../auth/auth.service.js';
import type { Principal } from '../auth/auth.types.js';
import type { PlacesService } from '../places/places.service.js';
import * as registry from './registry.repository.js';
import type { HouseholdRow, PersonRecord } from './registry.repository.js';
import * as repo from './residence.repository.js';
import type { ResidencePeriodRow } from './residence.repository.js';

// The period row is the parent of GraphQL's ResidencePeriod (codegen.ts maps it).
export type { ResidencePeriodRow } from './residence.repository.js';

/**
 * Called inside movePerson's transaction for a move out of the district (the benefits module ends the person's
 * enrolments with the month of the move, Decree 20/2021 art. 8.4); returns the audit entries of what it changed.
 */
export type TransferOutHook = (tx: Tx, personId: string, movedOn: string, destination: string) => Promise<AuditEntry[]>;

export interface MovePersonInput {
  personId: string;
  movedOn: string;
  householdId?: string | null;
  relationToHead?: string | null;
  newHousehold?: { code: string; communeCode: string; villageCode?: string | null; address?: string | null } | null;
  outOfDistrict?: { destination: string } | null;
}

export interface RelationInput {
  personId: string;
  relationToHead?: string | null;
}

export interface SplitHouseholdInput {
  householdId: string;
  memberIds: string[];
  headId: string;
  newHousehold: { code: string; villageCode?: string | null; address?: string | null };
  splitOn: string;
  relations?: RelationInput[] | null;
}

export interface MergeHouseholdsInput {
  householdId: string;
  intoHouseholdId: string;
  mergedOn: string;
  relations?: RelationInput[] | null;
}

export interface ChangeHouseholdHeadInput {
  householdId: string;
  newHeadId: string;
  changedOn: string;
  relations?: RelationInput[] | null;
}

export interface ResidencePeriodInput {
  from: string;
  to?: string | null;
  householdId?: string | null;
  communeCode?: string | null;
  relationToHead?: string | null;
  destination?: string | null;
}

export interface CorrectResidenceInput {
  personId: string;
  periods: ResidencePeriodInput[];
  reason: string;
}

/** The most periods one correction may write (a person's whole life, with room to spare). */
export const MAX_CORRECTED_PERIODS = 100;

/** Household codes: the same rule as registerHousehold. */
const HOUSEHOLD_CODE = /^[\p{L}\p{N}._\-/]{1,40}$/u;
const CONTROL = /\p{Cc}/u;

/** A text without content (empty, or nothing given) as null. */
const cleanText = (text: string | null | undefined): string | null => {
  const t = text?.trim() ?? '';
  return t === '' ? null : t;
};

type PeriodValues = Pick<ResidencePeriodRow, 'householdId' | 'communeCode' | 'relationToHead' | 'destination' | 'reason'>;

export function createResidenceService(deps: { database: Database; places: PlacesService; clock: Clock; onTransferOut?: TransferOutHook }) {
  const { database, places, clock } = deps;
  /**
   * The caller as of today: after the 2025 merger, a token naming a successor commune reaches the people whose
   * records keep its predecessors' codes (access-policy.ts principalOn).
   */
  const callerToday = (principal: Principal) => principalOn(principal, clock.today(), places.communesOn);
  const db = database.db;

  // Input checks ---------------------------------------------------------------------------------

  /** A date a change takes effect: a real date, not in the future. */
  function checkChangeDate(p: Problems, field: string, d: string) {
    if (!isValidDate(d)) p.add(field, 'is not a valid date (yyyy-mm-dd)', 'không phải ngày hợp lệ (yyyy-mm-dd)');
    else if (d > clock.today()) p.add(field, 'is in the future', 'là ngày trong tương lai');
  }

  /**
   * The change date against one person: not before birth, not after death, after the start of their current
   * period (history is appended in time order; an earlier change is a correction).
   */
  function checkPersonDate(p: Problems, field: string, person: PersonRecord, current: ResidencePeriodRow | undefined, d: string, who = '') {
    const of = who ? ` (person ${who})` : '';
    const ofVi = who ? ` (người ${who})` : '';
    if (d < person.dateOfBirth) p.add(field, `is before the date of birth ${person.dateOfBirth}${of}`, `trước ngày sinh ${person.dateOfBirth}${ofVi}`);
    else if (person.dateOfDeath && d > person.dateOfDeath)
      p.add(field, `is after the death on ${person.dateOfDeath}${of}`, `sau ngày mất ${person.dateOfDeath}${ofVi}`);
    else if (current && d <= current.validFrom) {
      p.add(
        field,
        `is not after ${current.validFrom}, the start of the current residence period${of}: an earlier change is a correction (correctResidence)`,
        `không sau ngày ${current.validFrom}, ngày bắt đầu nơi cư trú hiện tại${ofVi}: thay đổi trước đó phải ghi bằng đính chính (correctResidence)`,
      );
    }
  }

  /**
   * A commune (or the commune of a household) in force on `d`: not ended by then (the 2025 merger), and, unless
   * `startToo` is false, already created (the successor codes exist from 2025-07-01). Corrections leave the start out:
   * a first period starts at birth, which may be before the commune's recorded `valid_from`.
   */
  function checkCommuneOn(p: Problems, field: string, code: string, d: string, of = '', startToo = true) {
    const unit = places.get(code);
    if (unit?.level !== 'COMMUNE') {
      p.add(field, `Unknown commune code ${code}`, `Không có mã xã ${code}`);
    } else if (unit.validTo && unit.validTo < d) {
      const successor = unit.successorCode ? `: its successor is ${unit.successorCode}` : '';
      const successorVi = unit.successorCode ? `: đơn vị kế thừa là ${unit.successorCode}` : '';
      p.add(
        field,
        `${of}commune ${code} ended on ${unit.validTo}${successor}`,
        `${of ? 'xã của hộ' : 'xã'} ${code} đã chấm dứt ngày ${unit.validTo}${successorVi}`,
      );
    } else if (startToo && unit.validFrom > d) {
      p.add(field, `${of}commune ${code} exists only from ${unit.validFrom}`, `${of ? 'xã của hộ' : 'xã'} ${code} chỉ có từ ngày ${unit.validFrom}`);
    }
  }

  /** A household someone moves into on `d`: not dissolved by then, of a commune in force then. */
  function checkHouseholdOn(p: Problems, field: string, household: HouseholdRow, d: string) {
    if (household.dissolvedOn && household.dissolvedOn < d) {
      p.add(field, `was dissolved on ${household.dissolvedOn}`, `đã giải thể ngày ${household.dissolvedOn}`);
    }
    checkCommuneOn(p, field, household.communeCode, d, "the household's ");
  }

  function checkVillage(p: Problems, field: string, villageCode: string | null | undefined, communeCode: string) {
    if (villageCode == null) return;
    const village = places.get(villageCode);
    if (village?.level !== 'VILLAGE' || village.parentCode !== communeCode) {
      p.add(field, `is not a village of commune ${communeCode}`, `không phải thôn/bon của xã ${communeCode}`);
    }
  }

  function checkHouseholdCode(p: Problems, field: string, code: string): string {
    const trimmed = code.trim();
    if (!HOUSEHOLD_CODE.test(trimmed)) p.add(field, 'must be 1–40 letters, digits or . _ - /', 'phải có 1–40 ký tự chữ, số hoặc . _ - /');
    return trimmed;
  }

  /** A place outside the district: 1–500 characters, no control characters. */
  function checkDestination(p: Problems, field: string, destination: string): string {
    const d = destination.trim();
    if (!d) p.add(field, 'is required: where the person went', 'là bắt buộc: nơi người này chuyển đến');
    else if (d.length > 500) p.add(field, 'must be at most 500 characters', 'tối đa 500 ký tự');
    else if (CONTROL.test(d)) p.add(field, 'must not contain control characters', 'không được chứa ký tự điều khiển');
    return d;
  }

  /** `relations` of a split, merge or head change: each person once, relations cleaned. */
  function relationsOf(p: Problems, relations: readonly RelationInput[] | null | undefined): Map<string, string | null> {
    const out = new Map<string, string | null>();
    (relations ?? []).forEach((r, i) => {
      if (out.has(r.personId)) p.add(`input.relations[${i}].personId`, 'is listed twice', 'bị liệt kê hai lần');
      out.set(r.personId, cleanText(r.relationToHead));
    });
    return out;
  }

  const duplicateHouseholdCode = (field: string) => () => conflict('A household with this code already exists', 'Mã hộ này đã tồn tại', { field });

  // Shared steps ---------------------------------------------------------------------------------

  /** Locks the person (NOT_FOUND when there is none); their periods are read after. */
  async function lockPerson(tx: DbOrTx, id: string): Promise<PersonRecord> {
    const person = await registry.lockPerson(tx, id);
    if (!person) throw notFound('person', id);
    return person;
  }

  /** Locks the people in id order (one order for every mutation, so two of them cannot deadlock on people). */
  async function lockPeople(tx: DbOrTx, ids: Iterable<string>): Promise<Map<string, PersonRecord>> {
    const out = new Map<string, PersonRecord>();
    for (const id of [...new Set(ids)].sort()) out.set(id, await lockPerson(tx, id));
    return out;
  }

  async function lockHousehold(tx: DbOrTx, id: string): Promise<HouseholdRow> {
    const household = await registry.lockHousehold(tx, id);
    if (!household) throw notFound('household', id);
    return household;
  }

  /** Each person's latest period (the one a change ends). */
  async function currentPeriods(tx: DbOrTx, personIds: readonly string[]): Promise<Map<string, ResidencePeriodRow>> {
    const rows = await repo.findResidencePeriods(tx, personIds);
    const out = new Map<string, ResidencePeriodRow>();
    // Oldest first: the last one per person wins.
    for (const r of rows) out.set(r.personId, r);
    return out;
  }

  /** Ends `current` the day before `from` and opens the next period, then refreshes the copy on the person row. */
  async function appendPeriod(tx: DbOrTx, personId: string, current: ResidencePeriodRow | undefined, values: PeriodValues, from: string) {
    if (current && (current.validTo === null || current.validTo >= from)) await repo.endPeriod(tx, current.id, addDays(from, -1));
    const row = await repo.insertPeriod(tx, { personId, ...values, validFrom: from, validTo: null });
    await repo.refreshResidenceCopy(tx, personId);
    return row;
  }

  /** The audit entry of one person's period change. */
  const periodEvent = (action: string, personId: string, before: ResidencePeriodRow | undefined, after: ResidencePeriodRow): AuditEntry => ({
    action,
    entityType: 'Person',
    entityId: personId,
    before: { period: before ?? null },
    after: { period: after },
  });

  /** When the person leaving a household was its head, the household has no recorded head until a new one is named. */
  async function headLeaves(tx: DbOrTx, householdId: string | null, personId: string): Promise<AuditEntry[]> {
    if (!householdId || !(await repo.clearHouseholdHeadIf(tx, householdId, personId))) return [];
    return [
      { action: 'clearHouseholdHead', entityType: 'Household', entityId: householdId, before: { headPersonId: personId }, after: { headPersonId: null } },
    ];
  }

  async function personAfter(tx: DbOrTx, id: string): Promise<PersonRecord> {
    const [person] = await registry.findPersonsByIds(tx, [id]);
    if (!person) throw notFound('person', id);
    return person;
  }

  /** The commune a new household of `communeCode` gets on `d`: the commune itself, or its successor once it has ended. */
  function communeForNewHousehold(communeCode: string, d: string): string {
    const unit = places.get(communeCode);
    return unit?.validTo && unit.validTo < d && unit.successorCode ? unit.successorCode : communeCode;
  }

  return {
    // Reads ------------------------------------------------------------------------------------

    /** Every period of many people, oldest first (the caller has already seen the people). */
    async historyOf(personIds: readonly string[]): Promise<Map<string, ResidencePeriodRow[]>> {
      return groupBy(await repo.findResidencePeriods(db, [...new Set(personIds)]), (r) => r.personId);
    },

    /** For each (person, date), the period in the district in force that day, or null. */
    async residenceOn(asked: readonly { personId: string; asOf: string }[]): Promise<(ResidencePeriodRow | null)[]> {
      const byPerson = groupBy(await repo.findResidencePeriods(db, [...new Set(asked.map((a) => a.personId))]), (r) => r.personId);
      return asked.map(
        ({ personId, asOf }) =>
          (byPerson.get(personId) ?? []).find((r) => r.communeCode !== null && r.validFrom <= asOf && (r.validTo === null || r.validTo >= asOf)) ?? null,
      );
    },

    /** The household of each period, null where the caller's token does not cover the period's commune. */
    async householdsOfPeriods(principal: Principal, periods: readonly ResidencePeriodRow[]): Promise<(HouseholdRow | null)[]> {
      const shown = (r: ResidencePeriodRow) => r.householdId !== null && r.communeCode !== null && canSee(principal, r.communeCode);
      const ids = [...new Set(periods.filter(shown).map((r) => r.householdId ?? ''))];
      const byId = new Map((await registry.findHouseholdsByIds(db, ids)).map((h) => [h.id, h]));
      return periods.map((r) => (shown(r) ? (byId.get(r.householdId ?? '') ?? null) : null));
    },

    // Changes ----------------------------------------------------------------------------------

    /** A move to an existing household, to a new one (the person becomes its head), or out of the district. */
    async movePerson(actor: AuditActor, input: MovePersonInput): Promise<PersonRecord> {
      assertCanMutate(actor.principal);
      const p = new Problems();
      const targets = [input.householdId, input.newHousehold, input.outOfDistrict].filter((t) => t != null).length;
      if (targets !== 1) {
        p.add('input', 'give exactly one of householdId, newHousehold or outOfDistrict', 'cần đúng một trong householdId, newHousehold hoặc outOfDistrict');
      }
      checkChangeDate(p, 'input.movedOn', input.movedOn);
      if (input.relationToHead != null && input.householdId == null) {
        p.add(
          'input.relationToHead',
          'goes with householdId (who founds a new household is its head)',
          'chỉ dùng với householdId (người lập hộ mới là chủ hộ)',
        );
      }
      const destination = input.outOfDistrict ? checkDestination(p, 'input.outOfDistrict.destination', input.outOfDistrict.destination) : null;
      const nh = input.newHousehold;
      const code = nh ? checkHouseholdCode(p, 'input.newHousehold.code', nh.code) : '';
      if (nh) {
        if (isValidDate(input.movedOn)) checkCommuneOn(p, 'input.newHousehold.communeCode', nh.communeCode, input.movedOn);
        checkVillage(p, 'input.newHousehold.villageCode', nh.villageCode, nh.communeCode);
      }
      p.throwIfAny();
      const movedOn = input.movedOn;
      return uniqueAsConflict(
        () =>
          auditedTransaction(db, actor, async (tx) => {
            const person = await lockPerson(tx, input.personId);
            const current = (await currentPeriods(tx, [person.id])).get(person.id);
            // The commune left (none for someone coming back from outside the district) and the one entered.
            const left = current ? current.communeCode : person.communeCode;
            // The person and the household named by id answer as unknown ones when in a commune the caller does not
            // reach (no existence leak); the new household's commune is the caller's own argument (FORBIDDEN).
            if (left) assertReachesOrMissing(callerToday(actor.principal), left, () => notFound('person', input.personId));
            const joined = input.householdId ? await lockHousehold(tx, input.householdId) : undefined;
            if (joined && input.householdId) {
              const householdId = input.householdId;
              assertReachesOrMissing(callerToday(actor.principal), joined.communeCode, () => notFound('household', householdId));
            }
            if (nh) assertCanSee(callerToday(actor.principal), nh.communeCode);

            checkPersonDate(p, 'input.movedOn', person, current, movedOn);
            if (joined) {
              checkHouseholdOn(p, 'input.householdId', joined, movedOn);
              if (current?.householdId === joined.id) p.add('input.householdId', 'is the household the person already lives in', 'là hộ người này đang ở');
            }
            if (destination !== null && !left) p.add('input.outOfDistrict', 'the person already lives outside the district', 'người này đã ở ngoài huyện');
            if (nh && (await registry.findHouseholdByCode(tx, code))) throw duplicateHouseholdCode('input.newHousehold.code')();
            p.throwIfAny();

            const audit: AuditEntry[] = [];
            let household = joined;
            if (nh) {
              household = await registry.insertHousehold(tx, {
                code,
                communeCode: nh.communeCode,
                villageCode: nh.villageCode ?? null,
                address: cleanText(nh.address),
                headPersonId: person.id,
              });
              audit.push({ action: 'registerHousehold', entityType: 'Household', entityId: household.id, after: household });
            }
            const row = await appendPeriod(
              tx,
              person.id,
              current,
              {
                householdId: household?.id ?? null,
                communeCode: household?.communeCode ?? null,
                relationToHead: nh ? HEAD_RELATION : joined ? cleanText(input.relationToHead) : null,
                destination,
                reason: destination !== null ? 'TRANSFER_OUT' : 'MOVE',
              },
              movedOn,
            );
            audit.unshift(periodEvent('movePerson', person.id, current, row));
            audit.push(...(await headLeaves(tx, current?.householdId ?? null, person.id)));
            if (destination !== null && deps.onTransferOut) audit.push(...(await deps.onTransferOut(tx, person.id, movedOn, destination)));
            return { result: await personAfter(tx, person.id), audit };
          }),
        { households_code_uq: duplicateHouseholdCode('input.newHousehold.code') },
      );
    },

    /** Members leave a household to form a new one in the same commune (its successor after the 2025 merger). */
    async splitHousehold(actor: AuditActor, input: SplitHouseholdInput): Promise<HouseholdRow> {
      assertCanMutate(actor.principal);
      const p = new Problems();
      checkChangeDate(p, 'input.splitOn', input.splitOn);
      if (input.memberIds.length === 0) p.add('input.memberIds', 'name at least one member who leaves', 'cần ít nhất một thành viên tách hộ');
      input.memberIds.forEach((id, i) => {
        if (input.memberIds.indexOf(id) !== i) p.add(`input.memberIds[${i}]`, 'is listed twice', 'bị liệt kê hai lần');
      });
      if (!input.memberIds.includes(input.headId)) p.add('input.headId', 'must be one of memberIds', 'phải là một trong memberIds');
      const relations = relationsOf(p, input.relations);
      (input.relations ?? []).forEach((r, i) => {
        if (!input.memberIds.includes(r.personId) || r.personId === input.headId) {
          p.add(`input.relations[${i}].personId`, 'is not one of the members leaving (other than the head)', 'không phải thành viên tách hộ (ngoài chủ hộ)');
        }
      });
      const code = checkHouseholdCode(p, 'input.newHousehold.code', input.newHousehold.code);
      p.throwIfAny();
      const splitOn = input.splitOn;
      return uniqueAsConflict(
        () =>
          auditedTransaction(db, actor, async (tx) => {
            const people = await lockPeople(tx, input.memberIds);
            const from = await lockHousehold(tx, input.householdId);
            assertReachesOrMissing(callerToday(actor.principal), from.communeCode, () => notFound('household', input.householdId));
            const communeCode = communeForNewHousehold(from.communeCode, splitOn);
            if (communeCode !== from.communeCode) assertCanSee(callerToday(actor.principal), communeCode);
            checkCommuneOn(p, 'input.splitOn', communeCode, splitOn);
            checkVillage(p, 'input.newHousehold.villageCode', input.newHousehold.villageCode, communeCode);
            if (from.dissolvedOn && from.dissolvedOn < splitOn)
              p.add('input.householdId', `was dissolved on ${from.dissolvedOn}`, `đã giải thể ngày ${from.dissolvedOn}`);
            const current = await currentPeriods(tx, input.memberIds);
            input.memberIds.forEach((id, i) => {
              const period = current.get(id);
              const person = people.get(id);
              if (period?.householdId !== from.id || period.validTo !== null) {
                p.add(`input.memberIds[${i}]`, 'does not live in the household', 'không sống trong hộ này');
              } else if (person) checkPersonDate(p, 'input.splitOn', person, period, splitOn, id);
            });
            const staying = (await repo.findPeriodsInHouseholdFrom(tx, from.id, splitOn)).filter(
              (r) => r.validTo === null && !input.memberIds.includes(r.personId),
            );
            if (staying.length === 0) {
              p.add(
                'input.memberIds',
                'every member would leave: at least one stays (a whole household moves with movePerson)',
                'tất cả thành viên đều rời đi: phải có ít nhất một người ở lại',
              );
            }
            if (await registry.findHouseholdByCode(tx, code)) throw duplicateHouseholdCode('input.newHousehold.code')();
            p.throwIfAny();

            const created = await registry.insertHousehold(tx, {
              code,
              communeCode,
              villageCode: input.newHousehold.villageCode ?? null,
              address: cleanText(input.newHousehold.address),
              headPersonId: input.headId,
            });
            const audit: AuditEntry[] = [
              {
                action: 'splitHousehold',
                entityType: 'Household',
                entityId: created.id,
                after: { ...created, splitFrom: from.id, memberIds: input.memberIds },
              },
            ];
            for (const id of input.memberIds) {
              const before = current.get(id);
              const relationToHead = id === input.headId ? HEAD_RELATION : (relations.get(id) ?? null);
              const row = await appendPeriod(
                tx,
                id,
                before,
                { householdId: created.id, communeCode, relationToHead, destination: null, reason: 'SPLIT' },
                splitOn,
              );
              audit.push(periodEvent('splitHousehold', id, before, row), ...(await headLeaves(tx, from.id, id)));
            }
            return { result: created, audit };
          }),
        { households_code_uq: duplicateHouseholdCode('input.newHousehold.code') },
      );
    },

    /** Everyone living in a household moves into another of the same commune; the absorbed one is dissolved. */
    async mergeHouseholds(actor: AuditActor, input: MergeHouseholdsInput): Promise<HouseholdRow> {
      assertCanMutate(actor.principal);
      const p = new Problems();
      checkChangeDate(p, 'input.mergedOn', input.mergedOn);
      if (input.householdId === input.intoHouseholdId) p.add('input.intoHouseholdId', 'is the household absorbed', 'trùng với hộ được nhập');
      const relations = relationsOf(p, input.relations);
      p.throwIfAny();
      const mergedOn = input.mergedOn;
      return auditedTransaction(db, actor, async (tx) => {
        // People first, then households (the order every mutation locks in); read again once locked.
        const people = await lockPeople(
          tx,
          (await repo.findPeriodsInHouseholdFrom(tx, input.householdId, mergedOn)).map((r) => r.personId),
        );
        const [first, second] = [input.householdId, input.intoHouseholdId].sort();
        const locked = new Map<string, HouseholdRow>();
        for (const id of [first ?? '', second ?? '']) locked.set(id, await lockHousehold(tx, id));
        const absorbed = locked.get(input.householdId);
        const into = locked.get(input.intoHouseholdId);
        if (!absorbed || !into) throw new Error('locked households missing');
        assertReachesOrMissing(callerToday(actor.principal), absorbed.communeCode, () => notFound('household', input.householdId));
        assertReachesOrMissing(callerToday(actor.principal), into.communeCode, () => notFound('household', input.intoHouseholdId));
        const living = await repo.findPeriodsInHouseholdFrom(tx, absorbed.id, mergedOn);
        for (const id of living.map((r) => r.personId).filter((id) => !people.has(id))) people.set(id, await lockPerson(tx, id));

        if (into.communeCode !== absorbed.communeCode) {
          p.add(
            'input.intoHouseholdId',
            `belongs to another commune (${into.communeCode}) than the household absorbed (${absorbed.communeCode})`,
            `thuộc xã khác (${into.communeCode}) với hộ được nhập (${absorbed.communeCode})`,
          );
        }
        checkHouseholdOn(p, 'input.intoHouseholdId', into, mergedOn);
        if (absorbed.dissolvedOn) p.add('input.householdId', `was dissolved on ${absorbed.dissolvedOn}`, `đã giải thể ngày ${absorbed.dissolvedOn}`);
        if (living.some((r) => r.validTo !== null)) {
          p.add(
            'input.mergedOn',
            'someone lived in the household on or after this date and has moved since: the merge comes after their move (or correct their residence)',
            'có người sống trong hộ từ ngày này và đã chuyển đi sau đó: ngày nhập hộ phải sau lần chuyển đi đó (hoặc đính chính nơi cư trú)',
          );
        }
        // Who died before the merge stays where they lived.
        const moving = living.filter((r) => {
          const person = people.get(r.personId);
          return r.validTo === null && !(person?.dateOfDeath && person.dateOfDeath < mergedOn);
        });
        for (const r of moving) {
          const person = people.get(r.personId);
          if (person) checkPersonDate(p, 'input.mergedOn', person, r, mergedOn, r.personId);
        }
        (input.relations ?? []).forEach((r, i) => {
          if (!moving.some((m) => m.personId === r.personId)) {
            p.add(`input.relations[${i}].personId`, 'does not live in the household absorbed', 'không sống trong hộ được nhập');
          }
        });
        p.throwIfAny();

        const audit: AuditEntry[] = [];
        for (const before of moving) {
          const row = await appendPeriod(
            tx,
            before.personId,
            before,
            { householdId: into.id, communeCode: into.communeCode, relationToHead: relations.get(before.personId) ?? null, destination: null, reason: 'MERGE' },
            mergedOn,
          );
          audit.push(periodEvent('mergeHouseholds', before.personId, before, row));
        }
        const dissolved = await repo.dissolveHousehold(tx, absorbed.id, addDays(mergedOn, -1));
        const memberIds = moving.map((r) => r.personId);
        audit.unshift(
          {
            action: 'mergeHouseholds',
            entityType: 'Household',
            entityId: absorbed.id,
            before: absorbed,
            after: { ...dissolved, mergedInto: into.id, memberIds },
          },
          { action: 'mergeHouseholds', entityType: 'Household', entityId: into.id, before: into, after: { ...into, absorbed: absorbed.id, memberIds } },
        );
        return { result: into, audit };
      });
    },

    /** A new head from `changedOn`: new periods for the members whose relation to the head changes. */
    async changeHouseholdHead(actor: AuditActor, input: ChangeHouseholdHeadInput): Promise<HouseholdRow> {
      assertCanMutate(actor.principal);
      const p = new Problems();
      checkChangeDate(p, 'input.changedOn', input.changedOn);
      const relations = relationsOf(p, input.relations);
      (input.relations ?? []).forEach((r, i) => {
        if (r.personId === input.newHeadId) p.add(`input.relations[${i}].personId`, 'is the new head (Chủ hộ)', 'là chủ hộ mới');
      });
      p.throwIfAny();
      const changedOn = input.changedOn;
      return auditedTransaction(db, actor, async (tx) => {
        // The household is read first to know its head; people are then locked, the household last.
        const peek = (await registry.findHouseholdsByIds(tx, [input.householdId]))[0];
        if (!peek) throw notFound('household', input.householdId);
        assertReachesOrMissing(callerToday(actor.principal), peek.communeCode, () => notFound('household', input.householdId));
        const people = await lockPeople(tx, [input.newHeadId, ...relations.keys(), ...(peek.headPersonId ? [peek.headPersonId] : [])]);
        const household = await lockHousehold(tx, input.householdId);
        const oldHead = household.headPersonId;
        if (oldHead && !people.has(oldHead)) people.set(oldHead, await lockPerson(tx, oldHead));
        if (household.dissolvedOn && household.dissolvedOn < changedOn) {
          p.add('input.householdId', `was dissolved on ${household.dissolvedOn}`, `đã giải thể ngày ${household.dissolvedOn}`);
        }
        if (oldHead === input.newHeadId) p.add('input.newHeadId', 'is already the head', 'đã là chủ hộ');
        const current = await currentPeriods(tx, [...people.keys()]);
        const livesHere = (id: string) => {
          const r = current.get(id);
          return r?.householdId === household.id && r.validTo === null;
        };
        if (!livesHere(input.newHeadId)) p.add('input.newHeadId', 'does not live in the household', 'không sống trong hộ này');
        (input.relations ?? []).forEach((r, i) => {
          if (!livesHere(r.personId)) p.add(`input.relations[${i}].personId`, 'does not live in the household', 'không sống trong hộ này');
        });
        // The new relations: the new head's, those listed, and the former head's (no longer Chủ hộ) if they still live here and are alive.
        const changes = new Map<string, string | null>([[input.newHeadId, HEAD_RELATION], ...relations]);
        const formerHead = oldHead ? people.get(oldHead) : undefined;
        if (oldHead && formerHead && livesHere(oldHead) && !changes.has(oldHead) && !(formerHead.dateOfDeath && formerHead.dateOfDeath < changedOn)) {
          changes.set(oldHead, null);
        }
        for (const [id, relation] of changes) {
          const person = people.get(id);
          const period = current.get(id);
          if (person && period && livesHere(id) && period.relationToHead !== relation) checkPersonDate(p, 'input.changedOn', person, period, changedOn, id);
        }
        p.throwIfAny();

        const audit: AuditEntry[] = [];
        for (const [id, relationToHead] of changes) {
          const before = current.get(id);
          if (!before || before.relationToHead === relationToHead) continue;
          const row = await appendPeriod(
            tx,
            id,
            before,
            { householdId: household.id, communeCode: household.communeCode, relationToHead, destination: null, reason: 'HEAD_CHANGE' },
            changedOn,
          );
          audit.push(periodEvent('changeHouseholdHead', id, before, row));
        }
        await registry.setHouseholdHead(tx, household.id, input.newHeadId);
        const after = { ...household, headPersonId: input.newHeadId };
        audit.unshift({ action: 'changeHouseholdHead', entityType: 'Household', entityId: household.id, before: household, after });
        return { result: after, audit };
      });
    },

    /**
     * Rewrites a person's periods from the first corrected date on (a move recorded wrongly). Audited as a
     * correction with the periods before and after and the reason.
     */
    async correctResidence(actor: AuditActor, input: CorrectResidenceInput): Promise<PersonRecord> {
      assertCanMutate(actor.principal);
      const p = new Problems();
      const reason = input.reason.trim();
      if (reason.length === 0 || reason.length > 1000) p.add('input.reason', 'must be 1–1000 characters', 'phải có 1–1000 ký tự');
      const periods = input.periods;
      if (periods.length === 0) p.add('input.periods', 'give at least one period', 'cần ít nhất một giai đoạn');
      if (periods.length > MAX_CORRECTED_PERIODS)
        p.add('input.periods', `at most ${MAX_CORRECTED_PERIODS} periods`, `tối đa ${MAX_CORRECTED_PERIODS} giai đoạn`);
      const destinations = periods.map((r, i) => {
        const f = `input.periods[${i}]`;
        checkChangeDate(p, `${f}.from`, r.from);
        if (r.to != null) {
          checkChangeDate(p, `${f}.to`, r.to);
          if (r.to < r.from) p.add(`${f}.to`, 'is before from', 'trước ngày bắt đầu');
        }
        const inDistrict = r.householdId != null || r.communeCode != null;
        if (r.destination != null && inDistrict) {
          p.add(`${f}.destination`, 'a period outside the district has no household or commune', 'giai đoạn ở ngoài huyện không có hộ hoặc xã');
        } else if (r.destination == null && !inDistrict) {
          p.add(
            f,
            'give a householdId, a communeCode, or a destination outside the district',
            'cần householdId, communeCode hoặc nơi ở ngoài huyện (destination)',
          );
        }
        if (r.relationToHead != null && r.householdId == null) p.add(`${f}.relationToHead`, 'goes with householdId', 'chỉ dùng với householdId');
        if (r.communeCode != null) {
          const unit = places.get(r.communeCode);
          if (unit?.level !== 'COMMUNE') p.add(`${f}.communeCode`, `Unknown commune code ${r.communeCode}`, `Không có mã xã ${r.communeCode}`);
        }
        const previous = periods[i - 1];
        if (previous) {
          if (previous.to == null) p.add(`input.periods[${i - 1}].to`, 'only the last period may be open', 'chỉ giai đoạn cuối được để mở');
          else if (isValidDate(previous.to) && isValidDate(r.from)) {
            if (r.from <= previous.to) {
              p.add(`${f}.from`, `overlaps the previous period, which ends on ${previous.to}`, `chồng lên giai đoạn trước, kết thúc ngày ${previous.to}`);
            } else if (r.from !== addDays(previous.to, 1)) {
              p.add(
                `${f}.from`,
                `leaves a gap after the previous period, which ends on ${previous.to}`,
                `để trống sau giai đoạn trước, kết thúc ngày ${previous.to}`,
              );
            }
          }
        }
        return r.destination != null ? checkDestination(p, `${f}.destination`, r.destination) : null;
      });
      const last = periods[periods.length - 1];
      if (last?.to != null)
        p.add(`input.periods[${periods.length - 1}].to`, 'the last period lasts: leave it open', 'giai đoạn cuối đang tiếp diễn: để trống ngày kết thúc');
      p.throwIfAny();
      const firstFrom = periods[0]?.from ?? '';

      return auditedTransaction(db, actor, async (tx) => {
        const person = await lockPerson(tx, input.personId);
        assertReachesOrMissing(callerToday(actor.principal), person.communeCode, () => notFound('person', input.personId));
        const before = await repo.findResidencePeriods(tx, [person.id]);
        // Every commune whose periods change: those replaced and those written.
        for (const r of before) if (r.communeCode && (r.validTo === null || r.validTo >= firstFrom)) assertCanSee(callerToday(actor.principal), r.communeCode);
        const householdIds = periods.map((r) => r.householdId).filter((id): id is string => id != null);
        const households = new Map((await registry.findHouseholdsByIds(tx, [...new Set(householdIds)])).map((h) => [h.id, h]));
        for (const id of householdIds) if (!households.has(id)) throw notFound('household', id);
        const communes = periods.map((r) => (r.householdId ? (households.get(r.householdId)?.communeCode ?? null) : (r.communeCode ?? null)));
        // A household named by id outside the caller's communes answers as an unknown one; a commune code given is the
        // caller's own argument.
        periods.forEach((r, i) => {
          const c = communes[i];
          if (!c) return;
          const householdId = r.householdId;
          if (householdId) assertReachesOrMissing(callerToday(actor.principal), c, () => notFound('household', householdId));
          else assertCanSee(callerToday(actor.principal), c);
        });

        periods.forEach((r, i) => {
          const f = `input.periods[${i}]`;
          const household = r.householdId ? households.get(r.householdId) : undefined;
          const commune = communes[i];
          if (household && r.communeCode != null && r.communeCode !== household.communeCode) {
            p.add(`${f}.communeCode`, `is not the commune of the household (${household.communeCode})`, `không phải xã của hộ (${household.communeCode})`);
          }
          if (household?.dissolvedOn && (r.to == null || r.to > household.dissolvedOn)) {
            p.add(`${f}.householdId`, `was dissolved on ${household.dissolvedOn}`, `đã giải thể ngày ${household.dissolvedOn}`);
          }
          if (commune) checkCommuneOn(p, household ? `${f}.householdId` : `${f}.communeCode`, commune, r.from, household ? "the household's " : '', false);
          if (r.from < person.dateOfBirth) p.add(`${f}.from`, `is before the date of birth ${person.dateOfBirth}`, `trước ngày sinh ${person.dateOfBirth}`);
          if (person.dateOfDeath && r.from > person.dateOfDeath)
            p.add(`${f}.from`, `is after the death on ${person.dateOfDeath}`, `sau ngày mất ${person.dateOfDeath}`);
        });
        const kept = before.filter((r) => r.validFrom < firstFrom);
        if (!kept.some((r) => r.communeCode !== null) && !communes.some((c) => c !== null)) {
          p.add('input.periods', 'leaves no period in the district: someone on the registry has lived here', 'không còn giai đoạn nào ở trong huyện');
        }
        p.throwIfAny();

        await repo.cutPeriodsFrom(tx, person.id, firstFrom);
        for (const [i, r] of periods.entries()) {
          await repo.insertPeriod(tx, {
            personId: person.id,
            householdId: r.householdId ?? null,
            communeCode: communes[i] ?? null,
            relationToHead: cleanText(r.relationToHead),
            validFrom: r.from,
            validTo: r.to ?? null,
            destination: destinations[i] ?? null,
            reason: 'CORRECTION',
          });
        }
        await repo.refreshResidenceCopy(tx, person.id);
        const after = await repo.findResidencePeriods(tx, [person.id]);
        return {
          result: await personAfter(tx, person.id),
          audit: [
            {
              action: 'correctResidence',
              entityType: 'Person',
              entityId: person.id,
              before: { periods: before },
              after: { periods: after, correctionReason: reason },
            },
          ],
        };
      });
    },
  };
}
export type ResidenceService = ReturnType<typeof createResidenceService>;
