/**
 * The rule format: what a rule version's `definition` (jsonb) may say, validated with zod. A definition is
 * a list of conditions over a person's facts as of a date (all must hold) and an amount formula. The same
 * definition is evaluated in TypeScript (evaluate.ts: per person, with the values seen) and compiled to SQL
 * (src/db/rule-sql.ts: set-wise, for coverage gaps); test/rules-property.test.ts proves the two agree.
 * Documented for district officers in docs/rules.md.
 */
import { z } from 'zod';
import { BASE_LEVEL_KINDS, CIRCUMSTANCE_FLAGS, MERIT_CATEGORIES } from './code-lists.js';

export const DISABILITY_LEVELS = ['NONE', 'MILD', 'SEVERE', 'PARTICULARLY_SEVERE'] as const;
export type DisabilityLevelFact = (typeof DISABILITY_LEVELS)[number];

/** The facts a condition reads, computed for a person as of a date (facts.ts, and src/db/rule-sql.ts in SQL). */
export interface Facts {
  ageYears: number;
  ageMonths: number;
  sex: 'MALE' | 'FEMALE';
  ethnicMinority: boolean;
  householdPoverty: 'POOR' | 'NEAR_POOR' | 'NONE';
  disadvantagedArea: boolean;
  disabilityLevel: DisabilityLevelFact;
  receivesPension: boolean;
  meritCategories: string[];
  warInjuryRate: number;
  pregnant: boolean;
  flags: string[];
  childrenUnder36Months: number;
  childrenUnder16: number;
}
export type FactName = keyof Facts;

type FactType = 'integer' | 'boolean' | 'enum' | 'ordinal' | 'set';
interface FactInfo {
  type: FactType;
  values?: readonly string[];
  en: string;
  vi: string;
}

export const FACTS: Record<FactName, FactInfo> = {
  ageYears: { type: 'integer', en: 'age (years)', vi: 'tuổi' },
  ageMonths: { type: 'integer', en: 'age (months)', vi: 'tháng tuổi' },
  sex: { type: 'enum', values: ['MALE', 'FEMALE'], en: 'sex', vi: 'giới tính' },
  ethnicMinority: { type: 'boolean', en: 'ethnic minority', vi: 'người dân tộc thiểu số' },
  householdPoverty: { type: 'enum', values: ['POOR', 'NEAR_POOR', 'NONE'], en: 'household poverty', vi: 'phân loại hộ nghèo' },
  disadvantagedArea: {
    type: 'boolean',
    en: 'lives in an extremely disadvantaged commune or village',
    vi: 'sống ở xã, thôn đặc biệt khó khăn',
  },
  disabilityLevel: { type: 'ordinal', values: DISABILITY_LEVELS, en: 'disability level', vi: 'mức độ khuyết tật' },
  receivesPension: {
    type: 'boolean',
    en: 'receives pension, monthly social insurance or social allowance',
    vi: 'hưởng lương hưu, trợ cấp BHXH hằng tháng hoặc trợ cấp xã hội',
  },
  meritCategories: { type: 'set', values: MERIT_CATEGORIES, en: 'merit categories', vi: 'diện người có công' },
  warInjuryRate: { type: 'integer', en: 'war injury rate (%)', vi: 'tỷ lệ tổn thương cơ thể (%)' },
  pregnant: { type: 'boolean', en: 'pregnant', vi: 'đang mang thai' },
  flags: { type: 'set', values: CIRCUMSTANCE_FLAGS, en: 'circumstances', vi: 'hoàn cảnh' },
  childrenUnder36Months: { type: 'integer', en: 'children under 36 months raised', vi: 'số con dưới 36 tháng tuổi đang nuôi' },
  childrenUnder16: { type: 'integer', en: 'children under 16 raised', vi: 'số con dưới 16 tuổi đang nuôi' },
};
export const FACT_NAMES = Object.keys(FACTS) as FactName[];

export const OPERATORS = ['eq', 'ne', 'gte', 'gt', 'lte', 'lt', 'in', 'notIn', 'includes', 'excludes'] as const;
export type Operator = (typeof OPERATORS)[number];

/** Which operators each kind of fact accepts. */
const OPS_BY_TYPE: Record<FactType, readonly Operator[]> = {
  integer: ['eq', 'gte', 'gt', 'lte', 'lt'],
  boolean: ['eq'],
  enum: ['eq', 'ne', 'in', 'notIn'],
  ordinal: ['eq', 'gte', 'lt'],
  set: ['includes', 'excludes'],
};

const LeafCondition = z
  .object({
    fact: z.enum(FACT_NAMES as [FactName, ...FactName[]]),
    op: z.enum(OPERATORS),
    value: z.union([z.number(), z.string(), z.boolean(), z.array(z.string()).min(1)]),
  })
  .strict()
  .superRefine((c, ctx) => {
    const info = FACTS[c.fact];
    if (!OPS_BY_TYPE[info.type].includes(c.op)) {
      ctx.addIssue({ code: 'custom', path: ['op'], message: `${c.fact} accepts only ${OPS_BY_TYPE[info.type].join(', ')}` });
      return;
    }
    const bad = (message: string) => ctx.addIssue({ code: 'custom', path: ['value'], message });
    const known = (v: unknown) => typeof v === 'string' && (info.values ?? []).includes(v);
    switch (info.type) {
      case 'integer':
        if (typeof c.value !== 'number' || !Number.isInteger(c.value) || c.value < 0) bad('must be a whole number ≥ 0');
        break;
      case 'boolean':
        if (typeof c.value !== 'boolean') bad('must be true or false');
        break;
      case 'enum':
      case 'ordinal':
        if (c.op === 'in' || c.op === 'notIn') {
          if (!Array.isArray(c.value) || !c.value.every(known)) bad(`must be a list of ${info.values!.join(', ')}`);
        } else if (!known(c.value)) bad(`must be one of ${info.values!.join(', ')}`);
        break;
      case 'set':
        if (!known(c.value)) bad(`must be one of ${info.values!.join(', ')}`);
        break;
    }
  });
export type LeafCondition = z.infer<typeof LeafCondition>;
export type Condition = LeafCondition | { anyOf: Condition[] } | { allOf: Condition[] };

export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([LeafCondition, z.object({ anyOf: z.array(ConditionSchema).min(1) }).strict(), z.object({ allOf: z.array(ConditionSchema).min(1) }).strict()]),
);

const Coefficient = z.number().positive().max(100);
const BaseKind = z.enum(BASE_LEVEL_KINDS);

const AmountSchema = z.discriminatedUnion('kind', [
  z
    .object({
      /** base level × coefficient; the first tier whose conditions all hold sets the coefficient. */
      kind: z.literal('BASE_TIMES_COEFFICIENT'),
      base: BaseKind,
      coefficient: Coefficient,
      tiers: z.array(z.object({ when: z.array(ConditionSchema).min(1), coefficient: Coefficient, label: z.string().optional() }).strict()).optional(),
      /** Multiplies by a count, e.g. 1.0 per child for art. 5.4. */
      multiplyBy: z.enum(['childrenUnder16', 'childrenUnder36Months']).optional(),
      roundTo: z.union([z.literal(1), z.literal(1000)]).optional(),
    })
    .strict(),
  z
    .object({
      /** A table by a whole-number fact (war invalids by injury rate): coefficient × base, rounded. */
      kind: z.literal('TABLE'),
      base: BaseKind,
      fact: z.literal('warInjuryRate'),
      rows: z.array(z.object({ from: z.number().int(), to: z.number().int(), coefficient: Coefficient, confirmed: z.boolean().optional() }).strict()).min(1),
      roundTo: z.union([z.literal(1), z.literal(1000)]).optional(),
    })
    .strict(),
  z.object({ kind: z.literal('FIXED'), amount: z.number().int().positive() }).strict(),
]);
export type Amount = z.infer<typeof AmountSchema>;

export const RuleDefinitionSchema = z
  .object({
    summaryVi: z.string().min(1),
    summaryEn: z.string().min(1),
    conditions: z.array(ConditionSchema).min(1),
    amount: AmountSchema,
  })
  .strict();
export type RuleDefinition = z.infer<typeof RuleDefinitionSchema>;

/** Circumstances of an example case: any facts (the rest default to the "nothing recorded" values). */
export const ExampleFactsSchema = z
  .object({
    ageYears: z.number().int().min(0),
    ageMonths: z.number().int().min(0),
    sex: z.enum(['MALE', 'FEMALE']),
    ethnicMinority: z.boolean(),
    householdPoverty: z.enum(['POOR', 'NEAR_POOR', 'NONE']),
    disadvantagedArea: z.boolean(),
    disabilityLevel: z.enum(DISABILITY_LEVELS),
    receivesPension: z.boolean(),
    meritCategories: z.array(z.enum(MERIT_CATEGORIES)),
    warInjuryRate: z.number().int().min(0).max(100),
    pregnant: z.boolean(),
    flags: z.array(z.enum(CIRCUMSTANCE_FLAGS)),
    childrenUnder36Months: z.number().int().min(0),
    childrenUnder16: z.number().int().min(0),
  })
  .partial()
  .strict();

export const RuleExampleSchema = z
  .object({
    name: z.string().min(1),
    /** The date the example is evaluated on (base levels in force then); default the version's effective date. */
    asOf: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .optional(),
    facts: ExampleFactsSchema,
    expectedEligible: z.boolean(),
    /** Monthly (or one-off) amount expected when eligible. */
    expectedAmount: z.number().int().min(0).optional(),
  })
  .strict();
export type RuleExample = z.infer<typeof RuleExampleSchema>;

/** Fills an example's facts: unspecified ages follow each other, everything else is "nothing recorded". */
export function exampleFacts(f: z.infer<typeof ExampleFactsSchema>): Facts {
  const ageYears = f.ageYears ?? (f.ageMonths !== undefined ? Math.floor(f.ageMonths / 12) : 40);
  return {
    ageYears,
    ageMonths: f.ageMonths ?? ageYears * 12,
    sex: f.sex ?? 'FEMALE',
    ethnicMinority: f.ethnicMinority ?? false,
    householdPoverty: f.householdPoverty ?? 'NONE',
    disadvantagedArea: f.disadvantagedArea ?? false,
    disabilityLevel: f.disabilityLevel ?? 'NONE',
    receivesPension: f.receivesPension ?? false,
    meritCategories: f.meritCategories ?? [],
    warInjuryRate: f.warInjuryRate ?? 0,
    pregnant: f.pregnant ?? false,
    flags: f.flags ?? [],
    childrenUnder36Months: f.childrenUnder36Months ?? 0,
    childrenUnder16: f.childrenUnder16 ?? 0,
  };
}
