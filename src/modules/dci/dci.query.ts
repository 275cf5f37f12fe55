/**
 * The DCI query types over An Sinh's registry (docs/integration.md, "Queries"):
 * - `idtype-value`: { type: "UIN" (or "NationalID"), value: the 12-digit identification number };
 * - `expression`: { type: "ansinh:QueryType:NoSql", value: { expression: { collection: "Person"|"Group",
 *   query: { $and: [ { commune_code: { $eq: "24865" } }, { birth_date: { $lt: "1950-01-01" } } ] } } } },
 *   the Mongo-like form of the spec's own example;
 * - `predicate`: the spec's ExpPredicateWithConditionList ([{ expression1, condition, expression2 }], ANDed).
 * Expressions and predicates compile to one condition tree. The people searched are a commune's beneficiaries
 * (RegistryService.beneficiaries), so a `commune_code` term (eq or in) is required at the top level, which bounds
 * the search; `group` and `program_code` narrow it there too. The other attributes (sex, birth_date, name) can sit
 * anywhere under and/or/not and are evaluated over the people found.
 */
import { BENEFICIARY_GROUPS, type BeneficiaryGroup } from '../../core/code-lists.js';
import { isValidDate } from '../../core/period.js';

export type Operator = 'eq' | 'lt' | 'gt' | 'le' | 'ge' | 'in';
export type Condition =
  { kind: 'term'; attribute: string; operator: Operator; value: unknown } | { kind: 'and' | 'or'; terms: Condition[] } | { kind: 'not'; term: Condition };

/** The compiled search: what bounds it in the database, and what is checked over each person found. */
export interface CompiledQuery {
  communeCodes: string[];
  group: BeneficiaryGroup | undefined;
  programCode: string | undefined;
  filter: Condition;
}

export class QueryProblem extends Error {
  constructor(
    readonly reason: 'rjct.search_criteria.invalid' | 'rjct.sort.invalid' | 'rjct.pagination.invalid' | 'rjct.search.too_many_records_found',
    readonly en: string,
    readonly vi: string,
  ) {
    super(en);
  }
}

const bad = (en: string, vi: string) => new QueryProblem('rjct.search_criteria.invalid', en, vi);

/** The element of a one-element list, else undefined. */
const only = <T>(list: readonly T[]): T | undefined => (list.length === 1 ? list[0] : undefined);

/** Identifier types accepted by idtype-value: the spec's example "UIN" and the Group example's "NationalID". */
export const IDENTIFIER_TYPES = ['UIN', 'NationalID'] as const;

/** Attributes evaluated over each person found (anywhere in the tree). */
const PERSON_ATTRIBUTES = new Set(['sex', 'birth_date', 'name']);
/** Attributes that bound the search (top-level AND only). */
const BOUNDING_ATTRIBUTES = new Set(['commune_code', 'group', 'program_code']);

const MONGO_OPERATORS: Record<string, Operator> = { $eq: 'eq', $lt: 'lt', $gt: 'gt', $lte: 'le', $gte: 'ge', $in: 'in' };

/** A Mongo-like query object ({ $and: [...] }, { attr: { $op: v } }) as a condition tree. */
export function fromMongo(query: unknown): Condition {
  if (typeof query !== 'object' || query === null || Array.isArray(query)) throw bad('query must be an object', 'query phải là một đối tượng');
  const terms: Condition[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0) throw bad(`${key} needs a non-empty list`, `${key} cần một danh sách không rỗng`);
      terms.push({ kind: key === '$and' ? 'and' : 'or', terms: value.map(fromMongo) });
    } else if (key === '$not') {
      terms.push({ kind: 'not', term: fromMongo(value) });
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [op, v] of Object.entries(value as Record<string, unknown>)) {
        const operator = MONGO_OPERATORS[op];
        if (!operator) throw bad(`unknown operator ${op}`, `toán tử ${op} không được hỗ trợ`);
        terms.push({ kind: 'term', attribute: key, operator, value: v });
      }
    } else {
      terms.push({ kind: 'term', attribute: key, operator: 'eq', value });
    }
  }
  return only(terms) ?? { kind: 'and', terms };
}

interface Predicate {
  attribute_name?: unknown;
  operator?: unknown;
  attribute_value?: unknown;
}

function fromPredicate(p: Predicate | undefined): Condition {
  if (!p || typeof p.attribute_name !== 'string' || typeof p.operator !== 'string') {
    throw bad('each expression needs attribute_name and operator', 'mỗi biểu thức cần attribute_name và operator');
  }
  if (!['eq', 'lt', 'gt', 'le', 'ge', 'in'].includes(p.operator)) throw bad(`unknown operator ${p.operator}`, `toán tử ${p.operator} không được hỗ trợ`);
  return { kind: 'term', attribute: p.attribute_name, operator: p.operator as Operator, value: p.attribute_value };
}

/** The spec's predicate list: each item `expression1 [condition expression2]`, items ANDed in seq_num order. */
export function fromPredicates(list: unknown): Condition {
  if (!Array.isArray(list) || list.length === 0) throw bad('a predicate query is a non-empty list', 'truy vấn predicate phải là danh sách không rỗng');
  const items = [...(list as { seq_num?: number; expression1?: Predicate; condition?: string; expression2?: Predicate }[])].sort(
    (a, b) => (a.seq_num ?? 0) - (b.seq_num ?? 0),
  );
  const terms = items.map((item): Condition => {
    const first = fromPredicate(item.expression1);
    if (item.condition === undefined && item.expression2 === undefined) return first;
    const second = fromPredicate(item.expression2);
    if (item.condition === 'and') return { kind: 'and', terms: [first, second] };
    if (item.condition === 'or') return { kind: 'or', terms: [first, second] };
    // "not": the first and not the second.
    if (item.condition === 'not') return { kind: 'and', terms: [first, { kind: 'not', term: second }] };
    throw bad('condition must be and, or or not', 'condition phải là and, or hoặc not');
  });
  return only(terms) ?? { kind: 'and', terms };
}

/** The terms ANDed at the top of a tree. */
const topLevel = (c: Condition): Condition[] => (c.kind === 'and' ? c.terms.flatMap(topLevel) : [c]);

function checkTerm(c: Condition, top: boolean): void {
  if (c.kind === 'not') {
    checkTerm(c.term, false);
    return;
  }
  if (c.kind !== 'term') {
    for (const t of c.terms) checkTerm(t, top && c.kind === 'and');
    return;
  }
  if (BOUNDING_ATTRIBUTES.has(c.attribute)) {
    if (!top) throw bad(`${c.attribute} may only be ANDed at the top of the query`, `${c.attribute} chỉ được dùng với AND ở cấp ngoài cùng`);
    if (c.operator !== 'eq' && !(c.attribute === 'commune_code' && c.operator === 'in')) {
      throw bad(
        `${c.attribute} takes eq${c.attribute === 'commune_code' ? ' or in' : ''}`,
        `${c.attribute} chỉ nhận eq${c.attribute === 'commune_code' ? ' hoặc in' : ''}`,
      );
    }
    return;
  }
  if (!PERSON_ATTRIBUTES.has(c.attribute)) throw bad(`unknown attribute ${c.attribute}`, `thuộc tính ${c.attribute} không được hỗ trợ`);
  if (c.attribute === 'sex' && (c.operator !== 'eq' || !['male', 'female'].includes(String(c.value)))) {
    throw bad('sex takes eq male or female', 'sex chỉ nhận eq male hoặc female');
  }
  if (c.attribute === 'name' && (c.operator !== 'eq' || typeof c.value !== 'string' || c.value.trim() === '' || c.value.length > 100)) {
    throw bad('name takes eq and a text of 1–100 characters', 'name chỉ nhận eq và chuỗi 1–100 ký tự');
  }
  if (c.attribute === 'birth_date' && (c.operator === 'in' || typeof c.value !== 'string' || !isValidDate(c.value))) {
    throw bad('birth_date takes eq, lt, gt, le or ge and a yyyy-mm-dd date', 'birth_date nhận eq, lt, gt, le, ge và ngày yyyy-mm-dd');
  }
}

/** Checks a condition tree and splits off what bounds the search. */
export function compile(filter: Condition): CompiledQuery {
  checkTerm(filter, true);
  const top = topLevel(filter).filter((c): c is Extract<Condition, { kind: 'term' }> => c.kind === 'term');
  const communeTerms = top.filter((t) => t.attribute === 'commune_code');
  if (communeTerms.length !== 1)
    throw bad('the query needs exactly one commune_code term (eq or in)', 'truy vấn cần đúng một điều kiện commune_code (eq hoặc in)');
  const communeValue = (only(communeTerms) ?? { value: undefined }).value;
  const communeCodes = Array.isArray(communeValue) ? communeValue : [communeValue];
  if (communeCodes.length === 0 || communeCodes.length > 50 || !communeCodes.every((c) => typeof c === 'string' && /^\d{5}$/.test(c))) {
    throw bad('commune_code must be 5-digit commune codes (at most 50)', 'commune_code phải là mã xã 5 chữ số (tối đa 50)');
  }
  const one = (attribute: string) => {
    const found = top.filter((t) => t.attribute === attribute);
    if (found.length > 1) throw bad(`${attribute} appears twice`, `${attribute} xuất hiện hai lần`);
    return found[0]?.value;
  };
  const group = one('group');
  if (group !== undefined && !BENEFICIARY_GROUPS.includes(group as BeneficiaryGroup)) {
    throw bad(`group must be one of ${BENEFICIARY_GROUPS.join(', ')}`, `group phải là một trong ${BENEFICIARY_GROUPS.join(', ')}`);
  }
  const programCode = one('program_code');
  if (programCode !== undefined && (typeof programCode !== 'string' || programCode === ''))
    throw bad('program_code must be a text', 'program_code phải là chuỗi');
  return {
    communeCodes: [...new Set(communeCodes as string[])],
    group: group as BeneficiaryGroup | undefined,
    programCode,
    filter,
  };
}

/** What a person offers to the person attributes of a query. */
export interface Candidate {
  sex: 'MALE' | 'FEMALE';
  dateOfBirth: string;
  fullName: string;
}

/** Lower-case without Vietnamese accents, so "nguyen" finds "Nguyễn" (as the registry's own name search does). */
export const foldName = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd').replace(/Đ/g, 'd').toLowerCase();

function compare(a: string, op: Operator, b: string): boolean {
  if (op === 'eq') return a === b;
  if (op === 'lt') return a < b;
  if (op === 'gt') return a > b;
  if (op === 'le') return a <= b;
  if (op === 'ge') return a >= b;
  return false;
}

/** Whether a person found satisfies the tree (bounding terms hold already: the database applied them). */
export function matches(c: Condition, p: Candidate): boolean {
  if (c.kind === 'not') return !matches(c.term, p);
  if (c.kind !== 'term') return c.kind === 'and' ? c.terms.every((t) => matches(t, p)) : c.terms.some((t) => matches(t, p));
  if (BOUNDING_ATTRIBUTES.has(c.attribute)) return true;
  if (c.attribute === 'sex') return p.sex === String(c.value).toUpperCase();
  if (c.attribute === 'name') return foldName(p.fullName).includes(foldName(String(c.value).trim()));
  return compare(p.dateOfBirth, c.operator, String(c.value));
}

/** The sort attributes offered, each with its comparison. */
export const SORT_ATTRIBUTES = ['name', 'birth_date'] as const;
