/**
 * The audit log: append-only in the database itself, hash chains that verification walks (per chain, against the
 * roots), and `npm run audit:verify` as a process. Tampering is done as a superuser would: with the guarding
 * trigger disabled, inside a transaction that is rolled back after the check (so each test sees an intact log),
 * except for the last test, which tampers for good.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { asc, eq, sql, type SQL } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbOrTx } from '../src/db/client.js';
import { auditEvents, auditRoots } from '../src/db/schema/index.js';
import { anchorRoot, eventHash, verifyChain, type AuditChainCheck } from '../src/modules/audit/audit.service.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';
import { ok } from './support/people.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  const admin = await t.token('admin');
  // Enough events to spread over several chains and to need several batches at batchSize 3.
  for (let i = 0; i < 12; i++) {
    ok(await t.gql(`mutation { registerHousehold(input: { code: "AUDIT-${i}", communeCode: "24865" }) { id } }`, {}, admin));
  }
});
afterAll(() => closeTestApp(t));

const db = () => t.db.database.db;

/** The error message of a statement that fails (with its cause, where the driver wraps it), or 'no error'. */
const failure = (q: SQL | string) =>
  db()
    .execute(q)
    .then(
      () => 'no error',
      (err: unknown) => (err instanceof Error ? `${err.message} ${err.cause instanceof Error ? err.cause.message : ''}` : String(err)),
    );

class Rollback extends Error {}

/** Runs `statements` with the append-only triggers disabled, checks the log in the same transaction, rolls back. */
async function tampered(statements: SQL[], check: (tx: DbOrTx) => Promise<AuditChainCheck> = (tx) => verifyChain(tx, { batchSize: 3 })) {
  let result: AuditChainCheck | undefined;
  await db()
    .transaction(async (tx) => {
      await tx.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
      await tx.execute(sql`ALTER TABLE audit_roots DISABLE TRIGGER audit_roots_append_only`);
      for (const s of statements) await tx.execute(s);
      result = await check(tx);
      throw new Rollback();
    })
    .catch((err: unknown) => {
      if (!(err instanceof Rollback)) throw err;
    });
  if (!result) throw new Error('tampered: the check did not run');
  return result;
}

async function events() {
  return db().select().from(auditEvents).orderBy(asc(auditEvents.seq));
}

describe('the database keeps the audit log append-only', () => {
  it('refuses UPDATE, DELETE and TRUNCATE of audit events, and leaves them as they were', async () => {
    const before = await events();
    expect(await failure(`UPDATE audit_events SET actor = 'someone else'`)).toMatch(/append-only/);
    expect(await failure(`DELETE FROM audit_events WHERE seq = ${before[0]?.seq ?? 0}`)).toMatch(/append-only/);
    expect(await failure(`TRUNCATE audit_events`)).toMatch(/append-only/);
    expect(await events()).toEqual(before);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of roots', async () => {
    const intact = await verifyChain(db());
    expect(intact.ok).toBe(true);
    const root = await anchorRoot(db(), intact.heads);
    expect(await failure(`UPDATE audit_roots SET hash = 'x' WHERE seq = ${root.seq}`)).toMatch(/append-only/);
    expect(await failure(`DELETE FROM audit_roots`)).toMatch(/append-only/);
    expect(await failure(`TRUNCATE audit_roots`)).toMatch(/append-only/);
    expect(await db().select().from(auditRoots).where(eq(auditRoots.seq, root.seq))).toEqual([root]);
  });
});

describe('verifying the chains', () => {
  it('passes on an intact log, walking every chain in batches with progress', async () => {
    const progress: [number, number][] = [];
    const check = await verifyChain(db(), { batchSize: 3, onProgress: (checked, total) => progress.push([checked, total]) });
    const all = await events();
    expect(check).toMatchObject({ ok: true, eventsChecked: all.length, firstBrokenSeq: null, firstBroken: null, firstBrokenRootSeq: null });
    expect(check.chainsChecked).toBe(new Set(all.map((e) => e.chain)).size);
    expect(check.chainsChecked).toBeGreaterThan(1);
    expect(progress.at(-1)).toEqual([all.length, all.length]);
    // Each chain's head is its last event.
    for (const h of check.heads) expect(all.filter((e) => e.chain === h.chain).at(-1)).toMatchObject({ seq: h.seq, hash: h.hash });
  });

  it('many concurrent mutations leave every chain intact, each event linked to the one before it in its chain', async () => {
    const admin = await t.token('admin');
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => t.gql(`mutation { registerHousehold(input: { code: "AUDIT-C${i}", communeCode: "24862" }) { id } }`, {}, admin)),
    );
    for (const r of results) ok(r);
    const check = await verifyChain(db());
    expect(check).toMatchObject({ ok: true, eventsChecked: (await events()).length });
  });

  it('names an edited event (any event, any field) with HASH_MISMATCH', async () => {
    const all = await events();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: all.length - 1 }),
        fc.constantFrom(
          sql`actor = 'intruder'`,
          sql`after = jsonb_set(coalesce(after, '{}'), '{address}', '"sửa lén"')`,
          sql`occurred_at = occurred_at + interval '1 second'`,
        ),
        async (i, change) => {
          const e = all[i]!;
          const check = await tampered([sql`UPDATE audit_events SET ${change} WHERE seq = ${e.seq}`]);
          expect(check.ok).toBe(false);
          expect(check.firstBroken).toMatchObject({ seq: String(e.seq), chain: e.chain, entityId: e.entityId, problem: 'HASH_MISMATCH', found: e.hash });
          expect(check.firstBrokenSeq).toBe(String(e.seq));
        },
      ),
      { numRuns: 8 },
    );
  });

  it('names the event after a deleted one with BROKEN_LINK', async () => {
    const all = await events();
    const chain = all.find((c) => all.filter((e) => e.chain === c.chain).length >= 3)!.chain;
    const [, deleted, next] = all.filter((e) => e.chain === chain);
    const check = await tampered([sql`DELETE FROM audit_events WHERE seq = ${deleted!.seq}`]);
    expect(check.firstBroken).toMatchObject({ seq: String(next!.seq), chain, problem: 'BROKEN_LINK', expected: deleted!.prevHash, found: deleted!.hash });
  });

  it('finds a chain re-hashed after its anchored head (ROOT_MISMATCH) and a chain cut short (MISSING_EVENT)', async () => {
    const root = await anchorRoot(db(), (await verifyChain(db())).heads);
    const head = (root.heads as { chain: number; seq: number; hash: string }[])[0]!;
    const [e] = await db().select().from(auditEvents).where(eq(auditEvents.seq, head.seq));
    if (!e) throw new Error('the anchored head is in the log');
    // The intruder edits the head and writes the hash its new content gives: the chain alone looks intact.
    const after = { ...(e.after as object), address: 'sửa lén' };
    const { occurredAt, actor, actorRole, action, entityType, entityId, before, requestId } = e;
    const rehashed = eventHash(e.prevHash, { occurredAt, actor, actorRole, action, entityType, entityId, before, after, requestId });
    const rewritten = await tampered([sql`UPDATE audit_events SET after = ${JSON.stringify(after)}::jsonb, hash = ${rehashed} WHERE seq = ${e.seq}`]);
    expect(rewritten.firstBroken).toMatchObject({ seq: String(e.seq), chain: e.chain, problem: 'ROOT_MISMATCH', expected: e.hash, found: rehashed });

    const cut = await tampered([sql`DELETE FROM audit_events WHERE chain = ${e.chain} AND seq >= ${e.seq}`]);
    expect(cut.firstBroken).toMatchObject({ seq: String(e.seq), chain: e.chain, problem: 'MISSING_EVENT', entityId: null, expected: e.hash, found: null });
  });

  it('finds an edited root', async () => {
    const root = await anchorRoot(db(), (await verifyChain(db())).heads);
    const check = await tampered([sql`UPDATE audit_roots SET anchored_at = anchored_at - interval '1 day' WHERE seq = ${root.seq}`]);
    expect(check).toMatchObject({ ok: false, firstBroken: null, firstBrokenRootSeq: String(root.seq) });
  });

  it('answers verifyAuditChain over GraphQL with what differs', async () => {
    const auditor = await t.token('auditor');
    const r = await t.gql(`{ verifyAuditChain { ok chainsChecked rootsChecked firstBroken { seq } } }`, {}, auditor);
    expect(ok(r, 'verifyAuditChain')).toMatchObject({ ok: true, firstBroken: null });
    expect(ok(r, 'verifyAuditChain').rootsChecked).toBeGreaterThan(0);
  });
});

describe('npm run audit:verify', () => {
  const ROOT = path.resolve(import.meta.dirname, '..');
  async function runCli(url: string, args: string[] = []) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/modules/audit/verify.cli.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: url, NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr };
  }

  it('exits 0 on an intact log (anchoring a root), 1 naming the first broken event once one is edited', async (ctx) => {
    // A child process reaches a server database; the in-memory PGlite of this process it cannot.
    const url = t.db.database.pool?.options.connectionString;
    if (t.db.database.kind !== 'postgres' || !url) return ctx.skip();
    const roots = (await db().select().from(auditRoots)).length;
    const intact = await runCli(url, ['--anchor', '--batch', '7']);
    expect(intact.stderr).toBe('');
    expect(intact.code).toBe(0);
    // Not a terminal: progress as plain lines, then the summary.
    expect(intact.stdout).toMatch(/audit events checked: \d+ of \d+ \(100%\)/);
    expect(intact.stdout).toMatch(/audit log intact: \d+ events in \d+ chains/);
    expect(intact.stdout).toMatch(/root \d+ anchors the heads of \d+ chains/);
    expect((await db().select().from(auditRoots)).length).toBe(roots + 1);

    const [e] = await db().select().from(auditEvents).orderBy(asc(auditEvents.seq)).limit(1).offset(5);
    if (!e) throw new Error('the log has events');
    await db().transaction(async (tx) => {
      await tx.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
      await tx.execute(sql`UPDATE audit_events SET actor = 'intruder' WHERE seq = ${e.seq}`);
      await tx.execute(sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
    });
    const broken = await runCli(url);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`audit log BROKEN at event seq ${e.seq}, chain ${e.chain} (${e.action} of ${e.entityType} ${e.entityId}): hash mismatch`);

    const usage = await runCli(url, ['--batch', 'many']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--batch must be a positive integer/);
  });
});
