/**
 * Months read from the forecast (docs/payments.md): a person nothing has changed for since their months were computed
 * is not computed again, their cycle month is written from the forecast, and it holds what `entitlements` says; a
 * change, or a line written outside a cycle, has them computed again. payment-settlement.test.ts checks the same
 * agreement under random changes; this file checks that the forecast is what served the month.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monthIndex } from '../src/core/bounds.js';
import { addMonths } from '../src/core/period.js';
import type { EntitlementMonth } from '../src/modules/benefits/benefits.service.js';
import { forecastMonthsOf, forecastRuns } from '../src/modules/payments/payments.service.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';
import { certifyDisability, DA_SAR, enrolAndApprove, entitlements, household, LAT, ok, person } from './support/people.js';
import { movePerson } from './support/residence.js';

let t: TestApp;
let admin: string;
beforeAll(async () => {
  t = await startTestApp();
  admin = await t.token('admin');
});
afterAll(() => closeTestApp(t));

const COMMUNE = '24846';
const sql = async (text: string) => (await t.db.database.db.execute(text)).rows;

/**
 * Waits until every transaction older than now has ended. A cycle trusts only what changed before the oldest
 * transaction still running when it began; on a shared server another test file's open transaction would otherwise
 * have this file's people computed again, which is right but not what is checked here.
 */
async function olderTransactionsEnded(): Promise<void> {
  const [now] = await sql(`SELECT pg_current_xact_id()::text AS x`);
  for (let i = 0; i < 300; i++) {
    const [s] = await sql(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`);
    if (BigInt(String(s?.xmin)) > BigInt(String(now?.x))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('an older transaction is still running after 30 s');
}

/** The month each person's forecast was computed with (yyyy-mm), absent when it never was. */
async function computedMonths(ids: string[]): Promise<Record<string, string>> {
  const rows = await sql(
    `SELECT person_id, to_char(computed_month, 'YYYY-MM') AS m FROM entitlement_forecast_people WHERE person_id IN (${ids.map((id) => `'${id}'`).join(', ')})`,
  );
  return Object.fromEntries(rows.map((r) => [String(r.person_id), String(r.m)]));
}

/**
 * The month a person nothing has changed for was last computed in, by `month`, when first computed in `first`: their
 * forecast's horizon (forecastMonthsOf, 1–12 months, picked by their id) decides when it runs out.
 */
function lastComputed(personId: string, first: string, month: string): string {
  let computed = first;
  for (;;) {
    const next = addMonths(computed, forecastMonthsOf(personId, computed) + 1);
    if (next > month) return computed;
    computed = next;
  }
}

async function cycle(period: string) {
  await olderTransactionsEnded();
  return ok(
    await t.gql(
      `mutation($c: String!, $p: Period!) { createPaymentCycle(communeCode: $c, period: $p) { id controlTotals { lines payableAmount } } }`,
      { c: COMMUNE, p: period },
      admin,
    ),
    'createPaymentCycle',
  );
}

/** Every (enrolment, month) the commune's lines hold against what `entitlements` says it is owed now, where they differ. */
async function differences(people: string[], to: string): Promise<string[]> {
  const held = new Map(
    (
      await sql(`SELECT p.enrolment_id, to_char(p.period, 'YYYY-MM') AS period, sum(p.amount)::bigint AS amount
        FROM payments p JOIN payment_cycles c ON c.id = p.cycle_id WHERE c.commune_code = '${COMMUNE}' GROUP BY 1, 2`)
    ).map((r) => [`${String(r.enrolment_id)}:${String(r.period)}`, Number(r.amount)]),
  );
  const owed = new Map<string, number>();
  for (const id of people)
    for (const m of await entitlements(t, id, '2024-01', to))
      for (const l of m.lines as { enrolment: { id: string }; payableAmount: number }[])
        if (l.payableAmount !== 0) owed.set(`${l.enrolment.id}:${String(m.period)}`, l.payableAmount);
  return [...new Set([...held.keys(), ...owed.keys()])]
    .filter((k) => (held.get(k) ?? 0) !== (owed.get(k) ?? 0))
    .map((k) => `${k}: held ${held.get(k) ?? 0}, owed ${owed.get(k) ?? 0}`);
}

describe('cycles and the forecast', () => {
  it('takes an unchanged person’s month from the forecast, and computes again whoever changed or was paid by hand', async () => {
    const adult = async () => {
      const h = await household(t, { commune: COMMUNE });
      const id = await person(t, { dateOfBirth: '1980-02-02', householdId: h, isHead: true, commune: COMMUNE });
      await certifyDisability(t, id, 'SEVERE', '2023-06-01');
      await enrolAndApprove(t, id, 'D20_5_6', '2024-01', COMMUNE);
      return id;
    };
    const [a, b] = [await adult(), await adult()];

    await cycle('2024-01');
    expect(await computedMonths([a, b])).toEqual({ [a]: '2024-01', [b]: '2024-01' });

    // Nothing changed: both months come from the forecast computed with January.
    const february = await cycle('2024-02');
    expect(await computedMonths([a, b])).toEqual({ [a]: '2024-01', [b]: '2024-01' });
    expect(february.controlTotals.lines).toBe(2);
    expect(await differences([a, b], '2024-02')).toEqual([]);
    // The totals counted by the database are the ones approval recomputes.
    const approver = await t.token('district_officer', undefined, undefined, 'another-officer');
    ok(await t.gql(`mutation($id: ID!) { approvePaymentCycle(id: $id) { status } }`, { id: february.id }, approver), 'approvePaymentCycle');

    // b's disability is certified worse, back to January: b is computed again (arrears), a still is not.
    await certifyDisability(t, b, 'PARTICULARLY_SEVERE', '2023-12-20');
    await cycle('2024-03');
    expect(await computedMonths([a, b])).toEqual({ [a]: lastComputed(a, '2024-01', '2024-03'), [b]: '2024-03' });
    expect(await differences([a, b], '2024-03')).toEqual([]);

    // A line written by hand for a's February (outside any cycle's creation): a is computed again, and the overpayment
    // is shown as a recovery.
    await sql(`INSERT INTO payments (cycle_id, enrolment_id, person_id, program_code, period, kind, amount, method, note, note_vi)
      SELECT cycle_id, enrolment_id, person_id, program_code, period, 'ARREARS', 100000, 'CASH', 'by hand', 'nhập tay'
      FROM payments WHERE person_id = '${a}' AND period = '2024-02-01' AND kind = 'REGULAR'`);
    await cycle('2024-04');
    expect(await computedMonths([a, b])).toEqual({ [a]: '2024-04', [b]: '2024-03' });
    const [recovery] = await sql(`SELECT amount FROM payments WHERE person_id = '${a}' AND period = '2024-02-01' AND kind = 'RECOVERY'`);
    expect(Number(recovery?.amount)).toBe(-100000);
    expect(await differences([a, b], '2024-04')).toEqual([]);
  });
});

describe('the district’s cycles, two communes written at a time', () => {
  /** What every (enrolment, month) of some people holds across all communes, against what it is owed now. */
  async function districtDifferences(people: string[], from: string, to: string): Promise<string[]> {
    const held = new Map(
      (
        await sql(`SELECT enrolment_id, to_char(period, 'YYYY-MM') AS period, sum(amount)::bigint AS amount
          FROM payments WHERE person_id IN (${people.map((id) => `'${id}'`).join(', ')}) GROUP BY 1, 2`)
      ).map((r) => [`${String(r.enrolment_id)}:${String(r.period)}`, Number(r.amount)]),
    );
    const owed = new Map<string, number>();
    for (const id of people)
      for (const m of await entitlements(t, id, from, to))
        for (const l of m.lines as { enrolment: { id: string }; payableAmount: number }[])
          if (l.payableAmount !== 0) owed.set(`${l.enrolment.id}:${String(m.period)}`, l.payableAmount);
    return [...new Set([...held.keys(), ...owed.keys()])]
      .filter((k) => (held.get(k) ?? 0) !== (owed.get(k) ?? 0))
      .map((k) => `${k}: held ${held.get(k) ?? 0}, owed ${owed.get(k) ?? 0}`);
  }
  const districtCycles = async (period: string) => {
    await olderTransactionsEnded();
    return ok(
      await t.gql(`mutation($p: Period!) { createPaymentCycles(period: $p) { communeCode controlTotals { lines } } }`, { p: period }, admin),
      'createPaymentCycles',
    ) as { communeCode: string; controlTotals: { lines: number } }[];
  };

  it('pays a mover’s arrears once, by the commune that paid the months, and every month what it is owed', async () => {
    const adult = async (commune: string) => {
      const h = await household(t, { commune });
      const id = await person(t, { dateOfBirth: '1975-04-04', householdId: h, isHead: true, commune });
      await certifyDisability(t, id, 'SEVERE', '2024-06-01');
      await enrolAndApprove(t, id, 'D20_5_6', '2025-01', commune);
      return id;
    };
    const [mover, stayer] = [await adult(DA_SAR), await adult(LAT)];
    for (const period of ['2025-01', '2025-02']) await districtCycles(period);
    // The mover leaves Đạ Sar for Lát in February, and a worse disability is then certified back to December.
    await movePerson(t, mover, { movedOn: '2025-02-15', communeCode: LAT });
    await certifyDisability(t, mover, 'PARTICULARLY_SEVERE', '2024-12-20');
    const march = await districtCycles('2025-03');
    expect(march.length).toBeGreaterThan(2);
    expect(await districtDifferences([mover, stayer], '2025-01', '2025-03')).toEqual([]);
    // January and February's arrears come from Đạ Sar, which paid them; March is Lát's.
    const arrears = await sql(`SELECT c.commune_code, to_char(p.period, 'YYYY-MM') AS period FROM payments p JOIN payment_cycles c ON c.id = p.cycle_id
      WHERE p.person_id = '${mover}' AND p.kind = 'ARREARS' ORDER BY 2`);
    expect(arrears.map((r) => [r.commune_code, r.period])).toEqual([
      [DA_SAR, '2025-01'],
      [DA_SAR, '2025-02'],
    ]);
    // A month later nothing changed: both are served by the forecast, and still nothing differs.
    await districtCycles('2025-04');
    expect(await computedMonths([mover, stayer])).toEqual({ [mover]: '2025-03', [stayer]: lastComputed(stayer, '2025-01', '2025-04') });
    expect(await districtDifferences([mover, stayer], '2025-01', '2025-04')).toEqual([]);
  });
});

describe('forecast horizons and runs', () => {
  const uuid = fc.uuid();
  const period = fc.integer({ min: monthIndex('2021-07'), max: monthIndex('2040-12') }).map((i) => addMonths('2021-07', i - monthIndex('2021-07')));

  it('reaches 1–12 months ahead, and a person is computed again in the same month of every year', () => {
    fc.assert(
      fc.property(uuid, period, (id, p) => {
        const ahead = forecastMonthsOf(id, p);
        expect(ahead).toBeGreaterThanOrEqual(1);
        expect(ahead).toBeLessThanOrEqual(12);
        // The month after the forecast's end is computed, and its forecast then reaches eleven months: one computation a year.
        const next = addMonths(p, ahead + 1);
        expect(forecastMonthsOf(id, next)).toBe(11);
      }),
    );
  });

  it('runs hold exactly the months an enrolment is owed something, by a commune', () => {
    const line = fc.record({
      enrolment: fc.constantFrom('e1', 'e2'),
      amount: fc.constantFrom(0, 500000, 750000),
      commune: fc.constantFrom('24846', '24847', null),
    });
    fc.assert(
      fc.property(period, fc.array(fc.array(line, { maxLength: 2 }), { maxLength: 14 }), (start, monthsLines) => {
        const months = monthsLines.map((lines, i) => {
          const p = addMonths(start, i);
          // One line per enrolment and month, as the entitlements give.
          const unique = [...new Map(lines.map((l) => [l.enrolment, l])).values()];
          return {
            period: p,
            lines: unique.map((l) => ({
              enrolment: { id: l.enrolment, programCode: 'D20_5_6' },
              payableAmount: l.amount,
              payingCommuneCode: l.commune,
              kind: 'REGULAR',
              note: `${l.amount}`,
              noteVi: `${l.amount}`,
            })),
          } as unknown as EntitlementMonth;
        });
        const runs = forecastRuns('p', months);
        const expanded = runs.flatMap((r) => {
          const out: string[] = [];
          for (let m = r.fromMonth.slice(0, 7); m <= r.throughMonth.slice(0, 7); m = addMonths(m, 1))
            out.push(`${r.enrolmentId}:${m}:${r.amount}:${r.payingCommuneCode}`);
          return out;
        });
        const expected = months.flatMap((m) =>
          m.lines
            .filter((l) => l.payableAmount > 0 && l.payingCommuneCode !== null)
            .map((l) => `${l.enrolment.id}:${m.period}:${l.payableAmount}:${l.payingCommuneCode}`),
        );
        expect(expanded.sort()).toEqual(expected.sort());
        // Runs of one enrolment never overlap (the table's key is the enrolment and the first month).
        expect(new Set(runs.map((r) => `${r.enrolmentId}:${r.fromMonth}`)).size).toBe(runs.length);
      }),
    );
  });
});
