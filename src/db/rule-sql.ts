/**
 * Compiles a rule version's conditions to an SQL WHERE over persons (aliased `p`) as of a date, so
 * coverage gaps are found set-wise in the database (one statement over a commune or the whole district)
 * instead of person by person. Each fact's SQL is the twin of its TypeScript definition in core/facts.ts; the
 * property test (test/rules-property.test.ts) checks that both pick the same people.
 *
 * Age thresholds compare the date of birth with `d - N years/months` (an index-friendly form equivalent to
 * "age ≥ N" under PostgreSQL's age() arithmetic); circumstance checks are EXISTS sub-queries the planner
 * can turn into semi-joins; the cheap conditions come first so PostgreSQL skips the rest for most people.
 */
import { sql, type SQL } from 'drizzle-orm';
import { competesInCoverage, type CombiningProgram } from '../core/combination.js';
import { CHILD_RELATION, PARENT_RELATIONS } from '../core/facts.js';
import { DISABILITY_LEVELS, disabilityRank, type Condition, type LeafCondition, type RuleDefinition } from '../core/rule-format.js';
import { groupCondition, householdClassificationAsOf, livingOn } from './beneficiary-groups.js';
import { personsOn } from './residence.js';

/**
 * What the SQL needs of the rule book (src/modules/rules/rule-book.ts): the version in force and the
 * programs' families. Stated here as a shape so that this file depends on the core only.
 */
export interface RuleBookForSql {
  programs: readonly CombiningProgram[];
  program(code: string): CombiningProgram | undefined;
  ruleAt(code: string, date: string): { parsed: RuleDefinition } | undefined;
}

const d = (asOf: string) => sql`${asOf}::date`;
const list = (values: readonly unknown[]) =>
  sql`(${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )})`;

/** "born at least N years/months before d" ⟺ age ≥ N. */
const ageAtLeast = (unit: 'years' | 'months', n: number, asOf: string): SQL =>
  unit === 'years'
    ? sql`p.date_of_birth <= (${d(asOf)} - make_interval(years => ${n}::int))::date`
    : sql`p.date_of_birth <= (${d(asOf)} - make_interval(months => ${n}::int))::date`;

function integerCompare(expr: (n: number) => SQL, op: string, n: number): SQL {
  // expr(n) means "value ≥ n".
  switch (op) {
    case 'gte':
      return expr(n);
    case 'gt':
      return expr(n + 1);
    case 'lt':
      return sql`NOT (${expr(n)})`;
    case 'lte':
      return sql`NOT (${expr(n + 1)})`;
    case 'eq':
      return sql`(${expr(n)} AND NOT (${expr(n + 1)}))`;
  }
  throw new Error(`operator ${op} on a number`);
}

function scalarCompare(expr: SQL, op: string, value: unknown): SQL {
  switch (op) {
    case 'eq':
      return sql`${expr} = ${value}`;
    case 'ne':
      return sql`${expr} <> ${value}`;
    case 'in':
      return sql`${expr} IN ${list(value as unknown[])}`;
    case 'notIn':
      return sql`${expr} NOT IN ${list(value as unknown[])}`;
    case 'gte':
      return sql`${expr} >= ${value}`;
    case 'gt':
      return sql`${expr} > ${value}`;
    case 'lte':
      return sql`${expr} <= ${value}`;
    case 'lt':
      return sql`${expr} < ${value}`;
  }
  throw new Error(`operator ${op}`);
}

const boolCompare = (expr: SQL, value: boolean): SQL => (value ? sql`(${expr})` : sql`NOT (${expr})`);
const inForceOn = (from: SQL, to: SQL, asOf: string) => sql`${from} <= ${d(asOf)} AND (${to} IS NULL OR ${to} >= ${d(asOf)})`;

const childrenCount = (months: number, asOf: string): SQL => sql`(CASE WHEN p.relation_to_head IN ${list(PARENT_RELATIONS)} THEN (
  SELECT count(*) FROM ${personsOn(asOf)} c WHERE c.household_id = p.household_id AND c.relation_to_head = ${CHILD_RELATION}
    AND c.date_of_birth <= ${d(asOf)} AND (c.date_of_death IS NULL OR c.date_of_death >= ${d(asOf)})
    AND c.date_of_birth > (${d(asOf)} - make_interval(months => ${months}::int))::date) ELSE 0 END)`;

function leafSql(c: LeafCondition, asOf: string): SQL {
  const v = c.value;
  switch (c.fact) {
    case 'ageYears':
      return integerCompare((n) => ageAtLeast('years', n, asOf), c.op, v as number);
    case 'ageMonths':
      return integerCompare((n) => ageAtLeast('months', n, asOf), c.op, v as number);
    case 'sex':
      return scalarCompare(sql`p.sex`, c.op, v);
    case 'ethnicMinority':
      return boolCompare(sql`COALESCE(p.ethnicity <> 'Kinh', false)`, v as boolean);
    case 'householdPoverty':
      return scalarCompare(sql`COALESCE(${householdClassificationAsOf(asOf)}, 'NONE')`, c.op, v);
    case 'disadvantagedArea': {
      // Three uncorrelated sets (communes classified, communes whose successor is, households in a village that
      // is), so PostgreSQL hashes each once per statement instead of probing admin_units and households for
      // every person. A person without a household is not in the third set: COALESCE keeps the answer false,
      // never NULL, so that `= false` selects them.
      const classified = sql`SELECT ac.unit_code FROM area_classifications ac
        WHERE ac.classification = 'EXTREMELY_DISADVANTAGED' AND ${inForceOn(sql`ac.valid_from`, sql`ac.valid_to`, asOf)}`;
      return boolCompare(
        sql`p.commune_code IN (${classified})
          OR p.commune_code IN (SELECT au.code FROM admin_units au WHERE au.successor_code IN (${classified}))
          OR COALESCE(p.household_id IN (SELECT h.id FROM households h WHERE h.village_code IN (${classified})), false)`,
        v as boolean,
      );
    }
    case 'disabilityLevel': {
      const atLeast = (level: string): SQL => {
        if (level === 'NONE') return sql`true`;
        const levels = DISABILITY_LEVELS.slice(disabilityRank(level));
        return sql`EXISTS (SELECT 1 FROM disability_certificates dc WHERE dc.person_id = p.id AND dc.withdrawn_at IS NULL
          AND dc.level IN ${list(levels)} AND ${inForceOn(sql`dc.issued_on`, sql`dc.valid_to`, asOf)})`;
      };
      const next = DISABILITY_LEVELS[disabilityRank(v as string) + 1];
      if (c.op === 'gte') return atLeast(v as string);
      if (c.op === 'lt') return sql`NOT (${atLeast(v as string)})`;
      return next ? sql`(${atLeast(v as string)} AND NOT (${atLeast(next)}))` : atLeast(v as string);
    }
    case 'receivesPension':
      return boolCompare(
        sql`EXISTS (SELECT 1 FROM pension_statuses ps WHERE ps.person_id = p.id AND ps.withdrawn_at IS NULL AND ${inForceOn(sql`ps.starts_on`, sql`ps.ends_on`, asOf)})`,
        v as boolean,
      );
    case 'meritCategories':
      return boolCompare(
        sql`EXISTS (SELECT 1 FROM merit_records mr WHERE mr.person_id = p.id AND mr.withdrawn_at IS NULL AND mr.category = ${v}
          AND ${inForceOn(sql`mr.recognized_on`, sql`mr.valid_to`, asOf)})`,
        c.op === 'includes',
      );
    case 'warInjuryRate':
      return scalarCompare(
        sql`COALESCE((SELECT max(mr.injury_rate) FROM merit_records mr WHERE mr.person_id = p.id AND mr.withdrawn_at IS NULL AND mr.category = 'WAR_INVALID'
          AND ${inForceOn(sql`mr.recognized_on`, sql`mr.valid_to`, asOf)}), 0)`,
        c.op,
        v,
      );
    case 'pregnant':
      return boolCompare(groupCondition('PREGNANT_WOMAN', asOf), v as boolean);
    case 'flags':
      return boolCompare(
        sql`EXISTS (SELECT 1 FROM person_circumstance_flags pf WHERE pf.person_id = p.id AND pf.withdrawn_at IS NULL AND pf.flag = ${v}
          AND ${inForceOn(sql`pf.valid_from`, sql`pf.valid_to`, asOf)})`,
        c.op === 'includes',
      );
    case 'childrenUnder36Months':
      return scalarCompare(childrenCount(36, asOf), c.op, v);
    case 'childrenUnder16':
      return scalarCompare(childrenCount(16 * 12, asOf), c.op, v);
  }
}

export function conditionSql(c: Condition, asOf: string): SQL {
  if ('fact' in c) return sql`(${leafSql(c, asOf)})`;
  const parts = ('anyOf' in c ? c.anyOf : c.allOf).map((x) => conditionSql(x, asOf));
  return sql`(${sql.join(parts, 'anyOf' in c ? sql` OR ` : sql` AND `)})`;
}

/** Columns of the person row: no look-up at all. */
const ROW_FACTS = ['ageYears', 'ageMonths', 'sex', 'ethnicMinority'];
/**
 * Per-person look-ups (the poverty classification in force, children counted, the highest injury rate):
 * PostgreSQL runs them once per person reaching them. The other facts are membership in a set it can hash
 * once per statement (flags, certificates, pensions, merit records, pregnancies, disadvantaged areas).
 */
const LOOKUP_FACTS = ['householdPoverty', 'childrenUnder36Months', 'childrenUnder16', 'warInjuryRate'];

/** Cheap facts (columns of the person row) first, hashed sets next, per-person look-ups last. */
const cost = (c: Condition): number =>
  'fact' in c ? (ROW_FACTS.includes(c.fact) ? 0 : LOOKUP_FACTS.includes(c.fact) ? 2 : 1) : Math.max(...('anyOf' in c ? c.anyOf : c.allOf).map(cost));

/** All conditions of a definition, as one WHERE fragment over `persons p` (living on asOf is the caller's). */
export function conditionsSql(conditions: Condition[], asOf: string): SQL {
  const sorted = [...conditions].sort((a, b) => cost(a) - cost(b));
  return sql.join(
    sorted.map((c) => conditionSql(c, asOf)),
    sql` AND `,
  );
}

/** "Has a record": an open (proposed or active) enrolment, or one whose months cover asOf. */
export function coveredSql(book: RuleBookForSql, programCode: string, asOf: string): SQL {
  // Callers pass codes taken from the rule book itself.
  const program = book.program(programCode);
  if (!program) throw new Error(`no program ${programCode} in the rule book`);
  // Amounts that compete: someone receiving one of them is not "left behind" by another (core/combination.ts).
  const codes = competesInCoverage(program) ? book.programs.filter(competesInCoverage).map((p) => p.code) : [programCode];
  return sql`EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = p.id
    AND e.program_code IN (${sql.join(
      codes.map((c) => sql`${c}`),
      sql`, `,
    )})
    AND (e.status <> 'ENDED' OR (e.start_month <= date_trunc('month', ${asOf}::date)::date
      AND e.end_month >= date_trunc('month', ${asOf}::date)::date)))`;
}

/** People (alias p) eligible for a program on asOf, as one WHERE fragment; undefined when no rule is in force. */
export function eligibleSql(book: RuleBookForSql, programCode: string, asOf: string): SQL | undefined {
  const version = book.ruleAt(programCode, asOf);
  if (!version) return undefined;
  return sql`${livingOn(asOf)} AND ${conditionsSql(version.parsed.conditions, asOf)}`;
}
