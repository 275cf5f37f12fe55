/**
 * Audit findings and payment reports through the real app (docs/payments.md#audit-findings, #reports): each kind
 * of finding is raised on planted data and not on the same data before it was planted, reviewing a finding is
 * audited and kept under its key, access follows the communes, and the report's totals add up on a small history.
 * Data is planted through the API (register, enrol, cycles, results, death, move); lines the API rightly refuses to
 * make (a second payment of a month, an unexplained arrears line) are written with SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNationalId } from '../src/core/national-id.js';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { certifyDisability, enrolAndApprove, household, ok } from './support/people.js';
import { movePerson } from './support/residence.js';

let t: TestApp;
let approver: string;
let auditor: string;
beforeAll(async () => {
  t = await startTestApp();
  approver = await t.token('district_officer', [], '', 'district-approver');
  auditor = await t.token('auditor', [], '', 'auditor-1');
});
afterAll(() => closeTestApp(t));

const FINDINGS = `query($c: String, $from: Period!, $to: Period!, $kinds: [FindingKind!], $first: Int, $after: String) {
  auditFindings(communeCode: $c, from: $from, to: $to, kinds: $kinds, first: $first, after: $after) {
    totalCount byKind { kind count } pageInfo { hasNextPage endCursor }
    nodes { key kind communeCode period programCode personIds enrolmentIds paymentIds communes amount expectedAmount detail detailVi evidence
      review { note reviewedBy reviewedAt } } } }`;
const CREATE = `mutation($c: String!, $p: Period!) { createPaymentCycle(communeCode: $c, period: $p) {
  id payments { id enrolmentId personId programCode period kind amount method status } } }`;
const APPROVE = `mutation($id: ID!) { approvePaymentCycle(id: $id) { id status } }`;
const RESULT = `mutation($id: ID!, $s: PaymentStatus!, $r: String!, $d: Date!, $k: String!) {
  recordPaymentResult(paymentId: $id, status: $s, reference: $r, paidAt: $d, idempotencyKey: $k) { id status } }`;
const REVIEW = `mutation($c: String!, $k: String!, $n: String!) { reviewAuditFinding(communeCode: $c, key: $k, note: $n) { key kind review { note reviewedBy } } }`;

let serial = 0;
/** A registered person with a name and date of birth of their own (the same twice would be a DUPLICATE_IDENTITY). */
async function register(commune: string, opts: { fullName?: string; dateOfBirth?: string; householdId?: string } = {}): Promise<string> {
  const n = serial++;
  const dateOfBirth = opts.dateOfBirth ?? `1980-01-${String(1 + n).padStart(2, '0')}`;
  const h = opts.householdId ?? (await household(t, { commune }));
  const r = await t.gql(`mutation($input: RegisterPersonInput!) { registerPerson(input: $input) { id } }`, {
    input: {
      nationalId: makeNationalId('068', Number(dateOfBirth.slice(0, 4)), 'MALE', 7000 + n),
      fullName: opts.fullName ?? `Kiểm Toán Số ${n}`,
      dateOfBirth,
      sex: 'MALE',
      communeCode: commune,
      householdId: h,
      isHead: !opts.householdId,
    },
  });
  return ok(r, 'registerPerson').id;
}

async function disabledAdult(commune: string): Promise<string> {
  const personId = await register(commune);
  await certifyDisability(t, personId);
  return personId;
}

/** Enrolled in art. 5.6 from a month, proposed by the commune's officer and approved. */
const enrol = (personId: string, commune: string, startPeriod: string) => enrolAndApprove(t, personId, 'D20_5_6', startPeriod, commune);

/** Creates, approves and pays (all lines PAID) a commune's cycle for a month. */
async function payCycle(commune: string, period: string): Promise<JsonBody> {
  const cycle = ok(await t.gql(CREATE, { c: commune, p: period }), 'createPaymentCycle');
  ok(await t.gql(APPROVE, { id: cycle.id }, approver));
  for (const p of cycle.payments) ok(await t.gql(RESULT, { id: p.id, s: 'PAID', r: `OK-${p.id.slice(0, 8)}`, d: `${period}-20`, k: `pay-${p.id}` }));
  return cycle;
}

async function findings(vars: { c?: string | null; from: string; to: string; kinds?: string[]; first?: number; after?: string }, token = auditor) {
  return ok(await t.gql(FINDINGS, vars, token), 'auditFindings');
}

const db = () => t.db.database.db;

/** Inserts a line the API would never make (with SQL, as a faulty import or a hand edit would). */
async function plantLine(cycleId: string, like: JsonBody, kind: string, amount: number, period: string, status = 'PENDING') {
  await db().execute(
    `INSERT INTO payments (cycle_id, enrolment_id, person_id, program_code, period, kind, amount, method, note, note_vi, status, paid_at, reference)
     VALUES ('${cycleId}', '${like.enrolmentId}', '${like.personId}', '${like.programCode}', '${period}-01', '${kind}', ${amount}, 'BANK', 'planted', 'planted',
       '${status}', ${status === 'PAID' ? `'${period}-21'` : 'NULL'}, ${status === 'PAID' ? "'PLANTED'" : 'NULL'})`,
  );
}

describe('audit findings', () => {
  it('raises nothing on a clean paid history, then PAID_AFTER_DEATH, PAID_OUTSIDE_ENROLMENT and AMOUNT_MISMATCH after a death recorded late', async () => {
    const commune = '24846';
    const personId = await disabledAdult(commune);
    const enrolmentId = await enrol(personId, commune, '2025-01');
    await payCycle(commune, '2025-01');
    const feb = await payCycle(commune, '2025-02');
    const clean = await findings({ c: commune, from: '2025-01', to: '2025-02' });
    expect(clean.nodes).toEqual([]);
    expect(clean.totalCount).toBe(0);

    ok(await t.gql(`mutation($id: ID!) { recordDeath(personId: $id, dateOfDeath: "2025-01-15") { id } }`, { id: personId }));
    const after = await findings({ c: commune, from: '2025-01', to: '2025-02' });
    const febLine = feb.payments[0];
    const byKind = (k: string) => after.nodes.filter((f: JsonBody) => f.kind === k);
    expect(byKind('PAID_AFTER_DEATH')).toEqual([
      expect.objectContaining({
        key: `PAID_AFTER_DEATH:${febLine.id}:2025-02`,
        communeCode: commune,
        period: '2025-02',
        personIds: [personId],
        paymentIds: [febLine.id],
        amount: febLine.amount,
        evidence: expect.objectContaining({ dateOfDeath: '2025-01-15', period: '2025-02' }),
      }),
    ]);
    expect(byKind('PAID_AFTER_DEATH')[0].detailVi).toContain('sau ngày mất 2025-01-15');
    // The death ended the enrolment with January: February is outside it, and paid against an entitlement of 0.
    expect(byKind('PAID_OUTSIDE_ENROLMENT').map((f: JsonBody) => f.paymentIds)).toEqual([[febLine.id]]);
    expect(byKind('AMOUNT_MISMATCH')).toEqual([
      expect.objectContaining({ key: `AMOUNT_MISMATCH:${enrolmentId}:2025-02`, amount: febLine.amount, expectedAmount: 0 }),
    ]);
    expect(after.totalCount).toBe(3);
    expect(after.byKind).toEqual(expect.arrayContaining([{ kind: 'PAID_AFTER_DEATH', count: 1 }]));
    // Pages follow the keys.
    const first = await findings({ c: commune, from: '2025-01', to: '2025-02', first: 2 });
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await findings({ c: commune, from: '2025-01', to: '2025-02', first: 2, after: first.pageInfo.endCursor });
    expect([...first.nodes, ...second.nodes].map((f: JsonBody) => f.key)).toEqual(after.nodes.map((f: JsonBody) => f.key));
    expect(second.pageInfo.hasNextPage).toBe(false);

    // Reviewing is audited and kept under the finding's key.
    const key = byKind('PAID_AFTER_DEATH')[0].key;
    const reviewed = ok(await t.gql(REVIEW, { c: commune, k: key, n: 'Đã đề nghị thu hồi / recovery requested' }, auditor), 'reviewAuditFinding');
    expect(reviewed).toEqual({ key, kind: 'PAID_AFTER_DEATH', review: { note: 'Đã đề nghị thu hồi / recovery requested', reviewedBy: 'auditor-1' } });
    const events = await db().execute(`SELECT action, entity_type FROM audit_events WHERE entity_id = '${key}'`);
    expect(events.rows).toEqual([{ action: 'reviewAuditFinding', entity_type: 'AuditFinding' }]);
    const again = await findings({ c: commune, from: '2025-02', to: '2025-02', kinds: ['PAID_AFTER_DEATH'] });
    expect(again.nodes[0].review).toMatchObject({ note: 'Đã đề nghị thu hồi / recovery requested', reviewedBy: 'auditor-1' });

    // Who may: another commune's officer neither reads nor reviews; an unknown key is NOT_FOUND, a malformed one invalid.
    const other = await t.token('commune_officer', ['24862']);
    expect((await t.gql(FINDINGS, { c: commune, from: '2025-01', to: '2025-02' }, other)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(REVIEW, { c: commune, k: key, n: 'x' }, other)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const own = await t.token('commune_officer', [commune]);
    expect((await findings({ c: commune, from: '2025-01', to: '2025-02' }, own)).totalCount).toBe(3);
    expect((await t.gql(REVIEW, { c: commune, k: `PAID_AFTER_DEATH:${enrolmentId}:2025-02`, n: 'x' })).body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await t.gql(REVIEW, { c: commune, k: 'NOT A KEY', n: 'x' })).body.errors?.[0]?.extensions).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'key',
    });
    const client = await t.token('integration');
    expect((await t.gql(FINDINGS, { c: commune, from: '2025-01', to: '2025-02' }, client)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const reader = await t.token('integration', [], 'benefits:read');
    expect((await findings({ c: commune, from: '2025-01', to: '2025-02' }, reader)).totalCount).toBe(3);
    expect((await t.gql(REVIEW, { c: commune, k: key, n: 'x' }, reader)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    for (const [vars, field] of [
      [{ c: commune, from: '2025-03', to: '2025-02' }, 'to'],
      [{ c: commune, from: '2020-01', to: '2025-02' }, 'from'],
      [{ c: commune, from: '2021-07', to: '2025-02' }, 'to'],
      [{ c: '99999', from: '2025-01', to: '2025-02' }, 'communeCode'],
    ] as const) {
      expect((await t.gql(FINDINGS, vars, auditor)).body.errors?.[0]?.extensions, JSON.stringify(vars)).toMatchObject({ code: 'VALIDATION_FAILED', field });
    }
  });

  it('PAID_TO_MOVED_AWAY: a month paid by the commune the person had left', async () => {
    const commune = '24847';
    const personId = await disabledAdult(commune);
    await enrol(personId, commune, '2025-01');
    await payCycle(commune, '2025-01');
    const feb = await payCycle(commune, '2025-02');
    expect((await findings({ c: commune, from: '2025-01', to: '2025-02', kinds: ['PAID_TO_MOVED_AWAY'] })).nodes).toEqual([]);
    // Recorded late: the person moved to 24848 on 20 January, so 24848 pays February.
    await movePerson(t, personId, { movedOn: '2025-01-20', communeCode: '24848' });
    const moved = await findings({ c: commune, from: '2025-01', to: '2025-02', kinds: ['PAID_TO_MOVED_AWAY'] });
    expect(moved.nodes).toEqual([
      expect.objectContaining({
        key: `PAID_TO_MOVED_AWAY:${feb.payments[0].id}:2025-02`,
        period: '2025-02',
        communes: [commune, '24848'],
        evidence: expect.objectContaining({ livedIn: '24848', decidedOn: '2025-01-31' }),
      }),
    ]);
  });

  it('a successor commune paying people recorded under its predecessor is no finding', async () => {
    // 24850 merged into 90003 on 2025-07-01: 90003's cycles pay the people still recorded under 24850.
    const personId = await disabledAdult('24850');
    await enrol(personId, '24850', '2025-08');
    const aug = await payCycle('90003', '2025-08');
    expect(aug.payments.map((p: JsonBody) => [p.personId, p.kind])).toEqual([[personId, 'REGULAR']]);
    const late = await disabledAdult('24850');
    await enrol(late, '24850', '2025-08');
    const found = await findings({ c: '90003', from: '2025-08', to: '2025-08' });
    // Paid by the right commune; the one enrolled after the cycle was made is found unpaid through the merger too.
    expect(found.nodes.map((f: JsonBody) => [f.kind, f.personIds])).toEqual([['ENROLLED_NOT_PAID', [late]]]);
  });

  it('DUPLICATE_PAYMENT: the same month paid by two communes', async () => {
    const commune = '24862';
    const personId = await disabledAdult(commune);
    await enrol(personId, commune, '2025-01');
    const jan = await payCycle(commune, '2025-01');
    const elsewhere = ok(await t.gql(CREATE, { c: '24865', p: '2025-01' }), 'createPaymentCycle');
    expect((await findings({ c: commune, from: '2025-01', to: '2025-01', kinds: ['DUPLICATE_PAYMENT'] })).nodes).toEqual([]);
    await plantLine(elsewhere.id, jan.payments[0], 'BACK_PAY', jan.payments[0].amount, '2025-01');
    for (const c of [commune, '24865']) {
      const dup = await findings({ c, from: '2025-01', to: '2025-01', kinds: ['DUPLICATE_PAYMENT'] });
      expect(dup.nodes, c).toEqual([
        expect.objectContaining({
          key: `DUPLICATE_PAYMENT:${personId}:D20_5_6:2025-01`,
          personIds: [personId],
          communes: expect.arrayContaining([commune, '24865']),
          amount: 2 * jan.payments[0].amount,
        }),
      ]);
      expect(dup.nodes[0].paymentIds).toHaveLength(2);
    }
  });

  it('AMOUNT_MISMATCH and ENROLLED_NOT_PAID against the entitlements', async () => {
    const commune = '24850';
    const paid = await disabledAdult(commune);
    const paidEnrolment = await enrol(paid, commune, '2025-01');
    const jan = await payCycle(commune, '2025-01');
    expect((await findings({ c: commune, from: '2025-01', to: '2025-01', kinds: ['AMOUNT_MISMATCH', 'ENROLLED_NOT_PAID'] })).nodes).toEqual([]);
    // An arrears line nothing explains, paid: January is overpaid.
    await plantLine(jan.id, jan.payments[0], 'ARREARS', 100_000, '2025-01', 'PAID');
    // Enrolled from January, approved after January's cycle was made: no line for January anywhere.
    const late = await disabledAdult(commune);
    const lateEnrolment = await enrol(late, commune, '2025-01');
    const found = await findings({ c: commune, from: '2025-01', to: '2025-01', kinds: ['AMOUNT_MISMATCH', 'ENROLLED_NOT_PAID'] });
    expect(found.nodes).toEqual([
      expect.objectContaining({
        key: `AMOUNT_MISMATCH:${paidEnrolment}:2025-01`,
        amount: Number(jan.payments[0].amount) + 100_000,
        expectedAmount: jan.payments[0].amount,
        evidence: expect.objectContaining({ difference: 100_000 }),
      }),
      expect.objectContaining({ key: `ENROLLED_NOT_PAID:${lateEnrolment}:2025-01`, personIds: [late], amount: 0, expectedAmount: jan.payments[0].amount }),
    ]);
    // District-wide (every commune, read in one pass each) the same two are found.
    const district = await findings({ from: '2025-01', to: '2025-01', kinds: ['AMOUNT_MISMATCH', 'ENROLLED_NOT_PAID'] });
    expect(district.nodes.map((f: JsonBody) => f.key)).toEqual(expect.arrayContaining(found.nodes.map((f: JsonBody) => f.key)));
    // February's cycle pays the missed month as arrears and recovers the overpayment: once both are paid, January is
    // neither unpaid nor mismatched.
    const feb = await payCycle(commune, '2025-02');
    expect(feb.payments.map((p: JsonBody) => [p.personId, p.kind, p.period, p.amount]).sort()).toEqual(
      [
        [paid, 'RECOVERY', '2025-01', -100_000],
        [paid, 'REGULAR', '2025-02', jan.payments[0].amount],
        [late, 'ARREARS', '2025-01', jan.payments[0].amount],
        [late, 'REGULAR', '2025-02', jan.payments[0].amount],
      ].sort(),
    );
    const later = await findings({ c: commune, from: '2025-01', to: '2025-02', kinds: ['AMOUNT_MISMATCH', 'ENROLLED_NOT_PAID'] });
    expect(later.nodes).toEqual([]);
  });

  it('ELIGIBLE_NOT_ENROLLED and DUPLICATE_IDENTITY', async () => {
    const commune = '24848';
    const eligible = await disabledAdult(commune);
    const gaps = await findings({ c: commune, from: '2025-02', to: '2025-02', kinds: ['ELIGIBLE_NOT_ENROLLED'] });
    expect(gaps.nodes.filter((f: JsonBody) => f.personIds.includes(eligible))).toEqual([
      expect.objectContaining({ key: `ELIGIBLE_NOT_ENROLLED:${eligible}:D20_5_6:2025-02`, programCode: 'D20_5_6', period: '2025-02' }),
    ]);
    await enrol(eligible, commune, '2025-01');
    const enrolled = await findings({ c: commune, from: '2025-02', to: '2025-02', kinds: ['ELIGIBLE_NOT_ENROLLED'] });
    expect(enrolled.nodes.filter((f: JsonBody) => f.personIds.includes(eligible))).toEqual([]);

    const a = await register(commune, { fullName: 'Nguyễn Văn Bình', dateOfBirth: '1950-03-03' });
    const notTwin = await register(commune, { fullName: 'Nguyễn Văn Bình', dateOfBirth: '1950-03-04' });
    const identities = async () =>
      (await findings({ c: commune, from: '2025-02', to: '2025-02', kinds: ['DUPLICATE_IDENTITY'] })).nodes.filter((f: JsonBody) =>
        f.personIds.some((id: string) => [a, notTwin].includes(id)),
      );
    expect(await identities()).toEqual([]);
    const b = await register('24862', { fullName: 'NGUYEN VAN BINH', dateOfBirth: '1950-03-03' });
    const [x, y] = a < b ? [a, b] : [b, a];
    expect(await identities()).toEqual([
      expect.objectContaining({
        key: `DUPLICATE_IDENTITY:${x}:${y}`,
        period: null,
        personIds: [x, y],
        communes: expect.arrayContaining([commune, '24862']),
        evidence: expect.objectContaining({ dateOfBirth: '1950-03-03', match: 'NAME_AND_DATE_OF_BIRTH' }),
      }),
    ]);
  });
});

describe('payment report', () => {
  it('adds owed, paid and outstanding up by program and month, recoveries apart, over GraphQL and CSV', async () => {
    const commune = '24865';
    const banked = await disabledAdult(commune);
    const bankedEnrolment = await enrol(banked, commune, '2025-03');
    const cash = await disabledAdult(commune);
    await enrol(cash, commune, '2025-03');
    ok(
      await t.gql(
        `mutation($input: RecordPaymentRecipientInput!) { recordPaymentRecipient(input: $input) { id } }`,
        {
          input: { enrolmentId: bankedEnrolment, kind: 'BENEFICIARY', method: 'BANK', accountNo: '0123456789', provider: 'Agribank', validFrom: '2025-03-01' },
        },
        await t.token('commune_officer', [commune]),
      ),
    );
    const cycle = ok(await t.gql(CREATE, { c: commune, p: '2025-03' }), 'createPaymentCycle');
    ok(await t.gql(APPROVE, { id: cycle.id }, approver));
    const bank = cycle.payments.find((p: JsonBody) => p.personId === banked);
    const cashLine = cycle.payments.find((p: JsonBody) => p.personId === cash);
    ok(await t.gql(RESULT, { id: bank.id, s: 'PAID', r: 'OK-1', d: '2025-03-20', k: `r-${bank.id}` }));
    ok(await t.gql(RESULT, { id: cashLine.id, s: 'FAILED', r: 'ERR-1', d: '2025-03-20', k: `r-${cashLine.id}` }));
    await plantLine(cycle.id, bank, 'ARREARS', 50_000, '2025-02', 'PAID');
    await plantLine(cycle.id, cashLine, 'RECOVERY', -20_000, '2025-02');
    const REPORT = `query($c: String, $from: Period!, $to: Period!) { paymentReport(communeCode: $c, from: $from, to: $to) {
      communeCode period lines owed paid outstanding recoveries recovered arrearsPaid backPayPaid nonCashShare
      byProgram { programCode lines owed paid outstanding recoveries recovered arrearsPaid backPayPaid nonCashShare } } }`;
    const report = ok(await t.gql(REPORT, { c: commune, from: '2025-03', to: '2025-03' }, auditor), 'paymentReport');
    const owed = Number(bank.amount) + Number(cashLine.amount) + 50_000;
    const paid = Number(bank.amount) + 50_000;
    expect(report).toEqual([
      {
        communeCode: commune,
        period: '2025-03',
        lines: 4,
        owed,
        paid,
        outstanding: owed - paid,
        recoveries: -20_000,
        recovered: 0,
        arrearsPaid: 50_000,
        backPayPaid: 0,
        nonCashShare: 2 / 3,
        byProgram: [
          {
            programCode: 'D20_5_6',
            lines: 4,
            owed,
            paid,
            outstanding: owed - paid,
            recoveries: -20_000,
            recovered: 0,
            arrearsPaid: 50_000,
            backPayPaid: 0,
            nonCashShare: 2 / 3,
          },
        ],
      },
    ]);
    expect(report[0].outstanding).toBe(cashLine.amount);

    const res = await t.app.inject({
      method: 'GET',
      url: `/payments/report.csv?communeCode=${commune}&from=2025-03&to=2025-03`,
      headers: { authorization: `Bearer ${auditor}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const rows = res.body.trim().split('\r\n');
    expect(rows[0]).toBe('commune_code,period,program_code,lines,owed,paid,outstanding,recoveries,recovered,arrears_paid,back_pay_paid,non_cash_share');
    expect(rows.slice(1)).toEqual([
      `${commune},2025-03,D20_5_6,4,${owed},${paid},${owed - paid},-20000,0,50000,0,0.6667`,
      `${commune},2025-03,ALL,4,${owed},${paid},${owed - paid},-20000,0,50000,0,0.6667`,
    ]);
    const other = await t.token('commune_officer', ['24846']);
    const refused = await t.app.inject({
      method: 'GET',
      url: `/payments/report.csv?communeCode=${commune}&from=2025-03&to=2025-03`,
      headers: { authorization: `Bearer ${other}` },
    });
    expect(refused.statusCode).toBe(403);
    const anonymous = await t.app.inject({ method: 'GET', url: `/payments/report.csv?communeCode=${commune}&from=2025-03&to=2025-03` });
    expect(anonymous.statusCode).toBe(401);
  });

  it('exports the findings as CSV, one row per finding', async () => {
    const graph = await findings({ c: '24846', from: '2025-01', to: '2025-02' });
    const res = await t.app.inject({
      method: 'GET',
      url: '/payments/audit-findings.csv?communeCode=24846&from=2025-01&to=2025-02',
      headers: { authorization: `Bearer ${auditor}` },
    });
    expect(res.statusCode).toBe(200);
    const lines = res.body.trim().split('\r\n');
    expect(lines[0]).toMatch(/^key,kind,commune_code,period,/);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(graph.nodes.map((f: JsonBody) => f.key));
    // Every commune at once finds what each commune finds (the district-wide statements differ in form).
    const district = await findings({ from: '2025-01', to: '2025-02', first: 500 });
    for (const c of ['24846', '24847', '24862']) {
      const own = await findings({
        c,
        from: '2025-01',
        to: '2025-02',
        kinds: ['PAID_AFTER_DEATH', 'PAID_OUTSIDE_ENROLMENT', 'AMOUNT_MISMATCH', 'DUPLICATE_PAYMENT', 'PAID_TO_MOVED_AWAY', 'ENROLLED_NOT_PAID'],
      });
      expect(own.totalCount, c).toBeGreaterThan(0);
      expect(
        district.nodes.map((f: JsonBody) => f.key),
        c,
      ).toEqual(expect.arrayContaining(own.nodes.map((f: JsonBody) => f.key)));
    }
    const bad = await t.app.inject({
      method: 'GET',
      url: '/payments/audit-findings.csv?from=2025-13&to=2025-02',
      headers: { authorization: `Bearer ${auditor}` },
    });
    expect(bad.statusCode).toBe(400);
  });
});
