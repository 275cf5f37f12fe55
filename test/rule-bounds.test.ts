/**
 * Issue 14, case 7, through the real app: a rule version is bounded before publication (nesting depth, size,
 * each fact's values within its domain) with the path of the offending node, and a version already stored
 * can be withdrawn (audited, never edited) so that every reader stops using it.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { programRules } from '../src/db/schema/index.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';
import { eligibility, enrolAndApprove, entitlements, LAT, ok, person } from './support/people.js';

let t: TestApp;
let admin: string;
beforeAll(async () => {
  t = await startTestApp();
  admin = await t.token('admin');
});
afterAll(() => closeTestApp(t));

const PUBLISH = `mutation($input: PublishRuleVersionInput!) { publishRuleVersion(input: $input) { programCode version } }`;
const leaf = { fact: 'ageYears', op: 'gte', value: 85 };
const definition = (conditions: unknown[]) => ({
  summaryVi: 'Thử nghiệm',
  summaryEn: 'Trial',
  conditions,
  amount: { kind: 'BASE_TIMES_COEFFICIENT', base: 'SOCIAL_ASSISTANCE', coefficient: 1 },
});
const input = (conditions: unknown[], examples: unknown[] = [{ name: '86', asOf: '2027-01-01', facts: { ageYears: 86 }, expectedEligible: true }]) => ({
  programCode: 'D20_5_5C',
  effectiveFrom: '2027-01-01',
  legalBasis: 'Nghị định thử nghiệm',
  definition: definition(conditions),
  examples,
});
const nested = (depth: number, key: 'anyOf' | 'allOf' = 'anyOf') => {
  let c: unknown = leaf;
  for (let i = 1; i < depth; i++) c = { [key]: [c] };
  return c;
};
const countVersions = async () => (await t.db.database.db.select().from(programRules).where(eq(programRules.programCode, 'D20_5_5C'))).length;

describe('rule publication bounds', () => {
  it('refuses anyOf nested 5,000 deep with VALIDATION_FAILED at the node too deep (no stack overflow), and the server stays up', async () => {
    const before = await countVersions();
    // Built as text: JSON.stringify itself overflows the stack on a value this deep.
    const deep = `${'{"anyOf":['.repeat(4999)}${JSON.stringify(leaf)}${']}'.repeat(4999)}`;
    const variables = JSON.stringify({ input: input(['DEEP']) }).replace('"DEEP"', deep);
    const res = await t.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      payload: `{"query":${JSON.stringify(PUBLISH)},"variables":${variables}}`,
    });
    expect(res.statusCode).toBe(200);
    const ext = res.json().errors[0].extensions;
    expect(ext.code).toBe('VALIDATION_FAILED');
    expect(ext.field).toBe(`input.definition.conditions[0]${'.anyOf[0]'.repeat(12)}`);
    expect(ext.messageVi).toContain('lồng nhau quá 12 cấp');
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect(await countVersions()).toBe(before);
  });

  it('accepts 12 levels of nesting and refuses 13', async () => {
    const deep = await t.gql(PUBLISH, { input: input([nested(13, 'allOf')]) }, admin);
    expect(deep.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: `input.definition.conditions[0]${'.allOf[0]'.repeat(12)}` });
    expect(
      ok(await t.gql(PUBLISH, { input: { ...input([nested(12, 'allOf')]), effectiveFrom: '2030-01-01' } }, admin), 'publishRuleVersion').version,
    ).toBeGreaterThan(1);
  });

  it('refuses too many nodes and a definition too long as JSON', async () => {
    const wide = await t.gql(PUBLISH, { input: input([{ anyOf: Array.from({ length: 2_500 }, () => leaf) }]) }, admin);
    expect(wide.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.definition' });
    const long = await t.gql(PUBLISH, { input: { ...input([leaf]), definition: { ...definition([leaf]), summaryVi: 'Đ'.repeat(70_000) } } }, admin);
    expect(long.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.definition' });
  });

  it('refuses fact values outside their domain, naming the node, in conditions and in examples', async () => {
    const years = await t.gql(PUBLISH, { input: input([{ anyOf: [leaf, { fact: 'ageYears', op: 'gte', value: 9000 }] }]) }, admin);
    expect(years.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.definition.conditions[0].anyOf[1].value' });
    expect(years.body.errors[0].extensions.messageVi).toContain('tuổi phải trong khoảng 0–130');
    const months = await t.gql(
      PUBLISH,
      { input: input([{ fact: 'ageMonths', op: 'gte', value: 3e9 }], [{ name: 'x', facts: { ageMonths: 3e9 }, expectedEligible: true }]) },
      admin,
    );
    const fields = months.body.errors[0].extensions.problems.map((p: { field: string }) => p.field);
    expect(fields).toEqual(['input.definition.conditions[0].value', 'input.examples[0].facts.ageMonths']);
    const fixed = await t.gql(PUBLISH, { input: { ...input([leaf]), definition: { ...definition([leaf]), amount: { kind: 'FIXED', amount: 5e12 } } } }, admin);
    expect(fixed.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.definition.amount.amount' });
  });
});

describe('withdrawing a rule version', () => {
  const WITHDRAW = `mutation($code: String!, $v: Int!, $to: Date, $r: String!) {
    withdrawRuleVersion(programCode: $code, version: $v, effectiveTo: $to, reason: $r) { version effectiveFrom effectiveTo withdrawal { effectiveTo reason withdrawnBy } } }`;
  const GAPS = `{ coverageGaps(communeCode: "${LAT}", programCode: "D20_5_5C", asOf: "2024-08-01", first: 500) { nodes { person { id } ruleVersion { version } } } }`;

  it('a bad version stored before the bounds breaks coverage gaps until it is withdrawn; then every reader uses the previous one', async () => {
    const id = await person(t, { dateOfBirth: '1941-09-09', commune: LAT });
    const enrolled = await person(t, { dateOfBirth: '1940-09-09', commune: LAT });
    await enrolAndApprove(t, enrolled, 'D20_5_5C', '2024-07', LAT);
    // As published on main before the bounds: "age ≥ 9000" from 2024-01-01.
    const [bad] = await t.db.database.db
      .insert(programRules)
      .values({
        programCode: 'D20_5_5C',
        version: 50,
        effectiveFrom: '2024-01-01',
        legalBasis: 'Nhập nhầm',
        definition: definition([{ fact: 'ageYears', op: 'gte', value: 9000 }]),
        examples: [],
        confirmed: true,
        publishedBy: 'test-admin',
      })
      .returning();
    const broken = await t.gql(GAPS);
    expect(broken.body.errors?.[0]?.extensions?.code).toBe('INTERNAL');

    const officer = await t.gql(WITHDRAW, { code: 'D20_5_5C', v: 50, to: null, r: 'Nhập nhầm' }, await t.token('district_officer'));
    expect(officer.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const w = ok(await t.gql(WITHDRAW, { code: 'D20_5_5C', v: 50, to: null, r: 'Nhập nhầm điều kiện tuổi' }, admin), 'withdrawRuleVersion');
    expect(w).toEqual({
      version: 50,
      effectiveFrom: '2024-01-01',
      effectiveTo: '2023-12-31',
      withdrawal: { effectiveTo: '2023-12-31', reason: 'Nhập nhầm điều kiện tuổi', withdrawnBy: 'test-admin' },
    });

    // SQL (coverage gaps), TypeScript (eligibility, entitlements) and the version in force all use version 1 again.
    const gaps = ok(await t.gql(GAPS), 'coverageGaps');
    expect(gaps.nodes.find((n: { person: { id: string } }) => n.person.id === id)).toMatchObject({ ruleVersion: { version: 1 } });
    expect((await eligibility(t, id, '2024-08-01')).get('D20_5_5C')).toMatchObject({ eligible: true, ruleVersion: { version: 1 } });
    expect((await entitlements(t, enrolled, '2024-08', '2024-08'))[0].lines[0]).toMatchObject({ status: 'PAYABLE', ruleVersion: { version: 1 } });
    const program = ok(await t.gql(`{ program(code: "D20_5_5C") { ruleVersion(asOf: "2024-08-01") { version } } }`), 'program');
    expect(program.ruleVersion.version).toBe(1);

    // The stored row is unchanged; the withdrawal is audited; a second one is CONFLICT.
    const [row] = await t.db.database.db
      .select()
      .from(programRules)
      .where(and(eq(programRules.id, bad!.id)));
    expect(row!.effectiveTo).toBeNull();
    const trail = ok(await t.gql(`{ auditTrail(entityType: "ProgramRule", entityId: "${bad!.id}") { action before after } }`), 'auditTrail');
    expect(trail.map((e: { action: string }) => e.action)).toEqual(['withdrawRuleVersion']);
    expect(trail[0].after.withdrawal.reason).toBe('Nhập nhầm điều kiện tuổi');
    const again = await t.gql(WITHDRAW, { code: 'D20_5_5C', v: 50, to: null, r: 'Lần nữa' }, admin);
    expect(again.body.errors[0].extensions.code).toBe('CONFLICT');
  });

  it('ends a version early from a date: the earlier version applies again after it', async () => {
    const v = ok(await t.gql(PUBLISH, { input: { ...input([leaf]), effectiveFrom: '2027-01-01' } }, admin), 'publishRuleVersion').version;
    const id = await person(t, { dateOfBirth: '1944-02-02', commune: LAT });
    const before = await t.gql(WITHDRAW, { code: 'D20_5_5C', v, to: '2026-12-31', r: 'Sai' }, admin);
    expect(before.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'effectiveTo' });
    const missing = await t.gql(WITHDRAW, { code: 'D20_5_5C', v: 999, to: null, r: 'Sai' }, admin);
    expect(missing.body.errors[0].extensions.code).toBe('NOT_FOUND');
    ok(await t.gql(WITHDRAW, { code: 'D20_5_5C', v, to: '2027-06-30', r: 'Quyết định bãi bỏ từ 01/7/2027' }, admin));
    expect((await eligibility(t, id, '2027-03-01')).get('D20_5_5C')).toMatchObject({ eligible: false, ruleVersion: { version: v } });
    // The version before it applies again: the seeded v2 from 2025-07-01 (5.5c's legal status unconfirmed).
    expect((await eligibility(t, id, '2027-07-01')).get('D20_5_5C')).toMatchObject({ eligible: true, ruleVersion: { version: 2 } });
  });
});

describe('the audit chain', () => {
  it('stays whole after the withdrawals above', async () => {
    const r = ok(await t.gql(`{ verifyAuditChain { ok firstBrokenSeq } }`, {}, await t.token('auditor')), 'verifyAuditChain');
    expect(r).toEqual({ ok: true, firstBrokenSeq: null });
  });
});
