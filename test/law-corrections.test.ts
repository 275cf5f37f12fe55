/**
 * Correcting what an admin recorded about the law: a conversion to the social pension recorded in error is withdrawn
 * (kept, marked, audited) and may be recorded anew; coverage gaps follow the conversions in force (art. 5.5.b/5.5.c
 * people of a converted commune are gaps for the social pension only); eligibility says whether the base level it
 * used was in force; an unconfirmed base level is confirmed, or replaced by a corrected row
 * (docs/law.md#social-pension, #social-assistance-base-level).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedReferenceData } from '../src/reference/reference.js';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { certifyDisability, DA_SAR, enrolAndApprove, LAT, ok, person } from './support/people.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => closeTestApp(t));

/** The successor of Đạ Sar from 2025-07-01 (provisional code, src/reference/reference.ts SUCCESSOR_UNITS). */
const XA_LAC_DUONG = '90001';

const CONVERSION = 'id communeCode effectivePeriod decisionNo recordedBy withdrawnAt withdrawnBy withdrawalReason';
const CONVERT = `mutation($input: RecordPensionConversionInput!) { recordPensionConversion(input: $input) { ${CONVERSION} } }`;
const WITHDRAW = `mutation($id: ID!, $reason: String!) { withdrawPensionConversion(id: $id, reason: $reason) { ${CONVERSION} } }`;
const LINES = `query($personId: ID!, $from: Period!, $to: Period!) {
  entitlements(personId: $personId, from: $from, to: $to) {
    period total lines { programCode status amount unconfirmed pensionConversion { id } enrolment { id programCode } }
  }
}`;

const input = (effectivePeriod: string, decisionNo: string) => ({
  communeCode: XA_LAC_DUONG,
  effectivePeriod,
  legalBasis: 'Nghị định 176/2025/NĐ-CP; Quyết định chuyển đổi của UBND tỉnh (thử)',
  decisionNo,
});
const lineOf = async (personId: string, period: string): Promise<JsonBody> => {
  const [m] = ok(await t.gql(LINES, { personId, from: period, to: period }), 'entitlements');
  return m.lines[0];
};
const conversions = async (): Promise<JsonBody[]> => ok(await t.gql(`{ pensionConversions { ${CONVERSION} } }`), 'pensionConversions');

/** The programs a person is a coverage gap for on asOf, in a commune (every page). */
async function gapsOf(personId: string, communeCode: string, asOf: string): Promise<string[]> {
  const found: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page: JsonBody = ok(
      await t.gql(
        `query($c: String, $d: Date, $a: String) { coverageGaps(communeCode: $c, asOf: $d, first: 500, after: $a) {
          pageInfo { hasNextPage endCursor } nodes { person { id } programCode } } }`,
        { c: communeCode, d: asOf, a: after },
      ),
      'coverageGaps',
    );
    for (const n of page.nodes) if (n.person.id === personId) found.push(n.programCode);
    if (!page.pageInfo.hasNextPage) return found.sort();
    after = page.pageInfo.endCursor;
  }
}

describe('conversions to the social pension: coverage gaps, withdrawal, recording anew', () => {
  let unenrolled: string;
  let enrolled: string;
  let enrolment: string;
  let elsewhere: string;
  let first: JsonBody;

  it('before any conversion, an unenrolled 5.5c person is a gap for 5.5c and the social pension', async () => {
    unenrolled = await person(t, { dateOfBirth: '1940-03-05', commune: DA_SAR });
    enrolled = await person(t, { dateOfBirth: '1941-05-06', commune: DA_SAR });
    enrolment = await enrolAndApprove(t, enrolled, 'D20_5_5C', '2025-06', DA_SAR, '2025-06-10');
    elsewhere = await person(t, { dateOfBirth: '1939-07-08', commune: LAT });
    expect(await gapsOf(unenrolled, XA_LAC_DUONG, '2025-11-15')).toEqual(['D20_5_5C', 'SOCIAL_PENSION']);
    // Enrolled in 5.5c: no gap for either (the two compete: one is paid).
    expect(await gapsOf(enrolled, XA_LAC_DUONG, '2025-11-15')).toEqual([]);
    expect(await gapsOf(elsewhere, LAT, '2025-11-15')).toEqual(['D20_5_5C', 'SOCIAL_PENSION']);
  });

  it('once a conversion is in force, its people are gaps for the social pension only; before it and elsewhere nothing changes', async () => {
    const admin = await t.token('admin');
    first = ok(await t.gql(CONVERT, { input: input('2025-10', 'QĐ-CĐ-SAI') }, admin), 'recordPensionConversion');
    expect(first).toMatchObject({ communeCode: XA_LAC_DUONG, withdrawnAt: null, withdrawnBy: null, withdrawalReason: null });
    expect(await gapsOf(unenrolled, XA_LAC_DUONG, '2025-11-15')).toEqual(['SOCIAL_PENSION']);
    expect(await gapsOf(unenrolled, XA_LAC_DUONG, '2025-10-01')).toEqual(['SOCIAL_PENSION']);
    // The day before the conversion's first month, and in a commune it does not cover, both remain gaps.
    expect(await gapsOf(unenrolled, XA_LAC_DUONG, '2025-09-30')).toEqual(['D20_5_5C', 'SOCIAL_PENSION']);
    expect(await gapsOf(elsewhere, LAT, '2025-11-15')).toEqual(['D20_5_5C', 'SOCIAL_PENSION']);
    // Enrolled in 5.5c (paid the pension now): still no gap.
    expect(await gapsOf(enrolled, XA_LAC_DUONG, '2025-11-15')).toEqual([]);
    expect(await lineOf(enrolled, '2025-10')).toMatchObject({ programCode: 'SOCIAL_PENSION', pensionConversion: { id: first.id } });
  });

  it('withdrawPensionConversion: admin only, a reason, a known id; nothing written when refused', async () => {
    const admin = await t.token('admin');
    expect((await t.gql(WITHDRAW, { id: first.id, reason: 'Ghi nhầm xã' })).body.errors[0].extensions.code).toBe('FORBIDDEN');
    const blank = await t.gql(WITHDRAW, { id: first.id, reason: '  ' }, admin);
    expect(blank.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(JSON.stringify(blank.body.errors[0].extensions)).toContain('"reason"');
    const long = await t.gql(WITHDRAW, { id: first.id, reason: 'x'.repeat(1001) }, admin);
    expect(long.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
    const badId = await t.gql(WITHDRAW, { id: 'not-an-id', reason: 'Ghi nhầm xã' }, admin);
    expect(badId.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
    const unknown = await t.gql(WITHDRAW, { id: '00000000-0000-4000-8000-000000000000', reason: 'Ghi nhầm xã' }, admin);
    expect(unknown.body.errors[0].extensions.code).toBe('NOT_FOUND');
    expect((await conversions()).map((c: { withdrawnAt: string | null }) => c.withdrawnAt)).toEqual([null]);
  });

  it('a withdrawn conversion is kept and shown, moves no month and leaves no gap out; it is audited before and after', async () => {
    const admin = await t.token('admin');
    const withdrawn = ok(await t.gql(WITHDRAW, { id: first.id, reason: 'Ghi nhầm xã: quyết định là của xã khác' }, admin), 'withdrawPensionConversion');
    expect(withdrawn).toMatchObject({
      id: first.id,
      decisionNo: 'QĐ-CĐ-SAI',
      withdrawnBy: 'test-admin',
      withdrawalReason: 'Ghi nhầm xã: quyết định là của xã khác',
      withdrawnAt: expect.any(String),
    });
    expect(await conversions()).toEqual([withdrawn]);
    // The months follow 5.5c again (flagged unconfirmed), and the unenrolled person is a 5.5c gap again.
    expect(await lineOf(enrolled, '2025-10')).toMatchObject({ programCode: 'D20_5_5C', pensionConversion: null, unconfirmed: true });
    expect(await gapsOf(unenrolled, XA_LAC_DUONG, '2025-11-15')).toEqual(['D20_5_5C', 'SOCIAL_PENSION']);
    // Once only.
    const again = await t.gql(WITHDRAW, { id: first.id, reason: 'Lần nữa' }, admin);
    expect(again.body.errors[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'id' });
    const trail = ok(await t.gql(`{ auditTrail(entityType: "PensionConversion", entityId: "${first.id}") { action before after } }`), 'auditTrail');
    expect(trail.map((e: { action: string }) => e.action)).toEqual(['recordPensionConversion', 'withdrawPensionConversion']);
    const event = trail[1];
    expect(event.before).toMatchObject({ id: first.id, withdrawnAt: null });
    expect(event.after).toMatchObject({ withdrawnBy: 'test-admin', withdrawalReason: 'Ghi nhầm xã: quyết định là của xã khác' });
    expect(event.after.enrolments).toContainEqual({ id: enrolment, personId: enrolled, programCode: 'D20_5_5C' });
  });

  it('after a withdrawal a new conversion may be recorded for the commune, and only it counts', async () => {
    const admin = await t.token('admin');
    const second = ok(await t.gql(CONVERT, { input: input('2025-12', 'QĐ-CĐ-02') }, admin), 'recordPensionConversion');
    expect(second).toMatchObject({ communeCode: XA_LAC_DUONG, effectivePeriod: '2025-12', withdrawnAt: null });
    expect((await conversions()).map((c: { id: string; withdrawnAt: string | null }) => [c.id, c.withdrawnAt === null])).toEqual([
      [first.id, false],
      [second.id, true],
    ]);
    // Still one in force per commune.
    expect((await t.gql(CONVERT, { input: input('2026-01', 'QĐ-CĐ-03') }, admin)).body.errors[0].extensions).toMatchObject({
      code: 'CONFLICT',
      field: 'input.communeCode',
    });
    expect(await lineOf(enrolled, '2025-11')).toMatchObject({ programCode: 'D20_5_5C', pensionConversion: null });
    expect(await lineOf(enrolled, '2025-12')).toMatchObject({ programCode: 'SOCIAL_PENSION', pensionConversion: { id: second.id } });
    expect(await gapsOf(unenrolled, XA_LAC_DUONG, '2025-11-15')).toEqual(['D20_5_5C', 'SOCIAL_PENSION']);
    expect(await gapsOf(unenrolled, XA_LAC_DUONG, '2025-12-01')).toEqual(['SOCIAL_PENSION']);
    // A program filter asks the same question: no 5.5c gap for them, a social-pension gap.
    const only = async (programCode: string) =>
      ok(
        await t.gql(
          `{ coverageGaps(communeCode: "${XA_LAC_DUONG}", programCode: "${programCode}", asOf: "2025-12-01", first: 500) { nodes { person { id } } } }`,
        ),
        'coverageGaps',
      ).nodes.some((n: { person: { id: string } }) => n.person.id === unenrolled);
    expect(await only('D20_5_5C')).toBe(false);
    expect(await only('SOCIAL_PENSION')).toBe(true);
  });
});

/** A severely disabled adult (art. 5.6: 1.5 × the social-assistance base). */
async function disabledAdult(commune: string): Promise<string> {
  const id = await person(t, { dateOfBirth: '1985-04-12', commune });
  await certifyDisability(t, id);
  return id;
}

const ELIGIBILITY = `query($personId: ID!, $asOf: Date) {
  eligibility(personId: $personId, asOf: $asOf) { programCode eligible monthlyAmount baseLevel { id amount inForceOn } baseLevelInForce unconfirmed }
}`;
const eligibilityOf = async (personId: string, asOf: string, code: string): Promise<JsonBody> =>
  ok(await t.gql(ELIGIBILITY, { personId, asOf }), 'eligibility').find((r: { programCode: string }) => r.programCode === code);

describe('eligibility says whether the base level it used was in force', () => {
  it('as entitlement lines: false through the month before the decree came into force, true from its month', async () => {
    const id = await disabledAdult(LAT);
    // The 2026 level (540,000) applies from 2026-07-01 but is in force only from 2026-10-05.
    expect(await eligibilityOf(id, '2026-08-15', 'D20_5_6')).toMatchObject({
      eligible: true,
      monthlyAmount: 810_000,
      baseLevel: { amount: 540_000, inForceOn: '2026-10-05' },
      baseLevelInForce: false,
      unconfirmed: true,
    });
    expect(await eligibilityOf(id, '2026-09-30', 'D20_5_6')).toMatchObject({ baseLevelInForce: false });
    // In force by the month's last day: the whole of 2026-10 is payable on it, as on the 2026-10 entitlement line.
    expect(await eligibilityOf(id, '2026-10-01', 'D20_5_6')).toMatchObject({ monthlyAmount: 810_000, baseLevelInForce: true });
    // Before 2026-07 the 2024 level, in force: true. Not eligible (no base level used): true.
    expect(await eligibilityOf(id, '2026-06-30', 'D20_5_6')).toMatchObject({ baseLevel: { amount: 500_000 }, baseLevelInForce: true });
    expect(await eligibilityOf(id, '2026-08-15', 'D20_5_5C')).toMatchObject({ eligible: false, baseLevel: null, baseLevelInForce: true });
  });
});

const LEVEL = 'id kind amount effectiveFrom inForceOn confirmed supersedes supersededBy confirmation { source confirmedBy confirmedAt }';
const CONFIRM = `mutation($id: ID!, $source: String!) { confirmBaseLevel(id: $id, source: $source) { ${LEVEL} } }`;
const PUBLISH = `mutation($amount: Vnd!, $effectiveFrom: Date!, $supersedes: ID, $kind: BaseLevelKind!) {
  publishBaseLevel(kind: $kind, amount: $amount, effectiveFrom: $effectiveFrom, issuedOn: "2026-08-21", inForceOn: "2026-10-05",
    legalBasis: "Nghị định 335/2026/NĐ-CP (đính chính mức, thử)", confirmed: false, supersedes: $supersedes) { ${LEVEL} }
}`;
const levels = async (kind: string, effectiveFrom: string): Promise<JsonBody[]> =>
  ok(await t.gql(`{ baseLevels(kind: ${kind}) { ${LEVEL} } }`), 'baseLevels').filter((b: { effectiveFrom: string }) => b.effectiveFrom === effectiveFrom);
const trailOf = async (id: string): Promise<JsonBody[]> =>
  ok(await t.gql(`{ auditTrail(entityType: "BaseLevel", entityId: "${id}") { action before after } }`), 'auditTrail');

describe('correcting an unconfirmed base level: replaced when wrong, confirmed when right', () => {
  let adult: string;
  let seeded: JsonBody;
  let corrected: JsonBody;

  it('a correction supersedes the row for the same kind and date; amounts use it; refusals write nothing', async () => {
    const admin = await t.token('admin');
    adult = await disabledAdult(LAT);
    await enrolAndApprove(t, adult, 'D20_5_6', '2026-07', LAT, '2026-07-10');
    [seeded] = await levels('SOCIAL_ASSISTANCE', '2026-07-01');
    expect(seeded).toMatchObject({ amount: 540_000, confirmed: false, supersedes: null, supersededBy: null, confirmation: null });
    const publish = (vars: Record<string, unknown>, token?: string) =>
      t.gql(PUBLISH, { kind: 'SOCIAL_ASSISTANCE', amount: 545_000, effectiveFrom: '2026-07-01', ...vars }, token);

    expect((await publish({ supersedes: seeded.id })).body.errors[0].extensions.code).toBe('FORBIDDEN');
    // Without supersedes: one row per kind and date, and the message says how to correct it.
    const twice = await publish({}, admin);
    expect(twice.body.errors[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'effectiveFrom' });
    expect(twice.body.errors[0].message).toMatch(/supersedes/);
    // A correction keeps the kind and date of the row it replaces.
    const otherDate = await publish({ supersedes: seeded.id, effectiveFrom: '2026-08-01' }, admin);
    expect(otherDate.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(otherDate.body.errors[0].extensions)).toContain('supersedes');
    const otherKind = await publish({ supersedes: seeded.id, kind: 'SOCIAL_PENSION' }, admin);
    expect(otherKind.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
    expect((await publish({ supersedes: '00000000-0000-4000-8000-000000000000' }, admin)).body.errors[0].extensions.code).toBe('NOT_FOUND');
    expect(await levels('SOCIAL_ASSISTANCE', '2026-07-01')).toEqual([seeded]);

    corrected = ok(await publish({ supersedes: seeded.id }, admin), 'publishBaseLevel');
    expect(corrected).toMatchObject({ amount: 545_000, confirmed: false, supersedes: seeded.id, supersededBy: null });
    // Both rows stay listed; the old one says what replaced it.
    expect(await levels('SOCIAL_ASSISTANCE', '2026-07-01')).toEqual([{ ...seeded, supersededBy: corrected.id }, corrected]);
    // Superseded once only: a second correction corrects the row in use.
    expect((await publish({ supersedes: seeded.id, amount: 546_000 }, admin)).body.errors[0].extensions).toMatchObject({
      code: 'CONFLICT',
      field: 'supersedes',
    });

    // Amounts use the correction (1.5 × 545,000), still flagged unconfirmed: it was published so.
    expect(await eligibilityOf(adult, '2026-08-15', 'D20_5_6')).toMatchObject({
      monthlyAmount: 817_500,
      baseLevel: { id: corrected.id, amount: 545_000 },
      baseLevelInForce: false,
      unconfirmed: true,
    });
    const [aug] = ok(
      await t.gql(`{ entitlements(personId: "${adult}", from: "2026-08", to: "2026-08") { total lines { baseLevel { id } unconfirmed } } }`),
      'entitlements',
    );
    expect(aug).toEqual({ total: 817_500, lines: [{ baseLevel: { id: corrected.id }, unconfirmed: true }] });

    // Audited on both rows.
    expect((await trailOf(corrected.id)).map((e: { action: string }) => e.action)).toEqual(['publishBaseLevel']);
    const [superseded] = await trailOf(seeded.id);
    expect(superseded).toMatchObject({ action: 'supersedeBaseLevel', before: { id: seeded.id }, after: { supersededBy: corrected.id } });
  });

  it('confirmBaseLevel: admin only, a source, a known unconfirmed row in use; then amounts stop being flagged', async () => {
    const admin = await t.token('admin');
    const source = 'Công báo số 1234+1235, ngày 30/8/2026: Nghị định 335/2026/NĐ-CP, điều 4 (đã đối chiếu)';
    expect((await t.gql(CONFIRM, { id: corrected.id, source })).body.errors[0].extensions.code).toBe('FORBIDDEN');
    const blank = await t.gql(CONFIRM, { id: corrected.id, source: ' ' }, admin);
    expect(blank.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(blank.body.errors[0].extensions)).toContain('source');
    expect((await t.gql(CONFIRM, { id: '00000000-0000-4000-8000-000000000000', source }, admin)).body.errors[0].extensions.code).toBe('NOT_FOUND');
    // The superseded row sets no amount: confirming it is refused.
    expect((await t.gql(CONFIRM, { id: seeded.id, source }, admin)).body.errors[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'id' });
    // A level published confirmed needs no confirmation.
    const [confirmed2024] = await levels('SOCIAL_ASSISTANCE', '2024-07-01');
    expect((await t.gql(CONFIRM, { id: confirmed2024.id, source }, admin)).body.errors[0].extensions.code).toBe('CONFLICT');
    expect((await levels('SOCIAL_ASSISTANCE', '2026-07-01'))[1]).toEqual(corrected);

    const done = ok(await t.gql(CONFIRM, { id: corrected.id, source }, admin), 'confirmBaseLevel');
    expect(done).toMatchObject({ id: corrected.id, amount: 545_000, confirmed: true, confirmation: { source, confirmedBy: 'test-admin' } });
    expect((await levels('SOCIAL_ASSISTANCE', '2026-07-01'))[1]).toEqual(done);
    expect((await t.gql(CONFIRM, { id: corrected.id, source }, admin)).body.errors[0].extensions.code).toBe('CONFLICT');

    // No longer flagged, wherever the amount shows; the in-force date still marks arrears.
    expect(await eligibilityOf(adult, '2026-08-15', 'D20_5_6')).toMatchObject({ monthlyAmount: 817_500, unconfirmed: false, baseLevelInForce: false });
    const [aug] = ok(
      await t.gql(`{ entitlements(personId: "${adult}", from: "2026-08", to: "2026-08") { lines { unconfirmed unconfirmedReasons { source } } } }`),
      'entitlements',
    );
    expect(aug.lines).toEqual([{ unconfirmed: false, unconfirmedReasons: [] }]);
    const trail = await trailOf(corrected.id);
    expect(trail.map((e: { action: string }) => e.action)).toEqual(['publishBaseLevel', 'confirmBaseLevel']);
    expect(trail[1].before).toMatchObject({ confirmed: false, confirmation: null });
    expect(trail[1].after).toMatchObject({ confirmed: true, confirmation: { source, confirmedBy: 'test-admin' } });
  });

  it('the reference data applied again at a start leaves the corrected level alone', async () => {
    const before = await levels('SOCIAL_ASSISTANCE', '2026-07-01');
    await seedReferenceData(t.db.database.db);
    expect(await levels('SOCIAL_ASSISTANCE', '2026-07-01')).toEqual(before);
    expect(await eligibilityOf(adult, '2026-08-15', 'D20_5_6')).toMatchObject({ monthlyAmount: 817_500, unconfirmed: false });
  });
});
