/**
 * A cycle settles every past month (docs/payments.md, "Which months a cycle computes"): after any cycle, what the
 * lines of every month hold equals what that month is owed now, as `entitlements` computes it in full. Cycles skip
 * people nothing has changed for since their commune's last cycle; this property checks that whatever changes in
 * between (a record of the person, of a spouse in their household, an enrolment ended back), the skipped and the
 * recomputed agree; and that AMOUNT_MISMATCH and ENROLLED_NOT_PAID, which skip the same months, find nothing once
 * every line is paid. One run per commune of the district before the 2025 merger (cycles are per commune and month).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addMonths } from '../src/core/period.js';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { certifyDisability, enrolAndApprove, entitlements, household, ok, person } from './support/people.js';

let t: TestApp;
let admin: string;
/** Warnings Node emits meanwhile: node-postgres warns when a transaction's connection is sent a second query at once. */
const warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(w.message);
beforeAll(async () => {
  process.on('warning', onWarning);
  t = await startTestApp();
  admin = await t.token('admin');
});
afterAll(async () => {
  process.off('warning', onWarning);
  await closeTestApp(t);
});

const COMMUNES = ['24846', '24847', '24848', '24850', '24862', '24865'];
const FIRST = '2024-01';
const CHANGES = ['upgradeDisability', 'death', 'spouseDeath', 'endEnrolment'] as const;
type Change = (typeof CHANGES)[number];

interface Scene {
  commune: string;
  /** Disabled adults enrolled in art. 5.6 from FIRST. */
  a: string;
  b: string;
  aEnrolment: string;
  /** A severely disabled couple raising a baby, both enrolled in art. 20.2: the wife from FIRST, the husband a month later. */
  wife: string;
  husband: string;
  people: string[];
}

async function scene(commune: string): Promise<Scene> {
  const adult = async () => {
    const h = await household(t, { commune });
    const id = await person(t, { dateOfBirth: '1980-02-02', householdId: h, isHead: true, commune });
    await certifyDisability(t, id, 'SEVERE', '2023-06-01');
    return id;
  };
  const [a, b] = [await adult(), await adult()];
  const h = await household(t, { commune });
  const husband = await person(t, { dateOfBirth: '1990-03-03', sex: 'MALE', householdId: h, isHead: true, commune });
  const wife = await person(t, { dateOfBirth: '1992-05-05', householdId: h, relation: 'Vợ', commune });
  await person(t, { dateOfBirth: '2023-11-01', householdId: h, relation: 'Con', commune });
  await certifyDisability(t, husband, 'SEVERE', '2023-06-01');
  await certifyDisability(t, wife, 'PARTICULARLY_SEVERE', '2023-06-01');
  const aEnrolment = await enrolAndApprove(t, a, 'D20_5_6', FIRST, commune);
  await enrolAndApprove(t, b, 'D20_5_6', FIRST, commune);
  await enrolAndApprove(t, wife, 'D20_20_2', FIRST, commune);
  await enrolAndApprove(t, husband, 'D20_20_2', addMonths(FIRST, 1), commune);
  return { commune, a, b, aEnrolment, wife, husband, people: [a, b, wife, husband] };
}

/** A change reaching back into months already paid. */
async function apply(s: Scene, change: Change): Promise<void> {
  const gql = (q: string, v: Record<string, unknown>) => t.gql(q, v, admin);
  const death = `mutation($id: ID!, $d: Date!) { recordDeath(personId: $id, dateOfDeath: $d) { id } }`;
  switch (change) {
    case 'upgradeDisability':
      return certifyDisability(t, s.a, 'PARTICULARLY_SEVERE', '2023-12-20');
    case 'death':
      ok(await gql(death, { id: s.b, d: '2024-01-20' }));
      return;
    case 'spouseDeath':
      // The husband is then the only one of the couple: his months stop being suppressed (a change of his household).
      ok(await gql(death, { id: s.wife, d: '2024-01-15' }));
      return;
    case 'endEnrolment':
      ok(
        await gql(`mutation($id: ID!, $p: Period!) { endEnrolment(id: $id, endPeriod: $p, reason: "Chấm dứt theo quyết định") { id } }`, {
          id: s.aEnrolment,
          p: FIRST,
        }),
      );
      return;
  }
}

/** What the lines of each (enrolment, month) of the commune hold, whatever their kind or status. */
async function held(commune: string): Promise<Map<string, number>> {
  const { rows } = await t.db.database.db.execute(
    `SELECT p.enrolment_id, to_char(p.period, 'YYYY-MM') AS period, sum(p.amount)::bigint AS amount
     FROM payments p JOIN payment_cycles c ON c.id = p.cycle_id WHERE c.commune_code = '${commune}' GROUP BY 1, 2`,
  );
  return new Map(rows.map((r) => [`${String(r.enrolment_id)}:${String(r.period)}`, Number(r.amount)]));
}

/** What each (enrolment, month) is owed now, computed in full by `entitlements`. */
async function owed(s: Scene, to: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const id of s.people)
    for (const m of await entitlements(t, id, FIRST, to))
      for (const l of m.lines as JsonBody[]) if (l.payableAmount !== 0) out.set(`${l.enrolment.id}:${m.period}`, l.payableAmount);
  return out;
}

it('after every cycle, each past month holds what it is owed now, whatever changed in between', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.shuffledSubarray([...CHANGES], { minLength: 1 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), async (changes, quiet) => {
      const s = await scene(COMMUNES[run++ % COMMUNES.length]!);
      // One cycle per month; before each after the first, a change, or for the first few when `quiet` says so, none.
      const pending = [...changes];
      let month = FIRST;
      for (let i = 0; pending.length > 0 || i < 2; i++, month = addMonths(month, 1)) {
        if (i > 0 && pending.length > 0 && !quiet[i - 1]) await apply(s, pending.shift()!);
        ok(await t.gql(`mutation($c: String!, $p: Period!) { createPaymentCycle(communeCode: $c, period: $p) { id } }`, { c: s.commune, p: month }, admin));
        const [h, o] = [await held(s.commune), await owed(s, month)];
        const keys = [...new Set([...h.keys(), ...o.keys()])].sort();
        expect(
          keys.filter((k) => (h.get(k) ?? 0) !== (o.get(k) ?? 0)).map((k) => `${k}: held ${h.get(k) ?? 0}, owed ${o.get(k) ?? 0}`),
          `after ${month}'s cycle, changes ${changes.join(', ')}`,
        ).toEqual([]);
        // Once the bank has paid every line (set with SQL, as bench/payments.ts does), no month is paid the wrong
        // amount: the findings skip the months a cycle settled and compute the others, and both must agree.
        await t.db.database.db.execute(
          `UPDATE payments SET status = 'PAID', reference = 'TEST', paid_at = period + 20 WHERE status = 'PENDING'
             AND cycle_id IN (SELECT id FROM payment_cycles WHERE commune_code = '${s.commune}')`,
        );
        const mismatched = ok(
          await t.gql(
            `query($c: String, $from: Period!, $to: Period!) { auditFindings(communeCode: $c, from: $from, to: $to, kinds: [AMOUNT_MISMATCH, ENROLLED_NOT_PAID]) { nodes { key detail } } }`,
            { c: s.commune, from: FIRST, to: month },
            admin,
          ),
          'auditFindings',
        );
        expect(mismatched.nodes, `after ${month}'s cycle, changes ${changes.join(', ')}`).toEqual([]);
      }
    }),
    // No shrinking: each run needs a commune of its own, and there are six.
    { numRuns: COMMUNES.length, endOnFailure: true },
  );
});

it('never sends a transaction two queries at once (pg 9 refuses what node-postgres now queues with a warning)', () => {
  expect(warnings.filter((w) => w.includes('already executing a query'))).toEqual([]);
});
