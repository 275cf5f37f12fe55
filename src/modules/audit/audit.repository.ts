/**
 * SQL for the audit log: append-only chains of events and the roots that anchor their heads (see
 * audit.service.ts for the hashing).
 */
import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { auditEvents, auditRoots } from '../../db/schema/index.js';

export type AuditEventRow = typeof auditEvents.$inferSelect;
export type AuditRootRow = typeof auditRoots.$inferSelect;

/**
 * Serialises appends to one chain until the transaction ends. The two-key form keeps the chains' locks in a
 * namespace of their own (`namespace`), apart from any single-key advisory lock.
 */
export async function lockChain(tx: DbOrTx, namespace: number, chain: number): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${namespace}::int, ${chain}::int)`);
}

/** The hash of the latest event of a chain, if any. */
export async function lastHash(tx: DbOrTx, chain: number): Promise<string | undefined> {
  const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).where(eq(auditEvents.chain, chain)).orderBy(desc(auditEvents.seq)).limit(1);
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

/** A batch of one chain's events in chain order after a sequence number (audit_events_chain_idx). */
export async function findChainEventsAfter(db: DbOrTx, chain: number, afterSeq: number, limit: number): Promise<AuditEventRow[]> {
  return db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.chain, chain), gt(auditEvents.seq, afterSeq)))
    .orderBy(asc(auditEvents.seq))
    .limit(limit);
}

/**
 * The chains that have events, ascending. A skip scan over audit_events_chain_idx (one index probe per chain),
 * so listing a handful of chains does not read the whole log.
 */
export async function listChains(db: DbOrTx): Promise<number[]> {
  const r = await db.execute<{ chain: number }>(sql`
    WITH RECURSIVE c(chain) AS (
      SELECT min(chain) FROM audit_events
      UNION ALL
      SELECT (SELECT min(e.chain) FROM audit_events e WHERE e.chain > c.chain) FROM c WHERE c.chain IS NOT NULL
    )
    SELECT chain::int AS chain FROM c WHERE chain IS NOT NULL ORDER BY chain`);
  return r.rows.map((row) => row.chain);
}

export async function countEvents(db: DbOrTx): Promise<number> {
  const r = await db.execute<{ n: number | string }>(sql`SELECT count(*) AS n FROM audit_events`);
  return Number(r.rows[0]?.n ?? 0);
}

/** Every root, oldest first (one a day: a few thousand rows in a decade). */
export async function findRoots(db: DbOrTx): Promise<AuditRootRow[]> {
  return db.select().from(auditRoots).orderBy(asc(auditRoots.seq));
}

export async function lastRootHash(tx: DbOrTx): Promise<string | undefined> {
  const [last] = await tx.select({ hash: auditRoots.hash }).from(auditRoots).orderBy(desc(auditRoots.seq)).limit(1);
  return last?.hash;
}

export async function insertRoot(tx: DbOrTx, row: typeof auditRoots.$inferInsert): Promise<AuditRootRow> {
  const [inserted] = await tx.insert(auditRoots).values(row).returning();
  if (!inserted) throw new Error('insertRoot: INSERT … RETURNING returned no row');
  return inserted;
}
