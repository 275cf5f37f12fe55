/**
 * Benefits use cases: enrolments (propose → approve → end), month-by-month entitlements with the law's
 * "only the highest allowance" rules applied and explained, and coverage gaps (eligible, not enrolled).
 */
import { formatVnd as fmt } from '../../core/money.js';
import { codeVi } from '../../core/labels-vi.js';
import { groupBy } from '../../core/collections.js';
import type { Clock } from '../../clock.js';
import type { ConditionResult } from '../../core/evaluate.js';
import { addMonths, firstDay, isValidDate, lastDay, monthsFrom, PERIOD_RE, periodOf, toDateString } from '../../core/period.js';
import type { Database, Tx } from '../../db/client.js';
import { concurrently } from '../../db/concurrently.js';
import { conflict, DomainError, forbidden, isUuid, notFound, Problems, uniqueAsConflict, ValidationError } from '../../errors.js';
import { auditedTransaction, type AuditActor, type AuditEntry } from '../audit/audit.service.js';
import { assertCanSee, assertCanSeeCommune, assertMayReadBenefits, canSeeMonth, communesVisibleTo, programHiddenFrom } from '../auth/access-policy.js';
import { communeAnsweringForMonth, payingResidence } from '../../core/residence.js';
import { assertCanMutate, assertRole } from '../auth/auth.service.js';
import type { Principal } from '../auth/auth.types.js';
import type { PlacesService } from '../places/places.service.js';
import type { RegistryService } from '../registry/registry.service.js';
import {
  baseLevelInForceBy,
  decide,
  decideEnrolmentMonth,
  decideMonth,
  earliestStart,
  unconfirmedReasons,
  type BaseLevelRow,
  type LevelChange,
  type ProgramRow,
  type RuleBook,
  type RuleVersionRow,
  type RulesService,
  type TimingRuleRow,
  type UnconfirmedReason,
} from '../rules/rules.service.js';
import { STOP_CASES, SUSPENSION_REASONS, type StopCase, type SuspensionReason } from '../../core/code-lists.js';
import { areSpouses, claimPaidOverOther, competesForHighestAmount, ONE_AWARD_PER_COUPLE, type CoupleClaim } from '../../core/combination.js';
import { residenceOn, type AreaClass, type PersonFactsSource } from '../../core/facts.js';
import { monthIndex, parsePeriod, PERIOD_RANGE_TEXT } from '../../core/bounds.js';
import * as repo from './benefits.repository.js';
import type { EnrolmentRow, GapFilter, PensionConversionRow, SuspensionRow } from './benefits.repository.js';

export type { EnrolmentRow, GapFilter, PensionConversionRow, SuspensionRow } from './benefits.repository.js';

export interface RecordPensionConversionInput {
  communeCode: string;
  effectivePeriod: string;
  legalBasis: string;
  decisionNo: string;
}

/**
 * The art. 5.5 groups the social pension very probably replaced from 2025-07-01 (docs/law.md#social-pension): a
 * recorded conversion moves their months to the social pension. Before the pension existed nothing converts.
 */
const CONVERTED_TO_PENSION = new Set(['D20_5_5B', 'D20_5_5C']);
const PENSION_FROM_PERIOD = '2025-07';

export interface EnrolInput {
  personId: string;
  programCode: string;
  decisionNo: string;
  decisionDate: string;
  startPeriod: string;
}

export interface CoverageGapsInput {
  communeCode?: string | null;
  programCode?: string | null;
  asOf?: string | null;
  first?: number | null;
  after?: string | null;
}

/** Gap cursors are opaque to clients: base64url of the last (person, program). */
export const encodeGapCursor = (personId: string, programCode: string) => Buffer.from(`g:${personId}:${programCode}`).toString('base64url');
function decodeGapCursor(cursor: string): { personId: string; programCode: string } {
  const m = /^g:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):([A-Z0-9_]{1,40})$/i.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m?.[1] || !m[2]) {
    throw new ValidationError([{ field: 'after', en: 'is not a cursor this API returned', vi: 'không phải mã trang do dịch vụ trả về' }]);
  }
  return { personId: m[1], programCode: m[2] };
}

export const MAX_ENTITLEMENT_MONTHS = 120;
export const MAX_GAP_PAGE = 500;
/** How far ahead an enrolment may start: a decision is for the coming months, not for decades ahead. */
export const MAX_START_AHEAD_MONTHS = 12;

/** Decree 20 art. 6.2: a single parent (5.4) also under 5.5, 5.6 or 5.8 receives both. */
const COMBINABLE_WITH_5_4 = new Set(['D20_5_5A', 'D20_5_5B', 'D20_5_5C', 'D20_5_5D', 'D20_5_6', 'D20_5_8']);
const SINGLE_PARENT = 'D20_5_4';

/**
 * An enrolment as GraphQL reads it. `seenOn`: reached through an entitlement month, the day that decides the
 * month's paying commune; its person is then read as of that day (where they lived then), so the officers of the
 * commune that paid the month reach the person even after they moved away (access-policy.ts canSeeMonth).
 */
export type EnrolmentParent = EnrolmentRow & { seenOn?: string };

export interface EntitlementLine {
  period: string;
  enrolment: EnrolmentParent;
  /** The commune that pays the month (core/residence.ts payingCommune); null when the person did not live in the district. */
  payingCommuneCode: string | null;
  program: ProgramRow;
  status: 'PAYABLE' | 'SUPPRESSED' | 'NOT_ELIGIBLE' | 'SUSPENDED';
  /** Back pay: a month before the decision month (from the legal start), or a suspended month granted back. */
  kind: 'REGULAR' | 'BACK_PAY';
  /** Back pay is paid only after approval (docs/law.md#start-change-and-stop-months). */
  needsApproval: boolean;
  /** The timing rule that set the month (a change's, else the decision's); null when none governs the program. */
  timingRule: TimingRuleRow | null;
  timingReason: string | null;
  timingReasonVi: string | null;
  levelChange: LevelChangeView | null;
  suspension: SuspensionRow | null;
  /** The amount the rule gives for this month (0 when not eligible). */
  amount: number;
  /** What is owed: the amount when payable, else 0. */
  payableAmount: number;
  coefficient: number | null;
  baseLevel: BaseLevelRow | null;
  ruleVersion: RuleVersionRow | null;
  suppressedBy: string | null;
  failedConditions: ConditionResult[];
  note: string;
  noteVi: string;
  /** The unconfirmed rule version and base level the month rests on (rule-book.ts unconfirmedReasons). */
  unconfirmedReasons: UnconfirmedReason[];
  /** The base level had come into force by the month's last day (false: arrears once it is). */
  baseLevelInForce: boolean;
  /** Set when the month follows the social pension by a recorded conversion of its commune. */
  pensionConversion: PensionConversionRow | null;
}

/** A change of level as an entitlement line shows it. */
export interface LevelChangeView {
  on: string;
  fromAmount: number;
  toAmount: number;
  fromCoefficient: number | null;
  toCoefficient: number | null;
  appliesFrom: string;
}

export interface EntitlementMonth {
  period: string;
  total: number;
  /** Of total, the back pay still needing approval. */
  needsApprovalTotal: number;
  lines: EntitlementLine[];
}

/** The first month of a line's enrolment, yyyy-mm. */
const startOf = (l: EntitlementLine) => periodOf(toDateString(l.enrolment.startMonth));

/**
 * Applies Decree 20 art. 6.2 (only the highest social-assistance amount; 5.4 plus one of 5.5/5.6/5.8) and
 * the social pension's "higher of the two" to one month's lines, marking the losers SUPPRESSED with why.
 */
export function applyCombinationRules(lines: EntitlementLine[]): void {
  const payable = lines.filter((l) => l.status === 'PAYABLE');
  // Art. 6.2's competitors: the social-assistance allowances and any provincial scheme under highest-only.
  const sa = payable.filter((l) => competesForHighestAmount(l.program)).sort((a, b) => a.program.sortOrder - b.program.sortOrder);
  let bundle: EntitlementLine[] = [];
  // The bundle's last line: the one it was built for (a single parent's 5.4 comes first when combined).
  let winner: EntitlementLine | undefined;
  if (sa.length) {
    // Each 5.4 line may pair with a combinable one (a month normally holds one 5.4 line; should it hold two, both are tried).
    const singleParents = sa.filter((l) => l.program.code === SINGLE_PARENT);
    const bundles = sa.flatMap((l) => (singleParents.length > 0 && COMBINABLE_WITH_5_4.has(l.program.code) ? singleParents.map((sp) => [sp, l]) : [[l]]));
    const total = (b: EntitlementLine[]) => b.reduce((s, l) => s + l.amount, 0);
    bundle = bundles.reduce((best, b) => (total(b) > total(best) ? b : best));
    winner = bundle.at(-1);
    if (!winner) throw new Error('empty social-assistance bundle');
    const both = bundle.length === 2 ? ' (Decree 20 art. 6.2: a single parent under 5.4 also receives 5.5/5.6/5.8)' : '';
    for (const l of sa) {
      if (bundle.includes(l)) {
        if (both) {
          l.note = `paid${both}`;
          l.noteVi = 'được hưởng (NĐ 20 điều 6.2: người đơn thân nuôi con theo khoản 4 được hưởng cả khoản 5, 6 hoặc 8)';
        }
        continue;
      }
      l.status = 'SUPPRESSED';
      l.payableAmount = 0;
      l.suppressedBy = winner.enrolment.id;
      l.note = `suppressed by ${winner.program.code} (${fmt(total(bundle))} ≥ ${fmt(l.amount)}): Decree 20 art. 6.2, only the highest social-assistance amount is paid`;
      l.noteVi = `không chi do đã hưởng chế độ «${winner.program.nameVi}» (${fmt(total(bundle))} ≥ ${fmt(l.amount)}): NĐ 20/2021 điều 6.2, chỉ hưởng một mức cao nhất`;
    }
  }
  // The social pension is paid once a month: a direct enrolment and a converted 5.5.b/5.5.c record (or two
  // records) give one payable line: the highest amount (they normally agree), then a direct one, then the earliest.
  const pensions = payable
    .filter((l) => l.program.family === 'SOCIAL_PENSION')
    .sort((a, b) => b.amount - a.amount || Number(a.pensionConversion !== null) - Number(b.pensionConversion !== null) || startOf(a).localeCompare(startOf(b)));
  const pension = pensions[0];
  for (const l of pensions.slice(1)) {
    if (!pension) break;
    l.status = 'SUPPRESSED';
    l.payableAmount = 0;
    l.suppressedBy = pension.enrolment.id;
    l.note = `suppressed: the social pension is already paid this month under enrolment ${pension.enrolment.decisionNo} (paid once)`;
    l.noteVi = `không chi: trợ cấp hưu trí xã hội tháng này đã chi theo hồ sơ ${pension.enrolment.decisionNo} (chỉ hưởng một lần)`;
  }
  if (pension && winner) {
    const saTotal = bundle.reduce((s, l) => s + l.amount, 0);
    // Law 41/2024 art. 22.2: the higher of the two. On a tie the law gives no order: the person keeps the regime they
    // are on (the enrolment that started first; social assistance when both started the same month), and, for
    // art. 5.5.b/5.5.c, stays on it until a conversion of their commune is recorded (docs/law.md#social-pension).
    const tie = pension.amount === saTotal;
    const saStart = bundle.map(startOf).sort()[0] ?? startOf(winner);
    const pensionWins = pension.amount > saTotal || (tie && startOf(pension) < saStart);
    const unconverted = bundle.some((l) => CONVERTED_TO_PENSION.has(l.program.code));
    // Said when art. 5.5.b/5.5.c is kept: it stays until a conversion of the commune is recorded.
    const stays = !pensionWins && unconverted;
    const tieWhy = (kept: string, since: string) =>
      `the higher of the two is paid, and on a tie (${fmt(saTotal)} each) the person keeps the regime they are on (${kept} since ${since})${stays ? '; no conversion of their commune to the social pension is recorded' : ''}`;
    const tieWhyVi = (kept: string, since: string) =>
      `hưởng mức cao hơn; hai mức bằng nhau (${fmt(saTotal)}) nên giữ chế độ đang hưởng (${kept} từ ${since})${stays ? '; chưa ghi nhận chuyển đổi sang trợ cấp hưu trí xã hội cho xã' : ''}`;
    if (pensionWins) {
      for (const l of bundle) {
        l.status = 'SUPPRESSED';
        l.payableAmount = 0;
        l.suppressedBy = pension.enrolment.id;
        l.note = tie
          ? `suppressed by the social pension: ${tieWhy(pension.program.code, startOf(pension))} (Social Insurance Law 41/2024 art. 22.2)`
          : `suppressed by the social pension (${fmt(pension.amount)} > ${fmt(saTotal)}): the higher of the two is paid (Social Insurance Law 41/2024 art. 22.2)`;
        l.noteVi = tie
          ? `không chi do hưởng trợ cấp hưu trí xã hội: ${tieWhyVi('trợ cấp hưu trí xã hội', startOf(pension))} (Luật BHXH 41/2024 điều 22.2)`
          : `không chi do hưởng trợ cấp hưu trí xã hội cao hơn (${fmt(pension.amount)} > ${fmt(saTotal)}): Luật BHXH 41/2024 điều 22.2`;
      }
    } else {
      pension.status = 'SUPPRESSED';
      pension.payableAmount = 0;
      pension.suppressedBy = winner.enrolment.id;
      pension.note = tie
        ? `suppressed: ${tieWhy(winner.program.code, saStart)} (Social Insurance Law 41/2024 art. 22.2)`
        : `suppressed: the social-assistance allowance (${fmt(saTotal)}) is higher than the social pension (${fmt(pension.amount)}); the higher of the two is paid (Social Insurance Law 41/2024 art. 22.2)`;
      pension.noteVi = tie
        ? `không chi: ${tieWhyVi(`«${winner.program.nameVi}»`, saStart)} (Luật BHXH 41/2024 điều 22.2)`
        : `không chi: trợ cấp xã hội (${fmt(saTotal)}) cao hơn trợ cấp hưu trí xã hội (${fmt(pension.amount)}); hưởng mức cao hơn (Luật BHXH 41/2024 điều 22.2)`;
      if (tie) {
        winner.note = `${winner.note}; kept over the social pension: ${tieWhy(winner.program.code, saStart)}`;
        winner.noteVi = `${winner.noteVi}; không chuyển sang trợ cấp hưu trí xã hội: ${tieWhyVi(`«${winner.program.nameVi}»`, saStart)}`;
      }
    }
  }
}

/**
 * Decree 20 art. 20.2 (docs/law.md#care-allowances): of a couple both claiming a one-award-per-couple care allowance
 * in a month, one is paid. `spouseClaims` are the other spouse's payable claims that month on the same program.
 */
export function applyOneAwardPerCouple(lines: EntitlementLine[], spouseClaims: (line: EntitlementLine) => (CoupleClaim & { decisionNo: string })[]): void {
  for (const l of lines) {
    if (l.status !== 'PAYABLE' || !ONE_AWARD_PER_COUPLE.has(l.program.code)) continue;
    const own: CoupleClaim = { enrolmentId: l.enrolment.id, startPeriod: startOf(l), amount: l.amount };
    const paid = spouseClaims(l).find((c) => claimPaidOverOther(c, own));
    if (!paid) continue;
    l.status = 'SUPPRESSED';
    l.payableAmount = 0;
    l.suppressedBy = paid.enrolmentId;
    l.note = `suppressed: the spouse's enrolment ${paid.decisionNo} (${fmt(paid.amount)}) is paid this month; Decree 20 art. 20.2, a couple receives one care allowance`;
    l.noteVi = `không chi: vợ/chồng đã hưởng theo hồ sơ ${paid.decisionNo} (${fmt(paid.amount)}) trong tháng; NĐ 20/2021 điều 20 khoản 2, hai vợ chồng chỉ hưởng một mức hỗ trợ kinh phí chăm sóc`;
  }
}

const periodOfMonth = (d: string | Date) => periodOf(toDateString(d));

/** A change of level as a line shows it (both sides have an amount: the person was eligible on both days). */
function levelChangeView(change: LevelChange): LevelChangeView | null {
  const { before, after } = change;
  if (before.amount === null || after.amount === null) return null;
  return {
    on: change.on,
    fromAmount: before.amount,
    toAmount: after.amount,
    fromCoefficient: before.coefficient,
    toCoefficient: after.coefficient,
    appliesFrom: change.appliesFrom,
  };
}

/** The suspension covering a month, if any. */
function suspensionOf(suspensions: SuspensionRow[], period: string): SuspensionRow | undefined {
  return suspensions.find((s) => periodOfMonth(s.fromMonth) <= period && (s.toMonth === null || period <= periodOfMonth(s.toMonth)));
}

/**
 * How a month of an enrolment is timed, in words: a change of level (the rule in force on the day of the change
 * says from which month), back pay (before the decision month), or an ordinary month under the decision's rule.
 */
function timingOf(
  enrolment: EnrolmentRow,
  period: string,
  decisionRule: TimingRuleRow | undefined,
  change: LevelChange | undefined,
): { rule: TimingRuleRow | null; en: string | null; vi: string | null; backPay: boolean } {
  const decisionPeriod = periodOf(toDateString(enrolment.decisionDate));
  const backPay = period < decisionPeriod;
  if (change) {
    const from = change.before.coefficient ?? change.before.amount;
    const to = change.after.coefficient ?? change.after.amount;
    const when = change.appliesFrom === periodOf(change.on) ? 'the month of the change' : 'the month after the change';
    const whenVi = change.appliesFrom === periodOf(change.on) ? 'tháng phát sinh' : 'tháng sau tháng phát sinh';
    return {
      rule: change.rule,
      en: `level change on ${change.on} (${String(from)} → ${String(to)}) applies from ${change.appliesFrom}, ${when} (${change.rule.code}: ${change.rule.legalBasis})`,
      vi: `thay đổi mức hưởng ngày ${change.on} (${String(from)} → ${String(to)}) áp dụng từ tháng ${change.appliesFrom}, ${whenVi} (${change.rule.code}: ${change.rule.legalBasis})`,
      backPay,
    };
  }
  if (!decisionRule) return { rule: null, en: null, vi: null, backPay };
  const decided = toDateString(enrolment.decisionDate);
  if (backPay) {
    return {
      rule: decisionRule,
      en: `back pay: ${period} is before the month of the decision of ${decided} (${decisionPeriod}); owed from the legal start, paid after approval (${decisionRule.code}: ${decisionRule.legalBasis})`,
      vi: `truy lĩnh: tháng ${period} trước tháng ra quyết định ngày ${decided} (${decisionPeriod}); được hưởng từ thời điểm đủ điều kiện, chi sau khi được duyệt (${decisionRule.code}: ${decisionRule.legalBasis})`,
      backPay,
    };
  }
  return {
    rule: decisionRule,
    en: `paid under the decision of ${decided} (${decisionRule.code}: ${decisionRule.legalBasis})`,
    vi: `hưởng theo quyết định ngày ${decided} (${decisionRule.code}: ${decisionRule.legalBasis})`,
    backPay,
  };
}

const SUSPENSION_TEXT: Record<SuspensionReason, { en: string; vi: string }> = {
  NOT_COLLECTED_3_MONTHS: { en: 'not collected for 3 months or more', vi: 'không nhận trợ cấp từ 3 tháng trở lên' },
  REASSESSMENT_REFUSED: { en: 're-assessment refused', vi: 'không chấp hành việc rà soát, đánh giá lại' },
  DETENTION: { en: 'detained for 1 month or more', vi: 'bị tạm giam, tạm giữ từ 1 tháng trở lên' },
};

/**
 * For a person with a recorded death: refuses an enrolment starting after the month of death (nothing is owed
 * from the month after, Decree 20 art. 8), else returns the month of death (first day), where the enrolment
 * must end. Undefined for the living.
 */
function afterDeath(dateOfDeath: string | null, startPeriod: string, field = 'input.startPeriod'): string | undefined {
  if (!dateOfDeath) return undefined;
  const deathPeriod = periodOf(dateOfDeath);
  if (startPeriod > deathPeriod) {
    throw conflict(
      `The person died on ${dateOfDeath}: an enrolment cannot start after the month of death (${deathPeriod})`,
      `Người này đã mất ngày ${dateOfDeath}: không thể hưởng từ sau tháng mất (${deathPeriod})`,
      { field },
    );
  }
  return firstDay(deathPeriod);
}

export function createBenefitsService(deps: { database: Database; clock: Clock; places: PlacesService; registry: RegistryService; rules: RulesService }) {
  const { database, clock, places, registry, rules } = deps;
  const db = database.db;

  /** What month-by-month entitlements read besides the people: the rule book, the area classes and the conversions. */
  async function entitlementContext() {
    const [book, areas, conversions] = await Promise.all([rules.ruleBook(), rules.areaClasses(), repo.findPensionConversions(db)]);
    const pensionProgram = book.programs.find((x) => x.family === 'SOCIAL_PENSION');
    // The earliest conversion covering the paying commune that month (a successor's also covers its predecessors).
    const byMonth = [...conversions].sort((a, b) => toDateString(a.effectiveMonth).localeCompare(toDateString(b.effectiveMonth)));
    const conversionFor = (communeCode: string | null, period: string) =>
      communeCode === null
        ? undefined
        : byMonth.find((c) => periodOfMonth(c.effectiveMonth) <= period && places.communesOn(c.communeCode, firstDay(period)).includes(communeCode));
    return { book, areas, pensionProgram, conversionFor };
  }
  type EntitlementContext = Awaited<ReturnType<typeof entitlementContext>>;

  /**
   * One person's months: each approved enrolment's line (timing, suspension, conversion, the rule's decision), then
   * the combination rules. Pure given its inputs, so one person's view and a commune's cycle compute alike.
   */
  function monthsOf(
    ctx: EntitlementContext,
    src: PersonFactsSource,
    approved: EnrolmentRow[],
    suspensions: SuspensionRow[],
    spouseClaims: (line: EntitlementLine) => (CoupleClaim & { decisionNo: string })[],
    months: readonly string[],
  ): EntitlementMonth[] {
    const { book, areas, pensionProgram, conversionFor } = ctx;
    // Changes of level found per enrolment and month: each month also looks at the month before.
    const changesOf = new Map(approved.map((e) => [e.id, new Map<string, LevelChange | undefined>()]));
    return months.map((period) => {
      const payer = payingResidence(src.residences, period);
      const lines: EntitlementLine[] = [];
      for (const enrolment of approved) {
        const start = periodOfMonth(enrolment.startMonth);
        const end = enrolment.endMonth ? periodOfMonth(enrolment.endMonth) : undefined;
        if (period < start || (end && period > end)) continue;
        const enrolled = book.program(enrolment.programCode);
        // An enrolment's program is a foreign key to programs, all of which the rule book holds.
        if (!enrolled) throw new Error(`program ${enrolment.programCode} not in the rule book`);
        if (enrolled.kind === 'ONE_OFF' && period !== start) continue;
        // A 5.5.b/5.5.c month paid by a commune whose conversion is recorded follows the social pension: its rule,
        // its level, its budget line (docs/law.md#social-pension).
        const conversion =
          pensionProgram && CONVERTED_TO_PENSION.has(enrolled.code) && period >= PENSION_FROM_PERIOD
            ? conversionFor(payer?.communeCode ?? null, period)
            : undefined;
        const program = conversion && pensionProgram ? pensionProgram : enrolled;
        // The timing rule of the decision's date sets the start; a change of level is timed by the rule of its day.
        const { decision: d, change } = decideEnrolmentMonth(book, program, src, areas, period, changesOf.get(enrolment.id));
        const timing = timingOf(enrolment, period, book.timingAt(enrolled.family, toDateString(enrolment.decisionDate)), change);
        const suspension = suspensionOf(
          suspensions.filter((x) => x.enrolmentId === enrolment.id),
          period,
        );
        // A suspended month owes nothing (Circular 02/2021 art. 2), unless the resumption granted it back.
        const suspended = suspension !== undefined && !suspension.paidBack;
        const backPay = timing.backPay || suspension?.paidBack === true;
        // Payable: eligible (so under a rule version in force) with an amount (none without a base level).
        const payable = d.eligible && d.amount !== null && d.version ? { amount: d.amount, legalBasis: d.version.legalBasis } : undefined;
        const converted = conversion
          ? {
              en: `; ${enrolled.code} converted to the social pension from ${periodOfMonth(conversion.effectiveMonth)} (decision ${conversion.decisionNo}: ${conversion.legalBasis})`,
              vi: `; chuyển từ chế độ «${enrolled.nameVi}» sang trợ cấp hưu trí xã hội từ ${periodOfMonth(conversion.effectiveMonth)} (quyết định ${conversion.decisionNo}: ${conversion.legalBasis})`,
            }
          : { en: '', vi: '' };
        const suspensionNote = suspension
          ? {
              en: `; suspended from ${periodOfMonth(suspension.fromMonth)} (${SUSPENSION_TEXT[suspension.reason].en}, Circular 02/2021 art. 2)${suspension.paidBack ? ', granted back on resumption' : ': nothing owed'}`,
              vi: `; tạm dừng từ tháng ${periodOfMonth(suspension.fromMonth)} (${SUSPENSION_TEXT[suspension.reason].vi}, Thông tư 02/2021 điều 2)${suspension.paidBack ? ', được truy lĩnh khi hưởng lại' : ': không chi'}`,
            }
          : { en: '', vi: '' };
        const baseLevel = (d.baseLevel as BaseLevelRow | null) ?? null;
        lines.push({
          period,
          enrolment: payer ? { ...enrolment, seenOn: payer.on } : enrolment,
          payingCommuneCode: payer?.communeCode ?? null,
          program,
          status: suspended ? 'SUSPENDED' : payable ? 'PAYABLE' : 'NOT_ELIGIBLE',
          kind: backPay ? 'BACK_PAY' : 'REGULAR',
          needsApproval: backPay,
          timingRule: timing.rule,
          timingReason: timing.en,
          timingReasonVi: timing.vi,
          levelChange: change ? levelChangeView(change) : null,
          suspension: suspension ?? null,
          amount: payable?.amount ?? 0,
          payableAmount: suspended ? 0 : (payable?.amount ?? 0),
          coefficient: d.coefficient,
          baseLevel,
          ruleVersion: d.version ?? null,
          suppressedBy: null,
          failedConditions: d.conditions.filter((c) => !c.held),
          note:
            (payable
              ? `${d.coefficient ?? ''}${d.coefficient !== null ? ' × ' : ''}${d.baseLevel ? fmt(d.baseLevel.amount) : ''} = ${fmt(payable.amount)} (${payable.legalBasis})`
              : `not eligible in ${period}: ${
                  d.conditions
                    .filter((c) => !c.held)
                    .map((c) => c.text)
                    .join('; ') || d.problem
                }`) +
            converted.en +
            suspensionNote.en,
          noteVi:
            (payable
              ? `${d.coefficient ?? ''}${d.coefficient !== null ? ' × ' : ''}${d.baseLevel ? fmt(d.baseLevel.amount) : ''} = ${fmt(payable.amount)} (${payable.legalBasis})`
              : `không đủ điều kiện tháng ${period}: ${
                  d.conditions
                    .filter((c) => !c.held)
                    .map((c) => c.textVi)
                    .join('; ') || d.problem
                }`) +
            converted.vi +
            suspensionNote.vi,
          unconfirmedReasons: unconfirmedReasons(d.version, baseLevel),
          baseLevelInForce: baseLevelInForceBy(baseLevel, lastDay(period)),
          pensionConversion: conversion ?? null,
        });
      }
      applyOneAwardPerCouple(lines, spouseClaims);
      applyCombinationRules(lines);
      return {
        period,
        total: lines.reduce((s, l) => s + l.payableAmount, 0),
        needsApprovalTotal: lines.reduce((s, l) => s + (l.needsApproval ? l.payableAmount : 0), 0),
        lines,
      };
    });
  }

  /**
   * The other spouse's payable claims, month by month, on the programs paid once per couple (Decree 20 art. 20.2):
   * the people who were ever head and spouse with this person in one household, their approved enrolments in those
   * programs, and whether each pays the month (in force, not suspended, eligible), decided by the same rule book.
   */
  /**
   * For people enrolled in a program paid once per couple (art. 20.2): a function giving, for one of their lines, the
   * competing claims of their spouses that month. A fixed number of statements for any number of people.
   */
  async function spouseClaimsOfMany(people: ReadonlyMap<string, PersonFactsSource>, book: RuleBook, areas: AreaClass[]) {
    const out = new Map<string, (line: EntitlementLine) => (CoupleClaim & { decisionNo: string })[]>();
    const pairs = await repo.findSpousesOf(db, [...people.keys()]);
    if (pairs.length === 0) return out;
    const spouseIds = [...new Set(pairs.map((x) => x.spouseId))];
    const [sources, enrolled] = await Promise.all([rules.factsSources(spouseIds), repo.findEnrolmentsOfPersons(db, spouseIds)]);
    const claims = enrolled.filter((e) => e.approvedAt !== null && ONE_AWARD_PER_COUPLE.has(e.programCode));
    const suspensions = groupBy(
      await repo.findSuspensions(
        db,
        claims.map((e) => e.id),
      ),
      (x) => x.enrolmentId,
    );
    const claimsBy = groupBy(claims, (e) => e.personId);
    for (const [personId, pairsOf] of groupBy(pairs, (x) => x.personId)) {
      const src = people.get(personId);
      if (!src) continue;
      const theirClaims = pairsOf.flatMap((x) => claimsBy.get(x.spouseId) ?? []);
      out.set(personId, (line: EntitlementLine) => {
        const day = firstDay(line.period);
        const mine = residenceOn(src, day);
        return theirClaims.flatMap((e) => {
          const spouse = sources.get(e.personId);
          const theirs = spouse && residenceOn(spouse, day);
          const program = book.program(e.programCode);
          if (!spouse || !program || !mine || !theirs || !areSpouses(mine, theirs) || e.programCode !== line.program.code) return [];
          if (line.period < periodOfMonth(e.startMonth) || (e.endMonth && line.period > periodOfMonth(e.endMonth))) return [];
          const suspension = suspensionOf(suspensions.get(e.id) ?? [], line.period);
          if (suspension && !suspension.paidBack) return [];
          const { decision } = decideEnrolmentMonth(book, program, spouse, areas, line.period);
          if (!decision.eligible || decision.amount === null) return [];
          return [{ enrolmentId: e.id, startPeriod: periodOfMonth(e.startMonth), amount: decision.amount, decisionNo: e.decisionNo }];
        });
      });
    }
    return out;
  }

  /**
   * Ends an enrolment with `endPeriod` as its last month (endEnrolment, stopEnrolment): checks the input, then in one
   * audited transaction the enrolment (locked), the caller's access to its person, that it has not ended and that
   * the end is not before its start; `check` adds the caller's own checks on the locked enrolment.
   */
  function endWith(
    actor: AuditActor,
    action: string,
    id: string,
    endPeriod: string,
    reason: string,
    values: Partial<EnrolmentRow>,
    problems: Problems,
    check?: (tx: Tx, before: EnrolmentRow, p: Problems) => Promise<void>,
  ) {
    assertCanMutate(actor.principal);
    const p = problems;
    if (!PERIOD_RE.test(endPeriod)) p.add('endPeriod', 'must be a month yyyy-mm', 'phải là tháng yyyy-mm');
    if (!reason.trim()) p.add('reason', 'is required', 'là bắt buộc');
    p.throwIfAny();
    return auditedTransaction(db, actor, async (tx) => {
      const before = await repo.findEnrolment(tx, id, true);
      if (!before) throw notFound('enrolment', id);
      await registry.personForCaller(actor.principal, before.personId, tx, false, () => notFound('enrolment', id));
      if (before.status === 'ENDED') throw conflict(`The enrolment already ended (${before.endReason})`, `Hồ sơ đã kết thúc (${before.endReason})`);
      const start = periodOfMonth(before.startMonth);
      if (endPeriod < addMonths(start, -1)) p.add('endPeriod', `is before the start ${start}`, `trước tháng bắt đầu ${start}`).throwIfAny();
      await check?.(tx, before, p);
      const after = await repo.updateEnrolment(tx, id, { status: 'ENDED', endMonth: firstDay(endPeriod), endReason: reason.trim(), ...values });
      return { result: after, audit: [{ action, entityType: 'Enrolment', entityId: id, before, after }] };
    });
  }

  /**
   * The enrolment `id` locked for a suspension or a resumption: it exists, the caller may reach its person, and it
   * is ACTIVE (otherwise CONFLICT, saying what was tried: `en`/`vi`).
   */
  async function lockActiveEnrolment(tx: Tx, actor: AuditActor, id: string, doing: { en: string; vi: string }): Promise<EnrolmentRow> {
    const enrolment = await repo.findEnrolment(tx, id, true);
    if (!enrolment) throw notFound('enrolment', id);
    await registry.personForCaller(actor.principal, enrolment.personId, tx, false, () => notFound('enrolment', id));
    if (enrolment.status !== 'ACTIVE')
      throw conflict(
        `Only an active enrolment can be ${doing.en}; this one is ${enrolment.status}`,
        `Chỉ ${doing.vi} được hồ sơ đang hưởng; hồ sơ này đang ở trạng thái «${codeVi(enrolment.status)}»`,
        { field: 'id' },
      );
    return enrolment;
  }

  function notEligible(program: ProgramRow, period: string, failing: ConditionResult[]) {
    return new DomainError(
      'CONFLICT',
      {
        en: `Not eligible for ${program.code} in ${period}: ${failing.map((c) => c.text).join('; ')}`,
        vi: `Không đủ điều kiện hưởng chế độ «${program.nameVi}» tháng ${period}: ${failing.map((c) => c.textVi).join('; ')}`,
      },
      { field: 'input.startPeriod', reasons: failing },
    );
  }

  return {
    async enrol(actor: AuditActor, input: EnrolInput) {
      assertCanMutate(actor.principal);
      const p = new Problems();
      if (!input.decisionNo.trim()) p.add('input.decisionNo', 'is required', 'là bắt buộc');
      if (!isValidDate(input.decisionDate)) p.add('input.decisionDate', 'is not a valid date', 'không phải ngày hợp lệ');
      else if (input.decisionDate > clock.today()) p.add('input.decisionDate', 'is in the future', 'ở tương lai');
      if (!PERIOD_RE.test(input.startPeriod)) p.add('input.startPeriod', 'must be a month yyyy-mm', 'phải là tháng yyyy-mm');
      else if (monthIndex(input.startPeriod) > monthIndex(periodOf(clock.today())) + MAX_START_AHEAD_MONTHS) {
        // A start decades ahead would be approved and silently take the person off the coverage-gap list.
        p.add(
          'input.startPeriod',
          `cannot be more than ${MAX_START_AHEAD_MONTHS} months after this month`,
          `không được muộn hơn ${MAX_START_AHEAD_MONTHS} tháng sau tháng hiện tại`,
        );
      }
      const book = await rules.ruleBook();
      const program = book.program(input.programCode);
      if (!program) p.add('input.programCode', `unknown program ${input.programCode}`, `không có chương trình ${input.programCode}`);
      p.throwIfAny();
      // Cannot happen: an unknown program was thrown just above as a problem.
      if (!program) throw new Error(`unknown program ${input.programCode} passed the checks`);
      return auditedTransaction(db, actor, async (tx) => {
        // Checks access (commune officers only within their communes) and locks the person: recordDeath takes
        // the same lock, so an enrolment and a death on one person never interleave.
        const person = await registry.personForCaller(actor.principal, input.personId, tx, true);
        const deathMonth = afterDeath(person.dateOfDeath, input.startPeriod);
        const [sources, areas] = await concurrently(tx, [() => rules.factsSources([input.personId], tx), () => rules.areaClasses(tx)]);
        const src = sources.get(input.personId);
        // The person was just found and locked, so their records load.
        if (!src) throw new Error(`no facts loaded for person ${input.personId}`);
        const decision = decideMonth(book, program, src, areas, input.startPeriod);
        if (!decision.eligible)
          throw notEligible(
            program,
            input.startPeriod,
            decision.conditions.filter((c) => !c.held),
          );
        const earliest = earliestStart(book, program, src, input.decisionDate);
        if (input.startPeriod < earliest.period) {
          p.add('input.startPeriod', `cannot be before ${earliest.en}`, `không được trước ${earliest.vi}`).throwIfAny();
        }
        const open = await repo.findOpenEnrolment(tx, input.personId, input.programCode);
        if (open) {
          throw conflict(
            `An open ${input.programCode} enrolment exists (${open.status}, ${open.decisionNo})`,
            `Đã có hồ sơ ${input.programCode} đang mở (${open.status}, ${open.decisionNo})`,
            { field: 'input.programCode', enrolmentId: open.id },
          );
        }
        const row = await repo.insertEnrolment(tx, {
          personId: input.personId,
          programCode: input.programCode,
          status: 'PROPOSED',
          decisionNo: input.decisionNo.trim(),
          decisionDate: input.decisionDate,
          startMonth: firstDay(input.startPeriod),
          // After a recorded death the enrolment can only cover months up to the death (arrears), never stay open.
          ...(deathMonth ? { endMonth: deathMonth, endReason: 'DEATH' } : {}),
          proposedBy: actor.principal.subject,
        });
        return { result: row, audit: [{ action: 'enrol', entityType: 'Enrolment', entityId: row.id, after: row }] };
      });
    },

    async approveEnrolment(actor: AuditActor, id: string) {
      assertRole(actor.principal, 'district_officer', 'admin');
      return auditedTransaction(db, actor, async (tx) => {
        const found = await repo.findEnrolment(tx, id);
        if (!found) throw notFound('enrolment', id);
        // The person first, then the enrolment: the order recordDeath locks them in, so the two serialise
        // without deadlocking, and a death recorded meanwhile is seen here.
        const person = await registry.personForCaller(actor.principal, found.personId, tx, true, () => notFound('enrolment', id));
        const before = await repo.findEnrolment(tx, id, true);
        if (!before) throw notFound('enrolment', id);
        if (before.proposedBy === actor.principal.subject) {
          throw forbidden('Whoever proposed an enrolment cannot approve it', 'Người đề xuất không được tự phê duyệt hồ sơ');
        }
        if (before.status !== 'PROPOSED')
          throw conflict(
            `The enrolment is ${before.status}, not PROPOSED`,
            `Hồ sơ hưởng trợ cấp đang ở trạng thái «${codeVi(before.status)}», không còn chờ phê duyệt`,
          );
        const deathMonth = afterDeath(person.dateOfDeath, periodOfMonth(before.startMonth), 'id');
        // Approved after a death: it pays the months up to the death and is ended by it, never ACTIVE and open.
        const ending = deathMonth
          ? { status: 'ENDED' as const, endMonth: before.endMonth && before.endMonth < deathMonth ? before.endMonth : deathMonth, endReason: 'DEATH' }
          : { status: 'ACTIVE' as const };
        const after = await repo.updateEnrolment(tx, id, { ...ending, approvedBy: actor.principal.subject, approvedAt: new Date() });
        return { result: after, audit: [{ action: 'approveEnrolment', entityType: 'Enrolment', entityId: id, before, after }] };
      });
    },

    /** Ends an enrolment: `endPeriod` is the last month with an entitlement. */
    async endEnrolment(actor: AuditActor, id: string, endPeriod: string, reason: string) {
      return endWith(actor, 'endEnrolment', id, endPeriod, reason, {}, new Problems());
    },

    /**
     * Admin: records the conversion of a commune's art. 5.5.b/5.5.c recipients to the social pension from a month,
     * with its legal basis (docs/law.md#social-pension): one reviewed bulk event per commune, audited with the
     * enrolments it moves, in one transaction. From that month entitlements follow the social pension for them.
     */
    async recordPensionConversion(actor: AuditActor, input: RecordPensionConversionInput) {
      assertRole(actor.principal, 'admin');
      const p = new Problems();
      places.checkCommune(p, 'input.communeCode', input.communeCode);
      if (!PERIOD_RE.test(input.effectivePeriod)) p.add('input.effectivePeriod', 'must be a month yyyy-mm', 'phải là tháng yyyy-mm');
      else if (input.effectivePeriod < PENSION_FROM_PERIOD)
        p.add(
          'input.effectivePeriod',
          `cannot be before ${PENSION_FROM_PERIOD}: the social pension began on 2025-07-01 (Law 41/2024/QH15)`,
          `không được trước ${PENSION_FROM_PERIOD}: trợ cấp hưu trí xã hội áp dụng từ 01/7/2025 (Luật 41/2024/QH15)`,
        );
      else if (monthIndex(input.effectivePeriod) > monthIndex(periodOf(clock.today())) + MAX_START_AHEAD_MONTHS)
        p.add(
          'input.effectivePeriod',
          `cannot be more than ${MAX_START_AHEAD_MONTHS} months after this month`,
          `không được muộn hơn ${MAX_START_AHEAD_MONTHS} tháng sau tháng hiện tại`,
        );
      const legalBasis = input.legalBasis.trim();
      const decisionNo = input.decisionNo.trim();
      if (!legalBasis || legalBasis.length > 1000)
        p.add(
          'input.legalBasis',
          'must be 1–1000 characters: cite the instrument that converts them',
          'phải có 1–1000 ký tự: ghi rõ văn bản quy định việc chuyển đổi',
        );
      if (!decisionNo || decisionNo.length > 200) p.add('input.decisionNo', 'must be 1–200 characters', 'phải có 1–200 ký tự');
      p.throwIfAny();
      const already = (decision: string) =>
        conflict(
          `A conversion to the social pension is already recorded for commune ${input.communeCode} (${decision})`,
          `Đã ghi nhận chuyển đổi sang trợ cấp hưu trí xã hội cho xã ${input.communeCode} (${decision})`,
          { field: 'input.communeCode' },
        );
      return uniqueAsConflict(
        () =>
          auditedTransaction(db, actor, async (tx) => {
            const [existing] = await repo.findPensionConversions(tx, { communeCode: input.communeCode });
            if (existing) throw already(existing.decisionNo);
            const month = firstDay(input.effectivePeriod);
            const row = await repo.insertPensionConversion(tx, {
              communeCode: input.communeCode,
              effectiveMonth: month,
              legalBasis,
              decisionNo,
              recordedBy: actor.principal.subject,
            });
            // The bulk event names what it moves: the enrolments paid by the commune in its first month.
            const moved = await repo.findEnrolmentsConverted(tx, [...CONVERTED_TO_PENSION], input.communeCode, month);
            return {
              result: row,
              audit: [{ action: 'recordPensionConversion', entityType: 'PensionConversion', entityId: row.id, after: { ...row, enrolments: moved } }],
            };
          }),
        { pension_conversions_commune_uq: () => already('recorded concurrently') },
      );
    },

    /**
     * Admin: withdraws a conversion recorded in error, with the reason (docs/law.md#social-pension). The row stays,
     * marked withdrawn, so the history of what was paid on it stays readable; entitlements and coverage gaps ignore it
     * from then on and a new conversion may be recorded for the commune. Audited with the enrolments it gave back
     * to their regime, in one transaction. NOT_FOUND for an unknown id, CONFLICT when already withdrawn.
     */
    async withdrawPensionConversion(actor: AuditActor, id: string, reason: string) {
      assertRole(actor.principal, 'admin');
      const p = new Problems();
      if (!isUuid(id)) p.add('id', 'is not a valid id', 'không phải mã hợp lệ');
      const why = reason.trim();
      if (why.length === 0 || why.length > 1000)
        p.add('reason', 'must be 1–1000 characters: say what was recorded in error', 'phải có 1–1000 ký tự: nêu rõ sai sót khi ghi nhận');
      p.throwIfAny();
      return auditedTransaction(db, actor, async (tx) => {
        const before = await repo.findPensionConversion(tx, id, true);
        if (!before) throw notFound('pension conversion', id);
        if (before.withdrawnAt)
          throw conflict(
            `The conversion is already withdrawn (${before.withdrawalReason ?? ''})`,
            `Quyết định chuyển đổi này đã được rút bỏ (${before.withdrawalReason ?? ''})`,
            { field: 'id' },
          );
        const after = await repo.markPensionConversionWithdrawn(tx, id, actor.principal.subject, why);
        // The event names what goes back to art. 5.5.b/5.5.c: the enrolments the conversion moved in its first month.
        const returned = await repo.findEnrolmentsConverted(tx, [...CONVERTED_TO_PENSION], before.communeCode, toDateString(before.effectiveMonth));
        return {
          result: after,
          audit: [{ action: 'withdrawPensionConversion', entityType: 'PensionConversion', entityId: id, before, after: { ...after, enrolments: returned } }],
        };
      });
    },

    /**
     * Conversions to the social pension (reference data of the law's application: any reader of benefits), those
     * withdrawn included, each with its withdrawal.
     */
    async pensionConversions(principal: Principal, communeCode?: string | null) {
      assertMayReadBenefits(principal);
      return repo.findPensionConversions(db, { communeCode: communeCode ?? undefined, withWithdrawn: true });
    },

    /**
     * Ends an enrolment citing a stop case of Circular 02/2021/TT-BLĐTBXH art. 2 (docs/law.md#suspension-and-stopping).
     * SUSPENDED_WITHOUT_COOPERATION needs an open suspension covering at least 3 months through `endPeriod`.
     */
    async stopEnrolment(actor: AuditActor, id: string, endPeriod: string, stopCase: string, reason: string) {
      const p = new Problems();
      if (!(STOP_CASES as readonly string[]).includes(stopCase))
        p.add('stopCase', `must be one of ${STOP_CASES.join(', ')}`, `phải là một trong ${STOP_CASES.join(', ')}`);
      return endWith(actor, 'stopEnrolment', id, endPeriod, reason, { endCase: stopCase as StopCase }, p, async (tx) => {
        if (stopCase !== 'SUSPENDED_WITHOUT_COOPERATION') return;
        const open = (await repo.findSuspensions(tx, [id])).find((x) => x.toMonth === null);
        if (!open || monthIndex(endPeriod) - monthIndex(periodOfMonth(open.fromMonth)) + 1 < 3) {
          p.add(
            'stopCase',
            'needs a suspension of at least 3 months by endPeriod (Circular 02/2021 art. 2)',
            'cần thời gian tạm dừng ít nhất 3 tháng tính đến tháng kết thúc (Thông tư 02/2021 điều 2)',
          ).throwIfAny();
        }
      });
    },

    /**
     * Suspends an active enrolment from `fromPeriod` (Circular 02/2021/TT-BLĐTBXH art. 2): its months owe nothing
     * until resumed. One transaction, audited.
     */
    async suspendEnrolment(actor: AuditActor, id: string, fromPeriod: string, reason: string) {
      assertCanMutate(actor.principal);
      const p = new Problems();
      if (!PERIOD_RE.test(fromPeriod)) p.add('fromPeriod', 'must be a month yyyy-mm', 'phải là tháng yyyy-mm');
      if (!(SUSPENSION_REASONS as readonly string[]).includes(reason))
        p.add('reason', `must be one of ${SUSPENSION_REASONS.join(', ')}`, `phải là một trong ${SUSPENSION_REASONS.join(', ')}`);
      p.throwIfAny();
      return auditedTransaction(db, actor, async (tx) => {
        const enrolment = await lockActiveEnrolment(tx, actor, id, { en: 'suspended', vi: 'tạm dừng' });
        const existing = await repo.findSuspensions(tx, [id]);
        const open = existing.find((x) => x.toMonth === null);
        if (open)
          throw conflict(
            `The enrolment is already suspended from ${periodOfMonth(open.fromMonth)}`,
            `Hồ sơ đang bị tạm dừng từ tháng ${periodOfMonth(open.fromMonth)}`,
            { field: 'id' },
          );
        const start = periodOfMonth(enrolment.startMonth);
        if (fromPeriod < start) p.add('fromPeriod', `is before the start ${start}`, `trước tháng bắt đầu ${start}`);
        if (enrolment.endMonth && fromPeriod > periodOfMonth(enrolment.endMonth))
          p.add('fromPeriod', `is after the last month ${periodOfMonth(enrolment.endMonth)}`, `sau tháng cuối ${periodOfMonth(enrolment.endMonth)}`);
        const lastEnd = existing.reduce<string | undefined>(
          (m, x) => (x.toMonth && (!m || periodOfMonth(x.toMonth) > m) ? periodOfMonth(x.toMonth) : m),
          undefined,
        );
        if (lastEnd && fromPeriod <= lastEnd)
          p.add('fromPeriod', `is within an earlier suspension (through ${lastEnd})`, `nằm trong lần tạm dừng trước (đến tháng ${lastEnd})`);
        p.throwIfAny();
        const suspension = await repo.insertSuspension(tx, {
          enrolmentId: id,
          fromMonth: firstDay(fromPeriod),
          reason: reason as SuspensionReason,
          suspendedBy: actor.principal.subject,
        });
        return {
          result: enrolment,
          audit: [{ action: 'suspendEnrolment', entityType: 'Enrolment', entityId: id, before: enrolment, after: { ...enrolment, suspension } }],
        };
      });
    },

    /**
     * Resumes a suspended enrolment from `fromPeriod`, the first month owed again. With `payBack` the suspended
     * months are granted back (back pay needing approval); without, they stay owed nothing. Audited.
     */
    async resumeEnrolment(actor: AuditActor, id: string, fromPeriod: string, payBack: boolean | null | undefined) {
      assertCanMutate(actor.principal);
      const p = new Problems();
      if (!PERIOD_RE.test(fromPeriod)) p.add('fromPeriod', 'must be a month yyyy-mm', 'phải là tháng yyyy-mm');
      p.throwIfAny();
      return auditedTransaction(db, actor, async (tx) => {
        const enrolment = await lockActiveEnrolment(tx, actor, id, { en: 'resumed', vi: 'hưởng lại' });
        const open = (await repo.findSuspensions(tx, [id])).find((x) => x.toMonth === null);
        if (!open) throw conflict('The enrolment is not suspended', 'Hồ sơ không bị tạm dừng', { field: 'id' });
        const from = periodOfMonth(open.fromMonth);
        if (fromPeriod <= from)
          p.add('fromPeriod', `must be after the first month suspended (${from})`, `phải sau tháng bắt đầu tạm dừng (${from})`).throwIfAny();
        const after = await repo.updateSuspension(tx, open.id, {
          toMonth: firstDay(addMonths(fromPeriod, -1)),
          // An explicit null is the default: not granted back.
          paidBack: payBack === true,
          resumedBy: actor.principal.subject,
          resumedAt: new Date(),
        });
        return {
          result: enrolment,
          audit: [
            {
              action: 'resumeEnrolment',
              entityType: 'Enrolment',
              entityId: id,
              before: { ...enrolment, suspension: open },
              after: { ...enrolment, suspension: after },
            },
          ],
        };
      });
    },

    /** The suspensions of enrolments the caller already reached (through their people). */
    async suspensionsOf(principal: Principal, enrolmentIds: readonly string[]) {
      assertMayReadBenefits(principal);
      return repo.findSuspensions(db, [...new Set(enrolmentIds)]);
    },

    /** Enrolments of many people (reached from people the caller already sees). */
    async enrolmentsOf(principal: Principal, personIds: readonly string[]) {
      assertMayReadBenefits(principal);
      return repo.findEnrolmentsOfPersons(db, personIds);
    },

    async enrolment(principal: Principal, id: string) {
      assertMayReadBenefits(principal);
      const row = await repo.findEnrolment(db, id);
      if (!row) return null;
      // Null as well for another commune's enrolment: the look-up tells nothing of what exists elsewhere.
      return (await registry.person(principal, row.personId)) ? row : null;
    },

    /**
     * Month by month, what each approved enrolment gives, and what is owed after the combination rules, with the
     * commune that pays each month. A commune officer gets only the months their communes answer for (their paying
     * commune, or for months without one, the person's latest commune): FORBIDDEN when that is none of the range.
     */
    async entitlements(principal: Principal, personId: string, from: string, to: string): Promise<EntitlementMonth[]> {
      assertMayReadBenefits(principal);
      const p = new Problems();
      // Months are counted as numbers, before any work: never compared as text, never walked to be counted.
      const fromMonth = parsePeriod(from);
      const toMonth = parsePeriod(to);
      if (fromMonth === undefined) p.add('from', `must be ${PERIOD_RANGE_TEXT.en}`, PERIOD_RANGE_TEXT.vi);
      if (toMonth === undefined) p.add('to', `must be ${PERIOD_RANGE_TEXT.en}`, PERIOD_RANGE_TEXT.vi);
      else if (fromMonth !== undefined && toMonth < fromMonth) p.add('to', 'is before from', 'trước tháng bắt đầu');
      else if (fromMonth !== undefined && toMonth - fromMonth + 1 > MAX_ENTITLEMENT_MONTHS)
        p.add('to', `at most ${MAX_ENTITLEMENT_MONTHS} months at once`, `tối đa ${MAX_ENTITLEMENT_MONTHS} tháng một lần`);
      p.throwIfAny();
      const sources = await rules.factsSources([personId]);
      const src = sources.get(personId);
      if (!src) throw notFound('person', personId);
      // Visibility follows residence, month by month (access-policy.ts canSeeMonth).
      const months = monthsFrom(from, to).filter((period) => canSeeMonth(registry.callerOn(principal, firstDay(period)), src.residences, period));
      if (months.length === 0) assertCanSeeCommune(registry.callerOn(principal, firstDay(from)), communeAnsweringForMonth(src.residences, from));
      const [ctx, rows] = await Promise.all([entitlementContext(), repo.findEnrolmentsOfPersons(db, [personId])]);
      // Proposed enrolments owe nothing until approved (nor does one ended, or ended by death, before approval).
      const approved = rows.filter((e) => e.approvedAt !== null);
      const suspensions = await repo.findSuspensions(
        db,
        approved.map((e) => e.id),
      );
      // Only someone enrolled in a program paid once per couple has their spouse's claims read.
      const spouseClaims = approved.some((e) => ONE_AWARD_PER_COUPLE.has(e.programCode))
        ? (await spouseClaimsOfMany(new Map([[personId, src]]), ctx.book, ctx.areas)).get(personId)
        : undefined;
      return monthsOf(ctx, src, approved, suspensions, spouseClaims ?? (() => []), months);
    },

    /**
     * Entitlements of many people for some months, without access checks (callers check: the payments service
     * builds a commune's cycle from it). A fixed number of statements whatever the number of people.
     */
    async entitlementsOfMany(
      personIds: readonly string[],
      months: readonly string[],
      /** Which of `months` a person needs, given their approved enrolments (default all): the rest is not computed. */
      monthsFor: (personId: string, enrolments: readonly EnrolmentRow[]) => readonly string[] = () => months,
    ): Promise<Map<string, EntitlementMonth[]>> {
      const ids = [...new Set(personIds)];
      const [ctx, sources, rows] = await Promise.all([entitlementContext(), rules.factsSources(ids), repo.findEnrolmentsOfPersons(db, ids)]);
      const approved = groupBy(
        rows.filter((e) => e.approvedAt !== null),
        (e) => e.personId,
      );
      const suspensions = groupBy(
        await repo.findSuspensions(
          db,
          rows.map((e) => e.id),
        ),
        (x) => x.enrolmentId,
      );
      // Only people enrolled in a program paid once per couple have their spouses' claims read.
      const couples = new Map([...sources].filter(([id]) => (approved.get(id) ?? []).some((e) => ONE_AWARD_PER_COUPLE.has(e.programCode))));
      const spouseClaimsOf = await spouseClaimsOfMany(couples, ctx.book, ctx.areas);
      const out = new Map<string, EntitlementMonth[]>();
      for (const id of ids) {
        const src = sources.get(id);
        const own = approved.get(id) ?? [];
        if (!src || own.length === 0) continue;
        const spouseClaims = spouseClaimsOf.get(id) ?? (() => []);
        out.set(
          id,
          monthsOf(
            ctx,
            src,
            own,
            own.flatMap((e) => suspensions.get(e.id) ?? []),
            spouseClaims,
            monthsFor(id, own),
          ),
        );
      }
      return out;
    },

    /**
     * People eligible on asOf but without a record in the program (or, for competing allowances, in any of
     * them). `scope` shares the request's rule book with its resolvers (one read per request).
     */
    async coverageGaps(principal: Principal, args: CoverageGapsInput, scope?: object) {
      assertMayReadBenefits(principal);
      const p = new Problems();
      if (args.communeCode) places.checkCommune(p, 'communeCode', args.communeCode);
      p.throwIfAny();
      const asOf = rules.asOfOrToday(args.asOf);
      const first = args.first ?? 100;
      const after = args.after ? decodeGapCursor(args.after) : undefined;
      let communeCodes: string[] | undefined;
      if (args.communeCode) {
        assertCanSee(registry.callerOn(principal, asOf), args.communeCode);
        communeCodes = [args.communeCode];
      } else {
        const visible = communesVisibleTo(principal);
        communeCodes = visible === null ? undefined : [...visible];
      }
      const book = await rules.ruleBook(scope);
      if (args.programCode && !book.program(args.programCode))
        p.add('programCode', `unknown program ${args.programCode}`, `không có chương trình ${args.programCode}`);
      if (first < 1 || first > MAX_GAP_PAGE) p.add('first', `must be 1–${MAX_GAP_PAGE}`, `phải từ 1 đến ${MAX_GAP_PAGE}`);
      p.throwIfAny();
      // Widened to the communes they cover on asOf (a successor of the 2025 merger covers its predecessors).
      if (communeCodes) communeCodes = [...new Set(communeCodes.flatMap((c) => places.communesOn(c, asOf)))];
      // Where a conversion to the social pension is in force on asOf, art. 5.5.b/5.5.c months follow the pension
      // (entitlements' conversionFor): their people are no gaps for 5.5.b/5.5.c, only, if not covered, for the pension.
      const inForce = (await repo.findPensionConversions(db)).filter((c) => toDateString(c.effectiveMonth) <= asOf);
      const converted = {
        programCodes: [...CONVERTED_TO_PENSION],
        communeCodes: [...new Set(inForce.flatMap((c) => places.communesOn(c.communeCode, asOf)))],
      };
      const filter: GapFilter = {
        communeCodes,
        // A gap in a program whose rule reads the HIV flag (art. 5.3, 5.8, and 5.7's "no HIV flag") says HIV status
        // (one present or missing): such programs are left out of the page and of its counts for callers without
        // HIV sight, so totalCount is the sum of byProgram as shown (docs/security.md "HIV status").
        programCodes: (args.programCode ? [args.programCode] : book.programs.map((x) => x.code)).filter(
          (code) => !programHiddenFrom(principal, code, book.ruleAt(code, asOf)?.definition),
        ),
        asOf,
        converted,
      };
      const { rows, counts } = await repo.findGapPage(db, book, filter, after, first + 1);
      const page = rows.slice(0, first);
      const [sources, areas] = await Promise.all([rules.factsSources(page.map((r) => r.personId)), rules.areaClasses()]);
      const nodes = page.map((r) => {
        const program = book.program(r.programCode);
        const src = sources.get(r.personId);
        // The gaps were found from this rule book's programs, among people who exist: both are at hand.
        if (!program || !src) throw new Error(`gap ${r.personId} ${r.programCode}: program or person records missing`);
        const decision = decide(book, program, src, areas, asOf);
        return { ...r, asOf, decision, reasons: decision.conditions, unconfirmedReasons: unconfirmedReasons(decision.version, decision.baseLevel) };
      });
      const last = nodes[nodes.length - 1];
      return {
        filter,
        book,
        nodes,
        pageInfo: { hasNextPage: rows.length > first, endCursor: last ? encodeGapCursor(last.personId, last.programCode) : null },
        // The counts came with the page (one evaluation of every gap); totalCount and byProgram read them.
        counts: Promise.resolve(counts),
      };
    },

    /** Gap counts by program for a filter `coverageGaps` built (and so checked). */
    countGaps: (book: RuleBook, filter: GapFilter) => repo.countGaps(db, book, filter),

    /**
     * recordDeath's hook (wired in app.ts): every open enrolment of the person ends with the month of death
     * (entitlement stops from the month after, Decree 20/2021 art. 8), in recordDeath's own transaction.
     */
    async endEnrolmentsAfterDeath(tx: Tx, personId: string, dateOfDeath: string): Promise<AuditEntry[]> {
      const changes = await repo.endEnrolmentsAfterDeath(tx, personId, dateOfDeath);
      return changes.map(({ before, after }) => ({ action: 'endEnrolment', entityType: 'Enrolment', entityId: before.id, before, after }));
    },

    /**
     * movePerson's hook for a move out of the district (wired in app.ts): the person's ACTIVE and PROPOSED
     * enrolments end with the month of the move, reason TRANSFERRED_OUT and the destination (Decree 20/2021
     * art. 8.4), in movePerson's own transaction. A move within the district changes no enrolment (art. 8.3).
     */
    async endEnrolmentsOnTransferOut(tx: Tx, personId: string, movedOn: string, destination: string): Promise<AuditEntry[]> {
      const changes = await repo.endEnrolmentsOnTransferOut(tx, personId, movedOn, destination);
      return changes.map(({ before, after }) => ({ action: 'endEnrolment', entityType: 'Enrolment', entityId: before.id, before, after }));
    },

    /**
     * correctDeath's hook (wired in app.ts): what the recorded death ended goes back to what it was, then, when
     * the person did die on another date, the death's usual consequence applies for that date.
     */
    async reopenAfterDeathCorrection(tx: Tx, personId: string, dateOfDeath: string | null, reason: string): Promise<AuditEntry[]> {
      const reopened = await repo.reopenEnrolmentsEndedByDeath(tx, personId);
      const audit: AuditEntry[] = reopened.map(({ before, after }) => ({
        action: 'reopenEnrolment',
        entityType: 'Enrolment',
        entityId: before.id,
        before,
        after: { ...after, correctionReason: reason },
      }));
      if (dateOfDeath !== null) {
        const ended = await repo.endEnrolmentsAfterDeath(tx, personId, dateOfDeath);
        audit.push(...ended.map(({ before, after }) => ({ action: 'endEnrolment', entityType: 'Enrolment', entityId: before.id, before, after })));
      }
      return audit;
    },
  };
}
export type BenefitsService = ReturnType<typeof createBenefitsService>;
