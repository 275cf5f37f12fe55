/**
 * Issue 11: persisted queries. Integration clients (GRAPHQL_PERSISTED_ONLY_ROLES) run only the published
 * operations of persisted/*.graphql, by hash or in full; officers keep ad-hoc documents and may use automatic
 * persisted queries. The stored document goes through the limits and the compiled reads like one sent in full.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, parse, validate, Kind } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { loadSchemaText } from '../src/graphql/schema.js';
import { PERSISTED_FOLDER, sha256Hex } from '../src/graphql/persisted-queries.js';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { DA_SAR, household, ok, person } from './support/people.js';

const files = readdirSync(PERSISTED_FOLDER).filter((f) => f.endsWith('.graphql'));
const published = Object.fromEntries(files.map((f) => [path.basename(f, '.graphql'), readFileSync(path.join(PERSISTED_FOLDER, f), 'utf8')]));
const hashOf = (name: string) => sha256Hex(published[name]!);

let t: TestApp;
let officer: string;
let integration: string;
let personId: string;

beforeAll(async () => {
  t = await startTestApp({ config: { graphqlPersistedOnlyRoles: ['integration'] } });
  officer = await t.token('district_officer');
  integration = await t.token('integration', [], 'benefits:read');
  personId = await person(t, { dateOfBirth: '1950-02-03', householdId: await household(t), isHead: true });
}, 120_000);
afterAll(() => closeTestApp(t));

/** A GraphQL request (POST body, or GET query string) as a client sends it; plain application/json. */
async function send(token: string, request: Record<string, unknown>, method: 'POST' | 'GET' = 'POST') {
  const before = t.db.database.statementCount();
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  const res =
    method === 'POST'
      ? await t.app.inject({ method, url: '/graphql', headers: { ...headers, 'content-type': 'application/json' }, payload: request })
      : await t.app.inject({
          method,
          url: '/graphql',
          headers,
          query: Object.fromEntries(Object.entries(request).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])),
        });
  return {
    status: res.statusCode,
    body: res.json<{ data?: JsonBody; errors?: JsonBody[] }>(),
    compiled: res.headers['x-an-sinh-compiled'] === '1',
    statements: t.db.database.statementCount() - before,
  };
}
const byHash = (hash: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });

describe('the published operations', () => {
  it('each file is one named operation that validates against the schema', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
    const schema = buildSchema(loadSchemaText());
    for (const [name, text] of Object.entries(published)) {
      const document = parse(text);
      const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
      expect(operations.map((o) => o.name?.value)).toEqual([name]);
      expect(validate(schema, document).map((e) => e.message)).toEqual([]);
    }
  });
});

describe('an integration client (allow-list only)', () => {
  it('runs a published operation by its hash, on POST and GET, through the compiled reads', async () => {
    const post = await send(integration, { ...byHash(hashOf('Person')), variables: { id: personId } });
    expect(post.status).toBe(200);
    expect(ok(post, 'person')).toMatchObject({ id: personId, communeCode: DA_SAR });
    // The hash became the document before the compiled reads looked: they answered it.
    expect(post.compiled).toBe(true);
    const get = await send(integration, { ...byHash(hashOf('Person')), variables: { id: personId } }, 'GET');
    expect(get.status).toBe(200);
    expect(ok(get, 'person').id).toBe(personId);
  });

  it('may send a published operation in full, with or without its hash', async () => {
    const full = await send(integration, { query: published.Entitlements, variables: { personId, from: '2025-01', to: '2025-02' } });
    expect(ok(full, 'entitlements')).toHaveLength(2);
    const both = await send(integration, { query: published.Beneficiaries, ...byHash(hashOf('Beneficiaries')), variables: { communeCode: DA_SAR, first: 5 } });
    expect(ok(both, 'beneficiaries').nodes).toBeInstanceOf(Array);
  });

  it('is refused any other document, introspection included, before any SQL', async () => {
    for (const query of [`{ person(id: "${personId}") { id fullName } }`, '{ __schema { queryType { name } } }', published.Person!.replace('sex', '')]) {
      const r = await send(integration, { query, variables: { id: personId } });
      expect(r.status).toBe(200);
      expect(r.body.data).toBeUndefined();
      expect(r.body.errors?.[0].extensions).toMatchObject({ code: 'PERSISTED_QUERY_REQUIRED', role: 'integration' });
      expect(r.body.errors?.[0].extensions.messageVi).toContain('thao tác đã công bố');
      expect(r.statements).toBe(0);
    }
    const mutation = await send(integration, { query: 'mutation { registerHousehold(input: {code: "X", communeCode: "24865"}) { id } }' });
    expect(mutation.body.errors?.[0].extensions.code).toBe('PERSISTED_QUERY_REQUIRED');
    expect(mutation.statements).toBe(0);
  });

  it('cannot register a document of its own, nor use one an officer registered', async () => {
    const query = `query Mine($id: ID!) { person(id: $id) { id fullName } }`;
    const register = await send(integration, { query, ...byHash(sha256Hex(query)), variables: { id: personId } });
    expect(register.body.errors?.[0].extensions.code).toBe('PERSISTED_QUERY_REQUIRED');
    expect(ok(await send(officer, { query, ...byHash(sha256Hex(query)), variables: { id: personId } }), 'person').id).toBe(personId);
    const reuse = await send(integration, { ...byHash(sha256Hex(query)), variables: { id: personId } });
    expect(reuse.body.errors?.[0].extensions).toMatchObject({ code: 'PERSISTED_QUERY_NOT_FOUND', sha256Hash: sha256Hex(query) });
    expect(reuse.statements).toBe(0);
  });
});

describe('an officer (ad-hoc documents and automatic persisted queries)', () => {
  it('sends ad-hoc documents as before', async () => {
    expect(ok(await send(officer, { query: `{ person(id: "${personId}") { id } }` }), 'person').id).toBe(personId);
  });

  it('registers a document by sending it with its hash, then sends the hash alone', async () => {
    const query = `query Officer($id: ID!) { person(id: $id) { id dateOfBirth } }`;
    const first = await send(officer, { ...byHash(sha256Hex(query)), variables: { id: personId } });
    // The APQ protocol: a 200 answer with PERSISTED_QUERY_NOT_FOUND tells the client to send the document.
    expect(first.status).toBe(200);
    expect(first.body.errors?.[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(first.body.errors?.[0].message).toContain('PersistedQueryNotFound');
    ok(await send(officer, { query, ...byHash(sha256Hex(query)), variables: { id: personId } }));
    const again = await send(officer, { ...byHash(sha256Hex(query)), variables: { id: personId } }, 'GET');
    expect(ok(again, 'person')).toEqual({ id: personId, dateOfBirth: '1950-02-03' });
  });

  it('is told when the hash is not the document’s, or malformed', async () => {
    const mismatch = await send(officer, { query: '{ ping }', ...byHash(sha256Hex('{ pong }')) });
    expect(mismatch.body.errors?.[0].extensions).toMatchObject({ code: 'PERSISTED_QUERY_HASH_MISMATCH', field: 'extensions.persistedQuery.sha256Hash' });
    for (const persistedQuery of [{ sha256Hash: 'abc' }, { version: 2, sha256Hash: sha256Hex('{ ping }') }, 'x', 42]) {
      const r = await send(officer, { extensions: { persistedQuery } });
      expect(r.status).toBe(200);
      expect(r.body.errors?.[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'extensions.persistedQuery' });
    }
  });
});

describe('limits apply to the stored document', () => {
  let strict: TestApp;
  beforeAll(async () => {
    strict = await startTestApp({
      sharedDatabase: t.db,
      config: { graphqlPersistedOnlyRoles: ['integration'], graphqlLimits: { maxCost: 100, maxAliases: 30, maxTokens: 5000, maxDocumentChars: 50_000 } },
    });
  });
  afterAll(() => strict.close());

  it('a published page sent by hash is costed with its variables', async () => {
    const token = await strict.token('integration');
    const page = (first: number) =>
      strict.app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: { ...byHash(hashOf('Beneficiaries')), variables: { communeCode: DA_SAR, first } },
      });
    const small = await page(5);
    expect(small.json().errors).toBeUndefined();
    const big = await page(200);
    expect(big.json().errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', maxCost: 100 });
  });
});

describe('configuration', () => {
  it('GRAPHQL_PERSISTED_ONLY_ROLES: integration by default, a list of roles, or nobody', () => {
    expect(loadConfig({}).graphqlPersistedOnlyRoles).toEqual(['integration']);
    expect(loadConfig({ GRAPHQL_PERSISTED_ONLY_ROLES: 'integration, auditor' }).graphqlPersistedOnlyRoles).toEqual(['integration', 'auditor']);
    expect(loadConfig({ GRAPHQL_PERSISTED_ONLY_ROLES: '' }).graphqlPersistedOnlyRoles).toEqual([]);
    expect(() => loadConfig({ GRAPHQL_PERSISTED_ONLY_ROLES: 'partner' })).toThrow(/GRAPHQL_PERSISTED_ONLY_ROLES/);
  });
});
