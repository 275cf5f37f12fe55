/**
 * The combination rules as properties over random months (docs/law.md#highest-amount-only, #care-allowances,
 * #provincial-schemes): whatever lines a month holds, Decree 20 art. 6.2 leaves the best bundle of competing
 * allowances (one line, or 5.4 with one of 5.5/5.6/5.8) and nothing else of them, the social pension is paid at most
 * once and only when higher (or kept on a tie), and everything paid on top (care allowances, merit, birth support,
 * provincial schemes outside highest-only) is untouched. Pure: applyCombinationRules works on lines in memory.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claimPaidOverOther, competesForHighestAmount } from '../src/core/combination.js';
import { applyCombinationRules, type EntitlementLine } from '../src/modules/benefits/benefits.service.js';
import type { ProgramRow } from '../src/modules/rules/rules.service.js';
import { PROGRAMS } from '../src/reference/programs.js';

const NATIONAL: ProgramRow[] = PROGRAMS.map((p) => ({ ...p, highestOnly: false }));
const PROVINCIAL: ProgramRow[] = [true, false].map((highestOnly, i) => ({
  code: `P68_TEST_${i}`,
  nameVi: 'Chế độ của tỉnh',
  nameEn: 'Provincial scheme',
  family: 'PROVINCIAL',
  kind: 'MONTHLY',
  startRule: 'DECISION_MONTH',
  legalBasis: 'Nghị quyết thử',
  sortOrder: 300 + i,
  highestOnly,
}));
const ALL = [...NATIONAL, ...PROVINCIAL];
const COMBINABLE_WITH_5_4 = ['D20_5_5A', 'D20_5_5B', 'D20_5_5C', 'D20_5_5D', 'D20_5_6', 'D20_5_8'];

interface Draft {
  program: ProgramRow;
  amount: number;
  payable: boolean;
  start: string;
}

const draft = fc.record({
  program: fc.constantFrom(...ALL),
  amount: fc.integer({ min: 1, max: 40 }).map((n) => n * 50_000),
  payable: fc.boolean(),
  start: fc.constantFrom('2024-01', '2024-07', '2025-01'),
});

/** A line as the entitlements build it, with only what the combination rules read filled in meaningfully. */
function lineOf(d: Draft, i: number): EntitlementLine {
  const line = {
    period: '2025-08',
    enrolment: { id: `e${String(i).padStart(3, '0')}`, startMonth: `${d.start}-01`, decisionNo: `QĐ-${i}` },
    payingCommuneCode: '24862',
    program: d.program,
    status: d.payable ? 'PAYABLE' : 'NOT_ELIGIBLE',
    kind: 'REGULAR',
    needsApproval: false,
    timingRule: null,
    timingReason: null,
    timingReasonVi: null,
    levelChange: null,
    suspension: null,
    amount: d.payable ? d.amount : 0,
    payableAmount: d.payable ? d.amount : 0,
    coefficient: null,
    baseLevel: null,
    ruleVersion: null,
    suppressedBy: null,
    failedConditions: [],
    note: '',
    noteVi: '',
    unconfirmedReasons: [],
    baseLevelInForce: true,
    pensionConversion: null,
  };
  return line as unknown as EntitlementLine;
}

const total = (lines: EntitlementLine[]) => lines.reduce((s, l) => s + l.amount, 0);

/** Every bundle art. 6.2 allows among the competing payable lines: each alone, and 5.4 with one combinable line. */
function bundles(competing: EntitlementLine[]): EntitlementLine[][] {
  const singleParents = competing.filter((l) => l.program.code === 'D20_5_4');
  const out = competing.map((l) => [l]);
  for (const sp of singleParents) for (const l of competing) if (COMBINABLE_WITH_5_4.includes(l.program.code)) out.push([sp, l]);
  return out;
}

describe('combination rules over random months', () => {
  it('keep the best art. 6.2 bundle, pay the social pension once and only when it is higher, and leave on-top lines alone', () => {
    fc.assert(
      fc.property(fc.array(draft, { minLength: 1, maxLength: 8 }), (drafts) => {
        const lines = drafts.map(lineOf);
        const before = lines.map((l) => ({ ...l }));
        applyCombinationRules(lines);
        const paid = lines.filter((l) => l.status === 'PAYABLE');
        const ids = new Set(paid.map((l) => l.enrolment.id));
        lines.forEach((l, i) => {
          const was = before[i]!;
          // Not eligible stays not eligible; nothing is ever made payable or given another amount.
          if (was.status !== 'PAYABLE') expect(l.status).toBe(was.status);
          expect(l.amount).toBe(was.amount);
          expect(l.payableAmount).toBe(l.status === 'PAYABLE' ? l.amount : 0);
          if (l.status === 'SUPPRESSED') {
            // It names what won over it: a paid line, or a line that lost in turn to one (art. 6.2, then the pension).
            const by = lines.find((x) => x.enrolment.id === l.suppressedBy);
            expect(by).toBeDefined();
            expect(ids.has(by!.enrolment.id) || (by!.suppressedBy !== null && ids.has(by!.suppressedBy))).toBe(true);
            expect(l.note.length).toBeGreaterThan(0);
            expect(l.noteVi.length).toBeGreaterThan(0);
          }
          // Paid on top: never suppressed.
          if (was.status === 'PAYABLE' && !competesForHighestAmount(l.program) && l.program.family !== 'SOCIAL_PENSION') expect(l.status).toBe('PAYABLE');
        });
        const competingBefore = lines.filter((l, i) => before[i]!.status === 'PAYABLE' && competesForHighestAmount(l.program));
        const competingPaid = paid.filter((l) => competesForHighestAmount(l.program));
        const pensionsBefore = lines.filter((l, i) => before[i]!.status === 'PAYABLE' && l.program.family === 'SOCIAL_PENSION');
        const pensionsPaid = paid.filter((l) => l.program.family === 'SOCIAL_PENSION');
        expect(pensionsPaid.length).toBeLessThanOrEqual(1);
        if (pensionsBefore.length > 0 && competingBefore.length === 0) expect(pensionsPaid.length).toBe(1);
        const best = Math.max(0, ...bundles(competingBefore).map(total));
        if (competingPaid.length > 0) {
          // What is paid of them is one allowed bundle, and none is better.
          expect(bundles(competingBefore).some((b) => b.length === competingPaid.length && b.every((l) => competingPaid.includes(l)))).toBe(true);
          expect(total(competingPaid)).toBe(best);
          expect(pensionsPaid).toEqual([]);
          // Kept over a pension only when at least as high.
          for (const p of pensionsBefore) expect(best).toBeGreaterThanOrEqual(p.amount);
        } else if (competingBefore.length > 0) {
          // The whole bundle went to a social pension that is at least as high.
          expect(pensionsPaid.length).toBe(1);
          expect(pensionsPaid[0]!.amount).toBeGreaterThanOrEqual(best);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('one award per couple: of two claims exactly one is paid over the other, the same way from either side', () => {
    const claim = fc.record({
      enrolmentId: fc.uuid(),
      startPeriod: fc.constantFrom('2024-01', '2024-07', '2025-01'),
      amount: fc.constantFrom(500_000, 750_000, 1_000_000),
    });
    fc.assert(
      fc.property(claim, claim, (a, b) => {
        fc.pre(a.enrolmentId !== b.enrolmentId);
        expect(claimPaidOverOther(a, b)).toBe(!claimPaidOverOther(b, a));
        if (a.amount > b.amount) expect(claimPaidOverOther(a, b)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
