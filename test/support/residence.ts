/**
 * Moves for tests, until the residence mutations (movePerson and friends) are on this branch: the one place
 * tests record a move. It writes the periods through the residence repository's primitives in one transaction,
 * as a mutation would; switch its body to the `movePerson` mutation once that exists, and every test follows.
 */
import type { Db } from '../../src/db/client.js';
import { addDays } from '../../src/core/facts.js';
import { closeOpenPeriod, insertPeriod, refreshResidenceCopy } from '../../src/modules/registry/residence.repository.js';

export interface MoveSpec {
  /** First day at the new address (the old period ends the day before). */
  movedOn: string;
  /** The commune moved to; null for a move out of the district (then `destination` says where). */
  communeCode: string | null;
  householdId?: string | null;
  relationToHead?: string | null;
  destination?: string | null;
}

/** Records that the person moved on `movedOn` (their open period ends the day before). */
export async function recordMove(db: Db, personId: string, move: MoveSpec): Promise<void> {
  await db.transaction(async (tx) => {
    await closeOpenPeriod(tx, personId, addDays(move.movedOn, -1));
    await insertPeriod(tx, {
      personId,
      communeCode: move.communeCode,
      householdId: move.communeCode === null ? null : (move.householdId ?? null),
      relationToHead: move.communeCode === null ? null : (move.relationToHead ?? null),
      validFrom: move.movedOn,
      destination: move.communeCode === null ? (move.destination ?? 'outside the district') : null,
      reason: move.communeCode === null ? 'TRANSFER_OUT' : 'MOVE',
    });
    await refreshResidenceCopy(tx, personId);
  });
}
