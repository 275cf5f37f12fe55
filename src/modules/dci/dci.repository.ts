/** SQL of the DCI module: partners, transactions and subscriptions (src/db/schema/dci.ts). */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { dciPartners, dciSubscriptions, dciTransactions } from '../../db/schema/index.js';

export type DciPartnerRow = typeof dciPartners.$inferSelect;
export type DciTransactionRow = typeof dciTransactions.$inferSelect;
export type DciSubscriptionRow = typeof dciSubscriptions.$inferSelect;

export async function findPartner(db: DbOrTx, senderId: string, forUpdate = false): Promise<DciPartnerRow | undefined> {
  const q = db.select().from(dciPartners).where(eq(dciPartners.senderId, senderId));
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

export const listPartners = (db: DbOrTx) => db.select().from(dciPartners).orderBy(dciPartners.senderId);

export async function upsertPartner(db: DbOrTx, values: typeof dciPartners.$inferInsert): Promise<DciPartnerRow> {
  const [row] = await db
    .insert(dciPartners)
    .values(values)
    .onConflictDoUpdate({
      target: dciPartners.senderId,
      set: { ...values, updatedAt: sql`now()` },
    })
    .returning();
  if (!row) throw new Error('INSERT … RETURNING gave no row');
  return row;
}

export async function insertTransaction(db: DbOrTx, values: typeof dciTransactions.$inferInsert): Promise<DciTransactionRow> {
  const [row] = await db.insert(dciTransactions).values(values).returning();
  if (!row) throw new Error('INSERT … RETURNING gave no row');
  return row;
}

export async function finishTransaction(db: DbOrTx, correlationId: string, status: DciTransactionRow['status'], items: unknown): Promise<void> {
  await db
    .update(dciTransactions)
    .set({ status, items, updatedAt: sql`now()` })
    .where(eq(dciTransactions.correlationId, correlationId));
}

/** A partner's transactions of one action, newest first, by its transaction id or our correlation id. */
export async function findTransactions(
  db: DbOrTx,
  senderId: string,
  action: DciTransactionRow['action'],
  by: { transactionId: string } | { correlationId: string },
): Promise<DciTransactionRow[]> {
  const key = 'transactionId' in by ? eq(dciTransactions.transactionId, by.transactionId) : eq(dciTransactions.correlationId, by.correlationId);
  return db
    .select()
    .from(dciTransactions)
    .where(and(eq(dciTransactions.senderId, senderId), eq(dciTransactions.action, action), key))
    .orderBy(desc(dciTransactions.createdAt));
}

export async function findPartnerTransactions(db: DbOrTx, senderId: string, action: DciTransactionRow['action']): Promise<DciTransactionRow[]> {
  return db
    .select()
    .from(dciTransactions)
    .where(and(eq(dciTransactions.senderId, senderId), eq(dciTransactions.action, action)))
    .orderBy(desc(dciTransactions.createdAt))
    .limit(1000);
}

export async function insertSubscription(db: DbOrTx, values: typeof dciSubscriptions.$inferInsert): Promise<DciSubscriptionRow> {
  const [row] = await db.insert(dciSubscriptions).values(values).returning();
  if (!row) throw new Error('INSERT … RETURNING gave no row');
  return row;
}

export async function findSubscriptions(db: DbOrTx, codes: readonly string[], forUpdate = false): Promise<DciSubscriptionRow[]> {
  if (codes.length === 0) return [];
  const q = db
    .select()
    .from(dciSubscriptions)
    .where(inArray(dciSubscriptions.code, [...codes]));
  return forUpdate ? q.for('update') : q;
}

export async function endSubscription(db: DbOrTx, code: string): Promise<void> {
  await db
    .update(dciSubscriptions)
    .set({ status: 'unsubscribe', endedAt: sql`now()` })
    .where(eq(dciSubscriptions.code, code));
}

/** Active subscriptions to an event type (the commune filter is applied by the caller, which knows the person). */
export async function activeSubscriptions(db: DbOrTx, eventType: string): Promise<DciSubscriptionRow[]> {
  return db
    .select()
    .from(dciSubscriptions)
    .where(and(eq(dciSubscriptions.eventType, eventType), eq(dciSubscriptions.status, 'subscribe')));
}
