/**
 * Moves for tests. `movePerson` goes through the API (the `movePerson` mutation, as a district officer): what
 * tests of behaviour use. `writeMove` writes the periods straight through the residence repository's primitives,
 * as the mutation does, for test data built directly in the database (the rules property test's random histories,
 * the compiled-reads data set: both write every other record the same way).
 */
import type { ResidenceChangeReason } from '../../src/core/code-lists.js';
import type { Db } from '../../src/db/client.js';
import { addDays } from '../../src/core/facts.js';
import { closeOpenPeriod, insertPeriod, refreshResidenceCopy } from '../../src/modules/registry/residence.repository.js';
import type { TestApp } from './app.js';
import { ok } from './people.js';

export interface MoveSpec {
  /** First day at the new address (the old period ends the day before). */
  movedOn: string;
  /** The commune moved to; null for a move out of the district (then `destination` says where). */
  communeCode: string | null;
  /** The household joined; without one (in the district), the person heads a new household of that commune. */
  householdId?: string | null;
  relationToHead?: string | null;
  destination?: string | null;
  /** What opened the new period (writeMove only): MOVE or TRANSFER_OUT unless given, e.g. SPLIT. */
  reason?: ResidenceChangeReason;
}

let newHouseholds = 0;

/** Moves the person through the API; returns the mutation's answer (the person's residence after the move). */
export async function movePerson(t: TestApp, personId: string, move: MoveSpec): Promise<void> {
  const target =
    move.communeCode === null
      ? { outOfDistrict: { destination: move.destination ?? 'outside the district' } }
      : move.householdId
        ? { householdId: move.householdId, relationToHead: move.relationToHead ?? null }
        : { newHousehold: { code: `MOVE-${Date.now().toString(36)}-${newHouseholds++}`, communeCode: move.communeCode } };
  const r = await t.gql(`mutation($input: MovePersonInput!) { movePerson(input: $input) { id } }`, {
    input: { personId, movedOn: move.movedOn, ...target },
  });
  ok(r, 'movePerson');
}

/** Writes a move's periods directly (see the file comment for when). */
export async function writeMove(db: Db, personId: string, move: MoveSpec): Promise<void> {
  await db.transaction(async (tx) => {
    await closeOpenPeriod(tx, personId, addDays(move.movedOn, -1));
    await insertPeriod(tx, {
      personId,
      communeCode: move.communeCode,
      householdId: move.communeCode === null ? null : (move.householdId ?? null),
      relationToHead: move.communeCode === null ? null : (move.relationToHead ?? null),
      validFrom: move.movedOn,
      destination: move.communeCode === null ? (move.destination ?? 'outside the district') : null,
      reason: move.reason ?? (move.communeCode === null ? 'TRANSFER_OUT' : 'MOVE'),
    });
    await refreshResidenceCopy(tx, personId);
  });
}
