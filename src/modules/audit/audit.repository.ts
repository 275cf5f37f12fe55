/**
 * SQL for the audit log: an append-only chain of events (see audit.service.ts for the hashing).
 */
import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { auditEvents } from '../../db/schema/index.js';

export type AuditEventRow = typeof auditEvents.$inferSelect;

/** Serialises appends to the chain until the transaction ends. */
export async function lockChain(tx: DbOrTx, lockId: number): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${lockId})`);
}

/** The hash of the latest event, if any. */
export async function lastHash(tx: DbOrTx): Promise<string | undefined> {
  const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  return last?.hash;
}

export async function insertEvents(tx: DbOrTx, rows: (typeof auditEvents.$inferInsert)[]): Promise<void> {
  await tx.insert(auditEvents).values(rows);
}

export async function findEventsOf(db: DbOrTx, entityType: string, entityId: string): Promise<AuditEventRow[]> {
  return db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.entityType, entityType), eq(auditEvents.entityId, entityId)))
    .orderBy(asc(auditEvents.seq));
}

/** A batch of events in chain order after a sequence number. */
export async function findEventsAfter(db: DbOrTx, afterSeq: number, limit: number): Promise<AuditEventRow[]> {
  return db.select().from(auditEvents).where(gt(auditEvents.seq, afterSeq)).orderBy(asc(auditEvents.seq)).limit(limit);
}
