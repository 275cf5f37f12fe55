/**
 * Payment cycles through the real app (docs/payments.md): lines and control totals match the entitlements, a cycle
 * is created once (also when two requests race), approval by its creator is refused, a base level published after
 * two months were paid yields arrears of the difference and leaves the paid lines alone, results are idempotent,
 * a failed payment carries over once the recipient is fixed, and the database itself refuses a second regular
 * payment for a month or a rewritten line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { certifyDisability, enrolAndApprove, entitlements, household, ok, person } from './support/people.js';

let t: TestApp;
let admin: string;
let approver: string;
beforeAll(async () => {
  t = await startTestApp();
  admin = await t.token('admin');
  approver = await t.token('district_officer', [], '', 'district-approver');
});
afterAll(() => closeTestApp(t));

const CYCLE_FIELDS = `id communeCode period status createdBy approvedBy nonCashShare
  controlTotals { lines payableAmount recoveryAmount byProgram { programCode lines amount } }
  payments { id enrolmentId personId programCode period kind amount needsApproval method status reference paidAt carriedFrom note noteVi recipient { recipientName method accountNo } }`;
const CREATE = `mutation($c: String!, $p: Period!) { createPaymentCycle(communeCode: $c, period: $p) { ${CYCLE_FIELDS} } }`;
const APPROVE = `mutation($id: ID!) { approvePaymentCycle(id: $id) { id status approvedBy } }`;
const RESULT = `mutation($id: ID!, $s: PaymentStatus!, $r: String!, $d: Date!, $k: String!) {
  recordPaymentResult(paymentId: $id, status: $s, reference: $r, paidAt: $d, idempotencyKey: $k) { id status reference paidAt amount } }`;

/**
 * Each test pays in a commune of its own, so cycles (one per commune and month) never meet. The six communes ended
 * on 2025-06-30 (the merger): later months are paid by their successors (90003 covers 24850).
 */

async function disabledAdult(commune: string): Promise<{ personId: string }> {
  const h = await household(t, { commune });
  const personId = await person(t, { dateOfBirth: '1985-04-12', householdId: h, isHead: true, commune });
  await certifyDisability(t, personId);
  return { personId };
}

/** Enrolled in art. 5.6 from a month, proposed by the commune's officer and approved. */
const enrol = (personId: string, commune: string, startPeriod: string) => enrolAndApprove(t, personId, 'D20_5_6', startPeriod, commune);

const cycleLineCount = async (cycleId: string) =>
  Number((await t.db.database.db.execute(`SELECT count(*)::int AS n FROM payments WHERE cycle_id = '${cycleId}'`)).rows[0]!.n);

async function payAll(cycle: JsonBody, paidAt: string) {
  for (const p of cycle.payments) ok(await t.gql(RESULT, { id: p.id, s: 'PAID', r: `BANK-${p.id.slice(0, 8)}`, d: paidAt, k: `pay-${p.id}` }));
}

describe('payment cycles', () => {
  it('makes one line per payable enrolment, totals matching the entitlements, and is created once', async () => {
    const commune = '24846';
    const { personId } = await disabledAdult(commune);
    const enrolmentId = await enrol(personId, commune, '2025-01');
    const officer = await t.token('commune_officer', [commune]);
    const cycle = ok(await t.gql(CREATE, { c: commune, p: '2025-03' }, officer), 'createPaymentCycle');
    const [month] = await entitlements(t, personId, '2025-03', '2025-03');
    expect(cycle).toMatchObject({ communeCode: commune, period: '2025-03', status: 'CREATED', createdBy: 'test-commune_officer', nonCashShare: 0 });
    expect(cycle.payments).toEqual([
      expect.objectContaining({
        enrolmentId,
        personId,
        programCode: 'D20_5_6',
        period: '2025-03',
        kind: 'REGULAR',
        amount: month!.total,
        status: 'PENDING',
        method: 'CASH',
        recipient: null,
      }),
    ]);
    expect(cycle.controlTotals).toEqual({
      lines: 1,
      payableAmount: 750_000,
      recoveryAmount: 0,
      byProgram: [{ programCode: 'D20_5_6', lines: 1, amount: 750_000 }],
    });
    // No cycle held 2025-01 or 2025-02 for this commune: those months are not arrears of this one.
    const again = ok(await t.gql(CREATE, { c: commune, p: '2025-03' }, officer), 'createPaymentCycle');
    expect(again.id).toBe(cycle.id);
    expect(await cycleLineCount(cycle.id)).toBe(1);
  });

  it('creates one cycle when two requests race', async () => {
    const commune = '24847';
    const { personId } = await disabledAdult(commune);
    await enrol(personId, commune, '2025-01');
    const [a, b] = await Promise.all([t.gql(CREATE, { c: commune, p: '2025-02' }), t.gql(CREATE, { c: commune, p: '2025-02' })]);
    const [ca, cb] = [ok(a, 'createPaymentCycle'), ok(b, 'createPaymentCycle')];
    expect(ca.id).toBe(cb.id);
    expect(await cycleLineCount(ca.id)).toBe(1);
  });

  it('is approved by a district officer other than its creator, and refuses bad input', async () => {
    const commune = '24848';
    const { personId } = await disabledAdult(commune);
    await enrol(personId, commune, '2025-01');
    const cycle = ok(await t.gql(CREATE, { c: commune, p: '2025-01' }), 'createPaymentCycle');
    const own = await t.gql(APPROVE, { id: cycle.id });
    expect(own.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(ok(await t.gql(APPROVE, { id: cycle.id }, approver), 'approvePaymentCycle')).toMatchObject({ status: 'APPROVED', approvedBy: 'district-approver' });
    const twice = await t.gql(APPROVE, { id: cycle.id }, approver);
    expect(twice.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const other = await t.token('commune_officer', ['24880']);
    expect((await t.gql(CREATE, { c: commune, p: '2025-02' }, other)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    for (const [vars, field] of [
      [{ c: '99999', p: '2025-02' }, 'communeCode'],
      [{ c: commune, p: '2020-12' }, 'period'],
      [{ c: commune, p: '2099-01' }, 'period'],
    ] as const) {
      const r = await t.gql(CREATE, vars);
      expect(r.body.errors?.[0]?.extensions, JSON.stringify(vars)).toMatchObject({ code: 'VALIDATION_FAILED', field });
    }
    const auditor = await t.token('auditor');
    expect((await t.gql(CREATE, { c: commune, p: '2025-02' }, auditor)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('pays arrears of the difference when a base level is published after two months were paid, leaving the paid lines alone', async () => {
    const commune = '24850';
    const SUCCESSOR = '90003';
    const { personId } = await disabledAdult(commune);
    const enrolmentId = await enrol(personId, commune, '2026-08');
    const paid: JsonBody[] = [];
    for (const period of ['2026-08', '2026-09']) {
      const cycle = ok(await t.gql(CREATE, { c: SUCCESSOR, p: period }), 'createPaymentCycle');
      ok(await t.gql(APPROVE, { id: cycle.id }, approver));
      await payAll(cycle, `${period}-20`);
      paid.push(...cycle.payments.map((p: JsonBody) => p.id));
    }
    // 1.5 × 540,000 = 810,000 a month was paid; a level of 560,000 from 2026-08 makes it 840,000.
    ok(
      await t.gql(
        `mutation { publishBaseLevel(kind: SOCIAL_ASSISTANCE, amount: 560000, effectiveFrom: "2026-08-01", legalBasis: "Thử nghiệm: mức chuẩn công bố muộn", confirmed: true) { id } }`,
        {},
        admin,
      ),
    );
    const october = ok(await t.gql(CREATE, { c: SUCCESSOR, p: '2026-10' }), 'createPaymentCycle');
    const byKind = (kind: string) => october.payments.filter((p: JsonBody) => p.kind === kind);
    expect(byKind('REGULAR')).toEqual([expect.objectContaining({ enrolmentId, period: '2026-10', amount: 840_000 })]);
    expect(byKind('ARREARS').map((p: JsonBody) => [p.period, p.amount])).toEqual([
      ['2026-08', 30_000],
      ['2026-09', 30_000],
    ]);
    expect(byKind('ARREARS')[0].note).toContain('owed 840,000 now, 810,000 paid');
    expect(byKind('ARREARS')[0].noteVi).toContain('truy lĩnh tháng 2026-08');
    expect(october.controlTotals).toMatchObject({ lines: 3, payableAmount: 900_000, recoveryAmount: 0 });
    const rows = (await t.db.database.db.execute(`SELECT amount::int AS amount, status FROM payments WHERE id IN ('${paid.join("','")}') ORDER BY period`))
      .rows;
    expect(rows).toEqual([
      { amount: 810_000, status: 'PAID' },
      { amount: 810_000, status: 'PAID' },
    ]);
  });

  it('records results idempotently, refuses contradictions, and carries a failed payment over once the recipient is fixed', async () => {
    const commune = '24862';
    const { personId } = await disabledAdult(commune);
    const enrolmentId = await enrol(personId, commune, '2025-04');
    const officer = await t.token('commune_officer', [commune]);
    ok(
      await t.gql(
        `mutation($input: RecordPaymentRecipientInput!) { recordPaymentRecipient(input: $input) { id method accountNo } }`,
        { input: { enrolmentId, kind: 'BENEFICIARY', method: 'BANK', accountNo: '0123456789', provider: 'Agribank Lâm Đồng', validFrom: '2025-04-01' } },
        officer,
      ),
    );
    const cycle = ok(await t.gql(CREATE, { c: commune, p: '2025-04' }), 'createPaymentCycle');
    expect(cycle.nonCashShare).toBe(1);
    expect(cycle.payments[0].recipient).toMatchObject({ method: 'BANK', accountNo: '0123456789' });
    const pending = await t.gql(RESULT, { id: cycle.payments[0].id, s: 'PAID', r: 'X', d: '2025-04-20', k: 'early' });
    expect(pending.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    ok(await t.gql(APPROVE, { id: cycle.id }, approver));
    const id = cycle.payments[0].id;
    const failed = ok(await t.gql(RESULT, { id, s: 'FAILED', r: 'BANK-ERR-1', d: '2025-04-20', k: 'k-1' }), 'recordPaymentResult');
    expect(failed).toMatchObject({ status: 'FAILED', reference: 'BANK-ERR-1' });
    expect(ok(await t.gql(RESULT, { id, s: 'FAILED', r: 'BANK-ERR-1', d: '2025-04-20', k: 'k-1' }), 'recordPaymentResult')).toEqual(failed);
    const results = async () =>
      Number((await t.db.database.db.execute(`SELECT count(*)::int AS n FROM payment_results WHERE payment_id = '${id}'`)).rows[0]!.n);
    expect(await results()).toBe(1);
    const contradicts = await t.gql(RESULT, { id, s: 'PAID', r: 'BANK-OK', d: '2025-04-21', k: 'k-2' });
    expect(contradicts.body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'status' });
    const reused = await t.gql(RESULT, { id, s: 'PAID', r: 'BANK-OK', d: '2025-04-21', k: 'k-1' });
    expect(reused.body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
    expect(await results()).toBe(1);
    // Not fixed yet: May's cycle does not pay April again.
    const may = ok(await t.gql(CREATE, { c: commune, p: '2025-05' }), 'createPaymentCycle');
    expect(may.payments.map((p: JsonBody) => p.kind)).toEqual(['REGULAR']);
    ok(
      await t.gql(
        `mutation($input: RecordPaymentRecipientInput!) { recordPaymentRecipient(input: $input) { id } }`,
        { input: { enrolmentId, kind: 'BENEFICIARY', method: 'BANK', accountNo: '0123456780', provider: 'Agribank Lâm Đồng', validFrom: '2025-05-15' } },
        officer,
      ),
    );
    const june = ok(await t.gql(CREATE, { c: commune, p: '2025-06' }), 'createPaymentCycle');
    const carried = june.payments.find((p: JsonBody) => p.kind === 'CARRY_OVER');
    expect(carried).toMatchObject({ period: '2025-04', amount: 750_000, carriedFrom: id, recipient: { accountNo: '0123456780' } });
    const auditor = await t.token('auditor');
    const seen = ok(
      await t.gql(`query($id: ID!) { paymentCycle(id: $id) { payments { recipient { accountNo } } } }`, { id: june.id }, auditor),
      'paymentCycle',
    );
    expect(seen.payments.map((p: JsonBody) => p.recipient.accountNo)).toContain('******6780');
  });

  it('a paid line only becomes RETURNED; the database refuses a second regular payment, a rewritten line and a line for another person', async () => {
    const commune = '24865';
    const { personId } = await disabledAdult(commune);
    await enrol(personId, commune, '2025-01');
    const cycle = ok(await t.gql(CREATE, { c: commune, p: '2025-01' }), 'createPaymentCycle');
    ok(await t.gql(APPROVE, { id: cycle.id }, approver));
    const id = cycle.payments[0].id;
    ok(await t.gql(RESULT, { id, s: 'PAID', r: 'OK-1', d: '2025-01-20', k: `r-${id}-1` }));
    expect(ok(await t.gql(RESULT, { id, s: 'RETURNED', r: 'RET-1', d: '2025-01-25', k: `r-${id}-2` }), 'recordPaymentResult')).toMatchObject({
      status: 'RETURNED',
    });
    const db = t.db.database.db;
    // The database's own message, under the query wrapper's.
    const refusal = (q: string) =>
      db.execute(q).then(
        () => 'accepted',
        (e: unknown) => String((e as { cause?: { message?: string } }).cause?.message ?? e),
      );
    expect(await refusal(`UPDATE payments SET amount = 1 WHERE id = '${id}'`)).toMatch(/never rewritten/);
    expect(await refusal(`UPDATE payments SET status = 'PENDING' WHERE id = '${id}'`)).toMatch(/cannot go from RETURNED to PENDING/);
    expect(await refusal(`DELETE FROM payments WHERE id = '${id}'`)).toMatch(/never deleted/);
    expect(
      await refusal(
        `INSERT INTO payments (cycle_id, enrolment_id, person_id, program_code, period, kind, amount, method, note, note_vi)
         SELECT cycle_id, enrolment_id, person_id, program_code, period, 'REGULAR', amount, method, note, note_vi FROM payments WHERE id = '${id}'`,
      ),
    ).toMatch(/payments_regular_uq/);
    // A line paying one person's enrolment to another person (an arrears line, so no other rule stands in the way).
    const other = (await disabledAdult(commune)).personId;
    expect(
      await refusal(
        `INSERT INTO payments (cycle_id, enrolment_id, person_id, program_code, period, kind, amount, method, note, note_vi)
         SELECT cycle_id, enrolment_id, '${other}', program_code, period, 'ARREARS', amount, method, note, note_vi FROM payments WHERE id = '${id}'`,
      ),
    ).toMatch(/payments_enrolment_person_fk/);
  });

  it('shows a recovery apart, never netted, when an enrolment is ended back over a paid month', async () => {
    const commune = '24846';
    const { personId } = await disabledAdult(commune);
    const enrolmentId = await enrol(personId, commune, '2025-04');
    for (const period of ['2025-04', '2025-05']) {
      const cycle = ok(await t.gql(CREATE, { c: commune, p: period }), 'createPaymentCycle');
      ok(await t.gql(APPROVE, { id: cycle.id }, approver));
      await payAll(cycle, `${period}-20`);
    }
    ok(
      await t.gql(`mutation($id: ID!) { endEnrolment(id: $id, endPeriod: "2025-04", reason: "Thôi hưởng từ tháng 5 (quyết định đính chính)") { id } }`, {
        id: enrolmentId,
      }),
    );
    const june = ok(await t.gql(CREATE, { c: commune, p: '2025-06' }), 'createPaymentCycle');
    const mine = june.payments.filter((p: JsonBody) => p.enrolmentId === enrolmentId);
    expect(mine).toEqual([
      expect.objectContaining({ kind: 'RECOVERY', period: '2025-05', amount: -750_000, needsApproval: true, note: expect.stringContaining('never netted') }),
    ]);
    expect(june.controlTotals.recoveryAmount).toBeLessThanOrEqual(-750_000);
    expect(june.controlTotals.payableAmount).toBe(
      june.payments.filter((p: JsonBody) => p.amount > 0).reduce((n: number, p: { amount: number }) => n + p.amount, 0),
    );
  });
});
