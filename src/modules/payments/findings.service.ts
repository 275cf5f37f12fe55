/**
 * Audit findings and payment reports (docs/payments.md#audit-findings, #reports): what looks wrong in what was paid
 * (paid after death, outside the enrolment, the wrong amount, twice, by a commune the person had left; identities
 * recorded twice; people eligible but not enrolled, enrolled but not paid), each with its evidence and a review an
 * auditor can record; and per commune and month, what the cycles owed, paid and left outstanding.
 *
 * Findings are computed when asked, never stored: each kind is one set-based statement (findings.repository.ts),
 * plus, for the two kinds that compare with the entitlements, their computation in batches of people.
 */
import { textProblem, TEXT_RULES } from '../../core/text.js';
import { formatVnd as fmt, formatVndVi as fmtVi } from '../../core/money.js';
import type { Clock } from '../../clock.js';
import { FINDING_KINDS, PAID_TO_CARER, type FindingKind } from '../../core/code-lists.js';
import { addMonths, firstDay, lastDay, monthsBetween, monthsFrom, PERIOD_RE, periodOf, toDateString } from '../../core/period.js';
import type { Database } from '../../db/client.js';
import { notFound, Problems, ValidationError } from '../../errors.js';
import { auditedTransaction, type AuditActor } from '../audit/audit.service.js';
import { assertCanSee, assertMayReadBenefits, communesVisibleTo, HIV_PROGRAMS, seesHiv } from '../auth/access-policy.js';
import { assertRole } from '../auth/auth.service.js';
import type { Principal } from '../auth/auth.types.js';
import type { BenefitsService, EntitlementMonth } from '../benefits/benefits.service.js';
import type { PlacesService } from '../places/places.service.js';
import type { RegistryService } from '../registry/registry.service.js';
import * as repo from './findings.repository.js';
import type { FindingScope, ReviewRow } from './findings.repository.js';
import { cyclesSince, findRecipientsOf, inputsChangedOf } from './payments.repository.js';
import { ARREARS_LOOKBACK_MONTHS, heldForCarer } from './payments.service.js';

export type { ReviewRow } from './findings.repository.js';

/** The first month anything can be paid (Decree 20/2021 took effect on 2021-07-01). */
const FIRST_PERIOD = '2021-07';
/** The widest range asked at once: the entitlements of the range are computed for the people it pays. */
export const MAX_FINDING_MONTHS = 36;
export const MAX_FINDING_PAGE = 500;
/** How many people's entitlements are computed at once (bounded memory and statement size). */
const PERSON_BATCH = 2000;
/** How many coverage gaps a findings read takes at most (pages of MAX_GAP_PAGE). */
const MAX_GAPS = 20_000;

/** One finding: what is wrong, where, and the evidence (ids, months, amounts). */
export interface Finding {
  /** Stable: the kind, the evidence ids and the month; a review is kept under it. */
  key: string;
  kind: FindingKind;
  /** The commune whose cycles (or people) raised it; null for a district-wide coverage gap. */
  communeCode: string | null;
  /** The month concerned, yyyy-mm (null: not about a month). */
  period: string | null;
  programCode: string | null;
  personIds: string[];
  enrolmentIds: string[];
  paymentIds: string[];
  /** Every commune involved (the paying one, the one lived in, the other household's…). */
  communes: string[];
  /** What was paid (or is on its way), VND. */
  amount: number | null;
  /** What the entitlement says, VND. */
  expectedAmount: number | null;
  detail: string;
  detailVi: string;
  evidence: Record<string, unknown>;
  review?: ReviewRow | null;
}

export interface FindingsArgs {
  communeCode?: string | null;
  from: string;
  to: string;
  kinds?: readonly string[] | null;
  first?: number | null;
  after?: string | null;
}

export interface ReportLine {
  communeCode: string;
  period: string;
  programCode: string;
  lines: number;
  owed: number;
  paid: number;
  outstanding: number;
  recoveries: number;
  recovered: number;
  arrearsPaid: number;
  backPayPaid: number;
  nonCashShare: number;
}

export interface ReportMonth extends Omit<ReportLine, 'programCode'> {
  byProgram: ReportLine[];
}

const encodeCursor = (key: string) => Buffer.from(`f:${key}`).toString('base64url');
function decodeCursor(cursor: string): string {
  const s = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!s.startsWith('f:') || s.length > 300)
    throw new ValidationError([{ field: 'after', en: 'is not a cursor this API returned', vi: 'không phải mã trang do dịch vụ trả về' }]);
  return s.slice(2);
}

const KEY_RE = /^([A-Z_]+)(:[0-9A-Za-z_-]{1,40}){1,4}$/;

export function createFindingsService(deps: { database: Database; clock: Clock; places: PlacesService; registry: RegistryService; benefits: BenefitsService }) {
  const { database, clock, places, registry, benefits } = deps;
  const db = database.db;

  function checkRange(p: Problems, from: string, to: string) {
    const okFrom = PERIOD_RE.test(from);
    const okTo = PERIOD_RE.test(to);
    if (!okFrom) p.add('from', 'must be a month yyyy-mm', 'phải là tháng yyyy-mm');
    else if (from < FIRST_PERIOD) p.add('from', `cannot be before ${FIRST_PERIOD}`, `không được trước ${FIRST_PERIOD}`);
    if (!okTo) p.add('to', 'must be a month yyyy-mm', 'phải là tháng yyyy-mm');
    else if (okFrom && to < from) p.add('to', 'is before from', 'trước tháng bắt đầu');
    else if (okFrom && monthsBetween(from, to) + 1 > MAX_FINDING_MONTHS)
      p.add('to', `at most ${MAX_FINDING_MONTHS} months at once`, `tối đa ${MAX_FINDING_MONTHS} tháng một lần`);
  }

  /** The communes the read covers (null: every one): the one asked, which the caller must see, or all they see. */
  function scopeCodes(principal: Principal, communeCode: string | null | undefined, to: string): string[] | null {
    if (communeCode) {
      assertCanSee(registry.callerOn(principal, lastDay(to)), communeCode);
      return [communeCode];
    }
    return communesVisibleTo(principal) === null ? null : [...(communesVisibleTo(registry.callerOn(principal, lastDay(to))) ?? [])];
  }

  /** Entitlements of many people for some months, in batches. */
  async function entitlementsOf(personIds: readonly string[], months: readonly string[]): Promise<Map<string, EntitlementMonth[]>> {
    const ids = [...new Set(personIds)];
    const out = new Map<string, EntitlementMonth[]>();
    for (let i = 0; i < ids.length; i += PERSON_BATCH) {
      for (const [id, m] of await benefits.entitlementsOfMany(ids.slice(i, i + PERSON_BATCH), months)) out.set(id, m);
    }
    return out;
  }

  /**
   * The (person, commune, month) rows whose month a cycle has settled and nothing has unsettled since (docs/payments.md,
   * "Which months a cycle computes"): nothing the person's entitlements read changed since the latest cycle of that
   * commune whose look-back reached the month was computed. That cycle left the month holding exactly what it is
   * owed, so its entitlement need not be computed again. Callers first leave out what a cycle cannot have settled
   * (lines of several communes or written outside a cycle; a care allowance held for want of its carer).
   */
  async function settledRows<R extends { person_id: string; commune_code: string; period: string }>(rows: readonly R[]): Promise<Set<R>> {
    const out = new Set<R>();
    if (rows.length === 0) return out;
    const from = rows.map((r) => r.period).reduce((m, p) => (p < m ? p : m));
    // Per commune, its cycles latest first.
    const cycles = new Map<string, { period: string; plannedBelow: string | null }[]>();
    for (const c of (await cyclesSince(db, firstDay(from))).sort((a, b) => (a.period < b.period ? 1 : -1)))
      cycles.set(c.communeCode, [...(cycles.get(c.communeCode) ?? []), c]);
    const people = [...new Set(rows.map((r) => r.person_id))];
    const changed = new Map<string, bigint>();
    for (let i = 0; i < people.length; i += 5000) for (const [id, xid] of await inputsChangedOf(db, people.slice(i, i + 5000))) changed.set(id, xid);
    for (const r of rows) {
      const reach = addMonths(r.period, ARREARS_LOOKBACK_MONTHS);
      const settledBy = cycles.get(r.commune_code)?.find((c) => c.period >= r.period && c.period <= reach);
      if (settledBy?.plannedBelow != null && (changed.get(r.person_id) ?? 0n) < BigInt(settledBy.plannedBelow)) out.add(r);
    }
    return out;
  }

  /** The entitlement line of an enrolment for a month, from computed entitlements. */
  function lineOf(ents: Map<string, EntitlementMonth[]>, personId: string, enrolmentId: string, period: string) {
    return ents
      .get(personId)
      ?.find((m) => m.period === period)
      ?.lines.find((l) => l.enrolment.id === enrolmentId);
  }

  /**
   * The findings of a kind the caller may see: one about a line, enrolment or gap of art. 5.3 or 5.8 says the person
   * has HIV, so callers without HIV sight do not get it, in the list, the counts, the CSV or a review alike
   * (docs/security.md "HIV status"). ELIGIBLE_NOT_ENROLLED comes from coverageGaps, which leaves out every program
   * whose rule reads the flag (art. 5.7 too).
   */
  async function findingsOfKind(principal: Principal, kind: FindingKind, s: FindingScope, communeCode: string | null): Promise<Finding[]> {
    const found = await computeFindingsOfKind(principal, kind, s, communeCode);
    return seesHiv(principal) ? found : found.filter((f) => f.programCode === null || !HIV_PROGRAMS.has(f.programCode));
  }

  async function computeFindingsOfKind(principal: Principal, kind: FindingKind, s: FindingScope, communeCode: string | null): Promise<Finding[]> {
    switch (kind) {
      case 'PAID_AFTER_DEATH':
        return (await repo.paidAfterDeath(db, s)).map((r) => ({
          ...lineFinding(kind, r),
          evidence: {
            ...lineEvidence(r),
            status: r.status,
            dateOfDeath: r.date_of_death,
          },
          detail: `${r.kind} line for ${r.period} (${fmt(Number(r.amount))}, ${r.status}) after the death on ${r.date_of_death}`,
          detailVi: `khoản chi tháng ${r.period} (${fmtVi(Number(r.amount))}, ${r.status}) sau ngày mất ${r.date_of_death}`,
        }));
      case 'PAID_OUTSIDE_ENROLMENT':
        return (await repo.paidOutsideEnrolment(db, s)).map((r) => ({
          ...lineFinding(kind, r),
          evidence: {
            ...lineEvidence(r),
            startMonth: r.start_month,
            endMonth: r.end_month,
          },
          detail: `${r.kind} line for ${r.period} outside the enrolment's months ${r.start_month}..${r.end_month ?? ''}`,
          detailVi: `khoản chi tháng ${r.period} ngoài thời gian hưởng ${r.start_month}..${r.end_month ?? ''}`,
        }));
      case 'PAID_TO_MOVED_AWAY':
        return (await repo.paidToMovedAway(db, s)).map((r) => ({
          ...lineFinding(kind, r),
          communes: [...new Set([r.commune_code, ...(r.lived_in ? [r.lived_in] : [])])],
          evidence: { ...lineEvidence(r), livedIn: r.lived_in, decidedOn: r.decided_on },
          detail: r.lived_in
            ? `paid by ${r.commune_code} for ${r.period}, but the person lived in ${r.lived_in} on ${r.decided_on}, which pays that month`
            : `paid by ${r.commune_code} for ${r.period}, but the person did not live in the district then`,
          detailVi: r.lived_in
            ? `xã ${r.commune_code} chi tháng ${r.period}, nhưng ngày ${r.decided_on} người này cư trú tại xã ${r.lived_in}, là xã chi tháng đó`
            : `xã ${r.commune_code} chi tháng ${r.period}, nhưng khi đó người này không cư trú trong huyện`,
        }));
      case 'DUPLICATE_PAYMENT':
        return (await repo.duplicatePayments(db, s)).map((r) => {
          const amounts = r.amounts.map(Number);
          return {
            key: `${kind}:${r.person_id}:${r.program_code}:${r.period}`,
            kind,
            communeCode: r.commune_code,
            period: r.period,
            programCode: r.program_code,
            personIds: [r.person_id],
            enrolmentIds: [...new Set(r.enrolment_ids)],
            paymentIds: r.payment_ids,
            communes: [...new Set(r.communes)],
            amount: amounts.reduce((a, b) => a + b, 0),
            expectedAmount: null,
            evidence: {
              payments: r.payment_ids.map((id, i) => ({
                paymentId: id,
                enrolmentId: r.enrolment_ids[i],
                communeCode: r.communes[i],
                kind: r.kinds[i],
                amount: amounts[i],
              })),
            },
            detail: `${r.program_code} for ${r.period} paid ${r.payment_ids.length} times (${[...new Set(r.communes)].join(', ')})`,
            detailVi: `${r.program_code} tháng ${r.period} được chi ${r.payment_ids.length} lần (${[...new Set(r.communes)].join(', ')})`,
          };
        });
      case 'DUPLICATE_IDENTITY': {
        const seen = new Set<string>();
        const out: Finding[] = [];
        for (const r of await repo.duplicateIdentities(db, s.communeCodes)) {
          const [a, b] = r.a_id < r.b_id ? [r.a_id, r.b_id] : [r.b_id, r.a_id];
          const key = `${kind}:${a}:${b}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const households = [r.a_household, r.b_household];
          out.push({
            key,
            kind,
            communeCode: r.a_commune,
            period: null,
            programCode: null,
            personIds: [a, b],
            enrolmentIds: [],
            paymentIds: [],
            communes: [...new Set([r.a_commune, r.b_commune])],
            amount: null,
            expectedAmount: null,
            evidence: { personIds: [a, b], dateOfBirth: r.date_of_birth, households, communes: [r.a_commune, r.b_commune], match: 'NAME_AND_DATE_OF_BIRTH' },
            detail: `the same name (without accents) and date of birth ${r.date_of_birth} in ${r.a_commune === r.b_commune ? 'two households' : `communes ${r.a_commune} and ${r.b_commune}`}`,
            detailVi: `trùng họ tên (không dấu) và ngày sinh ${r.date_of_birth} ở ${r.a_commune === r.b_commune ? 'hai hộ' : `xã ${r.a_commune} và ${r.b_commune}`}`,
          });
        }
        return out;
      }
      case 'AMOUNT_MISMATCH': {
        // The statement judges which months a cycle settled (settledRows' test, in SQL) and leaves out those paid
        // what they hold (findings.repository.ts): only the others' entitlements are computed.
        const rows = await repo.paidByMonth(db, s, ARREARS_LOOKBACK_MONTHS);
        const ents = await entitlementsOf(
          rows.filter((r) => !r.settled).map((r) => r.person_id),
          monthsFrom(periodOf(s.from), periodOf(s.to)),
        );
        const out: Finding[] = [];
        for (const r of rows) {
          const paid = Number(r.paid);
          const owed = r.settled ? Number(r.held) : (lineOf(ents, r.person_id, r.enrolment_id, r.period)?.payableAmount ?? 0);
          if (paid === owed) continue;
          out.push({
            key: `${kind}:${r.enrolment_id}:${r.period}`,
            kind,
            communeCode: r.commune_code,
            period: r.period,
            programCode: r.program_code,
            personIds: [r.person_id],
            enrolmentIds: [r.enrolment_id],
            paymentIds: r.payment_ids,
            communes: [r.commune_code],
            amount: paid,
            expectedAmount: owed,
            evidence: { enrolmentId: r.enrolment_id, period: r.period, paid, entitlement: owed, difference: paid - owed, paymentIds: r.payment_ids },
            detail: `${r.period}: paid ${fmt(paid)}, the entitlement is ${fmt(owed)} (${paid > owed ? 'overpaid' : 'underpaid'} by ${fmt(Math.abs(paid - owed))})`,
            detailVi: `tháng ${r.period}: đã chi ${fmtVi(paid)}, mức được hưởng ${fmtVi(owed)} (${paid > owed ? 'chi thừa' : 'chi thiếu'} ${fmtVi(Math.abs(paid - owed))})`,
          });
        }
        return out;
      }
      case 'ENROLLED_NOT_PAID': {
        // A settled month without a line owed nothing its commune pays (a cycle adds a line for whatever a month is
        // owed), unless it is a care allowance held for want of its carer: only the others are computed.
        const candidates = await repo.unpaidEnrolments(db, s);
        const settled = await settledRows(candidates.filter((r) => !PAID_TO_CARER.has(r.program_code)));
        const rows = candidates.filter((r) => !settled.has(r));
        const ents = await entitlementsOf(
          rows.map((r) => r.person_id),
          [...new Set(rows.map((r) => r.period))],
        );
        // A care allowance without its carer recorded is held by the cycle (heldForCarer): the finding says so.
        const recipients = await findRecipientsOf(db, [...new Set(rows.filter((r) => PAID_TO_CARER.has(r.program_code)).map((r) => r.enrolment_id))]);
        const recipientOn = (enrolmentId: string, day: string) =>
          recipients.filter((x) => x.enrolmentId === enrolmentId && toDateString(x.validFrom) <= day).at(-1);
        const out: Finding[] = [];
        for (const r of rows) {
          const line = lineOf(ents, r.person_id, r.enrolment_id, r.period);
          // Only a payable month the commune pays (the paying commune, a successor covering its predecessors).
          if (!line || line.payableAmount <= 0 || line.payingCommuneCode === null) continue;
          if (!places.communesOn(r.commune_code, firstDay(r.period)).includes(line.payingCommuneCode)) continue;
          const held = heldForCarer({ programCode: r.program_code, amount: line.payableAmount }, recipientOn(r.enrolment_id, firstDay(r.period)));
          out.push({
            key: `${kind}:${r.enrolment_id}:${r.period}`,
            kind,
            communeCode: r.commune_code,
            period: r.period,
            programCode: r.program_code,
            personIds: [r.person_id],
            enrolmentIds: [r.enrolment_id],
            paymentIds: [],
            communes: [r.commune_code],
            amount: 0,
            expectedAmount: line.payableAmount,
            evidence: {
              enrolmentId: r.enrolment_id,
              cycleId: r.cycle_id,
              period: r.period,
              entitlement: line.payableAmount,
              ...(held ? { heldForCarer: true } : {}),
            },
            detail:
              `${r.period}: entitled to ${fmt(line.payableAmount)}; the commune's cycle for the month has no line for it` +
              (held
                ? ': held, as no carer is recorded as its recipient and a care allowance is paid to the carer or the household, not to the person cared for (Decree 20/2021 art. 20); record the carer (recordPaymentRecipient, kind CARER) and the next cycle pays it as arrears'
                : ''),
            detailVi:
              `tháng ${r.period}: được hưởng ${fmtVi(line.payableAmount)}; kỳ chi tháng đó của xã không có khoản nào` +
              (held
                ? ': tạm giữ vì chưa ghi người chăm sóc nhận tiền, kinh phí chăm sóc chi cho người hoặc hộ nhận chăm sóc, không chi cho người được chăm sóc (Nghị định 20/2021, điều 20); ghi người nhận (recordPaymentRecipient, loại CARER) thì kỳ chi sau sẽ truy lĩnh'
                : ''),
          });
        }
        return out;
      }
      case 'ELIGIBLE_NOT_ENROLLED': {
        const asOf = lastDay(periodOf(s.to));
        const out: Finding[] = [];
        let after: string | null = null;
        // Coverage gaps as the benefits module finds them (their own access checks), page by page.
        while (out.length < MAX_GAPS) {
          const page: Awaited<ReturnType<BenefitsService['coverageGaps']>> = await benefits.coverageGaps(principal, { communeCode, asOf, first: 500, after });
          for (const g of page.nodes) {
            const period = periodOf(asOf);
            out.push({
              key: `${kind}:${g.personId}:${g.programCode}:${period}`,
              kind,
              communeCode,
              period,
              programCode: g.programCode,
              personIds: [g.personId],
              enrolmentIds: [],
              paymentIds: [],
              communes: communeCode ? [communeCode] : [],
              amount: null,
              expectedAmount: g.decision.amount ?? null,
              evidence: { personId: g.personId, programCode: g.programCode, asOf },
              detail: `eligible for ${g.programCode} on ${asOf}, without an enrolment in it`,
              detailVi: `đủ điều kiện hưởng ${g.programCode} vào ngày ${asOf} nhưng chưa có hồ sơ hưởng`,
            });
          }
          if (!page.pageInfo.hasNextPage) break;
          after = page.pageInfo.endCursor;
        }
        return out;
      }
    }
  }

  /** Every finding of the kinds asked, sorted by key, with their reviews. */
  async function allFindings(principal: Principal, args: FindingsArgs): Promise<Finding[]> {
    assertMayReadBenefits(principal);
    const p = new Problems();
    checkRange(p, args.from, args.to);
    if (args.communeCode) places.checkCommune(p, 'communeCode', args.communeCode);
    const kinds = args.kinds?.length ? [...new Set(args.kinds)] : [...FINDING_KINDS];
    for (const k of kinds) if (!(FINDING_KINDS as readonly string[]).includes(k)) p.add('kinds', `unknown kind ${k}`, `không có loại ${k}`);
    p.throwIfAny();
    const communeCodes = scopeCodes(principal, args.communeCode, args.to);
    const scope: FindingScope = { communeCodes, from: firstDay(args.from), to: firstDay(args.to) };
    let found: Finding[] = [];
    // concat, not push(...): a district's findings can outnumber the arguments a call may take.
    for (const kind of kinds as FindingKind[]) found = found.concat(await findingsOfKind(principal, kind, scope, args.communeCode ?? null));
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const reviews = new Map(
      (
        await repo.reviewsOf(
          db,
          found.map((f) => f.key),
        )
      ).map((r) => [r.findingKey, r]),
    );
    for (const f of found) f.review = reviews.get(f.key) ?? null;
    return found;
  }

  return {
    /** A page of findings, by key, with counts per kind over all pages. */
    async auditFindings(principal: Principal, args: FindingsArgs) {
      const first = args.first ?? 100;
      const p = new Problems();
      if (first < 1 || first > MAX_FINDING_PAGE) p.add('first', `must be 1–${MAX_FINDING_PAGE}`, `phải từ 1 đến ${MAX_FINDING_PAGE}`);
      p.throwIfAny();
      const after = args.after ? decodeCursor(args.after) : undefined;
      const all = await allFindings(principal, args);
      const rest = after === undefined ? all : all.filter((f) => f.key > after);
      const nodes = rest.slice(0, first);
      const byKind = new Map<string, number>();
      for (const f of all) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
      const last = nodes.at(-1);
      return {
        totalCount: all.length,
        byKind: [...byKind].map(([kind, count]) => ({ kind: kind as FindingKind, count })),
        pageInfo: { hasNextPage: rest.length > first, endCursor: last ? encodeCursor(last.key) : null },
        nodes,
      };
    },

    /** Every finding, for the CSV export (the same checks). */
    allFindings,

    /**
     * Records that a finding was reviewed, with a note: by an auditor, a district officer, an admin, or a commune
     * officer of the commune. The finding must be one the commune's data raises now (recomputed for its month):
     * NOT_FOUND otherwise. Reviewing again replaces the note; the audit log keeps every review.
     */
    async reviewAuditFinding(actor: AuditActor, args: { communeCode: string; key: string; note: string }): Promise<Finding> {
      assertRole(actor.principal, 'auditor', 'district_officer', 'admin', 'commune_officer');
      const p = new Problems();
      places.checkCommune(p, 'communeCode', args.communeCode);
      const note = args.note.trim();
      if (!note || textProblem(note, TEXT_RULES.freeText) !== undefined) p.add('note', 'must be 1–2000 characters', 'phải có 1–2000 ký tự');
      const m = KEY_RE.exec(args.key);
      const kind = FINDING_KINDS.find((k) => k === m?.[1]);
      if (!kind) p.add('key', 'is not a finding key this API returned', 'không phải mã phát hiện do dịch vụ trả về');
      p.throwIfAny();
      if (!kind) throw new Error('kind checked above');
      const last = args.key.split(':').at(-1) ?? '';
      const period = PERIOD_RE.test(last) ? last : periodOf(clock.today());
      assertCanSee(registry.callerOn(actor.principal, lastDay(period)), args.communeCode);
      const found = await findingsOfKind(
        actor.principal,
        kind,
        { communeCodes: [args.communeCode], from: firstDay(period), to: firstDay(period) },
        args.communeCode,
      );
      const finding = found.find((f) => f.key === args.key);
      if (!finding) throw notFound('audit finding', args.key);
      return auditedTransaction(db, actor, async (tx) => {
        const before = (await repo.findReview(tx, args.key, true)) ?? null;
        const review = await repo.upsertReview(tx, { findingKey: args.key, kind, communeCode: args.communeCode, note, reviewedBy: actor.principal.subject });
        return {
          result: { ...finding, review },
          audit: [{ action: 'reviewAuditFinding', entityType: 'AuditFinding', entityId: args.key, before, after: review }],
        };
      });
    },

    /** Per commune and cycle month: owed, paid, outstanding, recoveries apart, arrears paid, the non-cash share. */
    async paymentReport(principal: Principal, args: { communeCode?: string | null; from: string; to: string }): Promise<ReportMonth[]> {
      assertMayReadBenefits(principal);
      const p = new Problems();
      checkRange(p, args.from, args.to);
      if (args.communeCode) places.checkCommune(p, 'communeCode', args.communeCode);
      p.throwIfAny();
      const codes = scopeCodes(principal, args.communeCode, args.to);
      // Lines of art. 5.3 and 5.8 say HIV: left out of the months and their totals for callers without HIV sight, so
      // that a month's totals are the sum of the programs it shows (docs/security.md "HIV status").
      const hiv = seesHiv(principal);
      const rows = (await repo.paymentReport(db, codes, firstDay(args.from), firstDay(args.to))).filter((r) => hiv || !HIV_PROGRAMS.has(r.program_code));
      const months = new Map<string, ReportMonth & { toPay: number; nonCash: number }>();
      for (const r of rows) {
        const line: ReportLine = {
          communeCode: r.commune_code,
          period: r.period,
          programCode: r.program_code,
          lines: r.lines,
          owed: Number(r.owed),
          paid: Number(r.paid),
          outstanding: Number(r.owed) - Number(r.paid),
          recoveries: Number(r.recoveries),
          recovered: Number(r.recovered),
          arrearsPaid: Number(r.arrears_paid),
          backPayPaid: Number(r.back_pay_paid),
          nonCashShare: r.to_pay_lines === 0 ? 0 : r.non_cash_lines / r.to_pay_lines,
        };
        const key = `${r.commune_code}:${r.period}`;
        const m = months.get(key) ?? {
          communeCode: r.commune_code,
          period: r.period,
          lines: 0,
          owed: 0,
          paid: 0,
          outstanding: 0,
          recoveries: 0,
          recovered: 0,
          arrearsPaid: 0,
          backPayPaid: 0,
          nonCashShare: 0,
          byProgram: [],
          toPay: 0,
          nonCash: 0,
        };
        m.lines += line.lines;
        m.owed += line.owed;
        m.paid += line.paid;
        m.outstanding += line.outstanding;
        m.recoveries += line.recoveries;
        m.recovered += line.recovered;
        m.arrearsPaid += line.arrearsPaid;
        m.backPayPaid += line.backPayPaid;
        m.toPay += r.to_pay_lines;
        m.nonCash += r.non_cash_lines;
        m.nonCashShare = m.toPay === 0 ? 0 : m.nonCash / m.toPay;
        m.byProgram.push(line);
        months.set(key, m);
      }
      return [...months.values()].map((m) => ({
        communeCode: m.communeCode,
        period: m.period,
        lines: m.lines,
        owed: m.owed,
        paid: m.paid,
        outstanding: m.outstanding,
        recoveries: m.recoveries,
        recovered: m.recovered,
        arrearsPaid: m.arrearsPaid,
        backPayPaid: m.backPayPaid,
        nonCashShare: m.nonCashShare,
        byProgram: m.byProgram,
      }));
    },
  };
}

/** The common part of a finding about one payment line. */
/** The evidence every finding about one payment line starts with: the line, its cycle, month and amount. */
function lineEvidence(r: repo.LineRaw) {
  return { paymentId: r.payment_id, cycleId: r.cycle_id, period: r.period, amount: Number(r.amount) };
}

function lineFinding(kind: FindingKind, r: repo.LineRaw): Omit<Finding, 'evidence' | 'detail' | 'detailVi'> {
  return {
    key: `${kind}:${r.payment_id}:${r.period}`,
    kind,
    communeCode: r.commune_code,
    period: r.period,
    programCode: r.program_code,
    personIds: [r.person_id],
    enrolmentIds: [r.enrolment_id],
    paymentIds: [r.payment_id],
    communes: [r.commune_code],
    amount: Number(r.amount),
    expectedAmount: null,
  };
}

export type FindingsService = ReturnType<typeof createFindingsService>;
