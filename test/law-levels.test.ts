/**
 * The 2026 levels with their three dates, the "unconfirmed" flag on amounts resting on an unconfirmed level or rule
 * version (eligibility, entitlements, coverage gaps), whether a month's level was in force when the month ended
 * (arrears), and the art. 5.5.b/5.5.c regime after 2025-06: flagged, a tie with the social pension kept, and a
 * recorded conversion after which the social pension pays (docs/law.md#social-assistance-base-level,
 * #merit-base-levels, #social-pension).
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedReferenceData } from '../src/reference/reference.js';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { certifyDisability, DA_SAR, enrolAndApprove, household, LAT, ok, person } from './support/people.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => closeTestApp(t));

/** The successor of Đạ Sar from 2025-07-01 (provisional code, src/reference/reference.ts SUCCESSOR_UNITS). */
const XA_LAC_DUONG = '90001';

const REASONS = 'unconfirmed unconfirmedReasons { source sourceId text textVi }';
const LINES = `query($personId: ID!, $from: Period!, $to: Period!) {
  entitlements(personId: $personId, from: $from, to: $to) {
    period total
    lines { programCode status amount payableAmount coefficient suppressedBy note noteVi baseLevelInForce ${REASONS}
      pensionConversion { id communeCode effectivePeriod decisionNo }
      enrolment { id programCode } baseLevel { id amount effectiveFrom inForceOn } ruleVersion { id version programCode } }
  }
}`;
const ELIGIBILITY = `query($personId: ID!, $asOf: Date) {
  eligibility(personId: $personId, asOf: $asOf) { programCode eligible monthlyAmount ruleVersion { id version } baseLevel { id amount } ${REASONS} }
}`;
const CONVERT = `mutation($input: RecordPensionConversionInput!) {
  recordPensionConversion(input: $input) { id communeCode effectivePeriod legalBasis decisionNo recordedBy recordedAt }
}`;

const months = async (personId: string, from: string, to: string): Promise<JsonBody[]> => ok(await t.gql(LINES, { personId, from, to }), 'entitlements');
const monthOf = (ms: JsonBody[], period: string): JsonBody => ms.find((m: { period: string }) => m.period === period);
const eligibilityOf = async (personId: string, asOf: string, code: string): Promise<JsonBody> =>
  ok(await t.gql(ELIGIBILITY, { personId, asOf }), 'eligibility').find((r: { programCode: string }) => r.programCode === code);

async function baseLevels(): Promise<JsonBody[]> {
  return ok(await t.gql(`{ baseLevels { id kind amount effectiveFrom issuedOn inForceOn legalBasis confirmed } }`), 'baseLevels');
}
async function baseLevel(kind: string, effectiveFrom: string): Promise<JsonBody> {
  const row = (await baseLevels()).find((b: { kind: string; effectiveFrom: string }) => b.kind === kind && b.effectiveFrom === effectiveFrom);
  expect(row, `${kind} from ${effectiveFrom}`).toBeDefined();
  return row;
}

async function disabledAdult(commune: string, level: 'SEVERE' | 'PARTICULARLY_SEVERE' = 'SEVERE'): Promise<string> {
  const id = await person(t, { dateOfBirth: '1985-04-12', commune });
  await certifyDisability(t, id, level);
  return id;
}

describe('base levels carry three dates', () => {
  it('seeds the 2026 levels flagged unconfirmed with their decrees: issued, in force and applies-from dates', async () => {
    expect(await baseLevel('SOCIAL_ASSISTANCE', '2026-07-01')).toMatchObject({
      amount: 540_000,
      issuedOn: '2026-08-21',
      inForceOn: '2026-10-05',
      confirmed: false,
      legalBasis: expect.stringContaining('335/2026'),
    });
    expect(await baseLevel('SOCIAL_PENSION', '2026-07-01')).toMatchObject({
      amount: 540_000,
      issuedOn: '2026-08-21',
      inForceOn: '2026-10-05',
      confirmed: false,
      legalBasis: expect.stringContaining('335/2026'),
    });
    // Decree 321/2026: our sources give no issued or in-force date; the row says so and is in force from July.
    const merit = await baseLevel('MERIT', '2026-07-01');
    expect(merit).toMatchObject({ amount: 3_012_000, issuedOn: null, inForceOn: '2026-07-01', confirmed: false });
    expect(merit.legalBasis).toMatch(/321\/2026/);
    expect(merit.legalBasis).toMatch(/chưa rõ/);
    // The confirmed levels before them: in force from the day they apply.
    for (const b of (await baseLevels()).filter((x: { confirmed: boolean }) => x.confirmed)) expect(b.inForceOn).toBe(b.effectiveFrom);
  });

  it('publishBaseLevel takes the decree dates: in force defaults to the later of applies-from and issued; before issued is refused', async () => {
    const admin = await t.token('admin');
    const publish = (effectiveFrom: string, extra: string) =>
      t.gql(
        `mutation { publishBaseLevel(kind: SOCIAL_PENSION, amount: 600000, effectiveFrom: "${effectiveFrom}", legalBasis: "Nghị định thử", confirmed: false${extra}) { effectiveFrom issuedOn inForceOn } }`,
        undefined,
        admin,
      );
    const refused = await publish('2030-01-01', ', issuedOn: "2030-02-01", inForceOn: "2030-01-15"');
    expect(refused.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(JSON.stringify(refused.body.errors[0].extensions)).toContain('inForceOn');
    expect((await baseLevels()).some((b: { effectiveFrom: string }) => b.effectiveFrom === '2030-01-01')).toBe(false);
    expect(ok(await publish('2030-01-01', ', issuedOn: "2030-02-01"'), 'publishBaseLevel')).toEqual({
      effectiveFrom: '2030-01-01',
      issuedOn: '2030-02-01',
      inForceOn: '2030-02-01',
    });
    expect(ok(await publish('2031-01-01', ''), 'publishBaseLevel')).toEqual({ effectiveFrom: '2031-01-01', issuedOn: null, inForceOn: '2031-01-01' });
  });

  it('a database seeded before the 2026 levels gets them at its next start, and keeps its own rows', async () => {
    const db = t.db.database.db;
    const before = await baseLevels();
    // A database as it stood before: without the 2026 rows and the 2025 rule versions (rows are immutable, so the
    // guard is lifted for this setup only).
    await db.execute(sql`ALTER TABLE base_levels DISABLE TRIGGER base_levels_immutable`);
    await db.execute(sql`DELETE FROM base_levels WHERE effective_from = '2026-07-01'`);
    await db.execute(sql`ALTER TABLE base_levels ENABLE TRIGGER base_levels_immutable`);
    await db.execute(sql`ALTER TABLE program_rules DISABLE TRIGGER program_rules_immutable`);
    await db.execute(sql`DELETE FROM program_rules WHERE program_code IN ('D20_5_5B', 'D20_5_5C') AND version = 2`);
    await db.execute(sql`ALTER TABLE program_rules ENABLE TRIGGER program_rules_immutable`);
    expect((await baseLevels()).filter((b: { effectiveFrom: string }) => b.effectiveFrom === '2026-07-01')).toEqual([]);
    await seedReferenceData(db);
    const after = await baseLevels();
    const key = (b: { kind: string; effectiveFrom: string }) => `${b.kind}|${b.effectiveFrom}`;
    expect(after.map(key).sort()).toEqual(before.map(key).sort());
    // Rows that were there keep their ids (never rewritten); the 2026 rows are back with their dates.
    const untouched = before.filter((b: { effectiveFrom: string }) => b.effectiveFrom !== '2026-07-01');
    for (const b of untouched) expect(after).toContainEqual(b);
    expect(after.find((b: { kind: string; effectiveFrom: string }) => key(b) === 'SOCIAL_ASSISTANCE|2026-07-01')).toMatchObject({
      amount: 540_000,
      inForceOn: '2026-10-05',
    });
    const versions = ok(await t.gql(`{ program(code: "D20_5_5C") { ruleVersions { version effectiveFrom confirmed } } }`), 'program').ruleVersions;
    expect(versions).toEqual([
      { version: 1, effectiveFrom: '2021-07-01', confirmed: true },
      { version: 2, effectiveFrom: '2025-07-01', confirmed: false },
    ]);
  });
});

describe('amounts resting on an unconfirmed level say so', () => {
  it('2026-08 for a severely disabled adult (art. 5.6, 1.5) is 810,000 flagged unconfirmed; months before the decree was in force are marked', async () => {
    const id = await disabledAdult(LAT);
    await enrolAndApprove(t, id, 'D20_5_6', '2026-06', LAT, '2026-06-10');
    const sa2026 = await baseLevel('SOCIAL_ASSISTANCE', '2026-07-01');
    const ms = await months(id, '2026-06', '2026-11');
    expect(ms.map((m: { total: number }) => m.total)).toEqual([750_000, 810_000, 810_000, 810_000, 810_000, 810_000]);
    const june = monthOf(ms, '2026-06').lines[0];
    expect(june).toMatchObject({ unconfirmed: false, unconfirmedReasons: [], baseLevelInForce: true, baseLevel: { amount: 500_000 } });
    const aug = monthOf(ms, '2026-08').lines[0];
    expect(aug).toMatchObject({
      programCode: 'D20_5_6',
      status: 'PAYABLE',
      coefficient: 1.5,
      amount: 810_000,
      unconfirmed: true,
      baseLevel: { id: sa2026.id, amount: 540_000, effectiveFrom: '2026-07-01', inForceOn: '2026-10-05' },
    });
    expect(aug.unconfirmedReasons).toEqual([
      {
        source: 'BASE_LEVEL',
        sourceId: sa2026.id,
        text: expect.stringMatching(/540,000.*unconfirmed/),
        textVi: expect.stringMatching(/540\.000.*chưa được xác nhận/),
      },
    ]);
    // Decree 335/2026 came into force on 2026-10-05: July to September ended before it (arrears), October did not.
    expect(ms.map((m: { period: string; lines: { baseLevelInForce: boolean }[] }) => [m.period, m.lines[0]?.baseLevelInForce])).toEqual([
      ['2026-06', true],
      ['2026-07', false],
      ['2026-08', false],
      ['2026-09', false],
      ['2026-10', true],
      ['2026-11', true],
    ]);

    const e = await eligibilityOf(id, '2026-08-15', 'D20_5_6');
    expect(e).toMatchObject({ eligible: true, monthlyAmount: 810_000, unconfirmed: true, baseLevel: { id: sa2026.id } });
    expect(e.unconfirmedReasons.map((r: { source: string }) => r.source)).toEqual(['BASE_LEVEL']);
    expect(await eligibilityOf(id, '2026-06-15', 'D20_5_6')).toMatchObject({
      eligible: true,
      monthlyAmount: 750_000,
      unconfirmed: false,
      unconfirmedReasons: [],
    });
  });

  it('coverage gaps flag the amount a person left behind would receive on the unconfirmed level', async () => {
    const id = await disabledAdult(LAT, 'PARTICULARLY_SEVERE');
    const q = (asOf: string) =>
      `{ coverageGaps(communeCode: "${LAT}", programCode: "D20_5_6", asOf: "${asOf}", first: 500) { nodes { person { id } monthlyAmount ${REASONS} } } }`;
    const gapOn = async (asOf: string) => ok(await t.gql(q(asOf)), 'coverageGaps').nodes.find((n: { person: { id: string } }) => n.person.id === id);
    expect(await gapOn('2026-08-15')).toMatchObject({
      monthlyAmount: 1_080_000,
      unconfirmed: true,
      unconfirmedReasons: [{ source: 'BASE_LEVEL', text: expect.stringContaining('335/2026') }],
    });
    expect(await gapOn('2026-06-15')).toMatchObject({ monthlyAmount: 1_000_000, unconfirmed: false, unconfirmedReasons: [] });
  });

  it('the merit war-invalid table uses 3,012,000 from 2026-07, flagged on the level and on the derived table', async () => {
    const id = await person(t, { dateOfBirth: '1950-01-01', sex: 'MALE', commune: LAT });
    ok(
      await t.gql(
        `mutation { recordMeritStatus(input: { personId: "${id}", category: "WAR_INVALID", injuryRate: 61, decisionNo: "TB-61", recognizedOn: "1980-01-01" }) { id } }`,
      ),
    );
    await enrolAndApprove(t, id, 'MERIT_WAR_INVALID', '2026-06', LAT, '2026-06-10');
    const merit2026 = await baseLevel('MERIT', '2026-07-01');
    const ms = await months(id, '2026-06', '2026-07');
    // docs/law.md#war-invalid-table: 61% is 5,450,000 at base 2,789,000; the same coefficient (6 decimals) on 3,012,000.
    const coefficient = Math.round((5_450_000 / 2_789_000) * 1e6) / 1e6;
    expect(monthOf(ms, '2026-06').lines[0]).toMatchObject({ amount: 5_450_000, baseLevel: { amount: 2_789_000 } });
    const july = monthOf(ms, '2026-07').lines[0];
    expect(july).toMatchObject({
      status: 'PAYABLE',
      amount: Math.round((coefficient * 3_012_000) / 1000) * 1000,
      coefficient,
      baseLevel: { id: merit2026.id, amount: 3_012_000 },
      ruleVersion: { version: 2 },
      unconfirmed: true,
      baseLevelInForce: true,
    });
    expect(july.amount).toBeGreaterThan(5_450_000);
    // The table's coefficients are derived (rule version unconfirmed) and the level is unconfirmed: both reasons.
    expect(july.unconfirmedReasons.map((r: { source: string; sourceId: string }) => [r.source, r.sourceId])).toEqual([
      ['RULE_VERSION', july.ruleVersion.id],
      ['BASE_LEVEL', merit2026.id],
    ]);
  });
});

describe('art. 5.5.b and 5.5.c after 2025-06', () => {
  it('5.5c months after 2025-06 carry the "legal status unconfirmed" flag; before, not', async () => {
    const id = await person(t, { dateOfBirth: '1940-03-01', commune: LAT });
    await enrolAndApprove(t, id, 'D20_5_5C', '2025-05', LAT, '2025-05-10');
    const ms = await months(id, '2025-05', '2025-08');
    expect(ms.map((m: { total: number }) => m.total)).toEqual([500_000, 500_000, 500_000, 500_000]);
    expect(monthOf(ms, '2025-06').lines[0]).toMatchObject({ programCode: 'D20_5_5C', ruleVersion: { version: 1 }, unconfirmed: false, unconfirmedReasons: [] });
    const july = monthOf(ms, '2025-07').lines[0];
    expect(july).toMatchObject({ programCode: 'D20_5_5C', status: 'PAYABLE', ruleVersion: { version: 2 }, unconfirmed: true, pensionConversion: null });
    expect(july.unconfirmedReasons).toEqual([
      {
        source: 'RULE_VERSION',
        sourceId: july.ruleVersion.id,
        text: expect.stringContaining('Legal status unconfirmed'),
        textVi: expect.stringContaining('chưa xác định'),
      },
    ]);
    expect(await eligibilityOf(id, '2025-08-01', 'D20_5_5C')).toMatchObject({ eligible: true, unconfirmed: true, ruleVersion: { version: 2 } });
    expect(await eligibilityOf(id, '2025-06-01', 'D20_5_5C')).toMatchObject({ eligible: true, unconfirmed: false, ruleVersion: { version: 1 } });
    // 2026-08: the legal status and the 2026 level, both unconfirmed.
    const [aug26] = await months(id, '2026-08', '2026-08');
    expect(aug26.lines[0]).toMatchObject({ amount: 540_000, unconfirmed: true, baseLevelInForce: false });
    expect(aug26.lines[0].unconfirmedReasons.map((r: { source: string }) => r.source)).toEqual(['RULE_VERSION', 'BASE_LEVEL']);
  });

  it('on a tie with the social pension and no conversion recorded, the person keeps 5.5c and both lines say why', async () => {
    const id = await person(t, { dateOfBirth: '1941-09-09', commune: LAT });
    const c55 = await enrolAndApprove(t, id, 'D20_5_5C', '2025-05', LAT, '2025-05-10');
    await enrolAndApprove(t, id, 'SOCIAL_PENSION', '2025-09', LAT, '2025-09-10');
    const [sep] = await months(id, '2025-09', '2025-09');
    expect(sep.total).toBe(500_000);
    const kept = sep.lines.find((l: { programCode: string }) => l.programCode === 'D20_5_5C');
    const pension = sep.lines.find((l: { programCode: string }) => l.programCode === 'SOCIAL_PENSION');
    expect(kept).toMatchObject({ status: 'PAYABLE', unconfirmed: true });
    expect(pension).toMatchObject({ status: 'SUPPRESSED', payableAmount: 0, suppressedBy: c55, unconfirmed: false });
    for (const l of [kept, pension]) {
      expect(l.note).toMatch(/keeps the regime they are on \(D20_5_5C since 2025-05\); no conversion of their commune to the social pension is recorded/);
      expect(l.noteVi).toMatch(/giữ chế độ đang hưởng/);
    }
  });

  it('on a tie, someone already on the social pension stays on it when enrolled in 5.5c later', async () => {
    const id = await person(t, { dateOfBirth: '1938-04-04', commune: LAT });
    const pensionId = await enrolAndApprove(t, id, 'SOCIAL_PENSION', '2025-08', LAT, '2025-08-10');
    await enrolAndApprove(t, id, 'D20_5_5C', '2025-10', LAT, '2025-10-10');
    const [oct] = await months(id, '2025-10', '2025-10');
    expect(oct.total).toBe(500_000);
    const c55 = oct.lines.find((l: { programCode: string }) => l.programCode === 'D20_5_5C');
    expect(oct.lines.find((l: { programCode: string }) => l.programCode === 'SOCIAL_PENSION')).toMatchObject({
      status: 'PAYABLE',
      enrolment: { id: pensionId },
    });
    expect(c55).toMatchObject({ status: 'SUPPRESSED', payableAmount: 0, suppressedBy: pensionId });
    expect(c55.note).toMatch(/keeps the regime they are on \(SOCIAL_PENSION since 2025-08\)/);
    expect(c55.note).not.toMatch(/no conversion/);
  });

  it('after a conversion recorded for the commune, the social pension pays instead (same amount, its own budget line)', async () => {
    const h = await household(t, { commune: DA_SAR });
    const id = await person(t, { dateOfBirth: '1942-01-20', householdId: h, isHead: true, commune: DA_SAR });
    const c55 = await enrolAndApprove(t, id, 'D20_5_5C', '2025-06', DA_SAR, '2025-06-10');
    const admin = await t.token('admin');
    const input = {
      communeCode: XA_LAC_DUONG,
      effectivePeriod: '2025-10',
      legalBasis: 'Nghị định 176/2025/NĐ-CP; Quyết định chuyển đổi của UBND tỉnh (thử)',
      decisionNo: 'QĐ-CĐ-01',
    };
    const list = async () => ok(await t.gql(`{ pensionConversions { communeCode effectivePeriod decisionNo } }`), 'pensionConversions');

    // Admin only; a month before the social pension existed is refused; nothing is written either way.
    expect((await t.gql(CONVERT, { input })).body.errors[0].extensions.code).toBe('FORBIDDEN');
    const early = await t.gql(CONVERT, { input: { ...input, effectivePeriod: '2025-06' } }, admin);
    expect(early.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(JSON.stringify(early.body.errors[0].extensions)).toContain('input.effectivePeriod');
    const blank = await t.gql(CONVERT, { input: { ...input, legalBasis: ' ' } }, admin);
    expect(JSON.stringify(blank.body.errors[0].extensions)).toContain('input.legalBasis');
    expect(await list()).toEqual([]);

    const conversion = ok(await t.gql(CONVERT, { input }, admin), 'recordPensionConversion');
    expect(conversion).toMatchObject({ communeCode: XA_LAC_DUONG, effectivePeriod: '2025-10', decisionNo: 'QĐ-CĐ-01', recordedBy: 'test-admin' });
    expect(await list()).toEqual([{ communeCode: XA_LAC_DUONG, effectivePeriod: '2025-10', decisionNo: 'QĐ-CĐ-01' }]);
    // One per commune.
    expect((await t.gql(CONVERT, { input }, admin)).body.errors[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.communeCode' });
    // Audited as one bulk event naming the enrolments it moves.
    const trail = ok(await t.gql(`{ auditTrail(entityType: "PensionConversion", entityId: "${conversion.id}") { action after } }`), 'auditTrail');
    expect(trail).toHaveLength(1);
    expect(trail[0].action).toBe('recordPensionConversion');
    expect(trail[0].after.enrolments).toContainEqual({ id: c55, personId: id, programCode: 'D20_5_5C' });

    // The successor's conversion covers its predecessor Đạ Sar's records: from 2025-10 the 5.5c enrolment's months
    // follow the social pension, with the pension's rule, level and budget line.
    const ms = await months(id, '2025-09', '2026-08');
    expect(ms.map((m: { total: number }) => m.total).slice(0, 10)).toEqual(Array(10).fill(500_000));
    expect(monthOf(ms, '2025-09').lines[0]).toMatchObject({ programCode: 'D20_5_5C', unconfirmed: true, pensionConversion: null });
    const oct = monthOf(ms, '2025-10').lines[0];
    expect(oct).toMatchObject({
      programCode: 'SOCIAL_PENSION',
      status: 'PAYABLE',
      amount: 500_000,
      enrolment: { id: c55, programCode: 'D20_5_5C' },
      ruleVersion: { programCode: 'SOCIAL_PENSION' },
      pensionConversion: { id: conversion.id, decisionNo: 'QĐ-CĐ-01' },
      unconfirmed: false,
      unconfirmedReasons: [],
    });
    expect(oct.note).toMatch(/D20_5_5C converted to the social pension from 2025-10 \(decision QĐ-CĐ-01/);
    expect(oct.noteVi).toMatch(/chuyển từ chế độ/);
    // 2026-08: the social pension's own 2026 level, unconfirmed (and not yet in force then).
    const aug26 = monthOf(ms, '2026-08');
    expect(aug26.total).toBe(540_000);
    expect(aug26.lines[0]).toMatchObject({ programCode: 'SOCIAL_PENSION', baseLevel: { amount: 540_000 }, baseLevelInForce: false, unconfirmed: true });
    expect(aug26.lines[0].unconfirmedReasons.map((r: { source: string }) => r.source)).toEqual(['BASE_LEVEL']);

    // Enrolled in the social pension too: it is paid once, not twice.
    await enrolAndApprove(t, id, 'SOCIAL_PENSION', '2025-11', DA_SAR, '2025-11-10');
    const [nov] = await months(id, '2025-11', '2025-11');
    expect(nov.total).toBe(500_000);
    expect(
      nov.lines.map((l: { programCode: string; status: string; enrolment: { programCode: string } }) => [l.enrolment.programCode, l.programCode, l.status]),
    ).toEqual([
      ['D20_5_5C', 'SOCIAL_PENSION', 'SUPPRESSED'],
      ['SOCIAL_PENSION', 'SOCIAL_PENSION', 'PAYABLE'],
    ]);
  });

  it('a conversion leaves other communes and earlier months alone', async () => {
    // LAT has no conversion (the one above is for Xã Lạc Dương): its 5.5c months stay 5.5c, flagged.
    const id = await person(t, { dateOfBirth: '1939-12-12', commune: LAT });
    await enrolAndApprove(t, id, 'D20_5_5C', '2025-09', LAT, '2025-09-10');
    const ms = await months(id, '2025-09', '2025-12');
    for (const m of ms) expect(m.lines[0]).toMatchObject({ programCode: 'D20_5_5C', pensionConversion: null, unconfirmed: true });
  });
});
