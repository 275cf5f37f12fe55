/**
 * Issue 14: schema-driven fuzzing of every query and mutation. The operations are derived from schema/*.graphql
 * with graphql's buildSchema, so a new root field is fuzzed without touching this file. Each run sends one
 * root field, as each of the roles in turn, with arguments mixing near-valid values (real ids and codes) and edge values
 * (control characters, lone surrogates, empty strings, huge and negative numbers, far and malformed dates and
 * months, long strings), all through variables, and asserts:
 *   - no HTTP 5xx and no INTERNAL error;
 *   - nothing written when a mutation is refused (row counts of the main tables and audit_events unchanged);
 *   - no 12-digit number and no name of the test's people in the captured log.
 * Bounded for CI: FUZZ_RUNS runs per operation and role (defaults below); the summary line prints operations × runs.
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import {
  buildSchema,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
} from 'graphql';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../src/logging.js';
import { loadSchemaText } from '../src/graphql/schema.js';
import { ROLES, type Role } from '../src/modules/auth/auth.types.js';
import { makeNationalId } from '../src/core/national-id.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';
import { DA_SAR, ENROL, household, ok } from './support/people.js';

/**
 * Runs per operation and role: FUZZ_RUNS, else sized to stay under a minute per database in CI (about 30 ms a run on
 * PostgreSQL, 120 ms on PGlite, mutations counting rows before and after).
 */
const runsPerRole = () => Number(process.env.FUZZ_RUNS ?? (t.db.database.kind === 'pglite' ? 2 : 4));

const schema = buildSchema(loadSchemaText());
type Root = 'query' | 'mutation';
const operations: { root: Root; field: GraphQLField<unknown, unknown> }[] = [
  ...Object.values(schema.getQueryType()!.getFields()).map((field) => ({ root: 'query' as const, field })),
  ...Object.values(schema.getMutationType()!.getFields()).map((field) => ({ root: 'mutation' as const, field })),
];

// ---- the log ---------------------------------------------------------------------------------------------
const lines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});
/** A 12-digit number standing alone (not the tail of a UUID or a longer number). */
const TWELVE_DIGITS = /(?<![\w-])\d{12}(?![\w-])/;
const FIXTURE_NAME = 'Ka Fuzz Nhung';
const FIXTURE_BIRTH = '1947-03-09';

// ---- fixtures the near-valid values point at ---------------------------------------------------------------
let t: TestApp;
const tokens = new Map<Role, string>();
const fixture = { personId: '', householdId: '', enrolmentId: '', nationalId: makeNationalId('068', 1947, 'FEMALE', 777001) };

beforeAll(async () => {
  t = await startTestApp({ logger: pino(loggerOptions('info'), sink) });
  fixture.householdId = await household(t);
  const p = await t.gql(`mutation($input: RegisterPersonInput!) { registerPerson(input: $input) { id } }`, {
    input: {
      nationalId: fixture.nationalId,
      fullName: FIXTURE_NAME,
      dateOfBirth: FIXTURE_BIRTH,
      sex: 'FEMALE',
      communeCode: DA_SAR,
      householdId: fixture.householdId,
      isHead: true,
    },
  });
  fixture.personId = ok(p, 'registerPerson').id;
  const officer = await t.token('commune_officer', [DA_SAR]);
  const e = await t.gql(
    ENROL,
    { input: { personId: fixture.personId, programCode: 'SOCIAL_PENSION', decisionNo: 'QĐ-FUZZ', decisionDate: '2025-01-10', startPeriod: '2025-02' } },
    officer,
  );
  fixture.enrolmentId = (e.body.data?.enrol?.id as string | undefined) ?? '00000000-0000-4000-8000-000000000000';
  for (const role of ROLES) tokens.set(role, await t.token(role, role === 'commune_officer' ? [DA_SAR] : [], role === 'integration' ? 'benefits:read' : ''));
  lines.length = 0;
}, 180_000);
afterAll(() => closeTestApp(t));

// ---- values ------------------------------------------------------------------------------------------------
const edgeString = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\u0007',
    '\u001B[31m',
    '\u007F',
    '\u0085',
    '\n',
    'x\ty',
    '\r\n',
    'Nguy\uD800n',
    '\uDC00',
    '\uD83D',
    'Nguye\u0302\u0303n',
    '😀',
    'Đạ Sar',
    '%',
    "'; DROP TABLE persons; --",
    '\\',
    '-1',
    '0',
    '1e309',
    'null',
    '{}',
    FIXTURE_NAME,
  ),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(41, 101, 201, 501, 2001, 20_000).map((n) => 'x'.repeat(n)),
  fc.constantFrom(201, 2001).map((n) => 'Ễ'.repeat(n)),
);
const DATES = [
  '2024-07-01',
  '2025-01-31',
  '1900-01-01',
  '2100-12-31',
  '1899-12-31',
  '2101-01-01',
  '9999-12-31',
  '0000-01-01',
  '10000-01-01',
  '2024-02-30',
  '2024-13-01',
  '2024-7-1',
  '-2024-01-01',
  '',
];
const PERIODS = ['2024-07', '2025-01', '1900-01', '2100-12', '1899-12', '2101-01', '9999-12', '0000-01', '10000-01', '2024-00', '2024-13', '2024-7', ''];
const dateValue = fc.oneof(
  fc.constantFrom(...DATES),
  fc.date({ min: new Date('1800-01-01'), max: new Date('2300-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
);
const periodValue = fc.oneof(
  fc.constantFrom(...PERIODS),
  dateValue.map((d) => d.slice(0, 7)),
);
// 2 ** 53, the first integer past the safe ones (2 ** 53 + 1 is no double: written out, it rounds to 2 ** 53).
const bigNumbers = fc.constantFrom(-1, 0, -2_147_483_648, 2_147_483_647, 2_147_483_648, -1e15, 1e20, Number.MAX_SAFE_INTEGER, 2 ** 53, 1.5, -0.5);
const intValue = fc.oneof(fc.integer({ min: -10, max: 600 }), bigNumbers);
const vndValue = fc.oneof(fc.integer({ min: -1_000_000, max: 10_000_000 }), bigNumbers);
const PROGRAMS = ['D20_5_1', 'D20_5_4', 'D20_5_5A', 'D20_5_5C', 'SOCIAL_PENSION', 'D39_BIRTH', 'MERIT_WAR_INVALID', 'NOPE'];
const COMMUNES = [DA_SAR, '24862', `${DA_SAR}.01`, '675', '68', '99999'];

/** Near-valid values by argument or input field name, so runs reach the services, not only the checks. */
function nearValid(name: string): fc.Arbitrary<unknown> | undefined {
  if (/^(personId|id|entityId)$/.test(name)) return fc.constantFrom(fixture.personId, fixture.enrolmentId, fixture.householdId);
  if (name === 'householdId') return fc.constantFrom(fixture.householdId, '');
  if (/communeCode|unitCode|parentCode|villageCode/.test(name)) return fc.constantFrom(...COMMUNES);
  if (name === 'programCode') return fc.constantFrom(...PROGRAMS);
  if (name === 'nationalId') return fc.constantFrom(fixture.nationalId, '068000000000', '12345');
  if (name === 'entityType') return fc.constantFrom('Person', 'Household', 'Enrolment');
  if (name === 'fullName') return fc.constantFrom(FIXTURE_NAME, 'Ka Fuzz Hơ');
  if (name === 'code') return fc.constantFrom(DA_SAR, 'D20_5_5A', 'FUZZ-HH-1');
  if (name === 'deprivations') return fc.constantFrom('HEALTH_INSURANCE', 'NUTRITION');
  if (name === 'after') return fc.constantFrom('', 'not-a-cursor', Buffer.from(`g:${fixture.personId}:D20_5_5A`).toString('base64url'));
  return undefined;
}

const uuid = fc.uuid();
/** A plausible value of a type, for leaves without a near-valid value by name. */
function validValue(type: GraphQLNamedType): fc.Arbitrary<unknown> {
  if (isEnumType(type)) return fc.constantFrom(...type.getValues().map((v) => v.name));
  switch (type.name) {
    case 'Date':
      return fc.constantFrom('2024-07-01', '2025-01-10', '1950-02-03', '2020-06-01', '2026-01-01');
    case 'Period':
      return fc.constantFrom('2024-07', '2025-02', '2025-12', '2021-06');
    case 'Int':
      return fc.integer({ min: 0, max: 100 });
    case 'Float':
      return fc.double({ min: 0, max: 10, noNaN: true });
    case 'Vnd':
      return fc.integer({ min: 0, max: 5_000_000 });
    case 'Boolean':
      return fc.boolean();
    case 'ID':
      return fc.constantFrom(fixture.personId, fixture.householdId, fixture.enrolmentId);
    case 'JSON':
      return fc.constantFrom({}, [], { summaryVi: 'Quy tắc thử', summaryEn: 'Test rule', conditions: [], amount: { coefficient: 1 } });
    default:
      return fc.constantFrom('Thôn 1', 'QĐ-12/UBND', 'Nghị định 20/2021/NĐ-CP', 'Kinh');
  }
}

/** An edge value of a type: what a careless or hostile caller sends. */
function edgeValue(type: GraphQLNamedType): fc.Arbitrary<unknown> {
  if (isEnumType(type)) return fc.constantFrom('NOPE', '', 'poor');
  switch (type.name) {
    case 'Date':
      return dateValue;
    case 'Period':
      return periodValue;
    case 'Int':
      return intValue;
    case 'Float':
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), bigNumbers);
    case 'Vnd':
      return vndValue;
    case 'Boolean':
      return fc.constantFrom('true', 0, '');
    case 'ID':
      return fc.oneof(uuid, edgeString);
    case 'JSON':
      return fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(edgeString, edgeString, { maxKeys: 3 }), edgeString);
    default:
      return edgeString;
  }
}

/** Mostly plausible, one leaf in six an edge value: a run then carries an edge or two past the other checks. */
function leafValue(type: GraphQLNamedType, name: string): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 5, arbitrary: nearValid(name) ?? validValue(type) }, { weight: 1, arbitrary: edgeValue(type) });
}

function inputValue(type: GraphQLInputType, name: string, depth = 0): fc.Arbitrary<unknown> {
  const inner = getNullableType(type);
  let arb: fc.Arbitrary<unknown>;
  if (isListType(inner)) arb = fc.array(inputValue(inner.ofType, name, depth + 1), { maxLength: 3 });
  else if (isInputObjectType(inner)) {
    const fields = Object.values(inner.getFields());
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of fields) model[f.name] = inputValue(f.type, f.name, depth + 1);
    arb = fc.record(model, { requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name) });
  } else arb = leafValue(inner, name);
  return isNonNullType(type) ? arb : fc.option(arb, { nil: null, freq: 4 });
}

/** Leaves of the returned type, and one level of nested objects' leaves, for fields that need no argument. */
function selection(type: GraphQLNamedType, depth: number): string {
  if (!isObjectType(type)) return '';
  const parts = ['__typename'];
  for (const f of Object.values(type.getFields())) {
    if (f.args.some((a) => isNonNullType(a.type))) continue;
    const named = getNamedType(f.type);
    if (isLeafType(named)) parts.push(f.name);
    else if (depth > 0) parts.push(`${f.name} ${selection(named, depth - 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

/** A value written as a GraphQL literal of its type (enum values bare, strings with JSON's escapes). */
function literal(value: unknown, type: GraphQLInputType): string {
  const inner = getNullableType(type);
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map((v) => literal(v, isListType(inner) ? inner.ofType : inner)).join(', ')}]`;
  if (typeof value === 'object') {
    const fields = isInputObjectType(inner) ? inner.getFields() : undefined;
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${literal(v, fields?.[k]?.type ?? inner)}`);
    return `{ ${entries.join(', ')} }`;
  }
  if (typeof value === 'string') return isEnumType(inner) && /^[_A-Za-z]\w*$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  throw new Error(`no GraphQL literal for a ${typeof value}`); // the arbitraries above make no symbol or function
}

// ---- what must never happen ----------------------------------------------------------------------------------
const TABLES = [
  'persons',
  'households',
  'poverty_assessments',
  'disability_certificates',
  'merit_records',
  'pension_statuses',
  'pregnancies',
  'enrolments',
  'program_rules',
  'base_levels',
  'person_circumstance_flags',
  'area_classifications',
  'admin_units',
  'audit_events',
];
async function rowCounts(): Promise<Record<string, number>> {
  const r = await t.db.database.db.execute(`SELECT ${TABLES.map((x) => `(SELECT count(*) FROM ${x})::int AS ${x}`).join(', ')}`);
  return Object.fromEntries(Object.entries(r.rows[0]!).map(([k, v]) => [k, Number(v)]));
}

/**
 * Shapes whose defects belong to the other half of issue 14 (cases 3, 5, 7, 8, 10, fixed on another branch):
 * an INTERNAL from them is not counted here. Each entry names its case.
 */
const EXCLUDED: { field: string; reason: string; applies: (args: Record<string, unknown>) => boolean }[] = [];
function excluded(field: string, args: Record<string, unknown>): string | undefined {
  return EXCLUDED.find((e) => e.field === field && e.applies(args))?.reason;
}

let totalRuns = 0;
const found: string[] = [];
/** How the runs were answered (ok, or the first error's code): shows the fuzz gets past the checks. */
const outcomes = new Map<string, number>();

describe('fuzz: every query and mutation of the schema, as every role', () => {
  it.each(operations.map((o) => [`${o.root} ${o.field.name}`, o] as const))(
    '%s',
    async (_label, { root, field }) => {
      const argsModel: Record<string, fc.Arbitrary<unknown>> = {};
      for (const a of field.args) argsModel[a.name] = inputValue(a.type, a.name);
      const required = field.args.filter((a) => isNonNullType(a.type)).map((a) => a.name);
      const declared = (args: Record<string, unknown>) => field.args.filter((a) => a.name in args);
      const sel = selection(getNamedType(field.type), 1);

      for (const role of ROLES)
        await fc.assert(
          fc.asyncProperty(fc.record(argsModel, { requiredKeys: required }), fc.boolean(), async (args, inline) => {
            totalRuns++;
            const defs = declared(args);
            // Half the runs write the arguments into the query (graphql's literal validation), half send variables.
            const query = inline
              ? `${root} { ${field.name}${defs.length ? `(${defs.map((a) => `${a.name}: ${literal(args[a.name], a.type)}`).join(', ')})` : ''} ${sel} }`
              : `${root}${defs.length ? `(${defs.map((a) => `$${a.name}: ${String(a.type)}`).join(', ')})` : ''} { ${field.name}${
                  defs.length ? `(${defs.map((a) => `${a.name}: $${a.name}`).join(', ')})` : ''
                } ${sel} }`;
            const before = root === 'mutation' ? await rowCounts() : undefined;
            const logFrom = lines.length;
            const res = await t.app.inject({
              method: 'POST',
              url: '/graphql',
              headers: { authorization: `Bearer ${tokens.get(role) ?? ''}`, 'content-type': 'application/json' },
              payload: inline ? { query } : { query, variables: args },
            });
            const context = `${role} ${query} ${JSON.stringify(args).slice(0, 400)}`;
            expect(res.statusCode, context).toBeLessThan(500);
            const body = res.json<{ data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] }>();
            const outcome = body.errors?.[0]?.extensions?.code ?? 'ok';
            outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
            const internal = (body.errors ?? []).filter((e) => e.extensions?.code === 'INTERNAL' || e.extensions?.code === undefined);
            if (internal.length > 0) {
              const reason = excluded(field.name, args);
              if (reason) found.push(`${field.name}: ${reason}`);
              else expect(internal, context).toEqual([]);
            }
            if (before && body.errors?.length) expect(await rowCounts(), `nothing written on rejection: ${context}`).toEqual(before);
            const logged = lines.slice(logFrom).join('\n');
            expect(logged, context).not.toMatch(TWELVE_DIGITS);
            expect(logged, context).not.toContain('Fuzz Nhung');
            expect(logged, context).not.toContain(FIXTURE_BIRTH);
          }),
          { numRuns: runsPerRole() },
        );
    },
    600_000,
  );

  it('covered every operation of the schema', () => {
    console.info(`fuzz: ${operations.length} operations × ${ROLES.length} roles × ${runsPerRole()} runs = ${totalRuns} requests on ${t.db.database.kind}`);
    console.info(`fuzz: answers ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`);
    if (found.length) console.info(`fuzz: excluded (other cases of issue 14):\n${found.join('\n')}`);
    expect(totalRuns).toBeGreaterThanOrEqual(operations.length * ROLES.length * runsPerRole());
  });
});
