/**
 * Retention of the change-event outbox (docs/integration.md#retention): the dispatcher deletes the oldest events
 * past CHANGES_RETENTION_DAYS once every sink has acknowledged them — never one still to deliver, nor a dead
 * letter, nor the newest — with their deliveries; a `changes` cursor from before what is kept is refused with
 * CURSOR_EXPIRED (bilingual) instead of skipping; the audit log is untouched.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeChangeCursor, type ChangeEventMessage, type ChangeSink } from '../src/modules/changes/changes.service.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';
import { LAT, ok, person } from './support/people.js';

let t: TestApp;
beforeAll(async () => {
  // The loop is driven by hand (runOnce, pruneNow); one attempt before a dead letter.
  t = await startTestApp({ config: { changes: { dispatch: false, retentionDays: 30, maxAttempts: 1, deliveryTimeoutMs: 2000, leaseMs: 5000 } } });
});
afterAll(() => closeTestApp(t));

const db = () => t.db.database.db;
const changes = () => t.app.services.changes;

async function rows<T = Record<string, unknown>>(query: string): Promise<T[]> {
  return (await db().execute(sql.raw(query))).rows as T[];
}
const positions = async () =>
  (await rows<{ position: string }>('SELECT position FROM change_events WHERE position IS NOT NULL ORDER BY position')).map((r) => Number(r.position));

const CHANGES = `query($since: String, $first: Int) { changes(since: $since, first: $first) { pageInfo { hasNextPage endCursor } nodes { id cursor } } }`;

describe('change events retention', () => {
  it('deletes only delivered events past the retention, as a prefix; a stale cursor gets CURSOR_EXPIRED', async () => {
    // Sink a acknowledges everything; sink b refuses event `refuse` once (dead letter), then accepts after replay.
    const a: ChangeEventMessage[] = [];
    let refuse = '';
    const sinks: ChangeSink[] = [
      {
        name: 'retention-a',
        deliver: (e) => {
          a.push(e);
          return Promise.resolve();
        },
      },
      {
        name: 'retention-b',
        deliver: (e) => (e.id === refuse ? Promise.reject(new Error('receiver down')) : Promise.resolve()),
      },
    ];
    const off = sinks.map((s) => changes().registerSink(s));
    // The sinks are seen before the events: they are owed every one of them.
    expect((await changes().dispatcher.runOnce()).holding).toBe(true);
    const start = (await positions()).at(-1) ?? 0;
    for (let i = 0; i < 8; i++) await person(t, { dateOfBirth: `1960-01-0${i + 1}`, commune: LAT });
    // Not numbered yet (the loop is off): b will refuse the fourth of ours.
    const ours = async () => (await positions()).filter((p) => p > start);
    const audits = Number((await rows<{ n: string }>('SELECT count(*) AS n FROM audit_events'))[0]!.n);
    refuse = String(start + 4);
    const first = await changes().dispatcher.runOnce();
    expect(first.failed).toBe(1);
    const mine = await ours();
    expect(mine).toHaveLength(8);
    expect(await rows(`SELECT position FROM change_deliveries WHERE dead_lettered_at IS NOT NULL`)).toEqual([{ position: expect.anything() }]);

    // Nothing is old yet: nothing goes.
    expect(await changes().dispatcher.pruneNow()).toBe(0);
    // Every event but our last two is past the retention (31 days old).
    await db().execute(sql`UPDATE change_events SET occurred_at = now() - interval '31 days' WHERE position <= ${start + 6}`);
    const pruned = await changes().dispatcher.pruneNow();
    // Up to the dead letter only (everything before it, including the events before ours).
    expect(await positions()).toEqual(mine.filter((p) => p >= start + 4));
    expect(pruned).toBe(start + 3);
    // Their deliveries went with them; the dead letter and the rest stay.
    expect(await rows(`SELECT 1 FROM change_deliveries WHERE position < ${start + 4}`)).toEqual([]);
    const sinkCount = Number((await rows<{ n: string }>(`SELECT count(DISTINCT sink) AS n FROM change_deliveries`))[0]!.n);
    expect(sinkCount).toBeGreaterThanOrEqual(2);
    expect((await rows(`SELECT 1 FROM change_deliveries WHERE position >= ${start + 4}`)).length).toBe(sinkCount * 5);
    // The audit log is not part of this.
    expect(Number((await rows<{ n: string }>('SELECT count(*) AS n FROM audit_events'))[0]!.n)).toBe(audits);

    // The feed: a cursor at the horizon reads on; one below it is refused, in English and Vietnamese.
    const atHorizon = ok(await t.gql(CHANGES, { since: encodeChangeCursor(start + 3) }), 'changes');
    expect(atHorizon.nodes.map((n: { id: string }) => Number(n.id))).toEqual(mine.filter((p) => p >= start + 4));
    const stale = await t.gql(CHANGES, { since: encodeChangeCursor(start + 1) });
    expect(stale.body.data).toBeNull();
    expect(stale.body.errors[0].extensions).toMatchObject({ code: 'CURSOR_EXPIRED', field: 'since', retainedSince: encodeChangeCursor(start + 3) });
    expect(stale.body.errors[0].message).toMatch(/deleted.*30 days/);
    expect(stale.body.errors[0].extensions.messageVi).toMatch(/đã bị xóa.*30 ngày/);
    // No cursor: from the oldest event kept.
    const fromStart = ok(await t.gql(CHANGES, {}), 'changes');
    expect(Number(fromStart.nodes[0].id)).toBe(start + 4);

    // The dead letter replayed and delivered: the prefix goes on up to the events still young.
    ok(await t.gql(`mutation { replayChangeDeadLetters(sink: "retention-b") }`, {}, await t.token('admin')));
    refuse = '';
    expect((await changes().dispatcher.runOnce()).failed).toBe(0);
    expect(await rows('SELECT position FROM change_deliveries WHERE delivered_at IS NULL')).toEqual([]);
    expect(await changes().dispatcher.pruneNow()).toBe(3);
    expect(await positions()).toEqual([start + 7, start + 8]);
    // Even when every event is old, the newest stays (numbering goes on from it).
    await db().execute(sql`UPDATE change_events SET occurred_at = now() - interval '31 days'`);
    expect(await changes().dispatcher.pruneNow()).toBe(1);
    expect(await positions()).toEqual([start + 8]);
    await person(t, { dateOfBirth: '1961-02-02', commune: LAT });
    await changes().dispatcher.runOnce();
    expect(await positions()).toEqual([start + 8, start + 9]);
    const stale2 = await t.gql(CHANGES, { since: encodeChangeCursor(start + 6) });
    expect(stale2.body.errors[0].extensions.code).toBe('CURSOR_EXPIRED');
    expect(a.map((e) => Number(e.id)).filter((p) => p > start)).toEqual([...mine, start + 9]);
    for (const o of off) o();
  });

  it('an event not yet queued for a registered sink stays, and so does every later one', async () => {
    // A sink the dispatcher has seen, then unregistered: the events after its `through` are still owed to it.
    const off = changes().registerSink({ name: 'retention-away', deliver: () => Promise.resolve() });
    await changes().dispatcher.runOnce();
    off();
    await person(t, { dateOfBirth: '1962-03-03', commune: LAT });
    await person(t, { dateOfBirth: '1962-03-04', commune: LAT });
    await changes().dispatcher.runOnce();
    const before = await positions();
    await db().execute(sql`UPDATE change_events SET occurred_at = now() - interval '31 days'`);
    const [away] = await rows<{ through: string }>(`SELECT through FROM change_sinks WHERE name = 'retention-away'`);
    await changes().dispatcher.pruneNow();
    // Only what the absent sink already had (or was never owed) went.
    expect(await positions()).toEqual(before.filter((p) => p > Number(away!.through)));
    expect((await positions()).length).toBeGreaterThanOrEqual(2);
  });

  it('the loop prunes: after its first tick the lease holder deletes what is past the retention', async () => {
    const t2 = await startTestApp({ config: { changes: { dispatch: false, retentionDays: 30, pollIntervalMs: 20 } } });
    const count = async () => Number((await t2.db.database.db.execute(sql`SELECT count(*) AS n FROM change_events WHERE position IS NOT NULL`)).rows[0]!.n);
    try {
      for (let i = 0; i < 3; i++) await person(t2, { dateOfBirth: `1963-04-0${i + 1}`, commune: LAT });
      await t2.db.database.db.execute(sql`UPDATE change_events SET occurred_at = now() - interval '31 days'`);
      // One tick numbers them; runOnce alone never prunes.
      await t2.app.services.changes.dispatcher.runOnce();
      const all = await count();
      expect(all).toBeGreaterThanOrEqual(3);
      // The loop: no sink, nothing is owed; everything old goes but the newest.
      t2.app.services.changes.dispatcher.start();
      const until = Date.now() + 20_000;
      while ((await count()) > 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(await count()).toBe(1);
    } finally {
      await t2.app.services.changes.dispatcher.stop();
      await closeTestApp(t2);
    }
    // A second app and database: slow to start on PGlite on a busy machine.
  }, 180_000);
});
