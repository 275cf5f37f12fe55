/**
 * The write side of the change events: which audited actions are registry changes a subscriber must hear of,
 * and the outbox row each becomes. Called by the audit log's single append point (audit.service.ts recordAudit),
 * inside the mutation's transaction, so a change, its audit events and its change events commit together or not
 * at all; a module added later publishes its events by appearing in the mapping below, with no call of its own.
 *
 * Only domain changes of the registry the DCI Social Registry speaks of get a typed event (registration, death,
 * residence and household, poverty classification, enrolment). Circumstances (disability, HIV and other flags,
 * pensions, pregnancies), payments, rules and reference data do not: they are not registry events, and the
 * circumstances are health data a notification must not carry. Payloads hold ids, codes and dates only: a
 * subscriber reads the record itself through the API, under the access policy.
 */
import type { ChangeType } from '../../core/change-types.js';
import type { DbOrTx } from '../../db/client.js';
import * as repo from './changes.repository.js';

/** The shape of an audit entry (audit.service.ts AuditEntry), restated so that this file needs nothing of audit. */
export interface AuditedChange {
  action: string;
  entityType: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
}

/** An event before its person's commune and household are looked up. */
interface Draft {
  type: ChangeType;
  personIds: string[];
  /** Null: none; undefined: not in the entry, the person's current household. */
  householdId: string | null | undefined;
  /** Known from the entry itself; else the person's (or household's) current commune. */
  communeCode: string | null;
  previousCommuneCode: string | null;
  payload: Record<string, unknown>;
}

type Fields = Record<string, unknown>;
const fields = (v: unknown): Fields => (v !== null && typeof v === 'object' ? (v as Fields) : {});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

const ENROLMENT_CHANGES: Record<string, string> = {
  enrol: 'PROPOSED',
  approveEnrolment: 'APPROVED',
  suspendEnrolment: 'SUSPENDED',
  resumeEnrolment: 'RESUMED',
  endEnrolment: 'ENDED',
  stopEnrolment: 'ENDED',
  reopenEnrolment: 'REOPENED',
};

/** Person-level residence events (a new residence period): which change of household or residence they are. */
const PERIOD_ACTIONS = new Set(['movePerson', 'splitHousehold', 'mergeHouseholds', 'changeHouseholdHead']);

const HOUSEHOLD_CHANGES: Record<string, string> = {
  setHouseholdHead: 'HEAD',
  changeHouseholdHead: 'HEAD',
  clearHouseholdHead: 'HEAD',
  splitHousehold: 'SPLIT',
  mergeHouseholds: 'MERGE',
};

function personDraft(type: ChangeType, personId: string, payload: Fields = {}): Draft {
  return { type, personIds: [personId], householdId: undefined, communeCode: null, previousCommuneCode: null, payload };
}

/** The change event of one audited change, if it is one. Exported for the tests of the mapping. */
export function draftOf(e: AuditedChange): Draft | null {
  const before = fields(e.before);
  const after = fields(e.after);
  if (e.entityType === 'Person') {
    switch (e.action) {
      case 'registerPerson':
        return { ...personDraft('PERSON_REGISTERED', e.entityId), householdId: str(after.householdId), communeCode: str(after.communeCode) };
      case 'recordDeath':
        return personDraft('DEATH_RECORDED', e.entityId, { dateOfDeath: str(after.dateOfDeath) });
      case 'correctDeath':
        return personDraft('DEATH_CORRECTED', e.entityId, { dateOfDeath: str(after.dateOfDeath), previousDateOfDeath: str(before.dateOfDeath) });
      case 'correctResidence':
        return personDraft('RESIDENCE_CHANGED', e.entityId, { reason: 'CORRECTION' });
      case 'updatePerson': {
        const communeChanged = after.communeCode !== before.communeCode;
        if (!communeChanged && after.householdId === before.householdId) return null;
        return {
          ...personDraft(communeChanged ? 'RESIDENCE_CHANGED' : 'HOUSEHOLD_CHANGED', e.entityId, {
            reason: 'CORRECTION',
            previousHouseholdId: str(before.householdId),
          }),
          householdId: str(after.householdId),
          communeCode: str(after.communeCode),
          previousCommuneCode: communeChanged ? str(before.communeCode) : null,
        };
      }
      default: {
        if (!PERIOD_ACTIONS.has(e.action)) return null;
        const from = fields(before.period);
        const to = fields(after.period);
        const previousCommune = str(from.communeCode);
        const commune = str(to.communeCode);
        // A move out of the district has no commune after: the event belongs to the commune left.
        const communeChanged = commune !== previousCommune;
        return {
          ...personDraft(communeChanged ? 'RESIDENCE_CHANGED' : 'HOUSEHOLD_CHANGED', e.entityId, {
            reason: str(to.reason),
            validFrom: str(to.validFrom),
            previousHouseholdId: str(from.householdId),
            leftDistrict: commune === null,
          }),
          householdId: str(to.householdId),
          communeCode: commune ?? previousCommune,
          previousCommuneCode: communeChanged && commune !== null ? previousCommune : null,
        };
      }
    }
  }
  if (e.entityType === 'Household') {
    const household = (type: ChangeType, payload: Fields): Draft => ({
      type,
      personIds: [],
      householdId: e.entityId,
      communeCode: str(after.communeCode) ?? str(before.communeCode),
      previousCommuneCode: null,
      payload,
    });
    if (e.action === 'registerHousehold') return household('HOUSEHOLD_REGISTERED', {});
    if (e.action === 'recordPovertyAssessment') {
      return household('POVERTY_CLASSIFICATION_CHANGED', {
        classification: str(after.classification),
        assessedOn: str(after.assessedOn),
        standardCode: str(after.standardCode),
      });
    }
    const change = HOUSEHOLD_CHANGES[e.action];
    if (!change) return null;
    return household('HOUSEHOLD_CHANGED', {
      change,
      headPersonId: 'headPersonId' in after ? str(after.headPersonId) : undefined,
      splitFrom: str(after.splitFrom) ?? undefined,
      mergedInto: str(after.mergedInto) ?? undefined,
      absorbedHouseholdId: str(after.absorbed) ?? undefined,
    });
  }
  if (e.entityType === 'Enrolment') {
    const change = ENROLMENT_CHANGES[e.action];
    const personId = str(after.personId) ?? str(before.personId);
    if (!change || !personId) return null;
    // No end reason: officers write it as free text, which may name a circumstance.
    return personDraft('ENROLMENT_CHANGED', personId, {
      change,
      enrolmentId: e.entityId,
      programCode: str(after.programCode) ?? str(before.programCode),
      status: str(after.status),
      startMonth: str(after.startMonth),
      endMonth: str(after.endMonth),
    });
  }
  return null;
}

const registrationRank = (type: ChangeType) => (type === 'HOUSEHOLD_REGISTERED' ? 0 : type === 'PERSON_REGISTERED' ? 1 : 2);

/**
 * Writes the change events of a transaction's audit entries into the outbox (nothing when none is a registry
 * change). The person's household and commune are read inside the transaction, after the change.
 */
export async function appendChangeEvents(tx: DbOrTx, entries: readonly AuditedChange[], occurredAt: Date): Promise<void> {
  // Registrations first (a stable sort): a move into a new household audits the move before the household, and a
  // subscriber must hear of a household before a person joining it.
  const drafts = entries
    .map(draftOf)
    .filter((d): d is Draft => d !== null)
    .sort((a, b) => registrationRank(a.type) - registrationRank(b.type));
  if (drafts.length === 0) return;
  const people = await repo.findPeoplePlaces(
    tx,
    drafts.filter((d) => d.communeCode === null || d.householdId === undefined).flatMap((d) => d.personIds),
  );
  const households = await repo.findHouseholdCommunes(
    tx,
    drafts.filter((d) => d.communeCode === null && d.personIds.length === 0).flatMap((d) => (d.householdId ? [d.householdId] : [])),
  );
  const rows = drafts.flatMap((d) => {
    const person = d.personIds[0] === undefined ? undefined : people.get(d.personIds[0]);
    const householdId = d.householdId === undefined ? (person?.householdId ?? null) : d.householdId;
    const communeCode = d.communeCode ?? person?.communeCode ?? (householdId ? households.get(householdId) : undefined);
    // Every person and household belongs to a commune; an entry naming neither has nothing to publish.
    if (!communeCode) return [];
    const payload = Object.fromEntries(Object.entries(d.payload).filter(([, v]) => v !== undefined));
    return [
      {
        type: d.type,
        personIds: d.personIds,
        householdId,
        communeCode,
        previousCommuneCode: d.previousCommuneCode === communeCode ? null : d.previousCommuneCode,
        orderKeys: [...d.personIds, ...(householdId ? [householdId] : [])],
        occurredAt,
        payload,
      },
    ];
  });
  await repo.insertEvents(tx, rows);
}
