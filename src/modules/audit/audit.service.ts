/**
 * The audit log: every change is written, inside the same transaction as the change, as an append-only
 * event whose hash covers its content and the previous event's hash. Editing or deleting a past row then
 * breaks the chain from that row on, which `verifyChain` finds.
 */
import { createHash } from 'node:crypto';
import { asc, desc, and, eq, gt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { auditEvents } from '../../db/schema/index.js';
import { assertRole } from '../auth/auth.service.js';
import type { Principal } from '../auth/auth.types.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
}

export interface AuditActor {
  principal: Principal;
  requestId: string | undefined;
}

/** JSON with object keys sorted, so a hash does not depend on key order (jsonb reorders keys). */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Round-trips a value through JSON so the hash covers exactly what jsonb will store (dates as strings). */
const asStored = (v: unknown) => (v === undefined ? null : JSON.parse(JSON.stringify(v)));

function eventHash(
  prevHash: string,
  e: {
    occurredAt: Date;
    actor: string;
    actorRole: string;
    action: string;
    entityType: string;
    entityId: string;
    before: unknown;
    after: unknown;
    requestId: string | null;
  },
): string {
  const body = canonicalJson({ ...e, occurredAt: e.occurredAt.toISOString() });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

// Any constant works: it only names the lock that serialises appends to the chain.
const AUDIT_CHAIN_LOCK = 7_305_2024;

/** Appends events to the chain. Call it inside the mutation's transaction. */
export async function recordAudit(tx: DbOrTx, actor: AuditActor, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  // Appends are serialised so that each event links to exactly one predecessor; the lock is released at commit.
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
  const [last] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  let prevHash = last?.hash ?? GENESIS_HASH;
  // Millisecond precision: what JavaScript dates can round-trip exactly through timestamptz.
  const occurredAt = new Date();
  const rows = entries.map((entry) => {
    const content = {
      occurredAt,
      actor: actor.principal.subject,
      actorRole: actor.principal.role,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      before: asStored(entry.before),
      after: asStored(entry.after),
      requestId: actor.requestId ?? null,
    };
    const hash = eventHash(prevHash, content);
    const row = { ...content, prevHash, hash };
    prevHash = hash;
    return row;
  });
  await tx.insert(auditEvents).values(rows);
}

export async function auditTrail(db: DbOrTx, entityType: string, entityId: string) {
  return db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.entityType, entityType), eq(auditEvents.entityId, entityId)))
    .orderBy(asc(auditEvents.seq));
}

/** Recomputes every hash in order, in batches; reports the first event that does not match. */
export async function verifyChain(db: DbOrTx, batchSize = 5000) {
  let prevHash = GENESIS_HASH;
  let afterSeq = 0;
  let checked = 0;
  for (;;) {
    const batch = await db.select().from(auditEvents).where(gt(auditEvents.seq, afterSeq)).orderBy(asc(auditEvents.seq)).limit(batchSize);
    for (const e of batch) {
      const expected = eventHash(prevHash, {
        occurredAt: e.occurredAt,
        actor: e.actor,
        actorRole: e.actorRole,
        action: e.action,
        entityType: e.entityType,
        entityId: e.entityId,
        before: e.before,
        after: e.after,
        requestId: e.requestId,
      });
      if (e.prevHash !== prevHash || e.hash !== expected) {
        return { ok: false, eventsChecked: checked, firstBrokenSeq: String(e.seq) };
      }
      prevHash = e.hash;
      checked++;
    }
    if (batch.length < batchSize) return { ok: true, eventsChecked: checked, firstBrokenSeq: null };
    afterSeq = batch[batch.length - 1].seq;
  }
}

/**
 * Runs one mutation: its changes and its audit events commit together or not at all.
 * `fn` returns its result and the audit entries describing what it changed.
 */
export async function auditedTransaction<T>(
  db: import('../../db/client.js').Db,
  actor: AuditActor,
  fn: (tx: import('../../db/client.js').Tx) => Promise<{ result: T; audit: AuditEntry[] }>,
): Promise<T> {
  return db.transaction(async (tx) => {
    const { result, audit } = await fn(tx);
    await recordAudit(tx, actor, audit);
    return result;
  });
}

/** Reading the audit log: the trail of one entity, and the chain check. */
export function createAuditService(database: { db: DbOrTx }) {
  return {
    trail(principal: Principal, entityType: string, entityId: string) {
      assertRole(principal, 'auditor', 'district_officer', 'admin');
      return auditTrail(database.db, entityType, entityId);
    },
    verifyChain(principal: Principal) {
      assertRole(principal, 'auditor', 'admin');
      return verifyChain(database.db);
    },
  };
}
export type AuditService = ReturnType<typeof createAuditService>;
