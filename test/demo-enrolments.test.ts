/** Demo enrolments (seeds/enrolments.ts): consistent with the rules, with a share left behind, idempotent. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoPopulation } from '../seeds/demo.js';
import { LEFT_BEHIND_PERCENT, seedDemoEnrolments } from '../seeds/enrolments.js';
import { countGaps, findEnrolmentsOfPersons } from '../src/modules/benefits/benefits.repository.js';
import { decideMonth, eligibleOn } from '../src/modules/rules/rule-book.js';
import { loadAreaClasses, loadFactsSources, loadRuleBook } from '../src/modules/rules/rules.repository.js';
import { periodOf, toDateString } from '../src/core/period.js';
import { startTestApp, type TestApp } from './support/app.js';

const AS_OF = '2026-11-29';
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ seed: async (d) => void (await seedDemoPopulation(d.database, { people: 4000, seed: 11, asOf: AS_OF })) });
});
afterAll(async () => t?.close());

describe('demo enrolments', () => {
  it('every demo enrolment is eligible on asOf and in its start month; some eligible people are left behind', async () => {
    const db = t.db.database.db;
    const r = await db.execute('SELECT DISTINCT person_id FROM enrolments' as never);
    const ids = r.rows.map((x) => String((x as { person_id: string }).person_id));
    expect(ids.length).toBeGreaterThan(20);
    const [book, sources, areas, rows] = await Promise.all([
      loadRuleBook(db),
      loadFactsSources(db, ids),
      loadAreaClasses(db),
      findEnrolmentsOfPersons(db, ids),
    ]);
    for (const e of rows) {
      const src = sources.get(e.personId)!;
      expect(eligibleOn(book, e.programCode, src, areas, AS_OF), `${e.programCode} ${e.personId}`).toBe(true);
      expect(decideMonth(book, book.program(e.programCode)!, src, areas, periodOf(toDateString(e.startMonth))).eligible).toBe(true);
    }
    const gaps = await countGaps(db, book, { communeCodes: undefined, programCodes: book.programs.map((p) => p.code), asOf: AS_OF });
    const left = gaps.reduce((s, g) => s + g.count, 0);
    expect(left).toBeGreaterThan(0);
    // Roughly the left-behind share (plus one-off programs, which get no standing demo record).
    expect(left).toBeLessThan((rows.length * (3 * LEFT_BEHIND_PERCENT)) / 100 + 20);
  });

  it('is idempotent', async () => {
    const before = Number((await t.db.database.db.execute('SELECT count(*)::int AS n FROM enrolments' as never)).rows[0].n);
    expect((await seedDemoEnrolments(t.db.database, AS_OF)).skipped).toBe(true);
    expect(Number((await t.db.database.db.execute('SELECT count(*)::int AS n FROM enrolments' as never)).rows[0].n)).toBe(before);
  });
});
