/**
 * Evaluates a rule definition against a person's facts in TypeScript: every condition with the value
 * seen and whether it held (in Vietnamese and English), the coefficient and the amount. Used for one
 * person (eligibility, entitlements, enrolment checks, example cases); the set-wise twin is src/db/rule-sql.ts.
 */
import { codeVi } from './labels-vi.js';
import { disabilityRank, FACTS, type Amount, type Condition, type Facts, type LeafCondition, type Operator, type RuleDefinition } from './rule-format.js';

export interface ConditionResult {
  fact: string;
  operator: string;
  expected: string;
  actual: string;
  held: boolean;
  /** e.g. "age (years) 81 ≥ 80 ✓" */
  text: string;
  textVi: string;
}

const OP_SYMBOL: Record<Operator, string> = {
  eq: '=',
  ne: '≠',
  gte: '≥',
  gt: '>',
  lte: '≤',
  lt: '<',
  in: '∈',
  notIn: '∉',
  includes: '∋',
  excludes: '∌',
};

export function holds(c: LeafCondition, facts: Facts): boolean {
  const actual = facts[c.fact] as unknown;
  const info = FACTS[c.fact];
  if (info.type === 'set') {
    const has = (actual as string[]).includes(c.value as string);
    return c.op === 'includes' ? has : !has;
  }
  if (info.type === 'ordinal') {
    const a = disabilityRank(actual as string);
    const e = disabilityRank(c.value as string);
    return c.op === 'gte' ? a >= e : c.op === 'lt' ? a < e : a === e;
  }
  switch (c.op) {
    case 'eq':
      return actual === c.value;
    case 'ne':
      return actual !== c.value;
    case 'in':
      return (c.value as unknown[]).includes(actual);
    case 'notIn':
      return !(c.value as unknown[]).includes(actual);
    case 'gte':
      return (actual as number) >= (c.value as number);
    case 'gt':
      return (actual as number) > (c.value as number);
    case 'lte':
      return (actual as number) <= (c.value as number);
    case 'lt':
      return (actual as number) < (c.value as number);
    default:
      return false;
  }
}

const show = (v: unknown, lang: 'en' | 'vi'): string => {
  if (typeof v === 'boolean') return lang === 'en' ? (v ? 'yes' : 'no') : v ? 'có' : 'không';
  if (Array.isArray(v)) return v.length ? `{${v.map((x) => show(x, lang)).join(', ')}}` : lang === 'en' ? 'none' : 'không có';
  return lang === 'vi' && typeof v === 'string' ? codeVi(v) : String(v);
};

function leafResult(c: LeafCondition, facts: Facts): ConditionResult {
  const held = holds(c, facts);
  const info = FACTS[c.fact];
  const actual = facts[c.fact];
  const mark = held ? '✓' : '✗';
  const text = (lang: 'en' | 'vi') => {
    const label = info[lang];
    if (info.type === 'boolean') {
      const need = held ? '' : lang === 'en' ? ` (required: ${show(c.value, lang)})` : ` (yêu cầu: ${show(c.value, lang)})`;
      return `${label}: ${show(actual, lang)} ${mark}${need}`;
    }
    if (info.type === 'set') {
      if (lang === 'vi') {
        // "hoàn cảnh: không có; cần có: trẻ em không có nguồn nuôi dưỡng ✗"
        const need = c.op === 'includes' ? 'cần có' : 'không được có';
        return `${label}: ${show(actual, lang)}; ${need}: ${show(c.value, lang)} ${mark}`;
      }
      return `${label} ${show(actual, lang)} ${c.op === 'includes' ? 'includes' : 'excludes'} ${String(c.value)} ${mark}`;
    }
    return `${label} ${show(actual, lang)} ${OP_SYMBOL[c.op]} ${show(c.value, lang)} ${mark}`;
  };
  return {
    fact: c.fact,
    operator: c.op,
    expected: Array.isArray(c.value) ? c.value.join(',') : String(c.value),
    actual: Array.isArray(actual) ? actual.join(',') : String(actual),
    held,
    text: text('en'),
    textVi: text('vi'),
  };
}

export function evaluateCondition(c: Condition, facts: Facts): ConditionResult {
  if ('fact' in c) return leafResult(c, facts);
  const any = 'anyOf' in c;
  const parts = (any ? c.anyOf : c.allOf).map((x) => evaluateCondition(x, facts));
  const held = any ? parts.some((p) => p.held) : parts.every((p) => p.held);
  const join = (lang: 'en' | 'vi') =>
    parts.map((p) => `(${lang === 'en' ? p.text : p.textVi})`).join(any ? (lang === 'en' ? ' or ' : ' hoặc ') : lang === 'en' ? ' and ' : ' và ');
  return {
    fact: any ? 'anyOf' : 'allOf',
    operator: any ? 'anyOf' : 'allOf',
    expected: '',
    actual: '',
    held,
    text: `${any ? 'any of' : 'all of'}: ${join('en')} ${held ? '✓' : '✗'}`,
    textVi: `${any ? 'một trong' : 'tất cả'}: ${join('vi')} ${held ? '✓' : '✗'}`,
  };
}

export const conditionHolds = (c: Condition, facts: Facts): boolean =>
  'fact' in c ? holds(c, facts) : 'anyOf' in c ? c.anyOf.some((x) => conditionHolds(x, facts)) : c.allOf.every((x) => conditionHolds(x, facts));

export interface BaseLevelLike {
  id: string;
  kind: string;
  amount: number;
  effectiveFrom: string;
  /** The day the decree was signed; null when unknown. */
  issuedOn: string | null;
  /** The day the decree came into force: a month that ended before it is paid back later (arrears). */
  inForceOn: string;
  legalBasis: string;
  confirmed: boolean;
  publishedAt: Date;
  publishedBy: string;
}

export interface AmountResult {
  /** The coefficient applied (for a per-child rule, already multiplied by the count). */
  coefficient: number | null;
  baseLevel: BaseLevelLike | null;
  amount: number | null;
  /** Why no amount could be computed (e.g. no base level in force). */
  problem?: string;
}

const round = (v: number, to: number) => Math.round(v / to) * to;

export function computeAmount(amount: Amount, facts: Facts, baseAt: (kind: string) => BaseLevelLike | undefined): AmountResult {
  if (amount.kind === 'FIXED') return { coefficient: null, baseLevel: null, amount: amount.amount };
  const base = baseAt(amount.base);
  let coefficient: number | null;
  if (amount.kind === 'TABLE') {
    const rate = facts[amount.fact];
    coefficient = amount.rows.find((r) => r.from <= rate && rate <= r.to)?.coefficient ?? null;
  } else {
    coefficient = amount.tiers?.find((t) => t.when.every((w) => conditionHolds(w, facts)))?.coefficient ?? amount.coefficient;
    if (amount.multiplyBy) coefficient = Math.round(coefficient * facts[amount.multiplyBy] * 1e6) / 1e6;
  }
  if (coefficient === null) return { coefficient, baseLevel: base ?? null, amount: null, problem: 'no table row for this value' };
  if (!base) return { coefficient, baseLevel: null, amount: null, problem: `no ${amount.base} base level in force` };
  return { coefficient, baseLevel: base, amount: round(coefficient * base.amount, amount.roundTo ?? 1) };
}

export interface RuleEvaluation extends AmountResult {
  eligible: boolean;
  conditions: ConditionResult[];
}

export function evaluateRule(def: RuleDefinition, facts: Facts, baseAt: (kind: string) => BaseLevelLike | undefined): RuleEvaluation {
  const conditions = def.conditions.map((c) => evaluateCondition(c, facts));
  const eligible = conditions.every((c) => c.held);
  if (!eligible) return { eligible, conditions, coefficient: null, baseLevel: null, amount: null };
  return { eligible, conditions, ...computeAmount(def.amount, facts, baseAt) };
}

/** Eligibility only (no texts): the hot path of the property test and of month-by-month entitlements. */
export const isEligible = (def: RuleDefinition, facts: Facts): boolean => def.conditions.every((c) => conditionHolds(c, facts));
