/**
 * Writes a move straight into the residence tables, for tests that need people with a history before the move
 * mutations exist on their branch (or without going through them): the open period ends the day before `on`, the
 * next one starts on `on`, and the copy on the person row is refreshed, in one transaction, with the same
 * repository functions the registry uses.
 */
import type { ResidenceChangeReason } from '../../src/core/code-lists.js';
import { closeOpenPeriod, insertPeriod, refreshResidenceCopy } from '../../src/modules/registry/residence.repository.js';
import type { TestDatabase } from './database.js';

export interface RecordedMove {
  personId: string;
  /** First day at the new place. */
  on: string;
  /** The new household and its commune; both null for a move out of the district (then `destination`). */
  householdId: string | null;
  communeCode: string | null;
  relationToHead?: string | null;
  destination?: string | null;
  reason?: ResidenceChangeReason;
}

/** The day before a yyyy-mm-dd date. */
const dayBefore = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

export async function recordMove(db: TestDatabase, move: RecordedMove): Promise<void> {
  await db.database.db.transaction(async (tx) => {
    await closeOpenPeriod(tx, move.personId, dayBefore(move.on));
    await insertPeriod(tx, {
      personId: move.personId,
      householdId: move.householdId,
      communeCode: move.communeCode,
      relationToHead: move.relationToHead ?? null,
      validFrom: move.on,
      destination: move.destination ?? null,
      reason: move.reason ?? (move.communeCode === null ? 'TRANSFER_OUT' : 'MOVE'),
    });
    await refreshResidenceCopy(tx, move.personId);
  });
}
