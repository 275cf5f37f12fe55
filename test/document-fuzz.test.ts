/**
 * Issue 11, item 7: property-based fuzzing of GraphQL requests themselves (test/fuzz.test.ts fuzzes argument
 * values of well-formed documents). fast-check builds documents of random depth, alias floods, fragment cycles,
 * unknown fields, truncated or garbled text, and wraps them in bodies of every kind: variables of the wrong type,
 * huge numbers, deeply nested JSON, variables that are not an object, malformed JSON, wrong content types, GET
 * with odd query strings, persisted-query extensions. For every request:
 *   - the answer is below 500, JSON, and any error carries `extensions.code` (never INTERNAL);
 *   - nothing is written: every mutation in the corpus is one the service refuses, and row counts are unchanged;
 * and after the run the service still answers a simple query and its health check.
 * Bounded for CI: DOCUMENT_FUZZ_RUNS cases (defaults below); the summary line prints how many ran.
 */
import fc from 'fast-check';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/graphql/persisted-queries.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';
import { DA_SAR, household, person } from './support/people.js';

let t: TestApp;
const tokens: Record<string, string> = {};
let personId = '';

// About 25 ms a case on PostgreSQL, 100 ms on PGlite (each case counts rows twice).
const runs = () => Number(process.env.DOCUMENT_FUZZ_RUNS ?? (t.db.database.kind === 'pglite' ? 150 : 400));

beforeAll(async () => {
  // Integration clients restricted to the allow-list, as in production, so the persisted-query path is fuzzed too.
  t = await startTestApp({ config: { graphqlPersistedOnlyRoles: ['integration'] } });
  personId = await person(t, { dateOfBirth: '1948-05-06', householdId: await household(t), isHead: true });
  tokens.district_officer = await t.token('district_officer');
  tokens.commune_officer = await t.token('commune_officer', [DA_SAR]);
  tokens.integration = await t.token('integration', [], 'benefits:read');
}, 120_000);
afterAll(() => closeTestApp(t));

const TABLES = ['persons', 'households', 'enrolments', 'person_circumstance_flags', 'residence_periods', 'audit_events'];
async function rowCounts(): Promise<Record<string, number>> {
  const r = await t.db.database.db.execute(`SELECT ${TABLES.map((x) => `(SELECT count(*) FROM ${x})::int AS ${x}`).join(', ')}`);
  return Object.fromEntries(Object.entries(r.rows[0]!).map(([k, v]) => [k, Number(v)]));
}

// ---- documents ---------------------------------------------------------------------------------------------
/** Fields under a person or household, real and unknown, so documents reach the executor and its validation. */
const NESTED = ['household', 'members', 'person', 'disabilityCertificates', 'meritRecords', 'nope', 'head', 'residence', 'enrolments'];
const LEAVES = ['id', 'fullName', 'nationalId', 'dateOfBirth', 'communeCode', 'code', '__typename', 'unknownLeaf', 'sex'];

/** A selection set of random depth (up to 14, past the limit of 10) and breadth, aliases included. */
const selection: fc.Arbitrary<string> = fc.letrec<{ set: string }>((tie) => ({
  set: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.array(fc.constantFrom(...LEAVES), { minLength: 1, maxLength: 4 }).map((fs) => `{ ${fs.join(' ')} }`),
    fc
      .tuple(fc.constantFrom(...NESTED), fc.option(fc.constantFrom('a', 'b', 'x1'), { nil: undefined }), tie('set'), fc.constantFrom(...LEAVES))
      .map(([f, alias, inner, leaf]) => `{ ${leaf} ${alias ? `${alias}: ` : ''}${f} ${inner} }`),
  ),
})).set;

const deepChain = fc.integer({ min: 1, max: 40 }).map((n) => `{ person(id: "${personId}") ${'{ household { members '.repeat(n)}{ id }${' } }'.repeat(n)} }`);
const aliasFlood = fc
  .tuple(
    fc.integer({ min: 1, max: 120 }),
    fc.constantFrom('person(id: $id) { id }', 'ping', 'coverageGaps(communeCode: "24865", first: 500) { nodes { programCode } }'),
  )
  .map(([n, field]) => `query($id: ID!) { ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`);
const fragmentCycle = fc
  .integer({ min: 1, max: 6 })
  .map(
    (n) =>
      `query { person(id: "${personId}") { ...F0 } } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Person { id ...F${(i + 1) % n} }`).join(' ')}`,
  );
const fragmentBomb = fc
  .integer({ min: 2, max: 25 })
  .map(
    (n) =>
      `query { person(id: "${personId}") { ...F0 } } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Person { ${i + 1 < n ? `household { members { ...F${i + 1} ...F${i + 1} } }` : 'id'} }`).join(' ')}`,
  );
const rootQuery = selection.map((s) => `query Q($id: ID!) { person(id: $id) ${s} }`);
// Every mutation here is refused (unknown commune, bad date, unknown person, missing input), so nothing is written.
const refusedMutation = fc.constantFrom(
  'mutation($input: RegisterHouseholdInput!) { registerHousehold(input: $input) { id } }',
  'mutation { registerHousehold(input: { code: "FUZZ-DOC", communeCode: "99999" }) { id } }',
  `mutation { recordDeath(personId: "00000000-0000-4000-8000-000000000000", dateOfDeath: "2024-01-01") { id } }`,
  `mutation { recordDeath(personId: "${'x'.repeat(40)}", dateOfDeath: "2024-13-45") { id } }`,
  'mutation { registerPerson(input: {}) { id } }',
  'mutation { registerPerson { id } }',
  'mutation M { registerHousehold(input: { code: "FUZZ", communeCode: "99999" }) { id } } mutation M { ping }',
);
const validish = fc.oneof(
  rootQuery,
  deepChain,
  aliasFlood,
  fragmentCycle,
  fragmentBomb,
  refusedMutation,
  fc.constantFrom('{ ping }', '{ __schema { types { name } } }'),
);
/** Garbled text: a document cut short, with a character swapped in, or plain junk. */
const document: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: validish },
  { weight: 2, arbitrary: fc.tuple(validish, fc.nat()).map(([d, n]) => d.slice(0, n % (d.length + 1))) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(validish, fc.nat(), fc.constantFrom('{', '}', '(', '"', '$', '@', '...', '\u0000', '#', '\\u', '😀', ':', '!'))
      .map(([d, n, c]) => d.slice(0, n % (d.length + 1)) + c + d.slice(n % (d.length + 1))),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, 42, true, [], {}, ['{ ping }'], '', ' ') },
);

// ---- variables and bodies ------------------------------------------------------------------------------------
const deepJson = fc
  .tuple(fc.integer({ min: 1, max: 3000 }), fc.boolean())
  .map(([n, arrays]) => JSON.parse(arrays ? `${'['.repeat(n)}1${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`) as unknown);
/** The fixture's id, read when a case is generated (it is set in beforeAll, after this module loads). */
const thePerson = fc.constant(null).map(() => personId);
const oddValue = fc.oneof(
  thePerson,
  fc.constantFrom('', null, true, 0, -1, 1e308, -1e308, 2 ** 53 + 2, 1.5, '1e999', [], {}),
  fc.jsonValue({ maxDepth: 3 }),
  deepJson,
);
const variables: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ id: fc.oneof(thePerson, oddValue) }) },
  { weight: 2, arbitrary: fc.dictionary(fc.constantFrom('id', 'input', 'x', '__proto__', 'constructor'), oddValue, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, [], 'x', 42, '{"id": 1}') },
);
const extensions = fc.oneof(
  { weight: 5, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.constantFrom(null, 'x', [], {}, { persistedQuery: null }, { persistedQuery: { version: 1, sha256Hash: 'zz' } }),
      fc.string({ minLength: 0, maxLength: 30 }).map((q) => ({ persistedQuery: { version: 1, sha256Hash: sha256Hex(q) } })),
    ),
  },
);
const operationName = fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(null, 'Q', 'M', 'Nope', 3, ['Q']) });

interface Case {
  kind: 'json' | 'raw' | 'get';
  role: keyof typeof tokens;
  contentType: string | undefined;
  body?: unknown;
  raw?: string;
  url?: string;
}
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/graphql',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  undefined,
];
const role = fc.constantFrom('district_officer', 'commune_officer', 'integration');
const jsonCase: fc.Arbitrary<Case> = fc
  .tuple(role, fc.record({ query: document, variables, extensions, operationName }, { requiredKeys: [] }))
  .map(([r, body]) => ({ kind: 'json', role: r, contentType: 'application/json', body }));
const rawCase: fc.Arbitrary<Case> = fc
  .tuple(
    role,
    fc.constantFrom(...CONTENT_TYPES),
    fc.oneof(
      fc.constantFrom(
        '',
        '{',
        '{"query": "{ ping }"',
        '{"query": "{ ping }"}}',
        'null',
        '[]',
        '"x"',
        '[{"query": "{ ping }"}, {"query": "{ ping }"}]',
        '{"query": "{ ping }", "variables": "{"}',
        '{"__proto__": {"query": "{ ping }"}}',
        '{ ping }',
      ),
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.tuple(document, variables).map(([q, v]) => JSON.stringify({ query: q, variables: v }).slice(0, -1)),
      fc.integer({ min: 1, max: 5000 }).map((n) => `{"query": "{ ping }", "variables": ${'['.repeat(n)}${']'.repeat(n)}}`),
    ),
  )
  .map(([r, contentType, raw]) => ({ kind: 'raw', role: r, contentType, raw }));
const qs = fc.oneof(
  fc.string({ maxLength: 20 }),
  document.map((d) => (typeof d === 'string' ? d : JSON.stringify(d))),
);
const getCase: fc.Arbitrary<Case> = fc
  .tuple(
    role,
    fc.array(fc.tuple(fc.constantFrom('query', 'variables', 'operationName', 'extensions', 'query', 'x'), qs), { maxLength: 4 }),
    fc.constantFrom('', '&', '?', '%', '%zz', '&query', '=&=', '&query[]=a', '&variables=%7B'),
  )
  .map(([r, pairs, tail]) => ({
    kind: 'get',
    role: r,
    contentType: undefined,
    url: `/graphql?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}${tail}`,
  }));
const fuzzCase = fc.oneof({ weight: 5, arbitrary: jsonCase }, { weight: 2, arbitrary: rawCase }, { weight: 2, arbitrary: getCase });

async function send(c: Case) {
  const headers: Record<string, string> = { authorization: `Bearer ${tokens[c.role]}`, accept: 'application/json' };
  if (c.contentType) headers['content-type'] = c.contentType;
  if (c.kind === 'get') return t.app.inject({ method: 'GET', url: c.url!, headers });
  const payload = c.kind === 'json' ? JSON.stringify(c.body) : c.raw!;
  return t.app.inject({ method: 'POST', url: '/graphql', headers, payload });
}

describe('documents that do not parse (found by the fuzzing below)', () => {
  const post = (payload: string, contentType = 'application/json') =>
    t.app.inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${tokens.district_officer}`, 'content-type': contentType }, payload });

  it('a JSON object sent as application/graphql is a syntax error, not an internal error', async () => {
    const r = await post('{"query": "{ ping }"}', 'application/graphql');
    expect(r.statusCode).toBe(200);
    expect(r.json().errors[0]).toMatchObject({ message: expect.stringMatching(/^Syntax Error/), extensions: { code: 'VALIDATION_FAILED' } });
  });

  it('GET with variables or extensions that are not JSON is a 400, not an internal error', async () => {
    for (const url of ['/graphql?extensions==&=', '/graphql?query=%7B%20ping%20%7D&variables=%7B', '/graphql?query=%7B%20ping%20%7D&extensions=x']) {
      const r = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens.district_officer}` } });
      expect(r.statusCode).toBe(400);
      expect(r.json().errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', messageVi: expect.any(String) });
    }
  });

  it('GET naming an operation the document does not have is a validation error, not an internal error', async () => {
    const query = encodeURIComponent('query Q($id: ID!) { person(id: $id) { id } } query R { ping }');
    for (const name of ['', 'Nope', undefined]) {
      const r = await t.app.inject({
        method: 'GET',
        url: `/graphql?query=${query}${name === undefined ? '' : `&operationName=${name}`}`,
        headers: { authorization: `Bearer ${tokens.district_officer}`, accept: 'application/json' },
      });
      expect(r.statusCode).toBe(200);
      expect(r.json().errors[0]).toMatchObject({
        message: expect.stringMatching(/operation name|Unknown operation/),
        extensions: { code: 'VALIDATION_FAILED' },
      });
    }
    const fragmentOnly = await t.app.inject({
      method: 'GET',
      url: `/graphql?query=${encodeURIComponent('fragment F on Person { id }')}`,
      headers: { authorization: `Bearer ${tokens.district_officer}`, accept: 'application/json' },
    });
    expect(fragmentOnly.json().errors[0]).toMatchObject({ message: 'Must provide an operation.', extensions: { code: 'VALIDATION_FAILED' } });
  });

  it('a JSON-encoded AST in place of a document is refused, not executed outside the limits', async () => {
    // Mercurius retries a text that does not parse as a JSON AST; the limits only read GraphQL text.
    const aliased = `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: ping`).join(' ')} }`;
    for (const doc of ['{ ping }', aliased]) {
      const r = await post(JSON.stringify({ query: JSON.stringify(parse(doc, { noLocation: true })) }));
      expect(r.json().data).toBeUndefined();
      expect(r.json().errors[0].extensions.code).toBe('VALIDATION_FAILED');
      expect(r.json().errors[0].message).toMatch(/^Syntax Error/);
    }
  });
});

describe('GraphQL document fuzzing', () => {
  it('never a 5xx, always a coded error, nothing written, the service answers afterwards', async () => {
    const before = await rowCounts();
    const statuses = new Map<number, number>();
    const codes = new Map<string, number>();
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(fuzzCase, async (c) => {
        cases += 1;
        const res = await send(c);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
        const body = res.json<{ data?: unknown; errors?: { message: unknown; extensions?: { code?: unknown; messageVi?: unknown } }[] }>();
        if (res.statusCode >= 400) expect(body.errors?.length, res.body.slice(0, 300)).toBeGreaterThan(0);
        for (const e of body.errors ?? []) {
          expect(typeof e.message).toBe('string');
          expect(typeof e.extensions?.code, JSON.stringify(e)).toBe('string');
          expect(e.extensions?.code, JSON.stringify(e)).not.toBe('INTERNAL');
          codes.set(String(e.extensions?.code), (codes.get(String(e.extensions?.code)) ?? 0) + 1);
        }
      }),
      { numRuns: runs() },
    );
    expect(await rowCounts()).toEqual(before);
    const ping = await t.gql('{ ping }');
    expect(ping.body.data).toEqual({ ping: 'pong' });
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    console.info(
      `document fuzzing: ${cases} cases on ${t.db.database.kind}; statuses ${JSON.stringify(Object.fromEntries(statuses))}; codes ${JSON.stringify(Object.fromEntries(codes))}`,
    );
    expect(cases).toBeGreaterThan(0);
  }, 300_000);
});
