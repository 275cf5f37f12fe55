/**
 * Care allowances are paid to the carer (Decree 20/2021 art. 20; docs/payments.md#recipients), through the API: the
 * enrolment is on the person cared for, but its recipient must be a CARER record, never the person; a cycle holds
 * the allowance's line while no carer is recorded (the month shows as ENROLLED_NOT_PAID saying why) and pays the
 * person's own allowance as usual; once the carer is recorded, the next cycle pays the month and the held one, as
 * arrears, to the carer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { certifyDisability, enrolAndApprove, household, ok, person } from './support/people.js';

const COMMUNE = '24846';
const RECIPIENT = `mutation($input: RecordPaymentRecipientInput!) { recordPaymentRecipient(input: $input) { id kind recipientName recipientPersonId } }`;
const CYCLE = `mutation($c: String!, $p: Period!) {
  createPaymentCycle(communeCode: $c, period: $p) {
    id payments { enrolmentId programCode period kind amount method recipient { kind recipientName recipientPersonId } }
  }
}`;
const FINDINGS = `query($c: String, $from: Period!, $to: Period!) {
  auditFindings(communeCode: $c, from: $from, to: $to, kinds: [ENROLLED_NOT_PAID]) { nodes { key enrolmentIds period detail detailVi expectedAmount evidence } }
}`;

let t: TestApp;
let officer: string;
let head: string;
let cared: string;
let own: string;
let care: string;

beforeAll(async () => {
  t = await startTestApp();
  officer = await t.token('commune_officer', [COMMUNE]);
  const h = await household(t, { commune: COMMUNE });
  head = await person(t, { dateOfBirth: '1960-03-01', householdId: h, isHead: true, commune: COMMUNE });
  cared = await person(t, { dateOfBirth: '1990-06-15', householdId: h, relation: 'Con', commune: COMMUNE });
  await certifyDisability(t, cared, 'PARTICULARLY_SEVERE');
  own = await enrolAndApprove(t, cared, 'D20_5_6', '2025-01', COMMUNE, '2025-01-05');
  care = await enrolAndApprove(t, cared, 'D20_20_2C', '2025-01', COMMUNE, '2025-01-05');
}, 120_000);
afterAll(() => closeTestApp(t));

const count = async (table: string) => Number((await t.db.database.db.execute(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n);

describe('care-allowance recipients (Decree 20/2021 art. 20)', () => {
  it.each([
    [
      'the person cared for as BENEFICIARY',
      () => ({ enrolmentId: care, kind: 'BENEFICIARY' }),
      'input.kind',
      /must be CARER: D20_20_2C is a care allowance .*art\. 20/,
    ],
    ['a GUARDIAN', () => ({ enrolmentId: care, kind: 'GUARDIAN', recipientPersonId: head }), 'input.kind', /must be CARER/],
    [
      'a CARER for the person’s own allowance',
      () => ({ enrolmentId: own, kind: 'CARER', recipientPersonId: head }),
      'input.kind',
      /CARER is only for the care allowances/,
    ],
    [
      'the person cared for as CARER',
      () => ({ enrolmentId: care, kind: 'CARER', recipientPersonId: cared }),
      'input.recipientPersonId',
      /is the person cared for/,
    ],
    ['a CARER with no name', () => ({ enrolmentId: care, kind: 'CARER' }), 'input.recipientName', /is required for a carer/],
  ])('refuses %s, bilingual, writing nothing', async (_what, input, field, message) => {
    const [recipients, events] = [await count('payment_recipients'), await count('audit_events')];
    const r = await t.gql(RECIPIENT, { input: { method: 'CASH', validFrom: '2025-01-01', ...input() } }, officer);
    const error = r.body.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field });
    expect(error?.message).toMatch(message);
    expect(error?.extensions.messageVi).toMatch(/\S/);
    expect([await count('payment_recipients'), await count('audit_events')]).toEqual([recipients, events]);
  });

  it('holds the care allowance without a carer, pays the person’s own allowance, and says why', async () => {
    const feb = ok(await t.gql(CYCLE, { c: COMMUNE, p: '2025-02' }), 'createPaymentCycle');
    const lines = (feb.payments as JsonBody[]).filter((l) => l.enrolmentId === own || l.enrolmentId === care);
    expect(lines.map((l) => [l.programCode, l.period, l.kind])).toEqual([['D20_5_6', '2025-02', 'REGULAR']]);
    const found = ok(await t.gql(FINDINGS, { c: COMMUNE, from: '2025-02', to: '2025-02' }), 'auditFindings').nodes as JsonBody[];
    const held = found.filter((f) => f.enrolmentIds.includes(care));
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ period: '2025-02', expectedAmount: 500_000, evidence: { heldForCarer: true } });
    expect(held[0].detail).toContain('held, as no carer is recorded as its recipient');
    expect(held[0].detail).toContain('Decree 20/2021 art. 20');
    expect(held[0].detailVi).toContain('Nghị định 20/2021, điều 20');
    expect(found.filter((f) => f.enrolmentIds.includes(own))).toEqual([]);
  });

  it('once the carer is recorded, pays the month and the held one as arrears to the carer', async () => {
    const events = await count('audit_events');
    const rec = ok(
      await t.gql(RECIPIENT, { input: { enrolmentId: care, kind: 'CARER', recipientPersonId: head, method: 'CASH', validFrom: '2025-03-01' } }, officer),
      'recordPaymentRecipient',
    );
    expect(rec).toMatchObject({ kind: 'CARER', recipientPersonId: head, recipientName: 'Cil Ka Thử' });
    expect(await count('audit_events')).toBe(events + 1);
    const march = ok(await t.gql(CYCLE, { c: COMMUNE, p: '2025-03' }), 'createPaymentCycle');
    const careLines = (march.payments as JsonBody[]).filter((l) => l.enrolmentId === care).sort((a, b) => (a.period < b.period ? -1 : 1));
    expect(careLines.map((l) => [l.period, l.kind, l.amount])).toEqual([
      ['2025-02', 'ARREARS', 500_000],
      ['2025-03', 'REGULAR', 500_000],
    ]);
    for (const l of careLines) expect(l.recipient).toMatchObject({ kind: 'CARER', recipientPersonId: head });
    // The person's own allowance still goes to them (no recipient record: the beneficiary, cash at the commune).
    expect((march.payments as JsonBody[]).filter((l) => l.enrolmentId === own).map((l) => [l.period, l.kind, l.recipient])).toEqual([
      ['2025-03', 'REGULAR', null],
    ]);
    // Nothing is held any more: the finding is gone for February.
    const found = ok(await t.gql(FINDINGS, { c: COMMUNE, from: '2025-02', to: '2025-03' }), 'auditFindings').nodes as JsonBody[];
    expect(found.filter((f) => f.enrolmentIds.includes(care))).toEqual([]);
  });
});
