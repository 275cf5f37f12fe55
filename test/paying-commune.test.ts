/**
 * The paying commune (src/core/residence.ts) on random residence histories: every month in which the person lived
 * in the district on some day has exactly one paying commune (none paid twice, none lost), and after a move on day
 * D the old commune pays the month of D and the new one the month after (Decree 20/2021 art. 8.3–8.4).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../src/core/facts.js';
import { addMonths, firstDay, lastDay, monthsFrom, periodOf } from '../src/core/period.js';
import { payingCommune, type CommunePeriod } from '../src/core/residence.js';

const COMMUNES = ['24865', '24862', '24850', '24847'];

/**
 * A history: periods in the district one after another, each after a gap (days outside the district, 0 for a
 * move within it), the last one possibly still open. Starts on any day of 2019–2024, so moves fall on first and
 * last days of months, leap days and year ends.
 */
const history = fc
  .record({
    start: fc.integer({ min: 0, max: 6 * 365 }),
    periods: fc.array(
      fc.record({
        gap: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 70 })),
        days: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 500 })),
        commune: fc.constantFrom(...COMMUNES),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    open: fc.boolean(),
  })
  .map(({ start, periods, open }) => {
    const out: CommunePeriod[] = [];
    let day = addDays('2019-01-01', start);
    periods.forEach((p, i) => {
      const validFrom = addDays(day, i === 0 ? 0 : p.gap);
      const validTo = open && i === periods.length - 1 ? null : addDays(validFrom, p.days - 1);
      out.push({ validFrom, validTo, communeCode: p.commune });
      day = addDays(validFrom, p.days);
    });
    return out;
  });

const livesOn = (h: CommunePeriod[], d: string) => h.some((r) => r.validFrom <= d && (r.validTo === null || r.validTo >= d));
/** The months around the history (open periods: two years on). */
const monthsAround = (h: CommunePeriod[]) => {
  const firstFrom = h[0]?.validFrom ?? '2019-01-01';
  const lastTo = h.at(-1)?.validTo ?? addDays(h.at(-1)?.validFrom ?? firstFrom, 730);
  return monthsFrom(addMonths(periodOf(firstFrom), -2), addMonths(periodOf(lastTo), 2));
};
const daysOf = (period: string) => {
  const out: string[] = [];
  for (let d = firstDay(period); d <= lastDay(period); d = addDays(d, 1)) out.push(d);
  return out;
};
/** The commune the person lived in on d, if any. */
const communeOn = (h: CommunePeriod[], d: string) => h.find((r) => r.validFrom <= d && (r.validTo === null || r.validTo >= d))?.communeCode;

describe('the paying commune of a month', () => {
  it('every month with a day in the district has exactly one paying commune, one the person lived in that month or on its eve', () => {
    fc.assert(
      fc.property(history, (h) => {
        for (const period of monthsAround(h)) {
          const payer = payingCommune(h, period);
          const eve = lastDay(addMonths(period, -1));
          const days = daysOf(period);
          const livedInMonth = days.some((d) => livesOn(h, d));
          if (livedInMonth) expect(payer, period).not.toBeNull();
          // Never a month in which the person neither lived here nor left during the month before's last day.
          if (!livedInMonth && !livesOn(h, eve)) expect(payer, period).toBeNull();
          if (payer !== null) {
            // The eve's commune when there is one, else the first commune of the month: a day-by-day reading.
            const expected = communeOn(h, eve) ?? days.map((d) => communeOn(h, d)).find((c) => c !== undefined);
            expect(payer, period).toBe(expected);
          }
        }
        // Paid once: each month counts for one commune, so the communes' months add up to the months paid.
        const paid = monthsAround(h).filter((m) => payingCommune(h, m) !== null);
        const byCommune = COMMUNES.map((c) => monthsAround(h).filter((m) => payingCommune(h, m) === c).length);
        expect(byCommune.reduce((a, b) => a + b, 0)).toBe(paid.length);
      }),
      { numRuns: 300 },
    );
  });

  it('after a move on day D the old commune pays the month of D and the new one the month after', () => {
    let moves = 0;
    fc.assert(
      fc.property(history, (h) => {
        for (let i = 1; i < h.length; i++) {
          const before = h[i - 1];
          const after = h[i];
          if (!before || !after || before.validTo === null || addDays(before.validTo, 1) !== after.validFrom) continue;
          const moveMonth = periodOf(after.validFrom);
          // The old period was the one in force at the start of the month (not itself a move earlier that month),
          // and the new one lasts to the month's end (no second move in the month).
          if (before.validFrom > lastDay(addMonths(moveMonth, -1))) continue;
          if (after.validTo !== null && after.validTo < lastDay(moveMonth)) continue;
          moves++;
          expect(payingCommune(h, moveMonth), `move on ${after.validFrom}`).toBe(before.communeCode);
          expect(payingCommune(h, addMonths(moveMonth, 1)), `month after the move on ${after.validFrom}`).toBe(after.communeCode);
        }
      }),
      { numRuns: 300 },
    );
    expect(moves).toBeGreaterThan(50);
  });

  it('examples: a move on the first and on the last day of a month, a birth, a move out and back', () => {
    const h: CommunePeriod[] = [
      { validFrom: '2023-05-17', validTo: '2024-09-30', communeCode: 'A' },
      { validFrom: '2024-10-01', validTo: '2024-12-31', communeCode: 'B' },
      { validFrom: '2025-01-01', validTo: '2025-03-14', communeCode: 'C' },
      { validFrom: '2025-06-20', validTo: null, communeCode: 'D' },
    ];
    expect(
      ['2023-04', '2023-05', '2023-06', '2024-09', '2024-10', '2024-11', '2025-01', '2025-02', '2025-03', '2025-04', '2025-05', '2025-06', '2025-07'].map((m) =>
        payingCommune(h, m),
      ),
    ).toEqual([
      null, // before birth
      'A', // born during the month: the first period that month
      'A',
      'A',
      'A', // moved on 2024-10-01: the month of the move is the old commune's
      'B',
      'B', // moved on 2025-01-01
      'C',
      'C', // left the district on 2025-03-15: the month of the move is still the old commune's
      null, // lived outside the district
      null,
      'D', // back on 2025-06-20
      'D',
    ]);
  });
});
