/**
 * GraphQL limits (src/graphql/query-limits.ts, docs/security.md): cost, aliases, tokens and document size are
 * refused before anything runs — no SQL statement is sent — with a clear code and the figures; batching is off;
 * introspection stays free; production answers without "Did you mean" hints, and introspection needs a token
 * while the SDL download stays public.
 */
import fc from 'fast-check';
import { buildSchema, getIntrospectionQuery, getNamedType, getNullableType, isListType, isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_QUERY_LIMITS } from '../src/config.js';
import { HEAVY_FIELDS } from '../src/graphql/query-limits.js';
import { loadSchemaText } from '../src/graphql/schema.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';
import { DA_SAR, household, ok, person } from './support/people.js';

const aliased = (n: number, field: (i: number) => string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field(i)}`).join(' ')} }`;
const GAPS_500 = `coverageGaps(first: 500) { totalCount nodes { person { id } programCode } }`;

describe('GraphQL limits, checked before execution', () => {
  let t: TestApp;
  let bearer: string;
  beforeAll(async () => {
    t = await startTestApp();
    bearer = await t.token('district_officer');
    const h = await household(t);
    await person(t, { dateOfBirth: '1950-01-01', householdId: h, isHead: true });
  });
  afterAll(() => closeTestApp(t));

  /** A request and the statements it sent to the database. */
  async function measured(query: string, variables?: Record<string, unknown>) {
    const before = t.db.database.statementCount();
    const started = performance.now();
    const r = await t.gql(query, variables, bearer);
    return { ...r, ms: performance.now() - started, statements: t.db.database.statementCount() - before };
  }

  it("refuses the issue's 20 aliased coverageGaps(first: 500) with QUERY_TOO_COSTLY and the cost, before any SQL", async () => {
    const r = await measured(aliased(20, () => GAPS_500));
    expect(r.status).toBe(400);
    expect(r.body.data).toBeUndefined();
    const e = r.body.errors[0];
    // 500 gaps × (20 per gap + 1 per node + 1 for its person) = 11,000 per alias.
    expect(e.extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', cost: 220_000, maxCost: DEFAULT_QUERY_LIMITS.maxCost });
    expect(e.message).toContain('220000');
    expect(e.extensions.messageVi).toContain('chi phí');
    expect(r.statements).toBe(0);
    console.info(`20 × coverageGaps(first: 500): cost ${e.extensions.cost}, refused in ${r.ms.toFixed(1)} ms, ${r.statements} statements`);
  });

  it('answers one coverageGaps(first: 500) (cost 11,000) and it does reach the database', async () => {
    const r = await measured(`{ ${GAPS_500} }`);
    expect(ok(r, 'coverageGaps').totalCount).toBeGreaterThanOrEqual(0);
    expect(r.statements).toBeGreaterThan(0);
  });

  it('refuses over GET too, and under application/json with 200 and no data (a document error)', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/graphql?query=${encodeURIComponent(aliased(20, () => GAPS_500))}`,
      headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).not.toHaveProperty('data');
    expect(body.errors[0].extensions.code).toBe('QUERY_TOO_COSTLY');
  });

  it('counts `first` given through variables, and nested lists multiply', async () => {
    const q = `query($n: Int) { beneficiaries(communeCode: "${DA_SAR}", first: $n) {
      nodes { id household { members { id household { members { id household { members { id } } } } } } } } }`;
    // Lists without `first` are 5 items: from the inside, members 5 → household 6 → members 5 × 7 = 35 →
    // household 36 → members 5 × 37 = 185 → household 186 → node 187; with 2 per beneficiary, 189 each.
    const big = await measured(q, { n: 200 });
    expect(big.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', cost: 200 * 189 });
    expect(big.statements).toBe(0);
    ok(await measured(q, { n: 20 }));
  });

  it('refuses more than maxAliases aliases (QUERY_TOO_LARGE), even of free fields', async () => {
    const max = DEFAULT_QUERY_LIMITS.maxAliases;
    ok(await measured(aliased(max, () => 'ping')));
    const r = await measured(aliased(max + 1, () => 'ping'));
    expect(r.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_LARGE', limit: 'aliases', actual: max + 1, max });
    expect(r.statements).toBe(0);
  });

  it('refuses a document of more than maxTokens tokens, and one longer than maxDocumentChars', async () => {
    const tokens = await measured(`{ ${'ping '.repeat(DEFAULT_QUERY_LIMITS.maxTokens)} }`);
    expect(tokens.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_LARGE', limit: 'tokens', max: DEFAULT_QUERY_LIMITS.maxTokens });
    const long = await measured(`{ ping }\n# ${'x'.repeat(DEFAULT_QUERY_LIMITS.maxDocumentChars)}`);
    expect(long.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_LARGE', limit: 'documentChars', max: DEFAULT_QUERY_LIMITS.maxDocumentChars });
    expect(tokens.statements + long.statements).toBe(0);
  });

  it('refuses a fragment bomb (each fragment spreading the previous one twice) without expanding it', async () => {
    const fragments = Array.from({ length: 20 }, (_, i) => `fragment F${i + 1} on Query { ...F${i} ...F${i} }`).join('\n');
    const r = await measured(`query { ...F20 }\nfragment F0 on Query { adminUnits(level: COMMUNE) { code } }\n${fragments}`);
    expect(r.status).toBe(400);
    // Counting stops at 10,000 nodes: no figure, and neither validation nor execution expands the 2^20 fields.
    expect(r.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', cost: null });
    expect(r.statements).toBe(0);
    console.info(`fragment bomb (2^20 fields): refused in ${r.ms.toFixed(1)} ms`);
  });

  it('weighs only fields that exist: every heavy field of the cost table is in the schema, as a list or a page', () => {
    const schema = buildSchema(loadSchemaText());
    for (const key of Object.keys(HEAVY_FIELDS)) {
      const [typeName = '', fieldName = ''] = key.split('.');
      const type = schema.getType(typeName);
      const field = isObjectType(type) ? type.getFields()[fieldName] : undefined;
      if (!field) throw new Error(`${key} is not a field of the schema`);
      const listOrPage = isListType(getNullableType(field.type)) || getNamedType(field.type).name.endsWith('Connection');
      expect(listOrPage, key).toBe(true);
    }
  });

  it('leaves introspection free: the full introspection query (deep and wide) is answered', async () => {
    const r = await measured(getIntrospectionQuery());
    expect(ok(r).__schema.queryType.name).toBe('Query');
    expect(r.statements).toBe(0);
  });

  it('refuses batched requests (an array of operations) with 400, running none', async () => {
    const before = t.db.database.statementCount();
    const res = await t.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      payload: JSON.stringify([{ query: '{ adminUnits(level: COMMUNE) { code } }' }, { query: '{ ping }' }]),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].extensions.code).toBe('VALIDATION_FAILED');
    expect(t.db.database.statementCount() - before).toBe(0);
  });

  it('property: k aliases of coverageGaps(first: f) are refused exactly when 21·k·f exceeds the budget, never a 500, no SQL when refused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 500 }), async (k, f) => {
        const r = await measured(aliased(k, () => `coverageGaps(communeCode: "${DA_SAR}", first: ${f}) { nodes { programCode } }`));
        expect(r.status).toBeLessThan(500);
        const cost = 21 * k * f;
        if (cost > DEFAULT_QUERY_LIMITS.maxCost) {
          expect(r.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', cost });
          expect(r.statements).toBe(0);
        } else {
          ok(r);
        }
      }),
      { numRuns: 25 },
    );
  });
});

/** A misspelt root field, enum value and nested field: graphql-js hints at the right name for each. */
const MISSPELT = ['{ adminUnitz(level: COMMUNE) { code } }', '{ adminUnits(level: COMUNE) { code } }', '{ adminUnits(level: COMMUNE) { cod } }'];

describe('GraphQL policy in production', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: { env: 'production', graphqlLimits: { ...DEFAULT_QUERY_LIMITS, maxCost: 50 } } });
  });
  afterAll(() => closeTestApp(t));

  it('answers a misspelt field or enum value without "Did you mean", so the schema cannot be read out name by name', async () => {
    for (const q of MISSPELT) {
      const r = await t.gql(q);
      expect(r.status).toBe(400);
      const text = JSON.stringify(r.body.errors);
      expect(text).not.toMatch(/Did you mean/i);
      expect(r.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
    }
  });

  it('keeps the hints outside production', async () => {
    const dev = await startTestApp({ sharedDatabase: t.db });
    try {
      for (const q of MISSPELT) expect(JSON.stringify((await dev.gql(q)).body.errors)).toMatch(/Did you mean/);
    } finally {
      await dev.app.close();
    }
  });

  it('answers introspection to an authenticated caller, refuses it without a token, and serves the SDL to anyone', async () => {
    const introspection = getIntrospectionQuery();
    const r = await t.gql(introspection, undefined, await t.token('integration', [], 'benefits:read'));
    expect(ok(r).__schema.types.length).toBeGreaterThan(10);
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json' },
      payload: { query: introspection },
    });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.body).not.toContain('__schema');
    const sdl = await t.app.inject({ method: 'GET', url: '/graphql/schema.graphql' });
    expect(sdl.statusCode).toBe(200);
    expect(sdl.body).toContain('type Query');
  });

  it('takes its budget from the configuration (GRAPHQL_MAX_COST)', async () => {
    const r = await t.gql(`{ coverageGaps(first: 3) { nodes { programCode } } }`);
    expect(r.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', cost: 63, maxCost: 50 });
    ok(await t.gql(`{ coverageGaps(first: 2) { nodes { programCode } } }`));
  });
});
