/**
 * Issue 14, cases 3, 5 and 10, through the real app: no enrolment outlives a recorded death (also when enrol
 * and recordDeath race), one poverty assessment per household and date (also under concurrency), a death
 * recorded wrongly is corrected and re-opens what it closed, circumstances recorded wrongly are withdrawn and
 * count nowhere after, and a pregnancy needs a woman of a plausible age.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';
import { ENROL, enrolAndApprove, entitlements, household, LAT, ok, person } from './support/people.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => closeTestApp(t));

const count = async (query: string) => Number((await t.db.database.db.execute<{ n: number }>(sql.raw(query))).rows[0]?.n);
const ENROLMENT = `query($id: ID!) { enrolment(id: $id) { status startPeriod endPeriod endReason } }`;
const enrolmentOf = async (id: string) => ok(await t.gql(ENROLMENT, { id }), 'enrolment');
const recordDeath = (personId: string, dateOfDeath: string) =>
  t.gql(`mutation($p: ID!, $d: Date!) { recordDeath(personId: $p, dateOfDeath: $d) { id dateOfDeath } }`, { p: personId, d: dateOfDeath });
const CORRECT = `mutation($p: ID!, $d: Date, $r: String!) { correctDeath(personId: $p, dateOfDeath: $d, reason: $r) { id dateOfDeath } }`;
const proposeBy = async (personId: string, startPeriod: string, decisionDate: string) =>
  t.gql(ENROL, { input: { personId, programCode: 'D20_5_5C', decisionNo: 'QĐ-5.5c', decisionDate, startPeriod } }, await t.token('commune_officer', [LAT]));

describe('enrolment after a recorded death (case 3)', () => {
  it('refuses a start after the month of death, and bounds one in that month at the death', async () => {
    const id = await person(t, { dateOfBirth: '1940-03-03', commune: LAT });
    ok(await recordDeath(id, '2024-09-10'));
    const before = await count(`SELECT count(*)::int AS n FROM enrolments WHERE person_id = '${id}'`);
    const late = await proposeBy(id, '2024-10', '2024-09-20');
    expect(late.body.errors[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.startPeriod' });
    expect(late.body.errors[0].message).toContain('died on 2024-09-10');
    expect(late.body.errors[0].extensions.messageVi).toContain('đã mất ngày 2024-09-10');
    expect(await count(`SELECT count(*)::int AS n FROM enrolments WHERE person_id = '${id}'`)).toBe(before);

    // In the month of death: arrears up to the death, never an open record.
    const e = ok(await proposeBy(id, '2024-09', '2024-09-20'), 'enrol');
    expect(await enrolmentOf(e.id)).toEqual({ status: 'PROPOSED', startPeriod: '2024-09', endPeriod: '2024-09', endReason: 'DEATH' });
    const approved = ok(await t.gql(`mutation { approveEnrolment(id: "${e.id}") { status endPeriod endReason } }`), 'approveEnrolment');
    expect(approved).toEqual({ status: 'ENDED', endPeriod: '2024-09', endReason: 'DEATH' });
    const months = await entitlements(t, id, '2024-09', '2024-10');
    expect(months.map((m) => [m.period, m.total])).toEqual([
      ['2024-09', 500_000],
      ['2024-10', 0],
    ]);
  });

  it('enrol and recordDeath racing on one person: 10 of 10 runs leave no open enrolment after the death', async () => {
    for (let run = 0; run < 10; run++) {
      const id = await person(t, { dateOfBirth: '1939-01-15', commune: LAT });
      // Half start in the month of death, half after it.
      const startPeriod = run % 2 === 0 ? '2024-09' : '2024-10';
      const [enrolled, died] = await Promise.all([proposeBy(id, startPeriod, '2024-09-05'), recordDeath(id, '2024-09-10')]);
      ok(died);
      if (!enrolled.body.errors) {
        await t.gql(`mutation { approveEnrolment(id: "${enrolled.body.data.enrol.id}") { id } }`);
      } else {
        expect(enrolled.body.errors[0].extensions.code).toBe('CONFLICT');
      }
      const rows = (
        await t.db.database.db.execute<{ status: string; end_month: string | null }>(
          sql`SELECT status, end_month::text AS end_month FROM enrolments WHERE person_id = ${id}`,
        )
      ).rows;
      for (const r of rows) {
        expect(r.end_month, `run ${run}: ${JSON.stringify(r)}`).not.toBeNull();
        expect(r.end_month! <= '2024-09-01', `run ${run}: ${JSON.stringify(r)}`).toBe(true);
        expect(r.status).not.toBe('ACTIVE');
      }
    }
  });
});

describe('one poverty assessment per household and date (case 5)', () => {
  const Q = `mutation($input: RecordPovertyAssessmentInput!) { recordPovertyAssessment(input: $input) { id classification } }`;
  const input = (householdId: string, income: number) => ({
    householdId,
    assessedOn: '2025-12-15',
    area: 'RURAL',
    incomePerPerson: income,
    deprivations: income < 1_500_000 ? ['HEALTH_INSURANCE', 'HYGIENIC_LATRINE', 'WATER_SOURCE'] : [],
  });

  it('refuses a second assessment on the same date with CONFLICT on input.assessedOn', async () => {
    const h = await household(t, { commune: LAT });
    expect(ok(await t.gql(Q, { input: input(h, 1_000_000) }), 'recordPovertyAssessment').classification).toBe('POOR');
    const second = await t.gql(Q, { input: input(h, 3_000_000) });
    expect(second.body.errors[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.assessedOn' });
    expect(await count(`SELECT count(*)::int AS n FROM poverty_assessments WHERE household_id = '${h}'`)).toBe(1);
    // Another date is a re-assessment, and is accepted.
    ok(await t.gql(Q, { input: { ...input(h, 3_000_000), assessedOn: '2025-12-16' } }));
  });

  it('five concurrent assessments for one household and date: one stored, four CONFLICT', async () => {
    const h = await household(t, { commune: LAT });
    const results = await Promise.all([1_000_000, 3_000_000, 1_000_000, 3_000_000, 3_000_000].map((income) => t.gql(Q, { input: input(h, income) })));
    const codes = results.map((r) => (r.body.errors ? r.body.errors[0].extensions.code : 'OK')).sort();
    expect(codes).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT', 'OK']);
    expect(await count(`SELECT count(*)::int AS n FROM poverty_assessments WHERE household_id = '${h}'`)).toBe(1);
  });
});

describe('correcting a death (case 10)', () => {
  it('correctDeath(null) re-opens the enrolment the death ended; a later or earlier date moves its end', async () => {
    const id = await person(t, { dateOfBirth: '1942-04-04', commune: LAT });
    const enrolment = await enrolAndApprove(t, id, 'D20_5_5C', '2024-06', LAT);
    ok(await recordDeath(id, '2024-09-15'));
    expect(await enrolmentOf(enrolment)).toMatchObject({ status: 'ENDED', endPeriod: '2024-09', endReason: 'DEATH' });

    const alive = ok(await t.gql(CORRECT, { p: id, d: null, r: 'Nhầm người: biên bản xác minh số 12/BB' }), 'correctDeath');
    expect(alive).toEqual({ id, dateOfDeath: null });
    expect(await enrolmentOf(enrolment)).toEqual({ status: 'ACTIVE', startPeriod: '2024-06', endPeriod: null, endReason: null });
    expect((await entitlements(t, id, '2024-10', '2024-10'))[0].total).toBe(500_000);
    const trail = ok(await t.gql(`{ auditTrail(entityType: "Person", entityId: "${id}") { action before after } }`), 'auditTrail');
    const correction = trail.find((e: { action: string }) => e.action === 'correctDeath');
    expect(correction.before.dateOfDeath).toBe('2024-09-15');
    expect(correction.after).toMatchObject({ dateOfDeath: null, correctionReason: 'Nhầm người: biên bản xác minh số 12/BB' });
    const enrolmentTrail = ok(await t.gql(`{ auditTrail(entityType: "Enrolment", entityId: "${enrolment}") { action } }`), 'auditTrail');
    expect(enrolmentTrail.map((e: { action: string }) => e.action)).toEqual(['enrol', 'approveEnrolment', 'endEnrolment', 'reopenEnrolment']);

    // Died after all, but later than first recorded; then corrected to an earlier date.
    ok(await recordDeath(id, '2024-11-02'));
    ok(await t.gql(CORRECT, { p: id, d: '2024-12-05', r: 'Giấy chứng tử số 55' }));
    expect(await enrolmentOf(enrolment)).toMatchObject({ status: 'ENDED', endPeriod: '2024-12', endReason: 'DEATH' });
    ok(await t.gql(CORRECT, { p: id, d: '2024-10-01', r: 'Giấy chứng tử cấp lại' }));
    expect(await enrolmentOf(enrolment)).toMatchObject({ status: 'ENDED', endPeriod: '2024-10', endReason: 'DEATH' });
    const months = await entitlements(t, id, '2024-10', '2024-11');
    expect(months.map((m) => [m.period, m.total])).toEqual([
      ['2024-10', 500_000],
      ['2024-11', 0],
    ]);
  });

  it('an enrolment ended for another reason before the death keeps its end when the death is withdrawn', async () => {
    const id = await person(t, { dateOfBirth: '1942-05-05', commune: LAT });
    const enrolment = await enrolAndApprove(t, id, 'D20_5_5C', '2024-06', LAT);
    ok(await t.gql(`mutation { endEnrolment(id: "${enrolment}", endPeriod: "2024-12", reason: "Chuyển đi nơi khác") { id } }`));
    ok(await recordDeath(id, '2024-09-15'));
    expect(await enrolmentOf(enrolment)).toMatchObject({ endPeriod: '2024-09', endReason: 'DEATH' });
    ok(await t.gql(CORRECT, { p: id, d: null, r: 'Ghi nhầm' }));
    expect(await enrolmentOf(enrolment)).toEqual({ status: 'ENDED', startPeriod: '2024-06', endPeriod: '2024-12', endReason: 'Chuyển đi nơi khác' });
  });

  it('refuses without a recorded death, without a reason, outside the officer’s communes; nothing written', async () => {
    const id = await person(t, { dateOfBirth: '1950-01-01', commune: LAT });
    const events = await count('SELECT count(*)::int AS n FROM audit_events');
    const living = await t.gql(CORRECT, { p: id, d: null, r: 'Ghi nhầm' });
    expect(living.body.errors[0].extensions.code).toBe('CONFLICT');
    ok(await recordDeath(id, '2024-01-01'));
    const afterDeath = await count('SELECT count(*)::int AS n FROM audit_events');
    const noReason = await t.gql(CORRECT, { p: id, d: null, r: '  ' });
    expect(noReason.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'reason' });
    const same = await t.gql(CORRECT, { p: id, d: '2024-01-01', r: 'Ghi nhầm' });
    expect(same.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'dateOfDeath' });
    const beforeBirth = await t.gql(CORRECT, { p: id, d: '1949-01-01', r: 'Ghi nhầm' });
    expect(beforeBirth.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'dateOfDeath' });
    // Another commune's person answers as an unknown one (docs/security.md "No existence leak").
    const other = await t.gql(CORRECT, { p: id, d: null, r: 'Ghi nhầm' }, await t.token('commune_officer', ['24865']));
    expect(other.body.errors[0].extensions.code).toBe('NOT_FOUND');
    const auditor = await t.gql(CORRECT, { p: id, d: null, r: 'Ghi nhầm' }, await t.token('auditor'));
    expect(auditor.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(await count('SELECT count(*)::int AS n FROM audit_events')).toBe(afterDeath);
    expect(afterDeath).toBeGreaterThan(events);
    const p = ok(await t.gql(`{ person(id: "${id}") { dateOfDeath } }`), 'person');
    expect(p.dateOfDeath).toBe('2024-01-01');
  });
});

describe('withdrawing circumstances recorded wrongly (case 10)', () => {
  const WITHDRAW = `mutation($k: CircumstanceKind!, $id: ID!, $r: String!) { withdrawCircumstance(kind: $k, id: $id, reason: $r) { kind id personId withdrawnAt reason } }`;

  it('a withdrawn pension no longer blocks 5.5c: eligibility and coverage gaps see the person', async () => {
    const id = await person(t, { dateOfBirth: '1941-02-02', commune: LAT });
    const pension = ok(
      await t.gql(`mutation($input: RecordPensionStatusInput!) { recordPensionStatus(input: $input) { id } }`, {
        input: { personId: id, kind: 'RETIREMENT_PENSION', monthlyAmount: 3_000_000, startsOn: '2001-01-01' },
      }),
      'recordPensionStatus',
    );
    const ELIG = `query($p: ID!) { eligibility(personId: $p, asOf: "2024-08-01") { programCode eligible } }`;
    const GAPS = `{ coverageGaps(communeCode: "${LAT}", programCode: "D20_5_5C", asOf: "2024-08-01", first: 500) { nodes { person { id } } } }`;
    const eligible55c = async () => ok(await t.gql(ELIG, { p: id }), 'eligibility').find((e: { programCode: string }) => e.programCode === 'D20_5_5C').eligible;
    const inGaps = async () => ok(await t.gql(GAPS), 'coverageGaps').nodes.some((n: { person: { id: string } }) => n.person.id === id);
    expect(await eligible55c()).toBe(false);
    expect(await inGaps()).toBe(false);

    const w = ok(await t.gql(WITHDRAW, { k: 'PENSION_STATUS', id: pension.id, r: 'Nhầm với người cùng tên' }), 'withdrawCircumstance');
    expect(w).toMatchObject({ kind: 'PENSION_STATUS', id: pension.id, personId: id, reason: 'Nhầm với người cùng tên' });
    expect(await eligible55c()).toBe(true);
    expect(await inGaps()).toBe(true);
    const p = ok(await t.gql(`{ person(id: "${id}") { pensionStatuses { id } } }`), 'person');
    expect(p.pensionStatuses).toEqual([]);
    const again = await t.gql(WITHDRAW, { k: 'PENSION_STATUS', id: pension.id, r: 'Lần nữa' });
    expect(again.body.errors[0].extensions.code).toBe('CONFLICT');
    const trail = ok(await t.gql(`{ auditTrail(entityType: "Person", entityId: "${id}") { action before after } }`), 'auditTrail');
    const event = trail.find((e: { action: string }) => e.action === 'withdrawCircumstance');
    expect(event.before.withdrawnAt).toBeNull();
    expect(event.after).toMatchObject({ circumstanceKind: 'PENSION_STATUS', withdrawalReason: 'Nhầm với người cùng tên' });
  });

  it('withdrawn certificates, merit records and pregnancies leave the person’s groups and lists', async () => {
    const id = await person(t, { dateOfBirth: '1990-06-06', sex: 'FEMALE', commune: LAT });
    const cert = ok(
      await t.gql(`mutation($input: RecordDisabilityInput!) { recordDisability(input: $input) { id } }`, {
        input: { personId: id, level: 'SEVERE', certificateNo: 'GXN-W1', issuedOn: '2020-01-01' },
      }),
      'recordDisability',
    );
    const merit = ok(
      await t.gql(`mutation($input: RecordMeritStatusInput!) { recordMeritStatus(input: $input) { id } }`, {
        input: { personId: id, category: 'MARTYR_RELATIVE', decisionNo: 'QĐ-W1', recognizedOn: '2010-01-01' },
      }),
      'recordMeritStatus',
    );
    const preg = ok(
      await t.gql(`mutation($input: RecordPregnancyInput!) { recordPregnancy(input: $input) { id } }`, {
        input: { personId: id, reportedOn: '2024-03-01', expectedDeliveryOn: '2024-10-01' },
      }),
      'recordPregnancy',
    );
    const Q = `{ person(id: "${id}") { groups(asOf: "2024-06-01") disabilityCertificates { id } meritRecords { id } pregnancies { id } } }`;
    expect(ok(await t.gql(Q), 'person').groups).toEqual(expect.arrayContaining(['DISABILITY', 'MERIT', 'PREGNANT_WOMAN']));
    for (const [k, row] of [
      ['DISABILITY_CERTIFICATE', cert],
      ['MERIT_RECORD', merit],
      ['PREGNANCY', preg],
    ] as const) {
      ok(await t.gql(WITHDRAW, { k, id: row.id, r: 'Ghi nhầm hồ sơ' }));
    }
    const after = ok(await t.gql(Q), 'person');
    expect(after).toEqual({ groups: [], disabilityCertificates: [], meritRecords: [], pregnancies: [] });
    const group = ok(
      await t.gql(`{ beneficiaries(communeCode: "${LAT}", group: DISABILITY, asOf: "2024-06-01", first: 200) { nodes { id } } }`),
      'beneficiaries',
    );
    expect(group.nodes.map((n: { id: string }) => n.id)).not.toContain(id);
  });

  it('refuses an unknown id, another commune and a missing reason; nothing written', async () => {
    const id = await person(t, { dateOfBirth: '1960-01-01', commune: LAT });
    const cert = ok(
      await t.gql(`mutation($input: RecordDisabilityInput!) { recordDisability(input: $input) { id } }`, {
        input: { personId: id, level: 'MILD', certificateNo: 'GXN-W2', issuedOn: '2020-01-01' },
      }),
      'recordDisability',
    );
    const events = await count('SELECT count(*)::int AS n FROM audit_events');
    const missing = await t.gql(WITHDRAW, { k: 'MERIT_RECORD', id: cert.id, r: 'Ghi nhầm' });
    expect(missing.body.errors[0].extensions.code).toBe('NOT_FOUND');
    const noReason = await t.gql(WITHDRAW, { k: 'DISABILITY_CERTIFICATE', id: cert.id, r: '' });
    expect(noReason.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'reason' });
    const badId = await t.gql(WITHDRAW, { k: 'DISABILITY_CERTIFICATE', id: 'x', r: 'Ghi nhầm' });
    expect(badId.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'id' });
    const other = await t.gql(WITHDRAW, { k: 'DISABILITY_CERTIFICATE', id: cert.id, r: 'Ghi nhầm' }, await t.token('commune_officer', ['24865']));
    expect(other.body.errors[0].extensions.code).toBe('NOT_FOUND');
    expect(await count('SELECT count(*)::int AS n FROM audit_events')).toBe(events);
    expect(await count(`SELECT count(*)::int AS n FROM disability_certificates WHERE id = '${cert.id}' AND withdrawn_at IS NULL`)).toBe(1);
  });
});

describe('recordPregnancy checks sex and a plausible age (case 10)', () => {
  const Q = `mutation($input: RecordPregnancyInput!) { recordPregnancy(input: $input) { id } }`;
  it('refuses a man (input.personId) and women under 10 or over 60 at reportedOn (input.reportedOn)', async () => {
    const man = await person(t, { dateOfBirth: '1990-01-01', sex: 'MALE', commune: LAT });
    const old = await person(t, { dateOfBirth: '1934-01-01', sex: 'FEMALE', commune: LAT });
    const girl = await person(t, { dateOfBirth: '2016-01-01', sex: 'FEMALE', commune: LAT });
    const woman = await person(t, { dateOfBirth: '1964-06-01', sex: 'FEMALE', commune: LAT });
    const before = await count('SELECT count(*)::int AS n FROM pregnancies');
    const input = (personId: string) => ({ input: { personId, reportedOn: '2024-03-01', expectedDeliveryOn: '2024-10-01' } });
    const m = await t.gql(Q, input(man));
    expect(m.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.personId' });
    for (const id of [old, girl]) {
      const r = await t.gql(Q, input(id));
      expect(r.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.reportedOn' });
      expect(r.body.errors[0].extensions.messageVi).toMatch(/tuổi/);
    }
    expect(await count('SELECT count(*)::int AS n FROM pregnancies')).toBe(before);
    // 59 on the day: still plausible.
    ok(await t.gql(Q, input(woman)));
  });
});

describe('the audit chain', () => {
  it('stays whole after the corrections, withdrawals and races above', async () => {
    const r = ok(await t.gql(`{ verifyAuditChain { ok firstBrokenSeq } }`, {}, await t.token('auditor')), 'verifyAuditChain');
    expect(r).toEqual({ ok: true, firstBrokenSeq: null });
  });
});
