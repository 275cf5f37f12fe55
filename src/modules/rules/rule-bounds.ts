/**
 * Bounds on a rule version before it is published: its shape (nesting depth, node count, size) and every
 * value within its fact's domain. The zod schema in rule-format.ts says what a definition may say; these
 * bounds say how much of it, and which numbers make sense. They are kept apart from the schema on purpose:
 * the rule book parses stored versions with the schema, and a stored version published before these bounds
 * must still load (so that it can be withdrawn), not make every reader fail.
 *
 * The shape is checked first and without recursion, so a definition nested thousands deep is refused with
 * the path where it goes too deep instead of overflowing the stack in the schema or the evaluators.
 */
import type { Problems } from '../../errors.js';
import { FACTS, type Condition, type FactName, type RuleDefinition, type RuleExample } from '../../core/rule-format.js';

export const RULE_LIMITS = {
  /** anyOf/allOf inside one another: the law's rules need 2 or 3. */
  maxConditionDepth: 12,
  /** Any JSON nesting (objects and arrays) in a definition or an example. */
  maxJsonDepth: 40,
  /** Objects, arrays and values in a definition or an example. */
  maxNodes: 2_000,
  /** Characters of the definition (or an example) as JSON. */
  maxJsonChars: 64 * 1024,
  maxExamples: 100,
  /** A FIXED amount (đồng): a one-off allowance is in the millions, not the billions. */
  maxFixedAmount: 1_000_000_000,
} as const;

/** The range of each whole-number fact: what a person can have (ages up to 130 years). */
export const FACT_DOMAINS: Partial<Record<FactName, { min: number; max: number }>> = {
  ageYears: { min: 0, max: 130 },
  ageMonths: { min: 0, max: 130 * 12 },
  warInjuryRate: { min: 0, max: 100 },
  childrenUnder36Months: { min: 0, max: 30 },
  childrenUnder16: { min: 0, max: 30 },
};

const pathText = (path: readonly (string | number)[]) => path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');

/**
 * Checks the shape of a JSON value iteratively (depth, node count, then size). Adds at most one problem and
 * returns false when the value is out of bounds; deeper checks must not run then.
 */
export function checkJsonShape(p: Problems, field: string, value: unknown, limits: { maxDepth: number } = { maxDepth: RULE_LIMITS.maxJsonDepth }): boolean {
  const stack: { value: unknown; path: (string | number)[]; depth: number }[] = [{ value, path: [], depth: 0 }];
  let nodes = 0;
  while (stack.length > 0) {
    const top = stack.pop();
    if (!top) break;
    nodes++;
    if (nodes > RULE_LIMITS.maxNodes) {
      p.add(field, `has more than ${RULE_LIMITS.maxNodes} parts`, `có quá ${RULE_LIMITS.maxNodes} thành phần`);
      return false;
    }
    const v = top.value;
    if (v === null || typeof v !== 'object') continue;
    if (top.depth >= limits.maxDepth) {
      p.add(`${field}${pathText(top.path)}`, `is nested more than ${limits.maxDepth} levels deep`, `lồng nhau quá ${limits.maxDepth} cấp`);
      return false;
    }
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (const [k, child] of entries) stack.push({ value: child, path: [...top.path, k], depth: top.depth + 1 });
  }
  if (JSON.stringify(value).length > RULE_LIMITS.maxJsonChars) {
    p.add(field, `is longer than ${RULE_LIMITS.maxJsonChars} characters as JSON`, `dài quá ${RULE_LIMITS.maxJsonChars} ký tự`);
    return false;
  }
  return true;
}

/** Condition nesting (anyOf/allOf), iteratively, on the raw definition: before the schema recurses into it. */
export function checkConditionDepth(p: Problems, field: string, definition: unknown): boolean {
  const roots: { value: unknown; path: (string | number)[] }[] = [];
  if (definition && typeof definition === 'object') {
    const d = definition as { conditions?: unknown; amount?: { tiers?: unknown } };
    if (Array.isArray(d.conditions)) d.conditions.forEach((c, i) => roots.push({ value: c, path: ['conditions', i] }));
    if (Array.isArray(d.amount?.tiers)) {
      d.amount.tiers.forEach((tier: unknown, i) => {
        const when = (tier as { when?: unknown } | null)?.when;
        if (Array.isArray(when)) when.forEach((c, j) => roots.push({ value: c, path: ['amount', 'tiers', i, 'when', j] }));
      });
    }
  }
  const stack = roots.map((r) => ({ ...r, depth: 1 }));
  while (stack.length > 0) {
    const top = stack.pop();
    if (!top) break;
    if (top.depth > RULE_LIMITS.maxConditionDepth) {
      p.add(
        `${field}${pathText(top.path)}`,
        `conditions are nested more than ${RULE_LIMITS.maxConditionDepth} levels deep`,
        `điều kiện lồng nhau quá ${RULE_LIMITS.maxConditionDepth} cấp`,
      );
      return false;
    }
    const c = top.value as { anyOf?: unknown; allOf?: unknown } | null;
    for (const key of ['anyOf', 'allOf'] as const) {
      const list = c?.[key];
      if (Array.isArray(list)) list.forEach((x, i) => stack.push({ value: x, path: [...top.path, key, i], depth: top.depth + 1 }));
    }
  }
  return true;
}

/** Every leaf's value within its fact's domain, every amount within sane ranges (on the parsed definition). */
export function checkDefinitionValues(p: Problems, field: string, def: RuleDefinition): void {
  const stack: { c: Condition; path: (string | number)[] }[] = [];
  def.conditions.forEach((c, i) => stack.push({ c, path: ['conditions', i] }));
  const amount = def.amount;
  if (amount.kind === 'BASE_TIMES_COEFFICIENT') {
    amount.tiers?.forEach((t, i) => {
      t.when.forEach((c, j) => stack.push({ c, path: ['amount', 'tiers', i, 'when', j] }));
    });
  }
  while (stack.length > 0) {
    const top = stack.pop();
    if (!top) break;
    const c = top.c;
    if ('anyOf' in c) c.anyOf.forEach((x, i) => stack.push({ c: x, path: [...top.path, 'anyOf', i] }));
    else if ('allOf' in c) c.allOf.forEach((x, i) => stack.push({ c: x, path: [...top.path, 'allOf', i] }));
    else {
      const domain = FACT_DOMAINS[c.fact];
      if (domain && typeof c.value === 'number' && (c.value < domain.min || c.value > domain.max)) {
        const info = FACTS[c.fact];
        p.add(
          `${field}${pathText([...top.path, 'value'])}`,
          `${info.en} must be within ${domain.min}–${domain.max}`,
          `${info.vi} phải trong khoảng ${domain.min}–${domain.max}`,
        );
      }
    }
  }
  if (amount.kind === 'FIXED' && amount.amount > RULE_LIMITS.maxFixedAmount) {
    p.add(`${field}.amount.amount`, `must be at most ${RULE_LIMITS.maxFixedAmount} đồng`, `không được quá ${RULE_LIMITS.maxFixedAmount} đồng`);
  }
  if (amount.kind === 'TABLE') {
    const domain = FACT_DOMAINS.warInjuryRate ?? { min: 0, max: 100 };
    amount.rows.forEach((r, i) => {
      if (r.from < domain.min || r.to > domain.max || r.from > r.to) {
        p.add(
          `${field}.amount.rows[${i}]`,
          `must be a range within ${domain.min}–${domain.max} with from ≤ to`,
          `phải là khoảng trong ${domain.min}–${domain.max} với from ≤ to`,
        );
      }
    });
  }
}

/** An example's facts within the same domains (an example cannot prove a rule with an impossible person). */
export function checkExampleValues(p: Problems, field: string, example: RuleExample): void {
  for (const [fact, value] of Object.entries(example.facts)) {
    const domain = FACT_DOMAINS[fact as FactName];
    if (domain && typeof value === 'number' && (value < domain.min || value > domain.max)) {
      const info = FACTS[fact as FactName];
      p.add(`${field}.facts.${fact}`, `${info.en} must be within ${domain.min}–${domain.max}`, `${info.vi} phải trong khoảng ${domain.min}–${domain.max}`);
    }
  }
  if (example.expectedAmount !== undefined && !Number.isSafeInteger(example.expectedAmount)) {
    p.add(`${field}.expectedAmount`, 'must be a whole number of đồng', 'phải là số đồng nguyên');
  }
}
