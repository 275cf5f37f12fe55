/** Helpers for rules and benefits tests: register people and their circumstances through the API. */
import { expect } from 'vitest';
import { makeNationalId } from '../../src/core/national-id.js';
import type { JsonBody, TestApp } from './app.js';

let serial = 5000 + Math.floor(Math.random() * 1000);
let householdSerial = 0;

export const DA_SAR = '24865'; // region III commune 2021-06-04 .. 2025-12-31 (seeded, unconfirmed)
export const LAT = '24862'; // not classified extremely disadvantaged

/** The data of a GraphQL response (or its `field`), after checking that it has no errors. */
export function ok(r: { body: { data?: JsonBody; errors?: unknown } }, field?: string): JsonBody {
  expect(r.body.errors, JSON.stringify(r.body.errors)).toBeUndefined();
  return field ? r.body.data[field] : r.body.data;
}

export async function household(t: TestApp, opts: { commune?: string; village?: string } = {}): Promise<string> {
  const communeCode = opts.commune ?? DA_SAR;
  const r = await t.gql(`mutation($input: RegisterHouseholdInput!) { registerHousehold(input: $input) { id } }`, {
    input: { code: `RULES-${Date.now().toString(36)}-${householdSerial++}`, communeCode, villageCode: opts.village ?? `${communeCode}.01` },
  });
  return ok(r, 'registerHousehold').id;
}

export async function person(
  t: TestApp,
  opts: { dateOfBirth: string; sex?: 'MALE' | 'FEMALE'; commune?: string; householdId?: string; relation?: string; isHead?: boolean; ethnicity?: string },
): Promise<string> {
  const sex = opts.sex ?? 'FEMALE';
  const r = await t.gql(`mutation($input: RegisterPersonInput!) { registerPerson(input: $input) { id } }`, {
    input: {
      nationalId: makeNationalId('068', Number(opts.dateOfBirth.slice(0, 4)), sex, serial++),
      fullName: 'Cil Ka Thử',
      dateOfBirth: opts.dateOfBirth,
      sex,
      ethnicity: opts.ethnicity ?? "K'Ho",
      communeCode: opts.commune ?? DA_SAR,
      householdId: opts.householdId ?? null,
      relationToHead: opts.isHead ? null : (opts.relation ?? null),
      isHead: opts.isHead ?? false,
    },
  });
  return ok(r, 'registerPerson').id;
}

/** Poor: income under the rural line and 3 deprivations; near-poor: under the line, 1 deprivation. */
export async function assess(t: TestApp, householdId: string, cls: 'POOR' | 'NEAR_POOR' | 'NONE', assessedOn = '2022-06-01') {
  const deprivations = cls === 'POOR' ? ['HEALTH_INSURANCE', 'HYGIENIC_LATRINE', 'WATER_SOURCE'] : ['NUTRITION'];
  const r = await t.gql(`mutation($input: RecordPovertyAssessmentInput!) { recordPovertyAssessment(input: $input) { classification } }`, {
    input: { householdId, assessedOn, area: 'RURAL', incomePerPerson: cls === 'NONE' ? 3_000_000 : 1_000_000, deprivations },
  });
  expect(ok(r, 'recordPovertyAssessment')).toEqual({ classification: cls });
}

export async function flag(t: TestApp, personId: string, flagName: string, validFrom = '2020-01-01', validTo: string | null = null) {
  const r = await t.gql(`mutation($input: RecordCircumstanceFlagInput!) { recordCircumstanceFlag(input: $input) { id flag } }`, {
    input: { personId, flag: flagName, validFrom, validTo, evidence: 'BB-01/UBND' },
  });
  return ok(r, 'recordCircumstanceFlag');
}

export const ENROL = `mutation($input: EnrolInput!) { enrol(input: $input) { id status startPeriod programCode } }`;

/** Proposed by a commune officer of the person's commune, approved by a district officer. */
export async function enrolAndApprove(t: TestApp, personId: string, programCode: string, startPeriod: string, commune = DA_SAR, decisionDate?: string) {
  const officer = await t.token('commune_officer', [commune]);
  const r = await t.gql(
    ENROL,
    { input: { personId, programCode, decisionNo: `${programCode}-QĐ`, decisionDate: decisionDate ?? `${startPeriod}-10`, startPeriod } },
    officer,
  );
  const e = ok(r, 'enrol');
  expect(e.status).toBe('PROPOSED');
  const a = await t.gql(`mutation { approveEnrolment(id: "${e.id}") { id status } }`);
  expect(ok(a, 'approveEnrolment').status).toBe('ACTIVE');
  return e.id as string;
}

export const ENTITLEMENTS = `query($personId: ID!, $from: Period!, $to: Period!) {
  entitlements(personId: $personId, from: $from, to: $to) {
    period total
    lines { programCode status amount payableAmount coefficient suppressedBy note noteVi
      enrolment { id } baseLevel { amount effectiveFrom publishedAt } ruleVersion { version legalBasis } failedConditions { fact text } }
  }
}`;

export async function entitlements(t: TestApp, personId: string, from: string, to: string): Promise<JsonBody[]> {
  return ok(await t.gql(ENTITLEMENTS, { personId, from, to }), 'entitlements');
}

export const ELIGIBILITY = `query($personId: ID!, $asOf: Date) {
  eligibility(personId: $personId, asOf: $asOf) {
    programCode eligible monthlyAmount amount coefficient legalBasis startsFrom
    baseLevel { amount } ruleVersion { version }
    conditions { fact operator expected actual held text textVi }
  }
}`;

export async function eligibility(t: TestApp, personId: string, asOf: string) {
  const rows: JsonBody[] = ok(await t.gql(ELIGIBILITY, { personId, asOf }), 'eligibility');
  return new Map(rows.map((r) => [r.programCode as string, r]));
}

/** Records a disability certificate (issued 2024-01-10 unless said) for a person. */
export async function certifyDisability(t: TestApp, personId: string, level: 'SEVERE' | 'PARTICULARLY_SEVERE' = 'SEVERE', issuedOn = '2024-01-10') {
  ok(
    await t.gql(
      `mutation($id: ID!, $no: String!, $level: DisabilityLevel!, $on: Date!) { recordDisability(input: { personId: $id, level: $level, certificateNo: $no, issuedOn: $on }) { id } }`,
      { id: personId, no: `GXN-${personId.slice(0, 8)}`, level, on: issuedOn },
    ),
  );
}
