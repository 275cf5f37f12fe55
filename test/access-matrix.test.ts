/**
 * The authorization matrix (issue 11, docs/security.md "Authorization matrix"), generated from the access
 * policy's tables (src/modules/auth/access-policy.ts):
 * - every Query and Mutation field, and every field of every person-bearing type, has an entry (a new one
 *   without an entry fails here), and docs/security.md shows the tables as the code has them;
 * - every role × own / other commune × field group through the API, on the executor and the compiled path:
 *   what is seen, masked or withheld (with its `extensions.withheld` note), and nothing of another commune;
 * - every read of a sensitive group is one access event per request, which `accessLog` answers.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLInputType,
  type GraphQLObjectType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FIELD_GROUPS,
  INTEGRATION_SCOPES,
  OPERATIONS,
  PERSON_FIELDS,
  REFERENCE_TYPES,
  sightOf,
  STAFF_SIGHT,
  type FieldGroup,
} from '../src/modules/auth/access-policy.js';
import { ROLES, type Role } from '../src/modules/auth/auth.types.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';
import { assess, certifyDisability, DA_SAR, enrolAndApprove, flag, household, LAT, ok, person } from './support/people.js';

/** The matrix tables as docs/security.md shows them (the test checks the docs hold exactly these lines). */
export function sightTable(): string {
  const head = `| Role | ${FIELD_GROUPS.join(' | ')} |\n| --- |${FIELD_GROUPS.map(() => ' --- |').join('')}`;
  const staff = Object.entries(STAFF_SIGHT).map(([role, s]) => `| ${role} | ${FIELD_GROUPS.map((g) => s[g]).join(' | ')} |`);
  const integration = `| integration | ${FIELD_GROUPS.map((g) => {
    const { scopes, without } = INTEGRATION_SCOPES[g];
    return scopes.length === 0 ? 'full' : `full with ${scopes.map((s) => `\`${s}\``).join(' + ')}, else ${without}`;
  }).join(' | ')} |`;
  return [head, ...staff, integration].join('\n');
}

export function operationTable(): string {
  const rows = Object.entries(OPERATIONS).map(
    ([op, e]) =>
      `| \`${op}\` | ${e.roles.length === ROLES.length ? 'all' : e.roles.join(', ')}${e.scopes ? ` (integration: ${e.scopes.map((s) => `\`${s}\``).join(', ')})` : ''} | ${e.otherCommune} | ${e.groups.join(', ') || '—'} |`,
  );
  return ['| Operation | Roles | Another commune | Field groups |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export function fieldTable(): string {
  const rows = Object.entries(PERSON_FIELDS).map(([f, e]) => `| \`${f}\` | ${e.group ?? '—'} | ${e.enforced ? (e.items ? 'yes, per item' : 'yes') : ''} |`);
  return ['| Field | Group | Enforced |', '| --- | --- | --- |', ...rows].join('\n');
}

const PERSON_QUERY = `query($id: ID!) { person(id: $id) { id fullName nationalId ethnicity disabilityCertificates { level } pregnancies { reportedOn }
  meritRecords { category } pensionStatuses { kind } groups circumstanceFlags { flag } enrolments { programCode }
  household { id povertyAssessments { incomePerPerson } povertyAssessment { classification } } } }`;
/** What the compiled path answers (no circumstances or enrolments there). */
const COMPILED_QUERY = `query($id: ID!) { person(id: $id) { id fullName nationalId ethnicity disabilityCertificates { level } pensionStatuses { kind }
  household { id povertyAssessments { incomePerPerson } } } }`;

/** Tokens for every role and the integration scopes that matter. */
const CALLERS: { name: string; role: Role; scope?: string }[] = [
  { name: 'commune_officer', role: 'commune_officer' },
  { name: 'district_officer', role: 'district_officer' },
  { name: 'auditor', role: 'auditor' },
  { name: 'admin', role: 'admin' },
  { name: 'integration (no scope)', role: 'integration' },
  { name: 'integration (benefits:read)', role: 'integration', scope: 'benefits:read' },
  { name: 'integration (all scopes)', role: 'integration', scope: 'benefits:read health:hiv person:ethnicity person:national_id' },
];

describe('the matrix covers the schema and the docs show it', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => closeTestApp(t));

  it('every Query and Mutation field has an entry, and every entry a field', () => {
    const schema = t.app.graphql.schema;
    const fields = ['Query', 'Mutation'].flatMap((type) => Object.keys((schema.getType(type) as GraphQLObjectType).getFields()).map((f) => `${type}.${f}`));
    expect(fields.filter((f) => !(f in OPERATIONS))).toEqual([]);
    expect(Object.keys(OPERATIONS).filter((f) => !fields.includes(f))).toEqual([]);
  });

  it('every field of every person-bearing type has an entry', () => {
    const schema = t.app.graphql.schema;
    // Person-bearing: Person, every type with a field of type Person, and what they reach short of reference data.
    const types = Object.values(schema.getTypeMap()).filter(isObjectType);
    const start = types.filter(
      (t) =>
        !t.name.startsWith('__') &&
        t.name !== 'Query' &&
        t.name !== 'Mutation' &&
        (t.name === 'Person' || Object.values(t.getFields()).some((f) => getNamedType(f.type).name === 'Person')),
    );
    const seen = new Set<string>();
    const queue = [...start];
    const missing: string[] = [];
    while (queue.length > 0) {
      const type = queue.shift()!;
      if (seen.has(type.name) || REFERENCE_TYPES.has(type.name)) continue;
      seen.add(type.name);
      for (const [name, f] of Object.entries(type.getFields())) {
        if (!(`${type.name}.${name}` in PERSON_FIELDS)) missing.push(`${type.name}.${name}`);
        const target = getNamedType(f.type);
        if (isObjectType(target)) queue.push(target);
      }
    }
    expect(missing).toEqual([]);
    expect(Object.keys(PERSON_FIELDS).filter((k) => !seen.has(k.split('.')[0]!))).toEqual([]);
  });

  it('docs/security.md shows the tables of the code', () => {
    const doc = readFileSync('docs/security.md', 'utf8');
    expect(doc).toContain(sightTable());
    expect(doc).toContain(operationTable());
    expect(doc).toContain(fieldTable());
  });
});

/**
 * A value for an argument of this type: enough to reach the resolver, which checks the role first. Commune codes
 * are the commune officer's own, so that the commune rule does not answer in place of the role rule.
 */
function sample(type: GraphQLInputType, name: string): unknown {
  if (isNonNullType(type)) return sample(type.ofType, name);
  if (isListType(type)) return [sample(type.ofType, name)];
  if (isEnumType(type)) return type.getValues()[0]!.value;
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const [n, f] of Object.entries(type.getFields())) if (isNonNullType(f.type)) out[n] = sample(f.type, n);
    return out;
  }
  const scalar = getNamedType(type).name;
  if (/communeCode/i.test(name)) return LAT;
  const values: Record<string, unknown> = {
    ID: randomUUID(),
    String: 'x',
    Int: 1,
    Float: 1,
    Boolean: false,
    Date: '2024-07-01',
    Period: '2024-07',
    Vnd: 1000,
    JSON: {},
  };
  return values[scalar] ?? 'x';
}

describe('every operation answers FORBIDDEN exactly to the roles the matrix leaves out', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => closeTestApp(t));

  it.each(CALLERS)('$name', async (caller) => {
    const schema = t.app.graphql.schema;
    const token = await t.token(caller.role, caller.role === 'commune_officer' ? [LAT] : [], caller.scope ?? '');
    const scopes = new Set((caller.scope ?? '').split(' ').filter(Boolean));
    const wrong: string[] = [];
    for (const [op, entry] of Object.entries(OPERATIONS)) {
      const [typeName, fieldName] = op.split('.') as ['Query' | 'Mutation', string];
      const field = (schema.getType(typeName) as GraphQLObjectType).getFields()[fieldName]!;
      const variables: Record<string, unknown> = {};
      const defs = field.args.map((a) => `$${a.name}: ${String(a.type)}`);
      for (const a of field.args) if (isNonNullType(a.type)) variables[a.name] = sample(a.type, a.name);
      const leaf = !isObjectType(getNamedType(getNullableType(field.type)));
      const doc = `${typeName === 'Query' ? 'query' : 'mutation'}${defs.length ? `(${defs.join(', ')})` : ''} { ${fieldName}${
        field.args.length ? `(${field.args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : ''
      }${leaf ? '' : ' { __typename }'} }`;
      const allowed = entry.roles.includes(caller.role) && (caller.role !== 'integration' || (entry.scopes ?? []).every((s) => scopes.has(s)));
      const res = await t.gql(doc, variables, token);
      const forbidden = ((res.body.errors ?? []) as { extensions?: { code?: string } }[]).some((e) => e.extensions?.code === 'FORBIDDEN');
      if (forbidden === allowed) wrong.push(`${op}: ${forbidden ? 'FORBIDDEN' : 'answered'} (${JSON.stringify(res.body.errors?.[0]?.message ?? null)})`);
    }
    expect(wrong).toEqual([]);
  });
});

describe.each([
  ['executor', false],
  ['compiled path', true],
])('role × commune × field group through the API (%s)', (_path, compiled) => {
  let t: TestApp;
  let subject: string;
  let householdId: string;
  beforeAll(async () => {
    t = await startTestApp({ compiledReads: compiled });
    householdId = await household(t, { commune: LAT });
    subject = await person(t, { dateOfBirth: '1990-05-05', commune: LAT, householdId, isHead: true, ethnicity: "K'Ho" });
    await assess(t, householdId, 'POOR');
    await certifyDisability(t, subject);
    await flag(t, subject, 'HIV');
    await flag(t, subject, 'SINGLE_PARENT');
    ok(
      await t.gql(`mutation($input: RecordPensionStatusInput!) { recordPensionStatus(input: $input) { id } }`, {
        input: { personId: subject, kind: 'SOCIAL_ALLOWANCE', monthlyAmount: 500_000, startsOn: '2024-01-01' },
      }),
    );
  });
  afterAll(() => closeTestApp(t));

  const expectedFor = (p: { role: Role; scopes: Set<string> }, g: FieldGroup) => sightOf({ subject: 's', communes: [], ...p }, g);

  for (const caller of CALLERS) {
    for (const commune of ['own', 'other'] as const) {
      it(`${caller.name}, ${commune} commune`, async () => {
        if (commune === 'other' && caller.role !== 'commune_officer') return; // district roles have no other commune
        const token = await t.token(caller.role, caller.role === 'commune_officer' ? [commune === 'own' ? LAT : DA_SAR] : [], caller.scope ?? '');
        for (const query of compiled ? [COMPILED_QUERY] : [PERSON_QUERY]) {
          const res = await t.gql(query, { id: subject }, token);
          expect(res.body.errors).toBeUndefined();
          if (commune === 'other') {
            // As if there were nobody: null, no error, no note.
            expect(res.body).toEqual({ data: { person: null } });
            continue;
          }
          const p = res.body.data.person;
          const sight = (g: FieldGroup) => expectedFor({ role: caller.role, scopes: new Set((caller.scope ?? '').split(' ').filter(Boolean)) }, g);
          const notes = (res.body.extensions?.withheld ?? []) as { path: (string | number)[]; fieldGroup: string; reason: string }[];
          const noted = (field: string, g: FieldGroup) => notes.some((n) => n.path.join('.').endsWith(field) && n.fieldGroup === g && n.reason.length > 0);
          expect(p.fullName).toBe('Cil Ka Thử');
          expect(p.nationalId).toMatch(sight('identity') === 'full' ? /^\d{12}$/ : /^\d{3}\*{6}\d{3}$/);
          expect(p.ethnicity).toBe(sight('ethnicity') === 'full' ? "K'Ho" : null);
          expect(noted('person.ethnicity', 'ethnicity')).toBe(sight('ethnicity') === 'withheld');
          expect(p.disabilityCertificates).toEqual(sight('health') === 'full' ? [{ level: 'SEVERE' }] : []);
          expect(noted('disabilityCertificates', 'health')).toBe(sight('health') === 'withheld');
          expect(p.pensionStatuses).toEqual(sight('financial') === 'full' ? [{ kind: 'SOCIAL_ALLOWANCE' }] : []);
          expect(p.household.povertyAssessments).toEqual(sight('financial') === 'full' ? [{ incomePerPerson: 1_000_000 }] : []);
          expect(noted('household.povertyAssessments', 'financial')).toBe(sight('financial') === 'withheld');
          if (!compiled) {
            const flags = (p.circumstanceFlags as { flag: string }[]).map((f) => f.flag).sort();
            const expected = sight('health') !== 'full' ? [] : sight('hiv') === 'full' ? ['HIV', 'SINGLE_PARENT'] : ['SINGLE_PARENT'];
            expect(flags).toEqual(expected);
            // The HIV note is there whenever the field is asked and HIV is withheld, whatever the person's flags.
            expect(noted('circumstanceFlags', 'hiv')).toBe(sight('health') === 'full' && sight('hiv') === 'withheld');
            expect(p.groups).toEqual(sight('health') === 'full' ? expect.arrayContaining(['DISABILITY']) : []);
          }
          // The compiled path answers only a caller who sees every group asked in full; otherwise the executor.
          const sawAll = ['ethnicity', 'health', 'financial'].every((g) => sight(g as FieldGroup) === 'full');
          if (compiled) {
            const raw = await t.app.inject({
              method: 'POST',
              url: '/graphql',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              payload: { query, variables: { id: subject } },
            });
            expect(raw.headers['x-an-sinh-compiled'] === '1').toBe(sawAll);
          }
        }
      });
    }
  }

  it('a note never tells whether there was something to withhold', async () => {
    const token = await t.token('auditor');
    const someoneElse = await person(t, { dateOfBirth: '1991-01-01', commune: LAT });
    const q = `query($id: ID!) { person(id: $id) { circumstanceFlags { flag } } }`;
    const withHiv = (await t.gql(q, { id: subject }, token)).body;
    const without = (await t.gql(q, { id: someoneElse }, token)).body;
    expect(withHiv.extensions.withheld.map((n: { fieldGroup: string }) => n.fieldGroup)).toEqual(['hiv']);
    expect(without.extensions).toEqual(withHiv.extensions);
  });
});

describe('HIV programs say HIV: only callers who see hiv get them', () => {
  let t: TestApp;
  let id: string;
  let enrolmentId: string;
  beforeAll(async () => {
    t = await startTestApp();
    const h = await household(t, { commune: LAT });
    id = await person(t, { dateOfBirth: '1980-03-03', commune: LAT, householdId: h, isHead: true });
    await assess(t, h, 'POOR');
    await flag(t, id, 'HIV');
    await flag(t, id, 'NO_STABLE_INCOME');
    enrolmentId = await enrolAndApprove(t, id, 'D20_5_8', '2024-07', LAT);
  });
  afterAll(() => closeTestApp(t));

  const READS = [
    ['enrolment', `query($e: ID!) { enrolment(id: $e) { programCode } }`],
    ['entitlements', `query($id: ID!) { entitlements(personId: $id, from: "2024-07", to: "2024-08") { lines { programCode amount } } }`],
    ['eligibility', `query($id: ID!) { eligibility(personId: $id, asOf: "2024-08-01") { programCode eligible conditions { fact actual text } } }`],
    ['coverageGaps', `{ coverageGaps(communeCode: "${LAT}", asOf: "2024-08-01", first: 500) { nodes { programCode person { id } reasons { actual } } } }`],
    ['person.enrolments', `query($id: ID!) { person(id: $id) { enrolments { programCode } } }`],
  ] as const;

  it('another commune’s enrolment answers paymentRecipients as an unknown one (NOT_FOUND), not FORBIDDEN', async () => {
    const officer = await t.token('commune_officer', [DA_SAR]);
    const q = `query($e: ID!) { paymentRecipients(enrolmentId: $e) { id } }`;
    const elsewhere = (await t.gql(q, { e: enrolmentId }, officer)).body;
    const unknown = (await t.gql(q, { e: randomUUID() }, officer)).body;
    expect(elsewhere.errors[0].extensions.code).toBe('NOT_FOUND');
    expect(unknown.errors[0].extensions.code).toBe('NOT_FOUND');
    expect(elsewhere.data).toEqual(unknown.data);
  });

  it.each(READS)('%s', async (_name, query) => {
    const vars = { id, e: enrolmentId };
    for (const [caller, sees] of [
      [await t.token('district_officer'), true],
      [await t.token('commune_officer', [LAT]), true],
      [await t.token('auditor'), false],
      [await t.token('admin'), false],
      [await t.token('integration', [], 'benefits:read'), false],
      [await t.token('integration', [], 'benefits:read health:hiv'), true],
    ] as const) {
      const res = await t.gql(query, query.includes('$') ? vars : undefined, caller);
      expect(res.body.errors).toBeUndefined();
      const text = JSON.stringify(res.body.data);
      if (sees) {
        if (_name !== 'coverageGaps') expect(text).toMatch(/D20_5_8|HIV/);
        expect(res.body.extensions?.withheld).toBeUndefined();
      } else {
        expect(text).not.toMatch(/D20_5_8|D20_5_3|HIV/);
        expect(res.body.extensions.withheld).toContainEqual(expect.objectContaining({ fieldGroup: 'hiv' }));
      }
    }
  });
});

describe('logged reads', () => {
  let t: TestApp;
  let people: string[];
  beforeAll(async () => {
    t = await startTestApp();
    const h = await household(t, { commune: LAT });
    people = [];
    for (let i = 0; i < 3; i++)
      people.push(await person(t, { dateOfBirth: `19${40 + i}-01-01`, commune: LAT, householdId: h, isHead: i === 0, relation: 'con' }));
    await certifyDisability(t, people[0]!);
    await assess(t, h, 'POOR');
  });
  afterAll(() => closeTestApp(t));

  const log = async (personId: string) =>
    ok(
      await t.gql(
        `query($id: ID!) { accessLog(personId: $id) { actor actorRole requestId operation fieldGroups peopleRead } }`,
        { id: personId },
        await t.token('auditor'),
      ),
      'accessLog',
    );

  it('a read of health data is one event naming who, the role, the groups and the request', async () => {
    const officer = await t.token('commune_officer', [LAT], '', 'officer-lat-1');
    const res = await t.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { authorization: `Bearer ${officer}`, 'content-type': 'application/json', 'x-request-id': 'req-health-1' },
      payload: { query: `query($id: ID!) { person(id: $id) { id disabilityCertificates { level } } }`, variables: { id: people[0] } },
    });
    expect(res.json().data.person.disabilityCertificates).toEqual([{ level: 'SEVERE' }]);
    expect(await log(people[0]!)).toContainEqual({
      actor: 'officer-lat-1',
      actorRole: 'commune_officer',
      requestId: 'req-health-1',
      operation: 'person',
      fieldGroups: ['HEALTH'],
      peopleRead: 1,
    });
  });

  it.each([
    ['compiled path', true],
    ['executor', false],
  ])('a page of people is one row for the request (%s)', async (_n, compiled) => {
    const app = compiled ? t : await startTestApp({ sharedDatabase: t.db, compiledReads: false });
    try {
      const subjectName = `page-reader-${compiled ? 'c' : 'e'}`;
      const token = await t.token('commune_officer', [LAT], '', subjectName);
      const q = `{ beneficiaries(communeCode: "${LAT}", first: 200) { nodes { id ethnicity household { id povertyAssessments { classification } } } } }`;
      const before = await t.db.database.db.execute(`SELECT count(*)::int AS n FROM access_events`);
      const r = await app.gql(q, undefined, token);
      const nodes = ok(r, 'beneficiaries').nodes as { id: string }[];
      expect(nodes.length).toBeGreaterThan(0);
      const after = await t.db.database.db.execute(`SELECT count(*)::int AS n FROM access_events`);
      expect(Number(after.rows[0]!.n) - Number(before.rows[0]!.n)).toBe(1);
      const events = (await log(nodes[0]!.id)).filter((e: { actor: string }) => e.actor === subjectName);
      expect(events).toHaveLength(1);
      expect(events[0].fieldGroups).toEqual(['ETHNICITY', 'FINANCIAL']);
      expect(events[0].peopleRead).toBe(nodes.length);
    } finally {
      if (app !== t) await closeTestApp(app);
    }
  });

  it('nothing is logged for a read of no sensitive group', async () => {
    const token = await t.token('commune_officer', [LAT], '', 'name-only-reader');
    ok(await t.gql(`query($id: ID!) { person(id: $id) { id fullName nationalId } }`, { id: people[1] }, token));
    expect((await log(people[1]!)).filter((e: { actor: string }) => e.actor === 'name-only-reader')).toEqual([]);
  });

  it('only auditors and admins read the access log', async () => {
    for (const role of ['commune_officer', 'district_officer', 'integration'] as const) {
      const r = await t.gql(`query($id: ID!) { accessLog(personId: $id) { actor } }`, { id: people[0] }, await t.token(role, [LAT], 'benefits:read'));
      expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
    }
    expect(
      Array.isArray(ok(await t.gql(`query($id: ID!) { accessLog(personId: $id) { actor } }`, { id: people[0] }, await t.token('admin')), 'accessLog')),
    ).toBe(true);
  });

  it('the access log is append-only', async () => {
    for (const statement of [`UPDATE access_events SET actor = 'someone else'`, `DELETE FROM access_events`, `TRUNCATE access_events`]) {
      const err = await t.db.database.db.execute(statement).then(
        () => undefined,
        (e: unknown) => e as { cause?: { message?: string } },
      );
      expect(err?.cause?.message).toMatch(/append-only/);
    }
  });

  it('the audit trail shows HIV only to the roles that see it, and logs what it shows', async () => {
    const target = people[2]!;
    await flag(t, target, 'HIV');
    const q = `query($id: ID!) { auditTrail(entityType: "Person", entityId: $id) { action after } }`;
    const district = ok(await t.gql(q, { id: target }, await t.token('district_officer', [], '', 'district-trail')), 'auditTrail') as {
      action: string;
      after: { flag?: string } | null;
    }[];
    expect(district.find((e) => e.action === 'recordCircumstanceFlag')?.after?.flag).toBe('HIV');
    const auditorRes = await t.gql(q, { id: target }, await t.token('auditor'));
    const auditorTrail = ok(auditorRes, 'auditTrail') as { action: string; after: unknown }[];
    expect(auditorTrail.find((e) => e.action === 'recordCircumstanceFlag')?.after).toBeNull();
    expect(auditorRes.body.extensions.withheld).toContainEqual(expect.objectContaining({ fieldGroup: 'hiv' }));
    expect(JSON.stringify(auditorRes.body)).not.toContain('HIV');
    const events = (await log(target)).filter((e: { actor: string }) => e.actor === 'district-trail');
    expect(events).toEqual([expect.objectContaining({ operation: 'auditTrail', fieldGroups: expect.arrayContaining(['HIV']) })]);
  });
});
