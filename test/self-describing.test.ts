/**
 * The service describes itself: introspection answers the standard query (GraphiQL, codegen, Postman),
 * the SDL can be downloaded, and every type and field of the contract says what it is.
 */
import { buildSchema, getIntrospectionQuery, isInputObjectType, isInterfaceType, isObjectType, type GraphQLNamedType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSchemaText } from '../src/graphql/schema.js';
import { startTestApp, type TestApp } from './support/app.js';

const BUILT_IN = new Set(['String', 'Int', 'Float', 'Boolean', 'ID']);

function undescribed(types: readonly GraphQLNamedType[]): string[] {
  const missing: string[] = [];
  for (const t of types) {
    if (t.name.startsWith('__') || BUILT_IN.has(t.name)) continue;
    if (!t.description?.trim()) missing.push(t.name);
    if (isObjectType(t) || isInputObjectType(t) || isInterfaceType(t)) {
      for (const f of Object.values(t.getFields())) if (!f.description?.trim()) missing.push(`${t.name}.${f.name}`);
    }
  }
  return missing;
}

describe('a self-describing service', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('has a description on every type and field of schema/*.graphql', () => {
    const schema = buildSchema(loadSchemaText());
    expect(Object.keys(schema.getTypeMap()).length).toBeGreaterThan(50);
    expect(undescribed(Object.values(schema.getTypeMap()))).toEqual([]);
  });

  it("answers graphql's standard introspection query for an authenticated client (not counted by the depth limit)", async () => {
    const r = await t.gql(getIntrospectionQuery({ descriptions: true }));
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    const types = r.body.data.__schema.types as { name: string; description: string | null }[];
    expect(types.find((x) => x.name === 'Person')?.description).toBe('A person on the registry.');
    expect(r.body.data.__schema.queryType.name).toBe('Query');
  });

  it('still refuses data queries nested deeper than the limit, in both languages', async () => {
    const deep = `{ adminUnit(code: "24865") { ${'children { '.repeat(10)}code${' }'.repeat(10)} } }`;
    const r = await t.gql(deep);
    expect(r.status).toBe(400);
    expect(r.body).not.toHaveProperty('data');
    expect(r.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
    expect(r.body.errors[0].extensions.messageVi).toMatch(/lồng nhau 12 cấp/);
  });

  it('refuses introspection without a token', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/graphql', payload: { query: '{ __schema { queryType { name } } }' } });
    expect(res.statusCode).toBe(401);
  });

  it('serves the SDL with its descriptions at GET /graphql/schema.graphql, no token needed', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/graphql/schema.graphql' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const served = buildSchema(res.body);
    expect(served.getType('Person')).toBeDefined();
    expect(undescribed(Object.values(served.getTypeMap()))).toEqual([]);
  });
});
