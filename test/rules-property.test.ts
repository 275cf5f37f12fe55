/**
 * The rules are evaluated twice: in TypeScript for one person (eligibility, entitlements) and compiled to
 * SQL for whole communes (coverage gaps). This property test inserts random people with random
 * circumstances around threshold dates (birthdays to the day, leap days, month ends, records starting or
 * ending on the date) and random residence histories (arriving in the district after birth, then up to three
 * moves: to another household of any commune, classified or not, in a classified village or not, poor or not,
 * children moving along or staying, out of the district with a destination and back), with moves on the date
 * asked, the day before and after, and far from it. It checks that both pick exactly the same people, for every
 * seeded rule version and for random single conditions over every fact and operator; and that the versioned start
 * and change rules (timing_rules), which time months in TypeScript only, owe a month exactly when the SQL finds the
 * person eligible on its first or last day, and time each change by the rule in force on its day.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  disabilityCertificates,
  households,
  meritRecords,
  pensionStatuses,
  personCircumstanceFlags,
  persons,
  povertyAssessments,
  pregnancies,
} from '../src/db/schema/index.js';
import { findEligiblePersonIds } from '../src/modules/benefits/benefits.repository.js';
import { livingOn } from '../src/db/beneficiary-groups.js';
import { holds } from '../src/core/evaluate.js';
import { addDays, factsAsOf, isAlive, residenceOn } from '../src/core/facts.js';
import { decideEnrolmentMonth, earliestStart, eligibleOn } from '../src/modules/rules/rule-book.js';
import { addMonths, firstDay, lastDay, periodOf } from '../src/core/period.js';
import { loadAreaClasses, loadFactsSources, loadRuleBook } from '../src/modules/rules/rules.repository.js';
import { conditionsSql } from '../src/db/rule-sql.js';
import { DISABILITY_LEVELS, FACTS, type FactName, type LeafCondition } from '../src/core/rule-format.js';
import { CIRCUMSTANCE_FLAGS } from '../src/db/schema/rules.js';
import { personsOn } from '../src/db/residence.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';
import { writeMove } from './support/residence.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => closeTestApp(t));

const AS_OF = ['2024-02-29', '2024-03-01', '2024-07-01', '2024-07-31', '2025-08-15', '2025-12-31', '2026-01-01', '2023-06-30', '2021-09-16'];
const AGES = [0, 1, 2, 3, 4, 15, 16, 22, 23, 59, 60, 69, 70, 74, 75, 79, 80, 85];

/** Date `months` months before `date` (day clamped to the month's length), then shifted by `days`. */
function shift(date: string, months: number, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  if (y === undefined || m === undefined || d === undefined) throw new Error(`not a date: ${date}`);
  const i = y * 12 + (m - 1) - months;
  const yy = Math.floor(i / 12);
  const mm = (i % 12) + 1;
  const dim = new Date(Date.UTC(yy, mm, 0)).getUTCDate();
  return addDays(`${yy}-${String(mm).padStart(2, '0')}-${String(Math.min(d, dim)).padStart(2, '0')}`, days);
}

const offset = fc.oneof(fc.constant(0), fc.constant(-1), fc.constant(1), fc.integer({ min: -900, max: 900 }));
const maybeEnd = fc.option(offset, { nil: undefined });
const span = fc.record({ from: offset, to: maybeEnd });
const COMMUNES = ['24865', '24862', '24850', '24847'] as const;
const assessmentsSpec = fc.array(fc.record({ at: offset, cls: fc.constantFrom('POOR' as const, 'NEAR_POOR' as const, 'NONE' as const) }), { maxLength: 2 });

/** A move on a day around the date asked: into a new household (or none) of a commune, or out of the district. */
const moveSpec = fc.record({
  at: offset,
  to: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        commune: fc.constantFrom(...COMMUNES),
        village: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        household: fc.boolean(),
        relation: fc.constantFrom('Chủ hộ', 'Vợ', 'Chồng', 'Con', 'Cháu', null),
        assessments: assessmentsSpec,
      }),
    },
    { weight: 1, arbitrary: fc.constant('OUT' as const) },
  ),
  /** The children living with the person move along (else they stay in the old household). */
  withChildren: fc.boolean(),
});

const personSpec = fc.record({
  age: fc.record({ years: fc.constantFrom(...AGES), months: fc.integer({ min: 0, max: 11 }), days: fc.integer({ min: -2, max: 2 }) }),
  sex: fc.constantFrom('MALE' as const, 'FEMALE' as const),
  ethnicity: fc.constantFrom(null, 'Kinh', "K'Ho", 'Cil'),
  commune: fc.constantFrom(...COMMUNES),
  village: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
  household: fc.boolean(),
  relation: fc.constantFrom('Chủ hộ', 'Vợ', 'Chồng', 'Con', 'Cháu', null),
  death: fc.option(offset, { nil: undefined }),
  assessments: assessmentsSpec,
  certificates: fc.array(fc.record({ level: fc.constantFrom('MILD' as const, 'SEVERE' as const, 'PARTICULARLY_SEVERE' as const), span }), { maxLength: 2 }),
  merits: fc.array(
    fc.record({
      category: fc.constantFrom('WAR_INVALID', 'MARTYR_RELATIVE', 'HEROIC_MOTHER', 'HERO'),
      rate: fc.option(fc.integer({ min: 5, max: 100 }), { nil: null }),
      span,
    }),
    { maxLength: 2 },
  ),
  pensions: fc.array(span, { maxLength: 1 }),
  pregnancies: fc.array(
    fc.record({ reported: offset, due: fc.integer({ min: 1, max: 300 }), ended: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }) }),
    { maxLength: 1 },
  ),
  flags: fc.array(fc.record({ flag: fc.constantFrom(...CIRCUMSTANCE_FLAGS), span }), { maxLength: 3 }),
  children: fc.array(fc.record({ ageMonths: fc.integer({ min: 0, max: 200 }), days: fc.integer({ min: -2, max: 2 }), dead: fc.boolean() }), { maxLength: 3 }),
  /** Bit per kind (certificates, merits, pensions, pregnancies, flags): its first record is withdrawn and must count nowhere. */
  withdrawn: fc.integer({ min: 0, max: 31 }),
  /** First resident in the district this many days around the date asked, rather than from birth. */
  arrived: fc.option(offset, { nil: undefined }),
  /** Moves after the first period (those not after the period then in force are skipped): 1–4 periods. */
  moves: fc.array(moveSpec, { maxLength: 3 }),
});
type PersonSpec = typeof personSpec extends fc.Arbitrary<infer S> ? S : never;

/** The later of two ISO dates (they compare as strings). */
const later = (a: string, b: string) => (a > b ? a : b);

async function insertPeople(asOf: string, specs: PersonSpec[]): Promise<string[]> {
  const db = t.db.database.db;
  const ids: string[] = [];
  const at = (o: number) => addDays(asOf, o);
  const spanOf = (s: { from: number; to?: number }) => {
    const from = at(s.from);
    const to = s.to === undefined ? null : at(Math.max(s.from, s.to));
    return { from, to };
  };
  /** A household of a commune, with its assessments (one per date: poverty_assessments_household_date_uq). */
  async function newHousehold(commune: string, village: number | undefined, assessments: PersonSpec['assessments']): Promise<string> {
    const householdId = randomUUID();
    await db
      .insert(households)
      .values({ id: householdId, code: `P-${householdId}`, communeCode: commune, villageCode: village ? `${commune}.0${village}` : null });
    const assessedOn = new Set<string>();
    for (const a of assessments) {
      const on = later(at(a.at), '2022-01-01');
      if (assessedOn.has(on)) continue;
      assessedOn.add(on);
      await db.insert(povertyAssessments).values({
        householdId,
        assessedOn: on,
        standardCode: on >= '2027-01-01' ? 'DECREE_351_2025' : 'DECREE_07_2021',
        area: 'RURAL',
        incomePerPerson: 1,
        deprivations: [],
        classification: a.cls,
      });
    }
    return householdId;
  }
  for (const s of specs) {
    const householdId = s.household ? await newHousehold(s.commune, s.village, s.assessments) : null;
    const id = randomUUID();
    ids.push(id);
    const dob = shift(asOf, s.age.years * 12 + s.age.months, s.age.days);
    const death = s.death === undefined ? null : later(at(s.death), dob);
    const residentFrom = s.arrived === undefined ? dob : later(at(s.arrived), dob);
    await db.insert(persons).values({
      residentFrom,
      id,
      fullName: 'Thử Nghiệm',
      dateOfBirth: dob,
      sex: s.sex,
      ethnicity: s.ethnicity,
      communeCode: s.commune,
      householdId,
      relationToHead: householdId ? s.relation : null,
      dateOfDeath: death,
    });
    /** The children living with the person, with the first day of their period in force. */
    const children: { id: string; since: string }[] = [];
    if (householdId) {
      for (const c of s.children) {
        const born = shift(asOf, c.ageMonths, c.days);
        const childId = randomUUID();
        children.push({ id: childId, since: born });
        await db.insert(persons).values({
          id: childId,
          fullName: 'Con Thử',
          dateOfBirth: born,
          sex: 'MALE',
          communeCode: s.commune,
          householdId,
          relationToHead: 'Con',
          dateOfDeath: c.dead ? [asOf, born].sort()[1] : null,
        });
      }
    }
    const w = (bit: number, i: number) => (i === 0 && (s.withdrawn & (1 << bit)) !== 0 ? { withdrawnAt: new Date(), withdrawalReason: 'x' } : {});
    for (const [i, c] of s.certificates.entries()) {
      const { from, to } = spanOf(c.span);
      await db.insert(disabilityCertificates).values({ personId: id, level: c.level, certificateNo: 'x', issuedOn: from, validTo: to, ...w(0, i) });
    }
    for (const [i, m] of s.merits.entries()) {
      const { from, to } = spanOf(m.span);
      await db
        .insert(meritRecords)
        .values({ personId: id, category: m.category, injuryRate: m.rate, decisionNo: 'x', recognizedOn: from, validTo: to, ...w(1, i) });
    }
    for (const [i, p] of s.pensions.entries()) {
      const { from, to } = spanOf(p);
      await db.insert(pensionStatuses).values({ personId: id, kind: 'RETIREMENT_PENSION', startsOn: from, endsOn: to, ...w(2, i) });
    }
    for (const [i, p] of s.pregnancies.entries()) {
      const reported = at(p.reported);
      await db.insert(pregnancies).values({
        personId: id,
        reportedOn: reported,
        expectedDeliveryOn: addDays(reported, p.due),
        endedOn: p.ended === undefined ? null : addDays(reported, p.ended),
        outcome: p.ended === undefined ? null : 'BIRTH',
        ...w(3, i),
      });
    }
    for (const [i, f] of s.flags.entries()) {
      const { from, to } = spanOf(f.span);
      await db.insert(personCircumstanceFlags).values({ personId: id, flag: f.flag, validFrom: from, validTo: to, evidence: 'x', ...w(4, i) });
    }
    // The residence history: each move after the period then in force (a move cannot start a period twice).
    let since = residentFrom;
    for (const m of [...s.moves].sort((a, b) => a.at - b.at)) {
      const movedOn = at(m.at);
      if (movedOn <= since) continue;
      since = movedOn;
      const to =
        m.to === 'OUT' ? undefined : { ...m.to, householdId: m.to.household ? await newHousehold(m.to.commune, m.to.village, m.to.assessments) : null };
      const place = (relationToHead: string | null) =>
        to
          ? { movedOn, communeCode: to.commune, householdId: to.householdId, relationToHead: to.householdId ? relationToHead : null }
          : { movedOn, communeCode: null, destination: 'Bảo Lộc' };
      await writeMove(db, id, place(to?.relation ?? null));
      if (!m.withChildren) continue;
      // The children move along, still children of the household; those born since stay where they were registered.
      for (const c of children) {
        if (movedOn <= c.since) continue;
        c.since = movedOn;
        await writeMove(db, c.id, place('Con'));
      }
    }
  }
  return ids;
}

/** A random condition over any fact with any operator it accepts. */
const leafCondition: fc.Arbitrary<LeafCondition> = fc.constantFrom(...(Object.keys(FACTS) as FactName[])).chain((fact) => {
  const info = FACTS[fact];
  const c = (op: LeafCondition['op'], value: fc.Arbitrary<LeafCondition['value']>) => value.map((v) => ({ fact, op, value: v }));
  switch (info.type) {
    case 'integer': {
      const n = fact === 'ageMonths' ? fc.integer({ min: 0, max: 1100 }) : fact === 'ageYears' ? fc.constantFrom(...AGES) : fc.integer({ min: 0, max: 100 });
      return fc.constantFrom('eq' as const, 'gte' as const, 'gt' as const, 'lte' as const, 'lt' as const).chain((op) => c(op, n));
    }
    case 'boolean':
      return c('eq', fc.boolean());
    case 'enum':
      return fc.oneof(
        fc.constantFrom('eq' as const, 'ne' as const).chain((op) => c(op, fc.constantFrom(...info.values!))),
        fc.constantFrom('in' as const, 'notIn' as const).chain((op) => c(op, fc.uniqueArray(fc.constantFrom(...info.values!), { minLength: 1 }))),
      );
    case 'ordinal':
      return fc.constantFrom('eq' as const, 'gte' as const, 'lt' as const).chain((op) => c(op, fc.constantFrom(...DISABILITY_LEVELS)));
    case 'set':
      return fc.constantFrom('includes' as const, 'excludes' as const).chain((op) => c(op, fc.constantFrom(...info.values!)));
  }
});

describe('TypeScript and SQL evaluation agree', () => {
  it('on every seeded rule version and on random conditions, for random people around threshold dates', async () => {
    const db = t.db.database.db;
    const book = await loadRuleBook(db);
    const areas = await loadAreaClasses(db);
    let compared = 0;
    let eligibleSeen = 0;
    let moved = 0;
    let historySeen = 0;
    let changesSeen = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...AS_OF),
        fc.array(personSpec, { minLength: 4, maxLength: 12 }),
        fc.array(leafCondition, { minLength: 3, maxLength: 6 }),
        async (asOf, specs, leaves) => {
          const ids = await insertPeople(asOf, specs);
          const sources = await loadFactsSources(db, ids);
          for (const program of book.programs) {
            if (!book.ruleAt(program.code, asOf)) continue;
            const inTs = ids.filter((id) => eligibleOn(book, program.code, sources.get(id)!, areas, asOf)).sort();
            const inSql = await findEligiblePersonIds(db, book, program.code, asOf, ids);
            expect(inSql, `${program.code} on ${asOf}`).toEqual(inTs);
            compared++;
            eligibleSeen += inTs.length;
            // Versioned start and change rules (timing_rules) decide months, never eligibility: a month is owed
            // exactly when the SQL finds the person eligible on its first or last day, whichever rule timed a
            // change of level in it; the change is timed by the rule in force on its day, from that month or the
            // next; and a start decided on asOf is where that day's rule puts it.
            const month = periodOf(asOf);
            if (program.kind === 'MONTHLY' && book.ruleAt(program.code, firstDay(month)) && book.ruleAt(program.code, lastDay(month))) {
              const [onFirst, onLast] = await Promise.all([
                findEligiblePersonIds(db, book, program.code, firstDay(month), ids),
                findEligiblePersonIds(db, book, program.code, lastDay(month), ids),
              ]);
              const monthly = ids.map((id) => [id, decideEnrolmentMonth(book, program, sources.get(id)!, areas, month)] as const);
              expect(
                monthly
                  .filter(([, m]) => m.decision.eligible)
                  .map(([id]) => id)
                  .sort(),
                `${program.code} in ${month}`,
              ).toEqual([...new Set([...onFirst, ...onLast])].sort());
              for (const [, m] of monthly) {
                if (!m.change) continue;
                changesSeen++;
                const rule = book.timingAt(program.family, m.change.on)!;
                expect(m.change.rule.code).toBe(rule.code);
                const up = m.change.after.amount! > m.change.before.amount!;
                const from = periodOf(m.change.on);
                expect(m.change.appliesFrom).toBe((up ? rule.increaseEffect : rule.decreaseEffect) === 'SAME_MONTH' ? from : addMonths(from, 1));
              }
            }
            for (const id of inTs) {
              const rule = book.timingAt(program.family, asOf);
              const start = earliestStart(book, program, sources.get(id)!, asOf);
              expect(start.timingRule?.code).toBe(rule?.code);
              if (rule?.startBasis === 'DECISION_MONTH') expect(start.period).toBe(month);
              if (rule?.backPayFloor) expect(start.period >= periodOf(rule.backPayFloor)).toBe(true);
            }
          }
          for (const id of ids) {
            const src = sources.get(id)!;
            const home = residenceOn(src, asOf);
            if (src.residences.length > 1) moved++;
            // Read in an earlier period than the latest, or not resident on the date: the history is what decides.
            if (home !== src.residences.at(-1)) historySeen++;
          }
          for (const leaf of leaves) {
            // Both read residents only: the SQL through personsOn, the TypeScript through the period in force.
            const inTs = ids
              .filter((id) => isAlive(sources.get(id)!, asOf) && residenceOn(sources.get(id)!, asOf) && holds(leaf, factsAsOf(sources.get(id)!, areas, asOf)))
              .sort();
            const r = await db.execute(
              sql`SELECT p.id FROM ${personsOn(asOf)} p WHERE ${livingOn(asOf)} AND ${conditionsSql([leaf], asOf)}
                AND p.id IN (${sql.join(
                  ids.map((id) => sql`${id}::uuid`),
                  sql`, `,
                )}) ORDER BY p.id`,
            );
            expect(
              r.rows.map((x) => String(x.id)),
              `${JSON.stringify(leaf)} on ${asOf}`,
            ).toEqual(inTs);
            compared++;
          }
        },
      ),
      { numRuns: 40, seed: Number(process.env.FC_SEED ?? Date.now() % 1e9) },
    );
    expect(compared).toBeGreaterThan(200);
    // The generator must actually produce eligible people, or the agreement would be vacuous.
    expect(eligibleSeen).toBeGreaterThan(10);
    // ... nor would it say anything about residence without people who moved, read on dates their history decides.
    expect(moved).toBeGreaterThan(20);
    expect(historySeen).toBeGreaterThan(10);
    // Changes of level within the month need rare combinations here (eligible on both ends with another amount):
    // test/law-timing.test.ts times them over every day from 2021-08 to 2027.
    console.log(`changes of level timed: ${changesSeen}`);
  });
});
