/**
 * The registry's root fields compiled to one SQL statement each (the mechanism: src/graphql/compiled/).
 *
 * A selection becomes one text expression that PostgreSQL evaluates to the JSON the executor would send,
 * byte for byte: keys are the response names in selection order, with no spaces (so objects and lists are
 * concatenated text, not json_build_object/json_agg, whose output has spaces); strings and dates go through
 * to_json (JSON escaping; dates as yyyy-mm-dd); numbers as their digits; enums as their names; nulls as
 * null; the cursor as the resolvers encode it. Lists keep the loaders' order, members and heads of other
 * communes are left out as the loaders leave them out, and identification numbers are masked as
 * maskNationalId masks them (province prefix, six stars, last three digits) unless the caller sees them.
 *
 * The statement text depends on the document only (and, for `beneficiaries`, on which optional filters
 * are given): the caller's communes, the masking and the arguments are bound parameters.
 */
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Clock } from '../../clock.js';
import type { DbOrTx } from '../../db/client.js';
import { prepareNamed } from '../../db/prepared.js';
import { households, persons, povertyAssessments } from '../../db/schema/index.js';
import { isUuid } from '../../errors.js';
import type { ReadAccess } from '../../graphql/compiled/access.js';
import { graphql } from '../../graphql/compiled/graphql-runtime.js';
import type { ArgumentsOf, CompiledRoot, RootCompiler } from '../../graphql/compiled/hook.js';
import type { FieldPlan } from '../../graphql/compiled/plan.js';
import { isValidDate } from '../../core/period.js';
import type { PlacesService } from '../places/places.service.js';
import { HIV_PROGRAMS } from '../auth/access-policy.js';
import { BENEFICIARY_GROUPS, type BeneficiaryGroup } from '../../core/code-lists.js';
import { groupCondition, livingOn } from '../../db/beneficiary-groups.js';
import { forEachResidenceBranch, latestPersonsOn, noEarlierPeriodOn, pageOfPersonsOn, personsOn } from '../../db/residence.js';
import { beneficiaryWhere, likeEscape, personCircumstanceTables, type BeneficiaryFilter, type PersonCircumstance } from './registry.repository.js';
import { MAX_PAGE_SIZE } from './registry.service.js';

class Unsupported extends Error {}

/**
 * A value of the statement bound per request. The shared SQL fragments (beneficiary-groups.ts,
 * registry.repository.ts) take their values as strings and put them in `${…}`; a Drizzle placeholder goes
 * in the same place and becomes a parameter of the prepared statement, so the fragments serve unchanged.
 */
const bound = (name: string): string => sql.placeholder(name) as unknown as string;
const param = (name: string): SQL => sql`${sql.placeholder(name)}`;

/** A field with an `asOf` argument, bound per request under `name`. */
interface DatedField {
  name: string;
  plan: FieldPlan;
}

/** Fresh table aliases within one statement, and the dated fields met while building it. */
class Aliases {
  private n = 0;
  readonly dated: DatedField[] = [];
  next(prefix: string): string {
    return `${prefix}${++this.n}`;
  }
  /** The bound name of this field's `asOf` (its argument, or today, checked per request). */
  asOf(plan: FieldPlan): string {
    const name = `asOf_${this.dated.length + 1}`;
    this.dated.push({ name, plan });
    return bound(name);
  }
}

/** The values of the dated fields for this request, or undefined when the executor must answer. */
function datedValues(dated: readonly DatedField[], argumentsOf: ArgumentsOf, today: () => string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const { name, plan } of dated) {
    const args = argumentsOf(plan);
    if (!args) return undefined;
    // today() formats a date in the district's time zone (Intl, a few µs): only when a field needs it.
    const asOf = typeof args.asOf === 'string' ? args.asOf : today();
    // The loader's own check (Person.groups): a Date argument is valid already, today is too.
    if (!isValidDate(asOf)) return undefined;
    out[name] = asOf;
  }
  return out;
}

/** A SQL string literal of text we produce (keys are GraphQL names: letters, digits, underscores). */
const literal = (text: string): SQL => sql.raw(`'${text.replace(/'/g, "''")}'`);

/** concat() of text pieces; PostgreSQL functions take at most 100 arguments, so long lists nest. */
function concatText(parts: SQL[]): SQL {
  if (parts.length <= 90) return sql`concat(${sql.join(parts, sql`, `)})`;
  const chunks: SQL[] = [];
  for (let i = 0; i < parts.length; i += 90) chunks.push(concatText(parts.slice(i, i + 90)));
  return concatText(chunks);
}

const column = (alias: string, col: PgColumn): SQL => sql.raw(`${alias}."${col.name}"`);
const orNull = (value: SQL): SQL => sql`COALESCE(${value}, 'null')`;

/** The JSON text of one column, as the executor serialises the field (see the file comment). */
function scalarJson(col: PgColumn, alias: string, plan: FieldPlan): SQL {
  const ref = column(alias, col);
  let text: SQL;
  switch (col.columnType) {
    case 'PgInteger':
    case 'PgSmallInt':
    case 'PgBigInt53':
      text = sql`${ref}::text`;
      break;
    case 'PgBoolean':
      text = sql`CASE WHEN ${ref} THEN 'true' WHEN NOT ${ref} THEN 'false' END`;
      break;
    case 'PgText':
    case 'PgUUID':
    case 'PgDateString':
    case 'PgArray':
      text = sql`to_json(${ref})::text`;
      break;
    default:
      throw new Unsupported();
  }
  return plan.field && graphql.isNonNullType(plan.field.type) ? text : orNull(text);
}

type FieldSql = (plan: FieldPlan, alias: string, aliases: Aliases) => SQL;

/** A GraphQL object over a table row: its columns by their TypeScript names, plus computed fields. */
interface ObjectSpec {
  typeName: string;
  table: PgTable;
  /** Columns the executor does not answer as they are (or that are not in the type). */
  hidden?: readonly string[];
  computed: Record<string, FieldSql>;
}

function objectJson(spec: ObjectSpec, children: readonly FieldPlan[], alias: string, aliases: Aliases): SQL {
  const columns = getTableColumns(spec.table);
  const parts: SQL[] = [];
  children.forEach((child, i) => {
    parts.push(literal(`${i === 0 ? '{' : ','}"${child.responseName}":`));
    const computed = spec.computed[child.fieldName];
    const col = columns[child.fieldName];
    if (child.fieldName === '__typename') parts.push(literal(`"${spec.typeName}"`));
    else if (computed) parts.push(computed(child, alias, aliases));
    else if (col && !spec.hidden?.includes(child.fieldName) && child.children.length === 0) parts.push(scalarJson(col, alias, child));
    else throw new Unsupported();
  });
  parts.push(literal('}'));
  return concatText(parts);
}

/** A JSON list of the rows of `table` (or of `from`, a row source with its columns) matching `where`, in `order`. */
function listJson(
  spec: ObjectSpec,
  plan: FieldPlan,
  aliases: Aliases,
  where: (alias: string) => SQL,
  order: (alias: string) => SQL,
  from: SQL = sql`${spec.table}`,
): SQL {
  const a = aliases.next('l');
  const item = objectJson(spec, plan.children, a, aliases);
  return sql`COALESCE((SELECT '[' || string_agg(${item}, ',' ORDER BY ${order(a)}) || ']' FROM ${from} ${sql.raw(a)} WHERE ${where(a)}), '[]')`;
}

/** The one row of `table` matching `where`, or null. */
function rowJson(spec: ObjectSpec, plan: FieldPlan, aliases: Aliases, where: (alias: string) => SQL): SQL {
  const a = aliases.next('r');
  return orNull(sql`(SELECT ${objectJson(spec, plan.children, a, aliases)} FROM ${spec.table} ${sql.raw(a)} WHERE ${where(a)})`);
}

// ---------------------------------------------------------------------------------------------
// The registry's types
// ---------------------------------------------------------------------------------------------

/** People of the caller's communes (all when the bound `communes` is null): the loaders' `visible`. */
const visiblePerson = (alias: string): SQL =>
  sql`(${param('communes')}::text[] IS NULL OR ${column(alias, persons.communeCode)} = ANY(${param('communes')}::text[]))`;

/** maskNationalId in SQL, applied unless the bound `fullNationalId` is true. */
const nationalIdJson: FieldSql = (_plan, alias) => {
  const id = column(alias, persons.nationalId);
  return sql`CASE WHEN ${id} IS NULL THEN 'null' WHEN ${param('fullNationalId')}::boolean THEN to_json(${id})::text
    ELSE to_json(left(${id}, 3) || '******' || substr(${id}, 10))::text END`;
};

/** The per-person lists, with the repository's tables and orders (personCircumstanceTables). */
const CIRCUMSTANCE_TYPES: Record<PersonCircumstance, string> = {
  disabilityCertificates: 'DisabilityCertificate',
  meritRecords: 'MeritRecord',
  pensionStatuses: 'PensionStatus',
  pregnancies: 'Pregnancy',
};
/**
 * Person.groups: the groups the person is in on asOf, in BENEFICIARY_GROUPS order, from the same conditions
 * as the loader (findGroupsOfPersons). The conditions read a person row named `p`.
 */
function groupsJson(alias: string, asOf: string): SQL {
  const cases = BENEFICIARY_GROUPS.map((g) => sql`CASE WHEN ${livingOn(asOf)} AND ${groupCondition(g, asOf)} THEN ${literal(`"${g}"`)} END`);
  // The person as they lived on asOf (their household that day), as the loader reads them: someone not living in
  // the district that day is in no group.
  return sql`COALESCE((SELECT concat('[', concat_ws(',', ${sql.join(cases, sql`, `)}), ']')
    FROM ${personsOn(asOf)} p WHERE p.id = ${sql.raw(`${alias}.id`)}), '[]')`;
}

const circumstanceSpecs = (Object.keys(CIRCUMSTANCE_TYPES) as PersonCircumstance[]).map((field) => {
  const { table, order } = personCircumstanceTables[field];
  const spec: ObjectSpec = { typeName: CIRCUMSTANCE_TYPES[field], table, computed: {} };
  return { field, spec, order };
});

const povertyAssessmentSpec: ObjectSpec = {
  typeName: 'PovertyAssessment',
  table: povertyAssessments,
  hidden: ['householdId', 'createdAt'],
  computed: {},
};

const personSpec: ObjectSpec = {
  typeName: 'Person',
  table: persons,
  hidden: ['fullNameSearch', 'householdId', 'createdAt', 'updatedAt'],
  computed: {
    nationalId: nationalIdJson,
    groups: (plan, alias, aliases) => groupsJson(alias, aliases.asOf(plan)),
    household: (plan, alias, aliases) => rowJson(householdSpec, plan, aliases, (h) => sql`${column(h, households.id)} = ${column(alias, persons.householdId)}`),
  },
};
// Withdrawn records (recorded wrongly) are no longer the person's: the same filter as the repository and prefetch.
for (const { field, spec, order } of circumstanceSpecs) {
  personSpec.computed[field] = (plan, alias, aliases) =>
    listJson(
      spec,
      plan,
      aliases,
      (x) => sql.raw(`${x}.person_id = ${alias}.id AND ${x}.withdrawn_at IS NULL`),
      (x) => column(x, order),
    );
}

const householdSpec: ObjectSpec = {
  typeName: 'Household',
  table: households,
  hidden: ['headPersonId', 'createdAt', 'updatedAt'],
  computed: {
    head: (plan, alias, aliases) =>
      rowJson(personSpec, plan, aliases, (p) => sql`${column(p, persons.id)} = ${column(alias, households.headPersonId)} AND ${visiblePerson(p)}`),
    // The people living in the household on the field's day (today unless asked), as findMembersOfHouseholds.
    members: (plan, alias, aliases) =>
      listJson(
        personSpec,
        plan,
        aliases,
        (m) => sql`${column(m, persons.householdId)} = ${column(alias, households.id)} AND ${visiblePerson(m)}`,
        (m) => sql`${column(m, persons.dateOfBirth)}, ${column(m, persons.id)}`,
        // Without an argument the day is today, when only latest periods can be in force (src/db/residence.ts).
        plan.arguments.length === 0 ? latestPersonsOn(aliases.asOf(plan)) : personsOn(aliases.asOf(plan)),
      ),
    povertyAssessments: (plan, alias, aliases) =>
      listJson(
        povertyAssessmentSpec,
        plan,
        aliases,
        (pa) => sql`${column(pa, povertyAssessments.householdId)} = ${column(alias, households.id)}`,
        (pa) => sql`${column(pa, povertyAssessments.assessedOn)}, ${column(pa, povertyAssessments.createdAt)}`,
      ),
  },
};

/** `{"data":{"<root>":…}}` */
const response = (root: FieldPlan, value: SQL): SQL => concatText([literal(`{"data":{"${root.responseName}":`), value, literal('}}')]);

// ---------------------------------------------------------------------------------------------
// Root fields
// ---------------------------------------------------------------------------------------------

export interface CompiledRegistryDeps {
  db: DbOrTx;
  places: Pick<PlacesService, 'get' | 'communesOn' | 'predecessors'>;
  clock: Clock;
}

type Runner = (values: Record<string, unknown>) => Promise<Record<string, unknown>[]>;

async function bodyOf(run: Runner, values: Record<string, unknown>): Promise<string | undefined> {
  const [row] = await run(values);
  const body = row?.body;
  return typeof body === 'string' ? body : undefined;
}

const accessValues = (access: ReadAccess) => ({ communes: access.communes, fullNationalId: access.fullNationalId });
/**
 * The access for the people as the rows give them (members and heads today, root people as recorded): as of
 * today, as the registry service's callerToday.
 */
const accessToday = (deps: CompiledRegistryDeps, access: ReadAccess) => access.on(deps.clock.today(), deps.places.communesOn);

/** A root that reads one row of `spec.table` by a key, or null (then, or when forbidden, the executor answers). */
function singleRow(deps: CompiledRegistryDeps, root: FieldPlan, spec: ObjectSpec, where: (alias: string) => SQL, visible: (alias: string) => SQL) {
  const aliases = new Aliases();
  const a = aliases.next('root');
  const value = objectJson(spec, root.children, a, aliases);
  // A row outside the caller's communes gives a NULL body: the executor then answers FORBIDDEN.
  const run = prepareNamed(
    deps.db,
    sql`SELECT CASE WHEN ${visible(a)} THEN ${response(root, value)} END AS body FROM ${spec.table} ${sql.raw(a)} WHERE ${where(a)}`,
  );
  /** Runs with the request's values, adding the dated fields' dates (or gives the request to the executor). */
  return (values: Record<string, unknown>, argumentsOf: ArgumentsOf): Promise<string | undefined> => {
    const dates = datedValues(aliases.dated, argumentsOf, () => deps.clock.today());
    return dates ? bodyOf(run, { ...values, ...dates }) : Promise.resolve(undefined);
  };
}

const compilePerson =
  (deps: CompiledRegistryDeps) =>
  (root: FieldPlan): CompiledRoot => {
    const run = singleRow(deps, root, personSpec, (p) => sql`${column(p, persons.id)} = ${param('id')}::uuid`, visiblePerson);
    return {
      run: (args, access, argumentsOf) => {
        const id = args.id;
        if (typeof id !== 'string' || !isUuid(id)) return Promise.resolve(undefined);
        return run({ id, ...accessValues(accessToday(deps, access)) }, argumentsOf);
      },
    };
  };

const compilePersonByNationalId =
  (deps: CompiledRegistryDeps) =>
  (root: FieldPlan): CompiledRoot => {
    const run = singleRow(deps, root, personSpec, (p) => sql`${column(p, persons.nationalId)} = ${param('nationalId')}`, visiblePerson);
    return {
      run: (args, access, argumentsOf) => {
        const nationalId = args.nationalId;
        if (typeof nationalId !== 'string' || !/^\d{12}$/.test(nationalId)) return Promise.resolve(undefined);
        return run({ nationalId, ...accessValues(accessToday(deps, access)) }, argumentsOf);
      },
    };
  };

const compileHousehold =
  (deps: CompiledRegistryDeps) =>
  (root: FieldPlan): CompiledRoot => {
    const visible = (h: string) => sql`(${param('communes')}::text[] IS NULL OR ${column(h, households.communeCode)} = ANY(${param('communes')}::text[]))`;
    const byId = singleRow(deps, root, householdSpec, (h) => sql`${column(h, households.id)} = ${param('id')}::uuid`, visible);
    const byCode = singleRow(deps, root, householdSpec, (h) => sql`${column(h, households.code)} = ${param('code')}`, visible);
    return {
      run: (args, access, argumentsOf) => {
        const { id, code } = args;
        // As the resolver: exactly one of id or code (by truthiness), and the id a UUID.
        if (!id === !code) return Promise.resolve(undefined);
        const today = accessValues(accessToday(deps, access));
        if (id) return typeof id === 'string' && isUuid(id) ? byId({ id, ...today }, argumentsOf) : Promise.resolve(undefined);
        return typeof code === 'string' ? byCode({ code, ...today }, argumentsOf) : Promise.resolve(undefined);
      },
    };
  };

/** The resolvers' cursor, base64url('p:' || id) without padding, computed in SQL. */
const cursorJson = (alias: string): SQL =>
  sql.raw(`'"' || rtrim(translate(encode(convert_to('p:' || ${alias}.id::text, 'UTF8'), 'base64'), '+/', '-_'), '=') || '"'`);

/** Coerced argument values: a string, or undefined for null and absent (as the resolvers' `??`). */
const optionalString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The resolvers' decodeCursor: the id, or undefined for a cursor the executor refuses. */
function cursorId(cursor: string): string | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith('p:') ? text.slice(2) : '';
  return isUuid(id) ? id : undefined;
}

interface PageShape {
  /** The commune is a successor of the 2025 merger (BeneficiaryFilter.coversPredecessors). */
  merged: boolean;
  /** asOf is today or later: the person table alone answers (BeneficiaryFilter.latestOnly). */
  latestOnly: boolean;
  group: BeneficiaryGroup | undefined;
  program: boolean;
  search: boolean;
  after: boolean;
}

/** The connection object over the CTEs `page` (first + 1 rows) and `shown` (first rows). */
function connectionJson(root: FieldPlan, where: SQL, aliases: Aliases, latestOnly: boolean): SQL {
  const personList = (plan: FieldPlan, asEdge: boolean): SQL => {
    const s = aliases.next('s');
    let item: SQL;
    if (asEdge) {
      const parts: SQL[] = [];
      plan.children.forEach((c, i) => {
        parts.push(literal(`${i === 0 ? '{' : ','}"${c.responseName}":`));
        if (c.fieldName === '__typename') parts.push(literal('"BeneficiaryEdge"'));
        else if (c.fieldName === 'cursor') parts.push(cursorJson(s));
        else if (c.fieldName === 'node') parts.push(objectJson(personSpec, c.children, s, aliases));
        else throw new Unsupported();
      });
      parts.push(literal('}'));
      item = concatText(parts);
    } else item = objectJson(personSpec, plan.children, s, aliases);
    return sql`COALESCE((SELECT '[' || string_agg(${item}, ',' ORDER BY ${sql.raw(s)}.id) || ']' FROM shown ${sql.raw(s)}), '[]')`;
  };
  const pageInfo = (plan: FieldPlan): SQL => {
    const parts: SQL[] = [];
    plan.children.forEach((c, i) => {
      parts.push(literal(`${i === 0 ? '{' : ','}"${c.responseName}":`));
      if (c.fieldName === '__typename') parts.push(literal('"PageInfo"'));
      else if (c.fieldName === 'hasNextPage') parts.push(sql`CASE WHEN (SELECT count(*) FROM page) > ${param('first')}::int THEN 'true' ELSE 'false' END`);
      else if (c.fieldName === 'endCursor') parts.push(sql`COALESCE((SELECT ${cursorJson('e')} FROM shown e ORDER BY e.id DESC LIMIT 1), 'null')`);
      else throw new Unsupported();
    });
    parts.push(literal('}'));
    return concatText(parts);
  };
  const parts: SQL[] = [];
  root.children.forEach((c, i) => {
    parts.push(literal(`${i === 0 ? '{' : ','}"${c.responseName}":`));
    if (c.fieldName === '__typename') parts.push(literal('"BeneficiaryConnection"'));
    else if (c.fieldName === 'totalCount')
      parts.push(
        sql`(SELECT sum(b.n) FROM (${forEachResidenceBranch(bound('asOf'), (from) => sql`SELECT count(*) AS n FROM ${from} WHERE ${where}`, latestOnly)}) b)::text`,
      );
    else if (c.fieldName === 'pageInfo') parts.push(pageInfo(c));
    else if (c.fieldName === 'nodes') parts.push(personList(c, false));
    else if (c.fieldName === 'edges') parts.push(personList(c, true));
    else throw new Unsupported();
  });
  parts.push(literal('}'));
  return concatText(parts);
}

function pageStatement(root: FieldPlan, shape: PageShape, aliases: Aliases): SQL {
  const filter: BeneficiaryFilter = {
    communeCode: bound('communeCode'),
    group: shape.group,
    programCode: shape.program ? bound('programCode') : undefined,
    search: shape.search ? bound('search') : undefined,
    asOf: bound('asOf'),
    coversPredecessors: shape.merged,
    latestOnly: shape.latestOnly,
  };
  const where = () => beneficiaryWhere(filter, sql.placeholder('search'));
  const after = shape.after ? sql` AND p.id > ${param('after')}::uuid` : sql``;
  return sql`WITH page AS (
      SELECT p.* FROM ${pageOfPersonsOn(filter.asOf, sql`${where()}${after}`, sql`${param('limit')}::int`, shape.latestOnly)} p
    ), shown AS (SELECT * FROM page ORDER BY id LIMIT ${param('first')}::int)
    SELECT ${response(root, connectionJson(root, where(), aliases, shape.latestOnly))} AS body`;
}

const compileBeneficiaries =
  (deps: CompiledRegistryDeps) =>
  (root: FieldPlan): CompiledRoot => {
    // Built now for the shape of the request that compiles the document, and once for each further shape of
    // the optional filters (at most 2 × 8 × 2 × 2 × 2): all shapes are checked to compile here, so an unsupported
    // selection is known before the first request.
    const runners = new Map<string, Runner>();
    const shapeKey = (s: PageShape) =>
      `${s.merged ? 1 : 0}${s.latestOnly ? 1 : 0}|${s.group ?? ''}|${s.program ? 1 : 0}|${s.search ? 1 : 0}|${s.after ? 1 : 0}`;
    // The dated fields are the same for every shape (the filters are not part of the selection).
    const { dated } = (() => {
      const aliases = new Aliases();
      pageStatement(root, { merged: false, latestOnly: false, group: undefined, program: false, search: false, after: false }, aliases);
      return aliases;
    })();
    const runnerFor = (shape: PageShape): Runner => {
      const key = shapeKey(shape);
      let run = runners.get(key);
      if (!run) runners.set(key, (run = prepareNamed(deps.db, pageStatement(root, shape, new Aliases()))));
      return run;
    };
    return {
      run: (args, access, argumentsOf) => {
        // The resolver's checks, in its order; any failure is its error to give.
        const communeCode = args.communeCode;
        if (typeof communeCode !== 'string' || deps.places.get(communeCode)?.level !== 'COMMUNE') return Promise.resolve(undefined);
        const first = typeof args.first === 'number' ? args.first : 50;
        if (first < 1 || first > MAX_PAGE_SIZE) return Promise.resolve(undefined);
        const trimmed = optionalString(args.search)?.trim();
        const search = trimmed === '' ? undefined : trimmed;
        if (search && search.length > 100) return Promise.resolve(undefined);
        const asOf = optionalString(args.asOf) ?? deps.clock.today();
        // As the service: the list's commune as of asOf, the nested people as of today.
        if (!access.on(asOf, deps.places.communesOn).mayReadCommune(communeCode)) return Promise.resolve(undefined);
        const after = optionalString(args.after);
        const afterId = after ? cursorId(after) : undefined;
        if (after && !afterId) return Promise.resolve(undefined);
        const group = BENEFICIARY_GROUPS.find((g) => g === args.group);
        if (args.group != null && !group) return Promise.resolve(undefined);
        const programCode = optionalString(args.programCode);
        // An HIV program's list for a caller without HIV sight is the service's to answer (empty).
        if (programCode && HIV_PROGRAMS.has(programCode) && !access.seesHiv) return Promise.resolve(undefined);
        const merged = deps.places.predecessors(communeCode).length > 0;
        const shape: PageShape = {
          merged,
          latestOnly: noEarlierPeriodOn(asOf, deps.clock.today()),
          group,
          program: !!programCode,
          search: !!search,
          after: !!afterId,
        };
        const dates = datedValues(dated, argumentsOf, () => deps.clock.today());
        if (!dates) return Promise.resolve(undefined);
        return bodyOf(runnerFor(shape), {
          ...dates,
          communeCode,
          asOf,
          programCode,
          search: search && likeEscape(search),
          after: afterId,
          first,
          limit: first + 1,
          ...accessValues(accessToday(deps, access)),
        });
      },
    };
  };

/** The registry's compilers by root field; each throws nothing: an unsupported selection gives undefined. */
export function registryCompiledRoots(deps: CompiledRegistryDeps): Record<string, RootCompiler> {
  const guard = (compile: (root: FieldPlan) => CompiledRoot) => (root: FieldPlan) => {
    try {
      return compile(root);
    } catch (err) {
      if (err instanceof Unsupported) return undefined;
      throw err;
    }
  };
  return {
    person: guard(compilePerson(deps)),
    personByNationalId: guard(compilePersonByNationalId(deps)),
    household: guard(compileHousehold(deps)),
    beneficiaries: guard(compileBeneficiaries(deps)),
  };
}
