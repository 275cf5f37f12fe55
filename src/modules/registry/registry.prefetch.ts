/**
 * Prefetching the nested fields of people in the statement that reads the people.
 *
 * Loaders already make a page cost a constant number of statements, but each nested level is another round
 * trip: a commune page with household, poverty assessments and three circumstance lists was six statements.
 * Measured on the national data set (bench/), the round trips, not the Node code, were most of the gap to
 * a single hand-written statement. So the hot root fields (`beneficiaries`, `personByNationalId`)
 * look at what the query selects under each person and add those lists to their own statement as JSON
 * columns; those fields then answer from the prefetched values, and the loaders only go to the database
 * for what was not prefetched (other root fields, deeper levels, fields with arguments). The same ordering and visibility
 * rules apply either way, so a response does not depend on which path produced it.
 *
 * Prefetched values ride on the row under a symbol, so they never leak into a response or a cache key.
 */
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { Kind, type FieldNode, type GraphQLObjectType, type GraphQLResolveInfo, type GraphQLSchema, type SelectionSetNode } from 'graphql';
import type { MercuriusContext } from 'mercurius';
import { disabilityCertificates, households, meritRecords, pensionStatuses, persons, povertyAssessments, pregnancies } from '../../db/schema/index.js';
import { latestPersonsOn } from '../../db/residence.js';
import { filterVisible, principalOn } from '../auth/access-policy.js';

/** The per-person circumstance lists (the repository's findCircumstances reads the same ones). */
export type PersonCircumstance = 'disabilityCertificates' | 'meritRecords' | 'pensionStatuses' | 'pregnancies';

export const PREFETCHED: unique symbol = Symbol('prefetched');

/** Which nested lists to read with the people. */
export interface PersonInclude {
  /**
   * `members` is prefetched only when selected without arguments, i.e. for today (Household.members(asOf) with
   * a date goes to the loader).
   */
  household?: { povertyAssessments: boolean; members: boolean };
  circumstances: PersonCircumstance[];
  /** The day whose household members are read (today, from the service's clock: withMembersOn); bound, not inlined. */
  membersOn?: string;
}

/** The include with the day its prefetched members are read on (who lived in the household then). */
export function withMembersOn(include: PersonInclude | undefined, today: string): PersonInclude | undefined {
  return include?.household?.members ? { ...include, membersOn: today } : include;
}

type Prefetched = Record<string, unknown>;
interface WithPrefetch {
  [PREFETCHED]?: Prefetched;
}

/** The per-person lists and their order: the same as the repository's loader queries (findCircumstances). */
const CIRCUMSTANCE_TABLES: Record<PersonCircumstance, { table: PgTable; order: string }> = {
  disabilityCertificates: { table: disabilityCertificates, order: disabilityCertificates.issuedOn.name },
  meritRecords: { table: meritRecords, order: meritRecords.recognizedOn.name },
  pensionStatuses: { table: pensionStatuses, order: pensionStatuses.startsOn.name },
  pregnancies: { table: pregnancies, order: pregnancies.reportedOn.name },
};
const CIRCUMSTANCES = Object.keys(CIRCUMSTANCE_TABLES) as PersonCircumstance[];

// ---------------------------------------------------------------------------------------------
// What the query selects
// ---------------------------------------------------------------------------------------------

/** The fields selected under some field nodes, by name, through fragments. (Skipped fields are fetched anyway: harmless.) */
function childFields(nodes: readonly FieldNode[], info: GraphQLResolveInfo): Map<string, FieldNode[]> {
  const out = new Map<string, FieldNode[]>();
  const walk = (set: SelectionSetNode | undefined) => {
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) {
        const list = out.get(s.name.value);
        if (list) list.push(s);
        else out.set(s.name.value, [s]);
      } else if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet);
      // The only other kind of selection: a fragment spread.
      else walk(info.fragments[s.name.value]?.selectionSet);
    }
  };
  for (const n of nodes) walk(n.selectionSet);
  return out;
}

/** Person fields selected at `paths` below the current field (e.g. ['nodes'] and ['edges', 'node']). */
export function personIncludeOf(info: GraphQLResolveInfo, ...paths: string[][]): PersonInclude {
  const personNodes: FieldNode[] = [];
  for (const p of paths) {
    let nodes: readonly FieldNode[] = info.fieldNodes;
    for (const name of p) nodes = childFields(nodes, info).get(name) ?? [];
    personNodes.push(...nodes);
  }
  const fields = childFields(personNodes, info);
  const include: PersonInclude = { circumstances: CIRCUMSTANCES.filter((c) => fields.has(c)) };
  const household = fields.get('household');
  if (household) {
    const h = childFields(household, info);
    const members = h.get('members');
    include.household = { povertyAssessments: h.has('povertyAssessments'), members: !!members && members.every((m) => !m.arguments?.length) };
  }
  return include;
}

// ---------------------------------------------------------------------------------------------
// SQL: JSON columns over a person row aliased `p`
// ---------------------------------------------------------------------------------------------

/** The person fields a member carries (the repository's PersonRecord). */
const PERSON_FIELDS = [
  'id',
  'nationalId',
  'fullName',
  'dateOfBirth',
  'sex',
  'ethnicity',
  'communeCode',
  'householdId',
  'relationToHead',
  'dateOfDeath',
] as const;

/**
 * json_build_object of the given columns of `alias`, keyed by their TypeScript names (as Drizzle returns
 * rows), plus `extra` key/value pairs. Keys and names come from the schema, never from a request.
 */
function jsonRow(table: PgTable, alias: string, only?: readonly string[], extra: SQL[] = []): SQL {
  const columns = Object.entries(getTableColumns(table)).filter(([key]) => !only || only.includes(key));
  const pairs = [...columns.map(([key, col]) => sql.raw(`'${key}', ${alias}."${col.name}"`)), ...extra];
  return sql`json_build_object(${sql.join(pairs, sql.raw(', '))})`;
}

/** `from` replaces the table as the row source (same columns), e.g. personsOn(d) for the people of a day. */
function jsonList(table: PgTable, alias: string, where: SQL, orderBy: SQL, only?: readonly string[], from: SQL = sql`${table}`): SQL {
  return sql`COALESCE((SELECT json_agg(${jsonRow(table, alias, only)} ORDER BY ${orderBy}) FROM ${from} ${sql.raw(alias)} WHERE ${where}), '[]'::json)`;
}

/** Built once per shape of `include` (a handful exist): building it is a visible part of a request's CPU. */
const columnsByShape = new Map<string, SQL>();

/** Extra select-list columns (`pf_<field>`) for the included lists of the person row `p`. */
export function includeColumns(include: PersonInclude | undefined): SQL {
  if (!include) return sql``;
  const h = include.household;
  const shape = `${include.circumstances.join(',')}|${h ? `${h.povertyAssessments}${h.members}` : ''}`;
  let columns = columnsByShape.get(shape);
  if (!columns) {
    columnsByShape.set(shape, (columns = buildIncludeColumns(include)));
  }
  return columns;
}

function buildIncludeColumns(include: PersonInclude): SQL {
  const cols: SQL[] = [];
  for (const kind of include.circumstances) {
    const { table, order } = CIRCUMSTANCE_TABLES[kind];
    // Withdrawn records (recorded wrongly) are left out, as in findCircumstances.
    cols.push(
      sql`${jsonList(table, 'x', sql.raw('x.person_id = p.id AND x.withdrawn_at IS NULL'), sql.raw(`x."${order}"`))} AS ${sql.identifier(`pf_${kind}`)}`,
    );
  }
  if (include.household) {
    const extra: SQL[] = [];
    if (include.household.povertyAssessments) {
      extra.push(sql`'povertyAssessments', ${jsonList(povertyAssessments, 'pa', sql.raw('pa.household_id = h.id'), sql.raw('pa.assessed_on, pa.created_at'))}`);
    }
    if (include.household.members) {
      // The people living in the household on the bound day (today), as findMembersOfHouseholds reads them. A
      // placeholder, so the columns built once per shape serve every day (includeValues binds it).
      const members = jsonList(
        persons,
        'm',
        sql.raw('m.household_id = h.id'),
        sql.raw('m.date_of_birth, m.id'),
        PERSON_FIELDS,
        // Prefetched only for today (no argument), when only latest periods can be in force (src/db/residence.ts).
        latestPersonsOn(sql`${sql.placeholder('membersOn')}`),
      );
      extra.push(sql`'members', ${members}`);
    }
    // One JSON object: the household's columns, plus its lists under their field names.
    cols.push(sql`(SELECT ${jsonRow(households, 'h', undefined, extra)} FROM households h WHERE h.id = p.household_id) AS "pf_household"`);
  }
  return cols.length ? sql`, ${sql.join(cols, sql`, `)}` : sql``;
}

/** The values of the placeholders of includeColumns(include), for executePrepared. */
export function includeValues(include: PersonInclude | undefined): Record<string, unknown> | undefined {
  if (!include?.household?.members) return undefined;
  if (!include.membersOn) throw new Error('PersonInclude.membersOn is needed to read household members');
  return { membersOn: include.membersOn };
}

// ---------------------------------------------------------------------------------------------
// Rows: JSON back to what the repository returns
// ---------------------------------------------------------------------------------------------

/** Timestamp columns come back from JSON as text; the repository's rows carry Dates. */
const timestampKeys = (table: PgTable) =>
  Object.entries(getTableColumns(table))
    .filter(([, c]) => c.columnType === 'PgTimestamp')
    .map(([k]) => k);
const TIMESTAMPS = new Map<string, string[]>([
  ['household', timestampKeys(households)],
  ['povertyAssessments', timestampKeys(povertyAssessments)],
  ...CIRCUMSTANCES.map((c) => [c, timestampKeys(CIRCUMSTANCE_TABLES[c].table)] as [string, string[]]),
]);

function reviveTimestamps<T extends Record<string, unknown>>(row: T, keys: string[] | undefined): T {
  for (const k of keys ?? []) {
    const value = row[k];
    if (typeof value === 'string') (row as Record<string, unknown>)[k] = new Date(value);
  }
  return row;
}

/** Moves the `pf_*` columns of a raw row into the person's prefetched values. */
export function attachPrefetched<T extends object>(person: T, raw: Record<string, unknown>, include: PersonInclude | undefined): T {
  if (!include) return person;
  const pre: Prefetched = {};
  for (const kind of include.circumstances) {
    pre[kind] = (raw[`pf_${kind}`] as Record<string, unknown>[]).map((r) => reviveTimestamps(r, TIMESTAMPS.get(kind)));
  }
  if (include.household) {
    const h = raw.pf_household as (Record<string, unknown> & { povertyAssessments?: Record<string, unknown>[]; members?: unknown[] }) | null;
    if (h) {
      const hpre: Prefetched = {};
      if (include.household.povertyAssessments)
        hpre.povertyAssessments = (h.povertyAssessments ?? []).map((r) => reviveTimestamps(r, TIMESTAMPS.get('povertyAssessments')));
      if (include.household.members) hpre.members = h.members;
      delete h.povertyAssessments;
      delete h.members;
      reviveTimestamps(h, TIMESTAMPS.get('household'));
      (h as WithPrefetch)[PREFETCHED] = hpre;
    }
    pre.household = h ?? null;
  }
  (person as WithPrefetch)[PREFETCHED] = pre;
  return person;
}

// ---------------------------------------------------------------------------------------------
// Fields that answer from prefetched values first
// ---------------------------------------------------------------------------------------------

const PREFETCHABLE: [type: string, field: string, post?: (ctx: MercuriusContext, v: unknown) => unknown][] = [
  ['Person', 'household'],
  ...CIRCUMSTANCES.map((c): [string, string] => ['Person', c]),
  ['Household', 'povertyAssessments'],
  // Members are people: the access policy's filter as of today, as in the loader (nested lists never leak another commune).
  [
    'Household',
    'members',
    (ctx, v) => filterVisible(principalOn(ctx.principal, ctx.services.clock.today(), ctx.services.places.communesOn), v as { communeCode: string }[]),
  ],
];

/**
 * Puts a check for a prefetched value in front of the loaders' resolvers (call once, after Mercurius has
 * defined the loaders, before the first query). Done on the resolver rather than inside the loader because
 * every loader call costs a stable stringification of the parent row for the loader's cache key: measured,
 * that was about a tenth of the Node time of a prefetched commune page.
 */
export function answerPrefetchedFirst(schema: GraphQLSchema): void {
  for (const [type, field, post] of PREFETCHABLE) {
    const f = (schema.getType(type) as GraphQLObjectType | undefined)?.getFields()[field];
    const load = f?.resolve;
    if (!f || !load) continue;
    f.resolve = (obj: WithPrefetch, args, ctx: MercuriusContext, info) => {
      const pre = obj[PREFETCHED];
      if (pre && field in pre) return post ? post(ctx, pre[field]) : pre[field];
      return load(obj, args, ctx, info);
    };
  }
}
