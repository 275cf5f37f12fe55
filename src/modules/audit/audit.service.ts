/**
 * The audit log: every change is written, inside the same transaction as the change, as an append-only
 * event whose hash covers its content and the previous event's hash in its chain. Editing or deleting a past row
 * then breaks its chain from that row on, which `verifyChain` finds. The log is split into AUDIT_CHAINS chains so
 * that writers do not all queue on one lock; roots (`anchorRoot`, run daily) record every chain's head, so a
 * chain rewritten and re-hashed, or cut short, no longer matches them.
 */
import { createHash } from 'node:crypto';
import type { Db, DbOrTx, Tx } from '../../db/client.js';
import { assertRole } from '../auth/auth.service.js';
import type { Principal } from '../auth/auth.types.js';
import { appendChangeEvents } from '../changes/outbox.service.js';
import * as repo from './audit.repository.js';

// The event row is the parent of GraphQL's AuditEvent (codegen.ts maps it; seq, a number, serialises as an ID).
export type { AuditEventRow } from './audit.repository.js';

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
const asStored = (v: unknown): unknown => (v === undefined ? null : JSON.parse(JSON.stringify(v)));

/** An event's hash: over its predecessor's hash and its canonical content (exported for tests that re-hash). */
export function eventHash(
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

// Any constant works: it only names the advisory locks (one per chain, and one for the roots) of the audit log.
const AUDIT_LOCK_NAMESPACE = 7_305_2024;
const ROOTS_LOCK = -1;

/**
 * How many chains new events are spread over. Writers of different chains do not wait for each other (see
 * docs/architecture.md, "Audit log", for what it buys and costs). Changing it later is safe: an event's chain is
 * stored with it and verification walks whatever chains exist.
 */
export const AUDIT_CHAINS = 16;

/** The chain of an entity: a hash bucket of its type and id, so its events usually stay in one chain. */
export function chainOf(entityType: string, entityId: string, chains: number): number {
  return createHash('sha256').update(`${entityType}:${entityId}`).digest().readUInt32BE(0) % chains;
}

/**
 * Appends events to the chain. Call it inside the mutation's transaction. All the events of one call go to the
 * chain of its first entity: a transaction then takes one chain lock only, so two transactions never wait for
 * each other's chains in opposite orders (no deadlock).
 */
export async function recordAudit(tx: DbOrTx, actor: AuditActor, entries: AuditEntry[], chains = AUDIT_CHAINS): Promise<void> {
  const first = entries[0];
  if (!first) return;
  const chain = chainOf(first.entityType, first.entityId, chains);
  // Appends to a chain are serialised so that each event links to exactly one predecessor; the lock is released
  // at commit. The head is read after the lock is taken, so it sees the previous holder's committed events.
  await repo.lockChain(tx, AUDIT_LOCK_NAMESPACE, chain);
  let prevHash = (await repo.lastHash(tx, chain)) ?? GENESIS_HASH;
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
    const row = { ...content, chain, prevHash, hash };
    prevHash = hash;
    return row;
  });
  await repo.insertEvents(tx, rows);
  // The registry changes among them go to the outbox of change events, in the same transaction: the one place
  // every mutation passes, so a change is published exactly when it is audited (modules/changes/outbox.service.ts).
  await appendChangeEvents(tx, entries, occurredAt);
}

export async function auditTrail(db: DbOrTx, entityType: string, entityId: string) {
  return repo.findEventsOf(db, entityType, entityId);
}

/**
 * What is wrong with the first broken event of a chain:
 * - BROKEN_LINK: its prevHash is not the hash of the event before it in the chain (an event was deleted, inserted
 *   or moved between chains);
 * - HASH_MISMATCH: its content no longer gives its hash (the event was edited);
 * - ROOT_MISMATCH: its hash is not the one a root recorded for it (the chain was edited and re-hashed at or before
 *   this event, after the previous root's head);
 * - MISSING_EVENT: a root names this event but the chain no longer has it (the chain was cut short).
 */
export type AuditChainProblem = 'BROKEN_LINK' | 'HASH_MISMATCH' | 'ROOT_MISMATCH' | 'MISSING_EVENT';

export interface AuditChainBreak {
  seq: string;
  chain: number;
  /** The event's action and entity; null for MISSING_EVENT (the row is gone). */
  action: string | null;
  entityType: string | null;
  entityId: string | null;
  problem: AuditChainProblem;
  /** The hash the check expected (the predecessor's, the recomputed one, the root's) and the one found. */
  expected: string;
  found: string | null;
}

/** The last event of a chain: what a root records. */
export interface AuditHead {
  chain: number;
  seq: number;
  hash: string;
}

export interface AuditChainCheck {
  ok: boolean;
  eventsChecked: number;
  chainsChecked: number;
  rootsChecked: number;
  /** The first broken event (lowest seq over all chains), as firstBroken.seq. */
  firstBrokenSeq: string | null;
  firstBroken: AuditChainBreak | null;
  /** The first root whose own hash or link to the previous root does not match. */
  firstBrokenRootSeq: string | null;
  /** The last intact event of each chain (when ok, the heads a new root may anchor). */
  heads: AuditHead[];
}

export interface VerifyOptions {
  batchSize?: number;
  /** Called after each batch with the events checked so far and the events in the log when the check began. */
  onProgress?: (checked: number, total: number) => void;
}

const rootHash = (prevHash: string, anchoredAt: Date, heads: unknown): string =>
  createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(canonicalJson({ anchoredAt: anchoredAt.toISOString(), heads }))
    .digest('hex');

/** Checks the roots' own chain; returns the seq of the first root that fails, if any. */
function checkRoots(roots: repo.AuditRootRow[]): string | null {
  let prevHash = GENESIS_HASH;
  for (const r of roots) {
    if (r.prevHash !== prevHash || r.hash !== rootHash(r.prevHash, r.anchoredAt, r.heads)) return String(r.seq);
    prevHash = r.hash;
  }
  return null;
}

/** The heads recorded by the roots: chain → event seq → hash. */
function anchoredHeads(roots: repo.AuditRootRow[]): Map<number, Map<number, string>> {
  const byChain = new Map<number, Map<number, string>>();
  for (const r of roots) {
    for (const h of r.heads as AuditHead[]) {
      let m = byChain.get(h.chain);
      if (!m) byChain.set(h.chain, (m = new Map<number, string>()));
      m.set(h.seq, h.hash);
    }
  }
  return byChain;
}

/**
 * Walks one chain in batches, recomputing every hash and link and comparing the events roots anchored.
 * Stops at the chain's first broken event.
 */
async function walkChain(
  db: DbOrTx,
  chain: number,
  anchored: Map<number, string>,
  batchSize: number,
  onBatch: (n: number) => void,
): Promise<{ broken: AuditChainBreak | null; head: AuditHead | null }> {
  let prevHash = GENESIS_HASH;
  let head: AuditHead | null = null;
  let afterSeq = 0;
  const seen = new Set<number>();
  for (;;) {
    const batch = await repo.findChainEventsAfter(db, chain, afterSeq, batchSize);
    let checked = 0;
    for (const e of batch) {
      const at = (problem: AuditChainProblem, expected: string, found: string): AuditChainBreak => ({
        seq: String(e.seq),
        chain,
        action: e.action,
        entityType: e.entityType,
        entityId: e.entityId,
        problem,
        expected,
        found,
      });
      let broken: AuditChainBreak | null = null;
      const recomputed = eventHash(e.prevHash, {
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
      const rooted = anchored.get(e.seq);
      if (e.prevHash !== prevHash) broken = at('BROKEN_LINK', prevHash, e.prevHash);
      else if (e.hash !== recomputed) broken = at('HASH_MISMATCH', recomputed, e.hash);
      else if (rooted !== undefined && rooted !== e.hash) broken = at('ROOT_MISMATCH', rooted, e.hash);
      if (broken) {
        onBatch(checked);
        return { broken, head };
      }
      seen.add(e.seq);
      prevHash = e.hash;
      head = { chain, seq: e.seq, hash: e.hash };
      checked++;
    }
    onBatch(checked);
    const last = batch.at(-1);
    if (batch.length < batchSize || !last) break;
    afterSeq = last.seq;
  }
  // A root named an event the chain no longer has: the first such (lowest seq) is the break.
  const missing = [...anchored.keys()].filter((seq) => !seen.has(seq)).sort((a, b) => a - b)[0];
  if (missing !== undefined) {
    const broken: AuditChainBreak = {
      seq: String(missing),
      chain,
      action: null,
      entityType: null,
      entityId: null,
      problem: 'MISSING_EVENT',
      expected: anchored.get(missing) ?? '',
      found: null,
    };
    return { broken, head };
  }
  return { broken: null, head };
}

/**
 * Recomputes every chain in order, in batches, and checks them against the roots; reports the first broken event
 * (lowest seq over the chains, each chain checked up to its own first break) and the first broken root.
 */
export async function verifyChain(db: DbOrTx, options: VerifyOptions = {}): Promise<AuditChainCheck> {
  const batchSize = options.batchSize ?? 5000;
  const roots = await repo.findRoots(db);
  const firstBrokenRootSeq = checkRoots(roots);
  const anchored = anchoredHeads(roots);
  const total = await repo.countEvents(db);
  // Chains a root names are walked too: a chain whose every event was deleted still shows (MISSING_EVENT).
  const chains = [...new Set([...(await repo.listChains(db)), ...anchored.keys()])].sort((a, b) => a - b);
  let checked = 0;
  const breaks: AuditChainBreak[] = [];
  const heads: AuditHead[] = [];
  for (const chain of chains) {
    const { broken, head } = await walkChain(db, chain, anchored.get(chain) ?? new Map<number, string>(), batchSize, (n) => {
      checked += n;
      options.onProgress?.(checked, total);
    });
    if (broken) breaks.push(broken);
    if (head) heads.push(head);
  }
  const firstBroken = breaks.sort((a, b) => Number(a.seq) - Number(b.seq))[0] ?? null;
  return {
    ok: firstBroken === null && firstBrokenRootSeq === null,
    eventsChecked: checked,
    chainsChecked: chains.length,
    rootsChecked: roots.length,
    firstBrokenSeq: firstBroken?.seq ?? null,
    firstBroken,
    firstBrokenRootSeq,
    heads,
  };
}

/**
 * Records a root anchoring `heads` (the heads a verification just found intact), chained to the previous root.
 * Roots are serialised by their own lock, so each has exactly one predecessor.
 */
export async function anchorRoot(db: Db, heads: AuditHead[]): Promise<repo.AuditRootRow> {
  return db.transaction(async (tx) => {
    await repo.lockChain(tx, AUDIT_LOCK_NAMESPACE, ROOTS_LOCK);
    const prevHash = (await repo.lastRootHash(tx)) ?? GENESIS_HASH;
    const anchoredAt = new Date();
    const sorted = [...heads].sort((a, b) => a.chain - b.chain).map((h) => ({ chain: h.chain, seq: h.seq, hash: h.hash }));
    return repo.insertRoot(tx, { anchoredAt, heads: sorted, prevHash, hash: rootHash(prevHash, anchoredAt, sorted) });
  });
}

/**
 * Runs one mutation: its changes and its audit events commit together or not at all.
 * `fn` returns its result and the audit entries describing what it changed.
 */
export async function auditedTransaction<T>(db: Db, actor: AuditActor, fn: (tx: Tx) => Promise<{ result: T; audit: AuditEntry[] }>): Promise<T> {
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
