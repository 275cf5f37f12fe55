/**
 * The rule book: programs, every rule version (with its withdrawal, if any), every base level and the timing
 * rules (read by the rules repository in five small statements, loadRuleBook) resolved by date in memory. "Which version is in
 * force on d": the versions whose effective_from ≤ d and
 * effective_to (if any) ≥ d; of those the latest effective_from wins, then the highest version number (a
 * correction published for the same date supersedes the earlier one). Base levels: the row of that kind
 * with the latest effective_from ≤ d, of those not superseded by a correction.
 */
import { formatVnd as enAmount, formatVndVi as viAmount } from '../../core/money.js';
import type {
  baseLevelConfirmations,
  baseLevels,
  programRules,
  programRuleWithdrawals,
  programs,
  provincialSchemes,
  timingRules,
} from '../../db/schema/index.js';
import { DomainError } from '../../errors.js';
import { factsAsOf, isAlive, residenceOn, type AreaClass, type PersonFactsSource } from '../../core/facts.js';
import { evaluateRule, isEligible, type BaseLevelLike, type ConditionResult, type RuleEvaluation } from '../../core/evaluate.js';
import { addDays, addMonths, firstDay, lastDay, periodOf } from '../../core/period.js';
import { disabilityRank, RuleDefinitionSchema, type RuleDefinition } from '../../core/rule-format.js';

export type ProgramRow = typeof programs.$inferSelect;
export type RuleWithdrawalRow = typeof programRuleWithdrawals.$inferSelect;
/**
 * A version as the rule book reads it: when withdrawn, `effectiveTo` is the withdrawal's (the stored row is
 * never changed) and `withdrawal` says when, by whom and why.
 */
export type RuleVersionRow = typeof programRules.$inferSelect & { parsed: RuleDefinition; withdrawal: RuleWithdrawalRow | null };
export type BaseLevelConfirmationRow = typeof baseLevelConfirmations.$inferSelect;
/**
 * A base level as the rule book reads it: `confirmed` is true when published confirmed or confirmed since
 * (`confirmation`; the stored row is never changed), and `supersededBy` names the correction replacing it, if any.
 */
export type BaseLevelRow = typeof baseLevels.$inferSelect & { confirmation: BaseLevelConfirmationRow | null; supersededBy: string | null };
export type TimingRuleRow = typeof timingRules.$inferSelect;
export type ProvincialSchemeRow = typeof provincialSchemes.$inferSelect;
/** A provincial scheme as GraphQL reads it: its row, with its program's highest-only choice. */
export type ProvincialSchemeParent = ProvincialSchemeRow & { highestOnly: boolean };

export interface RuleBook {
  programs: ProgramRow[];
  program(code: string): ProgramRow | undefined;
  versions(code: string): RuleVersionRow[];
  ruleAt(code: string, date: string): RuleVersionRow | undefined;
  baseAt(kind: string, date: string): BaseLevelRow | undefined;
  baseLevels: BaseLevelRow[];
  timingRules: TimingRuleRow[];
  /** The timing rule governing a program family on a date (docs/law.md#start-change-and-stop-months), if any. */
  timingAt(family: string, date: string): TimingRuleRow | undefined;
  /** A province's own scheme behind a PROVINCIAL program (docs/law.md#provincial-schemes). */
  provincialScheme(code: string): ProvincialSchemeRow | undefined;
}

/** The rows a rule book is built from: programs by sort order, versions by program and number, base levels by kind and date, withdrawals. */
export interface RuleBookRows {
  programs: ProgramRow[];
  rules: (typeof programRules.$inferSelect)[];
  baseLevels: (typeof baseLevels.$inferSelect)[];
  withdrawals: RuleWithdrawalRow[];
  timingRules: TimingRuleRow[];
  provincialSchemes: ProvincialSchemeRow[];
  /** Confirmations of base levels published unconfirmed (none when left out). */
  confirmations?: BaseLevelConfirmationRow[];
}

export function buildRuleBook({
  programs: progs,
  rules,
  baseLevels: stored,
  withdrawals,
  timingRules: timing,
  provincialSchemes: schemes,
  confirmations = [],
}: RuleBookRows): RuleBook {
  const schemeOf = new Map(schemes.map((x) => [x.programCode, x]));
  // A confirmation or a correction only ever changes how a level is read: every reader goes through baseAt or this
  // list, so applying them here is applying them everywhere.
  const confirmationOf = new Map(confirmations.map((c) => [c.baseLevelId, c]));
  const supersededBy = new Map(stored.flatMap((b) => (b.supersedes ? [[b.supersedes, b.id] as const] : [])));
  const bases: BaseLevelRow[] = stored.map((b) => {
    const confirmation = confirmationOf.get(b.id) ?? null;
    return { ...b, confirmed: b.confirmed || confirmation !== null, confirmation, supersededBy: supersededBy.get(b.id) ?? null };
  });
  const withdrawalOf = new Map(withdrawals.map((w) => [w.ruleId, w]));
  const byCode = new Map<string, RuleVersionRow[]>();
  for (const r of rules) {
    const parsed = RuleDefinitionSchema.safeParse(r.definition);
    if (!parsed.success) {
      // Only a hand-made row could get here: publishRuleVersion and the seeds validate every definition.
      throw new DomainError('INTERNAL', { en: `Rule ${r.programCode} v${r.version} is malformed`, vi: `Quy tắc ${r.programCode} v${r.version} sai định dạng` });
    }
    // A withdrawal only ever shortens a version's time in force: every reader (TypeScript and SQL alike) goes
    // through ruleAt, so applying it here is applying it everywhere.
    const withdrawal = withdrawalOf.get(r.id) ?? null;
    const effectiveTo = withdrawal && (r.effectiveTo === null || withdrawal.effectiveTo < r.effectiveTo) ? withdrawal.effectiveTo : r.effectiveTo;
    byCode.set(r.programCode, [...(byCode.get(r.programCode) ?? []), { ...r, effectiveTo, parsed: parsed.data, withdrawal }]);
  }
  const programByCode = new Map(progs.map((p) => [p.code, p]));
  return {
    programs: progs,
    baseLevels: bases,
    timingRules: timing,
    // Seeded periods do not overlap; should an admin's rows ever do, the latest valid_from wins.
    timingAt: (family, date) =>
      timing
        .filter((r) => r.families.includes(family) && r.validFrom <= date && (r.validTo === null || r.validTo >= date))
        .reduce<TimingRuleRow | undefined>((best, r) => (!best || r.validFrom > best.validFrom ? r : best), undefined),
    program: (code) => programByCode.get(code),
    provincialScheme: (code) => schemeOf.get(code),
    versions: (code) => byCode.get(code) ?? [],
    ruleAt(code, date) {
      let best: RuleVersionRow | undefined;
      for (const v of byCode.get(code) ?? []) {
        if (v.effectiveFrom > date || (v.effectiveTo !== null && v.effectiveTo < date)) continue;
        if (!best || v.effectiveFrom > best.effectiveFrom || (v.effectiveFrom === best.effectiveFrom && v.version > best.version)) best = v;
      }
      return best;
    },
    baseAt(kind, date) {
      let best: BaseLevelRow | undefined;
      for (const b of bases) if (b.kind === kind && b.effectiveFrom <= date && b.supersededBy === null) best = b;
      return best;
    },
  };
}

export const asBaseLike = (b: BaseLevelRow): BaseLevelLike => b;

/**
 * Why an amount is not settled law: it rests on a rule version or a base level stored `confirmed: false`
 * (docs/law.md#how-to-read-this-file). The same shape serves eligibility, entitlement lines and coverage gaps.
 */
export interface UnconfirmedReason {
  source: 'RULE_VERSION' | 'BASE_LEVEL';
  /** Id of the rule version or base level. */
  sourceId: string;
  text: string;
  textVi: string;
}

const BASE_KIND_VI: Record<string, string> = {
  SOCIAL_ASSISTANCE: 'mức chuẩn trợ giúp xã hội',
  SOCIAL_PENSION: 'mức trợ cấp hưu trí xã hội',
  MERIT: 'mức chuẩn trợ cấp ưu đãi người có công',
};

/**
 * The reasons a decision or an entitlement line is flagged unconfirmed: its rule version (eligible or not, the
 * verdict rests on it) and the base level its amount used, each when stored `confirmed: false`. Art. 5.5.b/5.5.c
 * after 2025-06 are flagged this way: their version 2 from 2025-07-01 is unconfirmed (src/reference/programs.ts).
 */
export function unconfirmedReasons(
  version: Pick<RuleVersionRow, 'id' | 'programCode' | 'version' | 'effectiveFrom' | 'confirmed' | 'note' | 'legalBasis'> | null | undefined,
  baseLevel: BaseLevelLike | null | undefined,
): UnconfirmedReason[] {
  const reasons: UnconfirmedReason[] = [];
  if (version && !version.confirmed) {
    reasons.push({
      source: 'RULE_VERSION',
      sourceId: version.id,
      text: `rule version ${version.programCode} v${version.version} (from ${version.effectiveFrom}) is unconfirmed: ${version.note ?? version.legalBasis}`,
      textVi: `quy tắc ${version.programCode} phiên bản ${version.version} (từ ${version.effectiveFrom}) chưa được xác nhận: ${version.legalBasis}`,
    });
  }
  if (baseLevel && !baseLevel.confirmed) {
    reasons.push({
      source: 'BASE_LEVEL',
      sourceId: baseLevel.id,
      text: `base level ${baseLevel.kind} ${enAmount(baseLevel.amount)} from ${baseLevel.effectiveFrom} is unconfirmed (${baseLevel.legalBasis})`,
      textVi: `${BASE_KIND_VI[baseLevel.kind] ?? baseLevel.kind} ${viAmount(baseLevel.amount)} đồng từ ${baseLevel.effectiveFrom} chưa được xác nhận (${baseLevel.legalBasis})`,
    });
  }
  return reasons;
}

/**
 * Whether a month's base level was in force (its decree legally payable) by the month's last day. A month that
 * ended before the decree came into force was, at the time, payable only on the level before: once the decree
 * is in force the difference is arrears (the payments issue pays them). True when the amount uses no base level.
 */
export const baseLevelInForceBy = (baseLevel: Pick<BaseLevelLike, 'inForceOn'> | null | undefined, monthLastDay: string): boolean =>
  !baseLevel || baseLevel.inForceOn <= monthLastDay;

export interface ProgramDecision extends RuleEvaluation {
  program: ProgramRow;
  version: RuleVersionRow | undefined;
  date: string;
}

const aliveResult = (alive: boolean, d: string): ConditionResult => ({
  fact: 'alive',
  operator: 'eq',
  expected: 'true',
  actual: String(alive),
  held: alive,
  text: `alive on ${d}: ${alive ? 'yes' : 'no'} ${alive ? '✓' : '✗'}`,
  textVi: `còn sống ngày ${d}: ${alive ? 'có' : 'không'} ${alive ? '✓' : '✗'}`,
});

/**
 * Shown only when it fails: someone alive who did not live in the district on d (before their first residence
 * period, or after moving out of the district) is not the district's to pay. The SQL twin reads only residents
 * (src/db/residence.ts personsOn).
 */
const notResidentResult = (d: string): ConditionResult => ({
  fact: 'resident',
  operator: 'eq',
  expected: 'true',
  actual: 'false',
  held: false,
  text: `lives in the district on ${d}: no ✗`,
  textVi: `cư trú trên địa bàn ngày ${d}: không ✗`,
});

/**
 * Shown for someone whose year of birth only is known: the day every birthday rule read is the convention's
 * (docs/law.md#birth-year-only). Always held: it explains, it does not decide.
 */
function birthYearResult(src: PersonFactsSource): ConditionResult | undefined {
  const c = src.birthYearOnly;
  if (!c) return undefined;
  const year = src.dateOfBirth.slice(0, 4);
  const unconfirmed = c.confirmed ? '' : '; unconfirmed';
  return {
    fact: 'birthDate',
    operator: 'convention',
    expected: c.monthDay,
    actual: `${year} (year only)`,
    held: true,
    text: `year of birth only (${year}): birthday rules read ${src.dateOfBirth} by the convention ${c.monthDay} (${c.legalBasis}${unconfirmed}) ✓`,
    textVi: `chỉ biết năm sinh (${year}): các điều kiện theo tuổi tính từ ngày ${src.dateOfBirth} theo quy ước ${c.monthDay} (${c.legalBasis}${c.confirmed ? '' : '; chưa xác nhận'}) ✓`,
  };
}

/** Alive on d, and, when not resident, the condition that says so. */
function presence(src: PersonFactsSource, d: string): { present: boolean; conditions: ConditionResult[] } {
  const alive = isAlive(src, d);
  const birthYear = birthYearResult(src);
  const convention = birthYear ? [birthYear] : [];
  if (alive && !residenceOn(src, d)) return { present: false, conditions: [aliveResult(true, d), notResidentResult(d), ...convention] };
  return { present: alive, conditions: [aliveResult(alive, d), ...convention] };
}

/** A program's decision for a person on a date, with every condition explained. */
export function decide(book: RuleBook, program: ProgramRow, src: PersonFactsSource, areas: AreaClass[], d: string, baseDate = d): ProgramDecision {
  const version = book.ruleAt(program.code, d);
  const { present, conditions } = presence(src, d);
  if (!version) {
    const none: ConditionResult = {
      fact: 'ruleInForce',
      operator: 'eq',
      expected: 'true',
      actual: 'false',
      held: false,
      text: `no rule version of ${program.code} in force on ${d} ✗`,
      textVi: `không có quy tắc ${program.code} có hiệu lực ngày ${d} ✗`,
    };
    return { program, version, date: d, eligible: false, conditions: [...conditions, none], coefficient: null, baseLevel: null, amount: null };
  }
  const facts = factsAsOf(src, areas, d);
  const ev = evaluateRule(version.parsed, facts, (kind) => book.baseAt(kind, baseDate));
  return { program, version, date: d, ...ev, eligible: present && ev.eligible, conditions: [...conditions, ...ev.conditions] };
}

/** Quick yes/no on a date (no texts). */
export function eligibleOn(book: RuleBook, code: string, src: PersonFactsSource, areas: AreaClass[], d: string): boolean {
  const version = book.ruleAt(code, d);
  return !!version && isAlive(src, d) && residenceOn(src, d) !== undefined && isEligible(version.parsed, factsAsOf(src, areas, d));
}

/**
 * A month is covered when the person is eligible on its first or its last day. This one reading gives the
 * law's start and stop months (Decree 20/2021 art. 8.1–8.2, docs/law.md#start-change-and-stop-months): turning 75/80 or a certificate issued during the month
 * counts from that month; death or loss of eligibility during a month stops from the next month.
 */
export function decideMonth(book: RuleBook, program: ProgramRow, src: PersonFactsSource, areas: AreaClass[], period: string): ProgramDecision {
  const first = decide(book, program, src, areas, firstDay(period), firstDay(period));
  if (first.eligible) return first;
  const last = decide(book, program, src, areas, lastDay(period), firstDay(period));
  return last.eligible ? last : first;
}

/** Where an enrolment may start and why (with the timing rule that says so, when one governs the program). */
export interface StartMonth {
  period: string;
  en: string;
  vi: string;
  timingRule: TimingRuleRow | null;
}

/** The program's own legal start (Decree 20/2021 art. 8.1.đ): the 75th/80th birthday month, the certificate month. */
function legalStart(program: ProgramRow, src: PersonFactsSource, decisionDate: string): Omit<StartMonth, 'timingRule'> {
  const [y, m] = src.dateOfBirth.split('-');
  switch (program.startRule) {
    case 'TURNS_75':
    case 'TURNS_80': {
      const age = program.startRule === 'TURNS_75' ? 75 : 80;
      const period = `${Number(y) + age}-${m}`;
      return { period, en: `the month they turn ${age} (${period})`, vi: `tháng đủ ${age} tuổi (${period})` };
    }
    case 'CERTIFICATE_MONTH': {
      const severe = src.certificates
        .filter((c) => disabilityRank(c.level) >= disabilityRank('SEVERE') && c.issuedOn <= decisionDate && (c.validTo === null || c.validTo >= decisionDate))
        .sort((a, b) => (a.issuedOn < b.issuedOn ? -1 : 1));
      const first = severe[0];
      const period = first ? periodOf(first.issuedOn) : periodOf(decisionDate);
      return { period, en: `the month the disability certificate was issued (${period})`, vi: `tháng được cấp giấy xác nhận khuyết tật (${period})` };
    }
    default: {
      const period = periodOf(decisionDate);
      return { period, en: `the month of the decision (${period})`, vi: `tháng ra quyết định (${period})` };
    }
  }
}

/**
 * The earliest month an enrolment may start, given its decision date: the timing rule in force on that date
 * decides (docs/law.md#start-change-and-stop-months). Under Decree 20/2021 art. 8.1 the program's legal start,
 * never before the rule's back-pay floor (2021-07-01); under Decree 147/2025 art. 5 the month of the decision.
 * A program no timing rule governs keeps its own start rule.
 */
export function earliestStart(book: RuleBook, program: ProgramRow, src: PersonFactsSource, decisionDate: string): StartMonth {
  const rule = book.timingAt(program.family, decisionDate) ?? null;
  const cite = rule ? ` (${rule.code})` : '';
  if (rule?.startBasis === 'DECISION_MONTH') {
    const period = periodOf(decisionDate);
    return { period, en: `the month of the decision (${period})${cite}`, vi: `tháng ra quyết định (${period})${cite}`, timingRule: rule };
  }
  const legal = legalStart(program, src, decisionDate);
  const floor = rule?.backPayFloor ? periodOf(rule.backPayFloor) : undefined;
  if (floor && legal.period < floor) {
    return {
      period: floor,
      en: `${legal.en}, but not before ${floor}${cite}`,
      vi: `${legal.vi}, nhưng không trước tháng ${floor}${cite}`,
      timingRule: rule,
    };
  }
  return { period: legal.period, en: `${legal.en}${cite}`, vi: `${legal.vi}${cite}`, timingRule: rule };
}

/** A change of level within a month: the day it happens and the amounts before and after (at the month's base level). */
export interface LevelChange {
  on: string;
  before: ProgramDecision;
  after: ProgramDecision;
  rule: TimingRuleRow;
  /** The first month paid at the new level. */
  appliesFrom: string;
}

/**
 * The change of level that happens in a month, when the person is eligible on its first and last day with other
 * amounts (5.5.a turning 80, a child turning 4 under 5.1/5.3, a disability level re-assessed), together with the
 * timing rule in force on the day of the change, which says whether the new level applies from this month or the
 * next. Undefined when the amount does not change, or no timing rule governs the program on that day.
 */
export function levelChangeIn(book: RuleBook, program: ProgramRow, src: PersonFactsSource, areas: AreaClass[], period: string): LevelChange | undefined {
  const start = firstDay(period);
  const before = decide(book, program, src, areas, start, start);
  if (!before.eligible || before.amount === null) return undefined;
  const end = lastDay(period);
  const last = decide(book, program, src, areas, end, start);
  if (!last.eligible || last.amount === null || last.amount === before.amount) return undefined;
  // The day of the change: the first day with another amount (at most 30 evaluations, only in such a month).
  for (let d = addDays(start, 1); d <= end; d = addDays(d, 1)) {
    const after = decide(book, program, src, areas, d, start);
    if (!after.eligible || after.amount === null || after.amount === before.amount) continue;
    const rule = book.timingAt(program.family, d);
    if (!rule) return undefined;
    const effect = after.amount > before.amount ? rule.increaseEffect : rule.decreaseEffect;
    return { on: d, before, after, rule, appliesFrom: effect === 'SAME_MONTH' ? period : addMonths(period, 1) };
  }
  return undefined;
}

/** A month of an enrolment: the decision that sets its amount, and the change of level that timed it, if any. */
export interface EnrolmentMonthDecision {
  decision: ProgramDecision;
  change: LevelChange | undefined;
}

/**
 * A month as an enrolment pays it: decideMonth, except that a change of level in the month, or in the month
 * before, takes effect when the timing rule in force on the day of the change says (Decree 20/2021 art. 8.1: an
 * increase from the month the person qualifies; Decree 147/2025 art. 5: from the month after).
 */
export function decideEnrolmentMonth(
  book: RuleBook,
  program: ProgramRow,
  src: PersonFactsSource,
  areas: AreaClass[],
  period: string,
  /** Changes already found by month, for a caller walking consecutive months of one enrolment. */
  changes = new Map<string, LevelChange | undefined>(),
): EnrolmentMonthDecision {
  const changeIn = (p: string) => {
    if (!changes.has(p)) changes.set(p, levelChangeIn(book, program, src, areas, p));
    return changes.get(p);
  };
  const change = changeIn(period);
  if (change) return { decision: change.appliesFrom === period ? change.after : change.before, change };
  const decision = decideMonth(book, program, src, areas, period);
  const previous = changeIn(addMonths(period, -1));
  return { decision, change: previous?.appliesFrom === period ? previous : undefined };
}
