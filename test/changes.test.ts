/**
 * Issue 12, item 2: change events. Every registry mutation writes its change event to the outbox in its own
 * transaction; the dispatcher numbers them and delivers them at least once, in order per person, to the sinks
 * (retries with backoff, dead letters an admin replays); the `changes` feed serves them under the access policy.
 * The restart and two-instance cases run real apps on one database (test/support/app.ts sharedDatabase).
 */
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backoffDelay, type ChangeEventMessage, type ChangeSink } from '../src/modules/changes/changes.service.js';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { assess, DA_SAR, enrolAndApprove, flag, household, LAT, ok, person } from './support/people.js';
import { movePerson } from './support/residence.js';

/** Settings of the test apps: short backoff and lease, so retries and takeovers happen within a test. */
const FAST = { backoffBaseMs: 150, backoffMaxMs: 300, maxAttempts: 4, deliveryTimeoutMs: 500, leaseMs: 1500, pollIntervalMs: 20 };

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ config: { changes: FAST } });
});
afterAll(() => closeTestApp(t));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds, failing after a few seconds. */
async function eventually(check: () => Promise<boolean> | boolean, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not seen within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

/** A sink that records what it acknowledged; `before` may throw (a failed attempt) or hang. */
function recordingSink(name: string, before?: (e: ChangeEventMessage, signal: AbortSignal) => Promise<void> | void) {
  const acknowledged: ChangeEventMessage[] = [];
  const sink: ChangeSink = {
    name,
    async deliver(e, signal) {
      await before?.(e, signal);
      acknowledged.push(e);
    },
  };
  return { sink, acknowledged };
}

const tick = () => t.app.services.changes.dispatcher.runOnce();

async function count(table: 'change_events' | 'audit_events' | 'persons'): Promise<number> {
  const r = await t.db.database.db.execute<{ n: number | string }>(sql`SELECT count(*) AS n FROM ${sql.raw(table)}`);
  return Number(r.rows[0]?.n);
}

const DEATH = `mutation($p: ID!, $d: Date!) { recordDeath(personId: $p, dateOfDeath: $d) { id } }`;
const CHANGES = `query($since: String, $types: [ChangeType!], $communeCode: String, $first: Int) {
  changes(since: $since, types: $types, communeCode: $communeCode, first: $first) {
    pageInfo { hasNextPage endCursor }
    nodes { id cursor type personIds householdId communeCode previousCommuneCode occurredAt payload }
  } }`;

describe('the outbox', () => {
  it('a mutation that fails writes no change event (nor audit event), and a failing outbox write fails the mutation', async () => {
    const id = await person(t, { dateOfBirth: '1950-03-01', commune: LAT });
    ok(await t.gql(DEATH, { p: id, d: '2024-01-10' }));
    const [events, audits] = [await count('change_events'), await count('audit_events')];
    // A second death: refused inside the transaction.
    const again = await t.gql(DEATH, { p: id, d: '2024-02-10' });
    expect(again.body.errors[0].extensions.code).toBe('CONFLICT');
    // Refused by the database (a date before birth is caught earlier; an unknown person inside the transaction).
    const unknown = await t.gql(DEATH, { p: '00000000-0000-4000-8000-000000000000', d: '2024-02-10' });
    expect(unknown.body.errors[0].extensions.code).toBe('NOT_FOUND');
    expect([await count('change_events'), await count('audit_events')]).toEqual([events, audits]);

    // The other way round: when the outbox insert itself fails, the change and its audit events are rolled back.
    await t.db.database.execScript(`
      CREATE FUNCTION test_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'outbox refused'; END $$;
      CREATE TRIGGER test_refuse_change BEFORE INSERT ON change_events FOR EACH ROW EXECUTE FUNCTION test_refuse_change();`);
    const people = await count('persons');
    try {
      const other = await person(t, { dateOfBirth: '1951-03-01', commune: LAT }).catch(() => 'refused');
      expect(other).toBe('refused');
      expect(await count('persons')).toBe(people);
    } finally {
      await t.db.database.execScript(`DROP TRIGGER test_refuse_change ON change_events; DROP FUNCTION test_refuse_change();`);
    }
    expect([await count('change_events'), await count('audit_events')]).toEqual([events, audits]);
  });

  it('maps the audited actions to their change types, with ids, codes and dates only', async () => {
    const hh = await household(t, { commune: DA_SAR });
    const id = await person(t, { dateOfBirth: '1940-05-05', commune: DA_SAR, householdId: hh, isHead: true });
    await enrolAndApprove(t, id, 'D20_5_5C', '2024-09', DA_SAR);
    const rows = await t.db.database.db.execute<{ type: string; person_ids: string[]; household_id: string | null; commune_code: string; payload: unknown }>(
      sql`SELECT type, person_ids, household_id, commune_code, payload FROM change_events
          WHERE household_id = ${hh} OR ${id} = ANY(person_ids) ORDER BY id`,
    );
    expect(rows.rows.map((r) => r.type)).toEqual(['HOUSEHOLD_REGISTERED', 'PERSON_REGISTERED', 'HOUSEHOLD_CHANGED', 'ENROLMENT_CHANGED', 'ENROLMENT_CHANGED']);
    for (const r of rows.rows) {
      expect(r.commune_code).toBe(DA_SAR);
      expect(r.household_id).toBe(hh);
    }
    expect(rows.rows.slice(3).map((r) => (r.payload as { change: string }).change)).toEqual(['PROPOSED', 'APPROVED']);
    // No name, identification number, ethnicity or free text in any payload.
    const text = JSON.stringify(rows.rows.map((r) => r.payload));
    expect(text).not.toMatch(/Cil Ka|K'Ho|nationalId|fullName|ethnicity|decisionNo|reason/);
  });
});

describe('the feed and a sink', () => {
  it('a death recorded through GraphQL appears in `changes` and is delivered to a sink', async () => {
    const { sink, acknowledged } = recordingSink('test-death');
    const unregister = t.app.services.changes.registerSink(sink);
    try {
      await tick(); // the sink is first seen: it receives what is numbered from now on
      const id = await person(t, { dateOfBirth: '1945-07-07', commune: DA_SAR });
      ok(await t.gql(DEATH, { p: id, d: '2024-03-03' }));
      await tick();
      const death = acknowledged.find((e) => e.type === 'DEATH_RECORDED' && e.personIds.includes(id));
      expect(death).toMatchObject({ communeCode: DA_SAR, payload: { dateOfDeath: '2024-03-03' } });

      const feed = ok(await t.gql(CHANGES, { types: ['DEATH_RECORDED'], communeCode: DA_SAR, first: 1000 }), 'changes');
      const inFeed = feed.nodes.find((n: { personIds: string[] }) => n.personIds.includes(id));
      expect(inFeed).toMatchObject({ id: death?.id, cursor: death?.cursor, type: 'DEATH_RECORDED', payload: { dateOfDeath: '2024-03-03' } });
      expect(feed.nodes.every((n: { type: string }) => n.type === 'DEATH_RECORDED')).toBe(true);
      // The registration came first, to the sink and in the feed.
      const registered = acknowledged.find((e) => e.type === 'PERSON_REGISTERED' && e.personIds.includes(id));
      expect(Number(registered?.id)).toBeLessThan(Number(death?.id));
    } finally {
      unregister();
    }
  });

  it('pages with an opaque cursor: since a cursor gives exactly the events after it', async () => {
    await tick();
    const all = ok(await t.gql(CHANGES, { first: 1000 }), 'changes').nodes;
    expect(all.length).toBeGreaterThan(3);
    const ids = all.map((n: { id: string }) => Number(n.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const seen: string[] = [];
    let since: string | null = null;
    for (;;) {
      const page = ok(await t.gql(CHANGES, { since, first: 2 }), 'changes');
      seen.push(...page.nodes.map((n: { id: string }) => n.id));
      if (!page.pageInfo.hasNextPage) break;
      since = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.map((n: { id: string }) => n.id));
    const bad = await t.gql(CHANGES, { since: 'not-a-cursor' });
    expect(bad.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'since' });
    expect(bad.body.errors[0].extensions.messageVi).toBeTruthy();
    const tooMany = await t.gql(CHANGES, { first: 5000 });
    expect(tooMany.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'first' });
  });

  it('follows the access policy: communes for commune officers, scopes for integration clients', async () => {
    const id = await person(t, { dateOfBirth: '1941-02-02', commune: LAT });
    await enrolAndApprove(t, id, 'D20_5_5C', '2024-09', LAT);
    await tick();
    const feed = async (token: string, vars: Record<string, unknown> = {}) => t.gql(CHANGES, { first: 1000, ...vars }, token);
    const communes = (r: { body: { data?: { changes: { nodes: { communeCode: string; previousCommuneCode: string | null }[] } } } }) =>
      new Set(ok(r, 'changes').nodes.flatMap((n: { communeCode: string; previousCommuneCode: string | null }) => [n.communeCode, n.previousCommuneCode]));

    const latOfficer = await t.token('commune_officer', [LAT]);
    expect([...communes(await feed(latOfficer))]).toEqual([LAT, null]);
    const otherCommune = await feed(latOfficer, { communeCode: DA_SAR });
    expect(otherCommune.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(communes(await feed(await t.token('auditor')))).toEqual(new Set([LAT, DA_SAR, null]));

    const noScope = await feed(await t.token('integration'));
    expect(noScope.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const types = (r: Parameters<typeof communes>[0]) => new Set(ok(r, 'changes').nodes.map((n: { type: string }) => n.type));
    // Without benefits:read no enrolment event (its program code can name HIV or a disability).
    const changesOnly = types(await feed(await t.token('integration', [], 'changes:read')));
    expect(changesOnly.has('PERSON_REGISTERED')).toBe(true);
    expect(changesOnly.has('ENROLMENT_CHANGED')).toBe(false);
    expect(types(await feed(await t.token('integration', [], 'changes:read benefits:read'))).has('ENROLMENT_CHANGED')).toBe(true);
  });
  it('a move between communes is a RESIDENCE_CHANGED both communes’ officers see; a move out of the district too', async () => {
    const hh = await household(t, { commune: LAT });
    const id = await person(t, { dateOfBirth: '1960-04-04', commune: LAT, householdId: hh, relation: 'con' });
    await movePerson(t, id, { movedOn: '2024-07-01', communeCode: DA_SAR });
    await movePerson(t, id, { movedOn: '2024-09-01', communeCode: null, destination: 'Thành phố Hồ Chí Minh' });
    await tick();
    const moves = async (token?: string) =>
      ok(await t.gql(CHANGES, { types: ['RESIDENCE_CHANGED'], first: 1000 }, token), 'changes').nodes.filter((n: { personIds: string[] }) =>
        n.personIds.includes(id),
      );
    const all = await moves();
    expect(
      all.map((n: { communeCode: string; previousCommuneCode: string | null; payload: unknown }) => [n.communeCode, n.previousCommuneCode, n.payload]),
    ).toEqual([
      [DA_SAR, LAT, { reason: 'MOVE', validFrom: '2024-07-01', previousHouseholdId: hh, leftDistrict: false }],
      [DA_SAR, null, { reason: 'TRANSFER_OUT', validFrom: '2024-09-01', previousHouseholdId: expect.any(String), leftDistrict: true }],
    ]);
    // The new household of the move was announced before the person joined it.
    const registered = ok(await t.gql(CHANGES, { types: ['HOUSEHOLD_REGISTERED'], communeCode: DA_SAR, first: 1000 }), 'changes').nodes;
    const newHousehold = registered.find((n: { householdId: string }) => n.householdId === all[0].householdId);
    expect(Number(newHousehold.id)).toBeLessThan(Number(all[0].id));
    // The commune left sees the move away; the destination outside the district is not in the event.
    expect((await moves(await t.token('commune_officer', [LAT]))).length).toBe(1);
    expect((await moves(await t.token('commune_officer', [DA_SAR]))).length).toBe(2);
    expect(JSON.stringify(all)).not.toContain('Hồ Chí Minh');
  });
});

describe('delivery', () => {
  it('holds a person’s later events back until the earlier one is acknowledged; others go on', async () => {
    const failFor = new Set<string>();
    const { sink, acknowledged } = recordingSink('test-order', (e) => {
      if (e.personIds.some((p) => failFor.has(p))) throw new Error('receiver unavailable');
    });
    const unregister = t.app.services.changes.registerSink(sink);
    try {
      await tick();
      const a = await person(t, { dateOfBirth: '1938-01-01', commune: LAT });
      const b = await person(t, { dateOfBirth: '1939-01-01', commune: LAT });
      failFor.add(a);
      ok(await t.gql(DEATH, { p: a, d: '2024-05-01' }));
      ok(await t.gql(DEATH, { p: b, d: '2024-05-01' }));
      const first = await tick();
      const of = (p: string) => acknowledged.filter((e) => e.personIds.includes(p)).map((e) => e.type);
      // a's registration failed: this sink's turn ends (the app's other sink, DCI notify, took all four).
      expect(first.failed).toBe(1);
      expect([of(a), of(b)]).toEqual([[], []]);
      // Later ticks: b's events go; a's registration fails again whenever it is due, and holds a's death back.
      await eventually(async () => (await tick(), of(b).length === 2), 'b delivered');
      expect(of(a)).toEqual([]);
      expect(of(b)).toEqual(['PERSON_REGISTERED', 'DEATH_RECORDED']);
      failFor.delete(a);
      await eventually(async () => (await tick(), of(a).length === 2), 'a delivered after the retry');
      expect(of(a)).toEqual(['PERSON_REGISTERED', 'DEATH_RECORDED']);
    } finally {
      unregister();
    }
  });

  it('retries with backoff, dead-letters after the last attempt, and an admin replays (audited)', async () => {
    let failing = true;
    const attempts: number[] = [];
    const { sink, acknowledged } = recordingSink('test-dead', () => {
      attempts.push(Date.now());
      if (failing) throw new Error('HTTP 503 from subscriber');
    });
    const unregister = t.app.services.changes.registerSink(sink);
    try {
      await tick();
      const id = await person(t, { dateOfBirth: '1937-01-01', commune: LAT });
      ok(await t.gql(DEATH, { p: id, d: '2024-06-01' }));
      expect((await tick()).failed).toBe(1);
      // Not due yet: the next tick attempts nothing, unless the machine was slow enough for the backoff to run out
      // before it (the gaps below check every wait too).
      const next = await tick();
      expect(next.failed === 0 || Date.now() - (attempts[0] ?? 0) >= FAST.backoffBaseMs - 20, 'an attempt before the backoff ran out').toBe(true);
      await eventually(async () => (await tick(), attempts.length === FAST.maxAttempts), 'the last attempt');
      // Waits of at least base, then 2·base (capped at max), between attempts.
      const gaps = attempts.slice(1).map((at, i) => at - (attempts[i] ?? 0));
      expect(gaps[0]).toBeGreaterThanOrEqual(FAST.backoffBaseMs - 20);
      expect(gaps[1]).toBeGreaterThanOrEqual(Math.min(FAST.backoffMaxMs, 2 * FAST.backoffBaseMs) - 20);
      expect(gaps[2]).toBeGreaterThanOrEqual(FAST.backoffMaxMs - 20);
      await sleep(FAST.backoffMaxMs + 50);
      expect((await tick()).failed).toBe(0); // dead-lettered: no fourth attempt

      const admin = await t.token('admin');
      const LIST = `query($sink: String) { changeDeadLetters(sink: $sink) { sink eventId type attempts lastError deadLetteredAt } }`;
      const dead = ok(await t.gql(LIST, { sink: 'test-dead' }, admin), 'changeDeadLetters');
      expect(dead).toEqual([
        expect.objectContaining({ sink: 'test-dead', type: 'PERSON_REGISTERED', attempts: FAST.maxAttempts, lastError: 'HTTP 503 from subscriber' }),
      ]);
      expect((await t.gql(LIST, { sink: 'test-dead' })).body.errors[0].extensions.code).toBe('FORBIDDEN');

      const REPLAY = `mutation($sink: String!, $ids: [ID!]) { replayChangeDeadLetters(sink: $sink, eventIds: $ids) }`;
      expect((await t.gql(REPLAY, { sink: 'test-dead', ids: null })).body.errors[0].extensions.code).toBe('FORBIDDEN');
      failing = false;
      expect(ok(await t.gql(REPLAY, { sink: 'test-dead', ids: [dead[0].eventId] }, admin), 'replayChangeDeadLetters')).toEqual([dead[0].eventId]);
      await tick();
      // The replayed registration, then the death it held back.
      expect(acknowledged.map((e) => e.type)).toEqual(['PERSON_REGISTERED', 'DEATH_RECORDED']);
      expect(ok(await t.gql(LIST, { sink: 'test-dead' }, admin), 'changeDeadLetters')).toEqual([]);
      const trail = ok(await t.gql(`{ auditTrail(entityType: "ChangeSink", entityId: "test-dead") { action actor after } }`, {}, admin), 'auditTrail');
      expect(trail).toEqual([{ action: 'replayChangeDeliveries', actor: 'test-admin', after: { eventIds: [dead[0].eventId] } }]);
    } finally {
      unregister();
    }
  });

  it('a sink that does not answer fails the attempt after the delivery timeout', async () => {
    const { sink } = recordingSink('test-hang', () => new Promise<void>(() => undefined));
    const unregister = t.app.services.changes.registerSink(sink);
    try {
      await tick();
      await person(t, { dateOfBirth: '1936-01-01', commune: LAT });
      const started = Date.now();
      expect((await tick()).failed).toBe(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(FAST.deliveryTimeoutMs - 20);
      const r = await t.db.database.db.execute<{ last_error: string }>(sql`SELECT last_error FROM change_deliveries WHERE sink = 'test-hang'`);
      expect(r.rows[0]?.last_error).toMatch(/no acknowledgement within/);
    } finally {
      unregister();
    }
  });

  it('backoff doubles from the base up to the cap (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 1_000_000 }), (n, base, max) => {
        const s = { backoffBaseMs: base, backoffMaxMs: max };
        const d = backoffDelay(n, s);
        expect(d).toBe(Math.min(max, base * 2 ** (n - 1)));
        expect(d).toBeLessThanOrEqual(max);
        expect(backoffDelay(n + 1, s)).toBeGreaterThanOrEqual(d);
      }),
    );
  });
});

describe('instances', () => {
  /** The test's receiver: idempotent, it counts every arrival and keeps each event once (by id). */
  function receiver() {
    const arrivals = new Map<string, number>();
    return {
      arrivals,
      receive(e: ChangeEventMessage) {
        arrivals.set(e.id, (arrivals.get(e.id) ?? 0) + 1);
      },
    };
  }

  async function deliveriesOf(sink: string) {
    const r = await t.db.database.db.execute<{ position: number | string; delivered: boolean }>(
      sql`SELECT position, delivered_at IS NOT NULL AS delivered FROM change_deliveries WHERE sink = ${sink} ORDER BY position`,
    );
    return r.rows.map((row) => ({ id: String(row.position), delivered: row.delivered }));
  }

  it('a dispatcher stopped mid-delivery loses nothing and re-sends nothing acknowledged', async () => {
    await t.app.services.changes.dispatcher.stop(); // the file's app gives the lease up
    const rx = receiver();
    let hung: ChangeEventMessage | undefined;
    // A long delivery timeout: the hanging delivery is still in flight when the app closes.
    const firstApp = await startTestApp({ sharedDatabase: t.db, config: { changes: { ...FAST, deliveryTimeoutMs: 5000, leaseMs: 10_000, dispatch: true } } });
    const acknowledgedByFirst: string[] = [];
    firstApp.app.services.changes.registerSink({
      name: 'test-restart',
      async deliver(e) {
        rx.receive(e);
        // The third event reaches the receiver, which never answers.
        if (!hung && rx.arrivals.size === 3) {
          hung = e;
          await new Promise(() => undefined);
        }
        acknowledgedByFirst.push(e.id);
      },
    });
    await firstApp.app.ready();
    await eventually(
      async () =>
        (await deliveriesOf('test-restart')).length === 0 &&
        (await t.db.database.db.execute(sql`SELECT 1 FROM change_sinks WHERE name = 'test-restart'`)).rows.length === 1,
      'the sink seen',
    );
    for (let i = 0; i < 6; i++) await person(t, { dateOfBirth: `196${i}-01-01`, commune: LAT });
    await eventually(() => hung !== undefined, 'the hanging delivery');
    await firstApp.close();
    const afterFirst = await deliveriesOf('test-restart');
    const ackedInDb = afterFirst.filter((d) => d.delivered).map((d) => d.id);
    expect(ackedInDb.sort()).toEqual([...acknowledgedByFirst].sort());
    expect(ackedInDb).not.toContain(hung?.id);

    const secondApp = await startTestApp({ sharedDatabase: t.db, config: { changes: { ...FAST, dispatch: true } } });
    const sentBySecond: string[] = [];
    secondApp.app.services.changes.registerSink({
      name: 'test-restart',
      deliver(e) {
        rx.receive(e);
        sentBySecond.push(e.id);
        return Promise.resolve();
      },
    });
    try {
      await secondApp.app.ready();
      await eventually(async () => (await deliveriesOf('test-restart')).every((d) => d.delivered), 'every delivery acknowledged');
    } finally {
      await secondApp.close();
    }
    const all = (await deliveriesOf('test-restart')).map((d) => d.id);
    expect(all.length).toBeGreaterThanOrEqual(6);
    // Every event reached the receiver; only the one never acknowledged arrived twice.
    expect([...rx.arrivals.keys()].sort()).toEqual([...all].sort());
    expect([...rx.arrivals].filter(([, n]) => n > 1)).toEqual([[hung?.id, 2]]);
    expect(sentBySecond.filter((id) => ackedInDb.includes(id))).toEqual([]);
  });

  it('two dispatchers on one database never deliver at the same time; the second takes over from the first', async () => {
    await t.app.services.changes.dispatcher.stop();
    let inFlight = 0;
    let maxInFlight = 0;
    const by = new Map<string, string[]>();
    const sinkFor = (instance: string): ChangeSink => ({
      name: 'test-pair',
      async deliver(e) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(5);
        inFlight--;
        by.set(instance, [...(by.get(instance) ?? []), e.id]);
      },
    });
    const apps = [
      await startTestApp({ sharedDatabase: t.db, config: { changes: { ...FAST, dispatch: true } } }),
      await startTestApp({ sharedDatabase: t.db, config: { changes: { ...FAST, dispatch: true } } }),
    ];
    try {
      apps.forEach((a, i) => a.app.services.changes.registerSink(sinkFor(`app${i}`)));
      await Promise.all(apps.map((a) => a.app.ready()));
      await eventually(
        async () => (await t.db.database.db.execute(sql`SELECT 1 FROM change_sinks WHERE name = 'test-pair'`)).rows.length === 1,
        'the sink seen',
      );
      for (let i = 0; i < 8; i++) await person(t, { dateOfBirth: `197${i}-01-01`, commune: LAT });
      await eventually(async () => {
        const d = await deliveriesOf('test-pair');
        return d.length >= 8 && d.every((x) => x.delivered);
      }, 'all delivered');
      expect(maxInFlight).toBe(1);
      // One instance held the lease throughout.
      expect(by.size).toBe(1);
      const [holder] = [...by.keys()];
      const holderIndex = holder === 'app0' ? 0 : 1;
      // The holder stops: the other takes over.
      await apps[holderIndex]?.close();
      for (let i = 0; i < 2; i++) await person(t, { dateOfBirth: `198${i}-01-01`, commune: LAT });
      await eventually(async () => (await deliveriesOf('test-pair')).every((x) => x.delivered) && by.size === 2, 'the other instance delivering');
      const everyId = [...by.values()].flat();
      expect(new Set(everyId).size).toBe(everyId.length); // nothing delivered twice
      expect(maxInFlight).toBe(1);
      apps.splice(holderIndex, 1);
    } finally {
      for (const a of apps) await a.close();
    }
  });

  it('a crashed holder (lease not given up) is replaced once its lease runs out', async () => {
    await t.app.services.changes.dispatcher.stop();
    const other = await startTestApp({ sharedDatabase: t.db, config: { changes: FAST } });
    try {
      expect((await tick()).holding).toBe(true); // t holds it and "crashes": never runs again
      expect((await other.app.services.changes.dispatcher.runOnce()).holding).toBe(false);
      await sleep(FAST.leaseMs + 100);
      expect((await other.app.services.changes.dispatcher.runOnce()).holding).toBe(true);
      expect((await tick()).holding).toBe(false);
    } finally {
      await other.close();
    }
  });
});

describe('HIV programs in the feed', () => {
  it('an enrolment in an HIV program reaches only callers who see the hiv group; the cursor moves past it for the others', async () => {
    const h = await household(t, { commune: LAT });
    const id = await person(t, { dateOfBirth: '1980-03-03', commune: LAT, householdId: h, isHead: true });
    await assess(t, h, 'POOR');
    await flag(t, id, 'HIV');
    await flag(t, id, 'NO_STABLE_INCOME');
    const enrolmentId = await enrolAndApprove(t, id, 'D20_5_8', '2024-07', LAT);
    await tick();
    const enrolmentEvents = async (token: string) => {
      const nodes: JsonBody[] = [];
      let since: string | null = null;
      for (;;) {
        const page = ok(await t.gql(CHANGES, { since, types: ['ENROLMENT_CHANGED'], first: 500 }, token), 'changes');
        nodes.push(...page.nodes);
        if (!page.pageInfo.hasNextPage) return { nodes: nodes.filter((n) => n.payload.enrolmentId === enrolmentId), endCursor: page.pageInfo.endCursor };
        since = page.pageInfo.endCursor;
      }
    };
    const district = await enrolmentEvents(await t.token('district_officer'));
    expect(district.nodes.map((n: JsonBody) => n.payload.programCode)).toEqual(['D20_5_8', 'D20_5_8']);
    const auditor = await enrolmentEvents(await t.token('auditor'));
    expect(auditor.nodes).toEqual([]);
    expect(auditor.endCursor).toBe(district.endCursor);
  });
});
