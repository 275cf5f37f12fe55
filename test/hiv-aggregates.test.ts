/**
 * HIV status through totals, counts, CSV exports and eligibility (issue 11, docs/security.md "HIV status"): for
 * callers without HIV sight (auditor, admin, integration clients without `health:hiv`) the programs of Decree 20
 * art. 5.3 and 5.8 are left out of every aggregate, consistently, so that totals are the sum of the items shown and
 * nothing tells a small commune's auditor that someone there is in an HIV program; programs whose rule reads the HIV
 * flag (art. 5.7 "no HIV flag") are left out of eligibility and coverage gaps. Officers who see HIV get everything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { assess, certifyDisability, DA_SAR, enrolAndApprove, flag, household, LAT, ok, person } from './support/people.js';

let t: TestApp;
let district: string;
let approver: string;
let hidden: { name: string; token: string }[];
let hivPerson: string;
let child: string;
let cycles: JsonBody[];

const HIV = /D20_5_3|D20_5_8|HIV/;
const CREATE = `mutation($c: String!, $p: Period!) { createPaymentCycle(communeCode: $c, period: $p) { id payments { id programCode } } }`;
const APPROVE = `mutation($id: ID!) { approvePaymentCycle(id: $id) { id status } }`;
const RESULT = `mutation($id: ID!, $k: String!) {
  recordPaymentResult(paymentId: $id, status: PAID, reference: "OK", paidAt: "2024-09-20", idempotencyKey: $k) { id } }`;

beforeAll(async () => {
  t = await startTestApp();
  district = await t.token('district_officer');
  approver = await t.token('district_officer', [], '', 'hiv-approver');
  hidden = [
    { name: 'auditor', token: await t.token('auditor') },
    { name: 'admin', token: await t.token('admin') },
    { name: 'integration (benefits:read)', token: await t.token('integration', [], 'benefits:read') },
  ];
  // In LAT: one person enrolled in art. 5.8 (HIV, poor, no stable income), one more eligible but not enrolled (a
  // gap), and a disabled adult in art. 5.6, so that every aggregate has something to show besides HIV.
  const h = await household(t, { commune: LAT });
  hivPerson = await person(t, { dateOfBirth: '1980-03-03', commune: LAT, householdId: h, isHead: true });
  await assess(t, h, 'POOR');
  await flag(t, hivPerson, 'HIV');
  await flag(t, hivPerson, 'NO_STABLE_INCOME');
  await enrolAndApprove(t, hivPerson, 'D20_5_8', '2024-07', LAT);
  const h2 = await household(t, { commune: LAT });
  const gap = await person(t, { dateOfBirth: '1982-04-04', commune: LAT, householdId: h2, isHead: true });
  await assess(t, h2, 'POOR');
  await flag(t, gap, 'HIV');
  await flag(t, gap, 'NO_STABLE_INCOME');
  const disabled = await person(t, { dateOfBirth: '1975-05-05', commune: LAT, householdId: await household(t, { commune: LAT }), isHead: true });
  await certifyDisability(t, disabled);
  await enrolAndApprove(t, disabled, 'D20_5_6', '2024-07', LAT);
  cycles = [];
  for (const period of ['2024-08', '2024-09']) {
    const cycle = ok(await t.gql(CREATE, { c: LAT, p: period }, district), 'createPaymentCycle');
    ok(await t.gql(APPROVE, { id: cycle.id }, approver));
    for (const p of cycle.payments) ok(await t.gql(RESULT, { id: p.id, k: `hiv-${p.id}` }, approver));
    cycles.push(cycle);
  }
  // Paid for September after a death in August: PAID_AFTER_DEATH findings of art. 5.8.
  ok(await t.gql(`mutation($id: ID!) { recordDeath(personId: $id, dateOfDeath: "2024-08-15") { id } }`, { id: hivPerson }, district));
  // In DA_SAR (extremely disadvantaged): a child under 36 months of a poor household with the HIV flag, whom art.
  // 5.7 leaves out for the flag alone.
  const h3 = await household(t, { commune: DA_SAR });
  await person(t, { dateOfBirth: '1995-01-01', commune: DA_SAR, householdId: h3, isHead: true });
  child = await person(t, { dateOfBirth: '2023-06-01', commune: DA_SAR, householdId: h3, relation: 'con' });
  await assess(t, h3, 'POOR');
  await flag(t, child, 'HIV', '2023-06-01');
});
afterAll(() => closeTestApp(t));

const sum = (xs: { count?: number; lines?: number }[], k: 'count' | 'lines') => xs.reduce((s, x) => s + (x[k] ?? 0), 0);
const get = (url: string, token: string) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

describe('totals and per-program counts leave HIV programs out for callers without HIV sight', () => {
  it('coverageGaps: totalCount is the sum of byProgram, without art. 5.3, 5.7 or 5.8', async () => {
    const q = `{ coverageGaps(communeCode: "${LAT}", asOf: "2024-08-01", first: 500) { totalCount byProgram { programCode count } nodes { programCode } } }`;
    const seen = ok(await t.gql(q, undefined, district), 'coverageGaps');
    expect(seen.byProgram.map((c: JsonBody) => c.programCode)).toContain('D20_5_8');
    for (const { name, token } of hidden) {
      const res = await t.gql(q, undefined, token);
      const gaps = ok(res, 'coverageGaps');
      expect(JSON.stringify(gaps), name).not.toMatch(/D20_5_3|D20_5_7|D20_5_8/);
      expect(gaps.totalCount, name).toBe(sum(gaps.byProgram, 'count'));
      expect(gaps.totalCount, name).toBe(gaps.nodes.length);
      const hivCount = seen.byProgram.filter((c: JsonBody) => ['D20_5_3', 'D20_5_7', 'D20_5_8'].includes(c.programCode));
      expect(gaps.totalCount, name).toBe(seen.totalCount - sum(hivCount, 'count'));
    }
  });

  it('beneficiaries of an HIV program: empty with totalCount 0, on the compiled path and the executor', async () => {
    const compiled = `{ beneficiaries(communeCode: "${LAT}", programCode: "D20_5_8", asOf: "2024-08-01") { totalCount nodes { id fullName } } }`;
    const executor = `{ beneficiaries(communeCode: "${LAT}", programCode: "D20_5_8", asOf: "2024-08-01") { totalCount nodes { id enrolments { programCode } } } }`;
    for (const q of [compiled, executor]) {
      const seen = ok(await t.gql(q, undefined, district), 'beneficiaries');
      expect(seen.totalCount).toBe(1);
      expect(seen.nodes.map((n: JsonBody) => n.id)).toEqual([hivPerson]);
      for (const { name, token } of hidden) expect(ok(await t.gql(q, undefined, token), 'beneficiaries'), name).toEqual({ totalCount: 0, nodes: [] });
    }
    // Another program's list is unchanged for them.
    const other = `{ beneficiaries(communeCode: "${LAT}", programCode: "D20_5_6", asOf: "2024-08-01") { totalCount } }`;
    expect(ok(await t.gql(other, undefined, hidden[0]!.token), 'beneficiaries').totalCount).toBe(1);
  });

  it('paymentReport: each month is the sum of the programs shown', async () => {
    const q = `{ paymentReport(communeCode: "${LAT}", from: "2024-08", to: "2024-09") { period lines owed paid byProgram { programCode lines owed paid } } }`;
    const seen = ok(await t.gql(q, undefined, district), 'paymentReport');
    expect(JSON.stringify(seen)).toContain('D20_5_8');
    for (const { name, token } of hidden) {
      const months = ok(await t.gql(q, undefined, token), 'paymentReport');
      expect(months, name).toHaveLength(2);
      expect(JSON.stringify(months), name).not.toMatch(HIV);
      for (const m of months) {
        expect(m.lines, name).toBe(sum(m.byProgram, 'lines'));
        expect(m.owed, name).toBe(m.byProgram.reduce((s: number, l: JsonBody) => s + Number(l.owed), 0));
        expect(m.paid, name).toBe(m.byProgram.reduce((s: number, l: JsonBody) => s + Number(l.paid), 0));
      }
    }
  });

  it('a payment cycle’s control totals and non-cash share are those of the lines shown', async () => {
    const q = `query($id: ID!) { paymentCycle(id: $id) { controlTotals { lines payableAmount recoveryAmount byProgram { programCode lines amount } }
      nonCashShare payments { programCode amount } } }`;
    for (const cycle of cycles) {
      const seen = ok(await t.gql(q, { id: cycle.id }, district), 'paymentCycle');
      expect(seen.controlTotals.byProgram.map((p: JsonBody) => p.programCode)).toContain('D20_5_8');
      expect(seen.controlTotals.lines).toBe(seen.payments.length);
      for (const { name, token } of hidden) {
        const c = ok(await t.gql(q, { id: cycle.id }, token), 'paymentCycle');
        expect(JSON.stringify(c), name).not.toMatch(HIV);
        expect(c.controlTotals.lines, name).toBe(c.payments.length);
        expect(c.controlTotals.lines, name).toBe(sum(c.controlTotals.byProgram, 'lines'));
        const payable = c.payments.filter((p: JsonBody) => p.amount > 0).reduce((s: number, p: JsonBody) => s + Number(p.amount), 0);
        expect(c.controlTotals.payableAmount, name).toBe(payable);
        expect(c.nonCashShare, name).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('auditFindings: art. 5.3 and 5.8 findings are not in the list, totalCount or byKind', async () => {
    const q = `{ auditFindings(communeCode: "${LAT}", from: "2024-08", to: "2024-09", first: 500) { totalCount byKind { kind count } nodes { key programCode } } }`;
    const seen = ok(await t.gql(q, undefined, district), 'auditFindings');
    expect(seen.nodes.map((f: JsonBody) => f.programCode)).toContain('D20_5_8');
    for (const { name, token } of hidden) {
      const f = ok(await t.gql(q, undefined, token), 'auditFindings');
      expect(JSON.stringify(f), name).not.toMatch(HIV);
      expect(f.totalCount, name).toBe(f.nodes.length);
      expect(f.totalCount, name).toBe(sum(f.byKind, 'count'));
      expect(f.totalCount, name).toBe(seen.nodes.filter((n: JsonBody) => !HIV.test(String(n.programCode))).length);
    }
    // Nor can one of them be reviewed by key: NOT_FOUND, as for a key no data raises.
    const hivKey = seen.nodes.find((f: JsonBody) => f.programCode === 'D20_5_8').key;
    const review = await t.gql(
      `mutation($k: String!) { reviewAuditFinding(communeCode: "${LAT}", key: $k, note: "xem") { key } }`,
      { k: hivKey },
      hidden[0]!.token,
    );
    expect(review.body.errors[0].extensions.code).toBe('NOT_FOUND');
  });
});

describe('CSV exports leave HIV programs out for callers without HIV sight', () => {
  it('/payments/audit-findings.csv', async () => {
    const url = `/payments/audit-findings.csv?communeCode=${LAT}&from=2024-08&to=2024-09`;
    const seen = await get(url, district);
    expect(seen.statusCode).toBe(200);
    expect(seen.body).toContain('D20_5_8');
    for (const { name, token } of hidden) {
      const res = await get(url, token);
      expect(res.statusCode, name).toBe(200);
      expect(res.body, name).not.toMatch(HIV);
      expect(res.body.trim().split('\r\n').length - 1, name).toBe(
        seen.body
          .trim()
          .split('\r\n')
          .filter((l) => !l.includes('D20_5_8')).length - 1,
      );
    }
  });

  it('/payments/report.csv: no HIV program, and ALL is the sum of the programs shown', async () => {
    const url = `/payments/report.csv?communeCode=${LAT}&from=2024-08&to=2024-09`;
    expect((await get(url, district)).body).toContain('D20_5_8');
    for (const { name, token } of hidden) {
      const res = await get(url, token);
      expect(res.body, name).not.toMatch(HIV);
      const rows = res.body
        .trim()
        .split('\r\n')
        .slice(1)
        .map((l) => l.split(','));
      for (const period of ['2024-08', '2024-09']) {
        const month = rows.filter((r) => r[1] === period);
        const all = month.find((r) => r[2] === 'ALL')!;
        expect(Number(all[3]), name).toBe(month.filter((r) => r[2] !== 'ALL').reduce((s, r) => s + Number(r[3]), 0));
      }
    }
  });

  it('a cycle’s payment file', async () => {
    const url = `/payments/cycles/${cycles[0]!.id}/export.csv`;
    expect((await get(url, district)).body).toContain('D20_5_8');
    const res = await get(url, hidden[0]!.token);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toMatch(HIV);
  });
});

describe('eligibility under a rule that reads the HIV flag (art. 5.7)', () => {
  const q = `query($id: ID!) { eligibility(personId: $id, asOf: "2024-08-01") { programCode eligible conditions { fact expected held text } } }`;
  it('officers who see HIV get art. 5.7 failing on the flag alone', async () => {
    const rows: JsonBody[] = ok(await t.gql(q, { id: child }, district), 'eligibility');
    const d57 = rows.find((r) => r.programCode === 'D20_5_7');
    expect(d57.eligible).toBe(false);
    expect(d57.conditions.filter((c: JsonBody) => !c.held).map((c: JsonBody) => c.expected)).toEqual(['HIV']);
  });

  it('callers without HIV sight get no art. 5.3, 5.7 or 5.8 result at all, for anyone', async () => {
    for (const { name, token } of hidden) {
      for (const id of [child, hivPerson]) {
        const res = await t.gql(q, { id }, token);
        const rows: JsonBody[] = ok(res, 'eligibility');
        expect(
          rows.map((r) => r.programCode),
          name,
        ).not.toContain('D20_5_7');
        expect(JSON.stringify(rows), name).not.toMatch(HIV);
        expect(rows.length, name).toBeGreaterThan(5);
      }
    }
  });
});
