/**
 * Payments use cases (docs/payments.md): who receives an enrolment's money, a commune's monthly payment cycle built
 * from the entitlements (regular lines, arrears and recoveries for past months, back pay, carry-overs), its approval
 * against recomputed control totals, and the results the bank or post office reports.
 */
import type { FastifyBaseLogger } from 'fastify';
import pMap from 'p-map';
import { textProblem } from '../../core/text.js';
import { formatVnd as fmt, formatVndVi as fmtVi } from '../../core/money.js';
import type { Clock } from '../../clock.js';
import { groupBy, slices } from '../../core/collections.js';
import { PAID_TO_CARER, PAYMENT_STATUSES, type PaymentKind, type PaymentMethod, type PaymentStatus, type RecipientKind } from '../../core/code-lists.js';
import { addMonths, firstDay, isValidDate, monthsFrom, PERIOD_RE, periodOf, toDateString } from '../../core/period.js';
import { monthIndex } from '../../core/bounds.js';
import type { Database, Tx } from '../../db/client.js';
import { concurrently } from '../../db/concurrently.js';
import { requestTransaction } from '../../db/row-security.js';
import { conflict, forbidden, notFound, Problems } from '../../errors.js';
import { auditedTransaction, type AuditActor, type AuditEntry } from '../audit/audit.service.js';
import { assertCanSee, assertMayReadBenefits, canSee, communesVisibleTo, HIV_PROGRAMS, maskAccount, maskAccountFor, seesHiv } from '../auth/access-policy.js';
import { assertCanMutate, assertRole } from '../auth/auth.service.js';
import type { Principal } from '../auth/auth.types.js';
import type { BenefitsService, EntitlementLine, EntitlementMonth } from '../benefits/benefits.service.js';
import type { PlacesService } from '../places/places.service.js';
import type { RegistryService } from '../registry/registry.service.js';
import * as forecasts from './forecast.repository.js';
import * as repo from './payments.repository.js';
import type { LineTotals, NewPayment, PaymentCycleRow, PaymentRecipientRow, PaymentRow } from './payments.repository.js';

export type { PaymentCycleRow, PaymentRecipientRow, PaymentRow } from './payments.repository.js';

/**
 * How far back a cycle looks for past months whose entitlement now differs from what was paid (arrears, recoveries,
 * back pay, missed months). A decree applying further back than this is paid by a cycle created with a wider window
 * (not exposed yet): docs/payments.md says why the window exists (each month is recomputed for every person).
 */
export const ARREARS_LOOKBACK_MONTHS = 12;
/** The first month anything can be paid: Decree 20/2021 took effect on 2021-07-01. */
const FIRST_PERIOD = '2021-07';
/** How many people's entitlements are computed at once (bounded memory and statement size). */
const CANDIDATE_BATCH = 2000;
/**
 * Batches of people planned at the same time. Planning only reads, and mostly waits on the database: with two in
 * flight, one batch's statements run while the other's entitlements are computed (bench/results-payments.md).
 */
const PLANNING_CONCURRENCY = 2;
/** Communes whose cycles are written at the same time, each in its own transaction (createCycles). */
const WRITING_CONCURRENCY = 2;
/** The longest a person's months are taken from the forecast before they are computed again (forecastMonthsOf). */
const FORECAST_MONTHS = 12;

export interface RecordPaymentRecipientInput {
  enrolmentId: string;
  kind: RecipientKind;
  recipientPersonId?: string | null;
  recipientName?: string | null;
  method: PaymentMethod;
  accountNo?: string | null;
  provider?: string | null;
  validFrom: string;
}

/**
 * A one-line text of 1–`max` characters under the project's text rule (core/text.ts: no control characters, well-formed
 * Unicode). Names, references and keys a bank file carries come through it, whether typed over GraphQL or read from a
 * reconciliation file (which the GraphQL input check never sees).
 */
const isCleanLine = (text: string, max: number) => text.length > 0 && textProblem(text, { max, multiline: false }) === undefined;

/** What one (enrolment, month) holds already: the amount paid or on its way, and whether it has a line at all. */
interface Held {
  amount: number;
  lines: number;
  regular: boolean;
  communeCode: string;
  personId: string;
  programCode: string;
}

/**
 * The lines a commune's cycle gets for `period` (pure): see createPaymentCycle. `months` are the entitlements of the
 * candidates for the look-back window and the month; `held` what earlier cycles hold per `${enrolmentId}:${period}`.
 */
export function cycleLines(args: {
  period: string;
  communeCode: string;
  codes: ReadonlySet<string>;
  months: Map<string, EntitlementMonth[]>;
  held: Map<string, Held>;
  /** Months the commune had a cycle for (a month with an entitlement and no line then was missed). */
  cycleHeld: (period: string) => boolean;
  recipientOf: (enrolmentId: string) => PaymentRecipientRow | undefined;
  carryOvers: PaymentRow[];
}): Omit<NewPayment, 'cycleId'>[] {
  const { period } = args;
  const out: Omit<NewPayment, 'cycleId'>[] = [];
  const add = (
    line: Pick<NewPayment, 'enrolmentId' | 'personId' | 'programCode' | 'period' | 'kind' | 'amount' | 'note' | 'noteVi'> & { carriedFrom?: string },
  ) => {
    const recipient = args.recipientOf(line.enrolmentId);
    if (heldForCarer(line, recipient)) return;
    out.push({
      ...line,
      needsApproval: line.kind === 'BACK_PAY' || line.kind === 'RECOVERY',
      recipientId: recipient?.id ?? null,
      method: recipient?.method ?? 'CASH',
      carriedFrom: line.carriedFrom ?? null,
    });
  };
  const seen = new Set<string>();
  for (const [personId, months] of args.months) {
    for (const month of months) {
      for (const l of month.lines) {
        if (l.payingCommuneCode === null || !args.codes.has(l.payingCommuneCode)) continue;
        const key = `${l.enrolment.id}:${month.period}`;
        seen.add(key);
        const owed = l.payableAmount;
        const held = args.held.get(key);
        const base = { enrolmentId: l.enrolment.id, personId, programCode: l.enrolment.programCode, period: firstDay(month.period) };
        if (month.period === period) {
          if (owed > 0 && !held?.regular && !held?.lines)
            add({ ...base, kind: l.kind === 'BACK_PAY' ? 'BACK_PAY' : 'REGULAR', amount: owed, note: l.note, noteVi: l.noteVi });
          continue;
        }
        if (!held) {
          if (owed <= 0) continue;
          if (l.kind === 'BACK_PAY')
            add({
              ...base,
              kind: 'BACK_PAY',
              amount: owed,
              note: `back pay for ${month.period}: ${l.note}`,
              noteVi: `truy lĩnh tháng ${month.period}: ${l.noteVi}`,
            });
          else if (args.cycleHeld(month.period))
            add({
              ...base,
              kind: 'ARREARS',
              amount: owed,
              note: `arrears for ${month.period}: owed ${fmt(owed)}, nothing was paid in that month's cycle (${l.note})`,
              noteVi: `truy lĩnh tháng ${month.period}: được hưởng ${fmtVi(owed)}, kỳ chi tháng đó chưa chi (${l.noteVi})`,
            });
          continue;
        }
        addDifference(add, base, month.period, owed, held.amount, l);
      }
    }
  }
  // Months paid that no longer have a line here at all (e.g. the enrolment was ended back to an earlier month): all
  // of it is owed back, by the commune that paid it.
  // Only months computed for the person: one not computed still owes what an earlier cycle settled (planCycles).
  const computed = new Set([...args.months].flatMap(([personId, months]) => months.map((m) => `${personId}:${m.period}`)));
  for (const [key, held] of args.held) {
    if (seen.has(key) || held.amount <= 0 || !args.codes.has(held.communeCode)) continue;
    const [enrolmentId, month] = key.split(':') as [string, string];
    if (month >= period || !computed.has(`${held.personId}:${month}`)) continue;
    addDifference(add, { enrolmentId, personId: held.personId, programCode: held.programCode, period: firstDay(month) }, month, 0, held.amount, undefined);
  }
  for (const c of args.carryOvers) {
    add({
      enrolmentId: c.enrolmentId,
      personId: c.personId,
      programCode: c.programCode,
      period: toDateString(c.period),
      kind: 'CARRY_OVER',
      amount: c.amount,
      carriedFrom: c.id,
      note: `paid again: the ${c.kind} payment for ${periodOf(toDateString(c.period))} was ${c.status}${c.reference ? ` (${c.reference})` : ''}; the recipient's details have been fixed since`,
      noteVi: `chi lại: khoản chi tháng ${periodOf(toDateString(c.period))} bị ${c.status === 'FAILED' ? 'lỗi' : 'trả lại'}${c.reference ? ` (${c.reference})` : ''}; thông tin người nhận đã được sửa`,
    });
  }
  return out;
}

/**
 * A care allowance paid to the carer (Decree 20/2021 art. 20; PAID_TO_CARER) is never paid to the person cared for:
 * a line paying one out without a CARER recipient in force is held, not written. The month then shows as
 * ENROLLED_NOT_PAID, saying why; once the carer is recorded, the next cycle pays it as arrears (docs/payments.md).
 * Recoveries are collected, not paid: never held.
 */
export const heldForCarer = (line: Pick<NewPayment, 'programCode' | 'amount'>, recipient: Pick<PaymentRecipientRow, 'kind'> | undefined) =>
  PAID_TO_CARER.has(line.programCode) && line.amount > 0 && recipient?.kind !== 'CARER';

/** An arrears or recovery line for the difference between what a past month is owed now and what it holds. */
function addDifference(
  add: (line: Pick<NewPayment, 'enrolmentId' | 'personId' | 'programCode' | 'period' | 'kind' | 'amount' | 'note' | 'noteVi'>) => void,
  base: Pick<NewPayment, 'enrolmentId' | 'personId' | 'programCode' | 'period'>,
  month: string,
  owed: number,
  paid: number,
  line: EntitlementLine | undefined,
) {
  const diff = owed - paid;
  if (diff === 0) return;
  const why = line ? ` (${line.note})` : ' (no entitlement for the month any more)';
  const whyVi = line ? ` (${line.noteVi})` : ' (tháng này không còn được hưởng)';
  if (diff > 0)
    add({
      ...base,
      kind: 'ARREARS',
      amount: diff,
      note: `arrears for ${month}: owed ${fmt(owed)} now, ${fmt(paid)} paid${why}`,
      noteVi: `truy lĩnh tháng ${month}: nay được hưởng ${fmtVi(owed)}, đã chi ${fmtVi(paid)}${whyVi}`,
    });
  else
    add({
      ...base,
      kind: 'RECOVERY',
      amount: diff,
      note: `to recover for ${month}: owed ${fmt(owed)} now, ${fmt(paid)} paid; shown apart, never netted${why}`,
      noteVi: `thu hồi tháng ${month}: nay được hưởng ${fmtVi(owed)}, đã chi ${fmtVi(paid)}; ghi riêng, không bù trừ${whyVi}`,
    });
}

/** Control totals of lines about to be written (the same sums lineTotals recomputes from the database). */
export function totalsOf(lines: readonly Pick<NewPayment, 'programCode' | 'amount'>[]): LineTotals {
  const byProgram: LineTotals['byProgram'] = {};
  let payableAmount = 0;
  let recoveryAmount = 0;
  for (const l of [...lines].sort((a, b) => a.programCode.localeCompare(b.programCode))) {
    const t = (byProgram[l.programCode] ??= { lines: 0, amount: 0 });
    t.lines += 1;
    t.amount += l.amount;
    if (l.amount > 0) payableAmount += l.amount;
    else recoveryAmount += l.amount;
  }
  return { lines: lines.length, payableAmount, recoveryAmount, byProgram };
}

/** Totals compared whatever the order of their programs (jsonb and SQL collations order keys their own way). */
function canonical(t: LineTotals): string {
  const programs = Object.keys(t.byProgram).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([t.lines, t.payableAmount, t.recoveryAmount, programs.map((k) => [k, t.byProgram[k]?.lines, t.byProgram[k]?.amount])]);
}
export const sameTotals = (a: LineTotals, b: LineTotals) => canonical(a) === canonical(b);

/** A promise settled from outside (Promise.withResolvers, which Node 20 lacks). */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve: () => void = () => undefined;
  let reject: (e: unknown) => void = () => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** What planning a month's cycles did and how long it took (logged with the cycles: docs/payments.md). */
interface PlanStats {
  period: string;
  communes: number;
  /** People with an approved enrolment living in the communes over the window. */
  people: number;
  /** Of them, people whose records were loaded and months computed. */
  computed: number;
  /** Of them, people whose month was read from the forecast. */
  fromForecast: number;
  /** Reading who the cycles are for, and which of them the forecast serves. */
  sortMs: number;
  /** Loading and computing the others (and writing their forecasts). */
  computeMs: number;
}

/**
 * How many months after `period` a person's forecast reaches (1–12). Each person's forecast ends in the same month of
 * every year, which their id picks: after the first cycles (everyone computed), a twelfth of the people is computed
 * again each month, not all of them in one month a year later (docs/payments.md, "Months read from the forecast").
 */
export function forecastMonthsOf(personId: string, period: string): number {
  const slot = Number.parseInt(personId.slice(0, 8), 16) % FORECAST_MONTHS;
  return FORECAST_MONTHS - ((monthIndex(period) + slot) % FORECAST_MONTHS);
}

/** A person's months after a cycle's month as runs of one enrolment owed the same line (forecast.repository.ts). */
export function forecastRuns(personId: string, months: readonly EntitlementMonth[]): forecasts.ForecastRun[] {
  const runs: forecasts.ForecastRun[] = [];
  const latest = new Map<string, forecasts.ForecastRun>();
  for (const month of months) {
    const day = firstDay(month.period);
    const monthBefore = firstDay(addMonths(month.period, -1));
    for (const l of month.lines) {
      if (l.payableAmount <= 0 || l.payingCommuneCode === null) continue;
      const line = {
        personId,
        enrolmentId: l.enrolment.id,
        programCode: l.enrolment.programCode,
        payingCommuneCode: l.payingCommuneCode,
        kind: l.kind,
        amount: l.payableAmount,
        note: l.note,
        noteVi: l.noteVi,
      };
      const run = latest.get(l.enrolment.id);
      if (
        run?.throughMonth === monthBefore &&
        run.programCode === line.programCode &&
        run.payingCommuneCode === line.payingCommuneCode &&
        run.kind === line.kind &&
        run.amount === line.amount &&
        run.note === line.note &&
        run.noteVi === line.noteVi
      )
        run.throughMonth = day;
      else {
        const next = { ...line, fromMonth: day, throughMonth: day };
        runs.push(next);
        latest.set(l.enrolment.id, next);
      }
    }
  }
  return runs;
}

export function createPaymentsService(deps: {
  database: Database;
  clock: Clock;
  places: PlacesService;
  registry: RegistryService;
  benefits: BenefitsService;
  logger?: Pick<FastifyBaseLogger, 'info'>;
}) {
  const { database, clock, places, registry, benefits, logger } = deps;
  const db = database.db;

  /** The enrolment and its person, visible to the caller (NOT_FOUND otherwise: no existence leak). */
  async function enrolmentForCaller(principal: Principal, enrolmentId: string) {
    const enrolment = await benefits.enrolment(principal, enrolmentId);
    if (!enrolment) throw notFound('enrolment', enrolmentId);
    return enrolment;
  }

  function checkPeriod(p: Problems, field: string, period: string) {
    if (!PERIOD_RE.test(period)) p.add(field, 'must be a month yyyy-mm', 'phải là tháng yyyy-mm');
    else if (period < FIRST_PERIOD)
      p.add(field, `cannot be before ${FIRST_PERIOD} (Decree 20/2021 took effect)`, `không được trước ${FIRST_PERIOD} (Nghị định 20/2021 có hiệu lực)`);
    else if (monthIndex(period) > monthIndex(periodOf(clock.today())) + 1) p.add(field, 'cannot be later than next month', 'không được sau tháng tới');
  }

  /** The months a cycle for `period` looks at: the look-back window and the month, never before 2021-07. */
  function windowOf(period: string): string[] {
    const windowStart = addMonths(period, -ARREARS_LOOKBACK_MONTHS);
    return monthsFrom(windowStart < FIRST_PERIOD ? FIRST_PERIOD : windowStart, period);
  }

  /**
   * The entitlements each commune's cycle for `period` is built from, for several communes at once (one candidate
   * query, people computed once in batches), and the transaction their computation saw up to (stored on the cycles).
   * Only the months that can give a line are computed for a person: the cycle's month, past months that hold a
   * payment of theirs (arrears, recoveries), months one of their communes had a cycle for (a month missed), and
   * months before an enrolment's decision month (back pay). A person's other months can give no line (cycleLines).
   * And a person whose entitlements' inputs have not changed since each of their communes' latest cycle was computed
   * gets the cycle's month only: that cycle settled every earlier month to what it still owes (docs/payments.md,
   * "Which months a cycle computes").
   */
  async function planCycles(communeCodes: readonly string[], period: string) {
    const started = performance.now();
    // First: every change by an older transaction is then visible to what follows.
    const plannedBelow = await repo.oldestRunningTransaction(db);
    const day = firstDay(period);
    const months = windowOf(period);
    const from = firstDay(months[0] ?? period);
    // Which cycle commune a residence code belongs to (a successor covers its predecessors' codes).
    const cycleOf = new Map<string, string>();
    for (const c of communeCodes) for (const code of [c, ...places.communesOn(c, day)]) cycleOf.set(code, c);
    const planned = await forecasts.planPeople(
      db,
      [...cycleOf].map(([code, cycleCommune]) => ({ code, cycleCommune })),
      from,
      day,
    );
    // People whose month the forecast gives, per commune; the others are computed below.
    const fromForecast = new Map(communeCodes.map((c) => [c, [] as string[]]));
    const communesOf = new Map<string, Set<string>>();
    for (const p of planned) {
      if (p.fromForecast) for (const c of p.communes) fromForecast.get(c)?.push(p.personId);
      else communesOf.set(p.personId, new Set(p.communes));
    }
    const people = [...communesOf.keys()];
    const sortedMs = performance.now() - started;
    const paidMonths = new Map<string, Set<string>>();
    const changed = new Map<string, bigint>();
    const unsettledLines = new Set<string>();
    const history = await pMap(slices(people, 5000), (batch) => Promise.all([repo.findPaidMonths(db, batch, from, day), repo.inputsChangedOf(db, batch)]), {
      concurrency: PLANNING_CONCURRENCY,
    });
    for (const [paid, inputs] of history) {
      for (const r of paid) {
        paidMonths.set(r.personId, (paidMonths.get(r.personId) ?? new Set()).add(periodOf(toDateString(r.period))));
        if (r.foreign) unsettledLines.add(r.personId);
      }
      for (const [personId, xid] of inputs) changed.set(personId, xid);
    }
    const [cycleMonths, latest] = await Promise.all([repo.cycleMonths(db, communeCodes, from, day), repo.latestCyclesBefore(db, communeCodes, day)]);
    /**
     * Nothing the person's entitlements read has changed since each of their communes' latest cycle was computed, and
     * every line of theirs was written by a cycle's computation.
     */
    const settled = (personId: string) =>
      !unsettledLines.has(personId) &&
      [...(communesOf.get(personId) ?? [])].every((c) => {
        const seenBelow = latest.get(c);
        return seenBelow != null && (changed.get(personId) ?? 0n) < BigInt(seenBelow);
      });
    const monthsFor = (personId: string, enrolments: readonly { startMonth: string | Date; decisionDate: string | Date }[]) => [
      ...(settled(personId)
        ? [period]
        : months.filter(
            (m) =>
              m === period ||
              paidMonths.get(personId)?.has(m) === true ||
              [...(communesOf.get(personId) ?? [])].some((c) => cycleMonths.has(`${c}:${firstDay(m)}`)) ||
              enrolments.some((e) => periodOf(toDateString(e.startMonth)) <= m && m < periodOf(toDateString(e.decisionDate))),
          )),
      ...monthsFrom(addMonths(period, 1), addMonths(period, forecastMonthsOf(personId, period))),
    ];
    // People in the order their communes' cycles are written (then by id: the same order on every run), so batches
    // finish in about that order and a commune's cycle is written while later batches are still being computed.
    const order = new Map(communeCodes.map((c, i) => [c, i]));
    const rank = new Map(people.map((id) => [id, Math.min(...[...(communesOf.get(id) ?? [])].map((c) => order.get(c) ?? communeCodes.length))]));
    people.sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
    const batches = slices(people, CANDIDATE_BATCH);
    const lastBatchOf = new Map<string, number>();
    const peopleOf = new Map<string, string[]>();
    // Communes written before each commune that share a computed person with it (createCycles).
    const earlier = new Map<string, Set<string>>();
    batches.forEach((batch, i) => {
      for (const id of batch) {
        const cs = [...(communesOf.get(id) ?? [])].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
        cs.forEach((c, k) => {
          lastBatchOf.set(c, i);
          const list = peopleOf.get(c);
          if (list) list.push(id);
          else peopleOf.set(c, [id]);
          for (const e of cs.slice(0, k)) earlier.set(c, (earlier.get(c) ?? new Set()).add(e));
        });
      }
    });
    // Failed or returned lines that may carry over, for every commune at once (each cycle checks its own again).
    const carryOvers = groupBy(await repo.findCarryOvers(db, communeCodes, day), (l) => l.cycleCommuneCode);
    const owed = new Map<string, EntitlementMonth[]>();
    const done = batches.map(() => deferred());
    // Forecasts are written one batch at a time (under row-level security every statement shares one connection).
    let saving = Promise.resolve();
    const stopped = new AbortController();
    const computing = pMap(
      batches.entries(),
      async ([i, batch]) => {
        try {
          const all = await benefits.entitlementsOfMany(batch, months, monthsFor);
          const runs: forecasts.ForecastRun[] = [];
          for (const [personId, m] of all) {
            owed.set(
              personId,
              m.filter((x) => x.period <= period),
            );
            runs.push(
              ...forecastRuns(
                personId,
                m.filter((x) => x.period > period),
              ),
            );
          }
          const forecast = batch.map((personId) => ({ personId, throughMonth: firstDay(addMonths(period, forecastMonthsOf(personId, period))) }));
          saving = saving.then(() => db.transaction((tx) => forecasts.saveForecasts(tx, forecast, day, plannedBelow, runs)));
          await saving;
          done[i]?.resolve();
        } catch (e) {
          done[i]?.reject(e);
          throw e;
        }
      },
      { concurrency: PLANNING_CONCURRENCY, signal: stopped.signal },
    ).then(() => Math.round(performance.now() - started - sortedMs));
    // A batch that failed is reported by whichever waits on it first; the others' rejections are handled here.
    for (const d of done) d.promise.catch(() => undefined);
    computing.catch(() => undefined);
    return {
      fromForecast,
      plannedBelow,
      allComputed: async () => {
        await Promise.all(done.map((d) => d.promise));
      },
      writtenAfter: (communeCode: string) => [...(earlier.get(communeCode) ?? [])],
      carryOversOf: (communeCode: string) => (carryOvers.get(communeCode) ?? []).map((l) => l.id),
      /** A commune's computed people, once every batch holding one of them is done. */
      async entitlementsFor(communeCode: string): Promise<Map<string, EntitlementMonth[]>> {
        await Promise.all(done.slice(0, (lastBatchOf.get(communeCode) ?? -1) + 1).map((d) => d.promise));
        return new Map((peopleOf.get(communeCode) ?? []).flatMap((id) => (owed.has(id) ? [[id, owed.get(id) ?? []] as const] : [])));
      },
      /** Waits for every batch (after the cycles are written, or after a failure: nothing is left running). */
      async finish(failed: boolean): Promise<PlanStats> {
        if (failed) stopped.abort();
        const computeMs = await computing.catch((e: unknown) => {
          if (failed) return 0;
          throw e;
        });
        return {
          period,
          communes: communeCodes.length,
          people: planned.length,
          computed: people.length,
          fromForecast: planned.length - people.length,
          sortMs: Math.round(sortedMs),
          computeMs,
        };
      },
    };
  }

  /**
   * Writes the cycles of `communeCodes` for `period` (one transaction each, in that order) while their people's
   * entitlements are still being computed, and logs what it took.
   */
  async function createCycles(actor: AuditActor, communeCodes: readonly string[], period: string): Promise<Map<string, PaymentCycleRow>> {
    const plan = await planCycles(communeCodes, period);
    const started = performance.now();
    const out = new Map<string, PaymentCycleRow>();
    let failed = true;
    // Two communes are written at a time, each in its own transaction (under row-level security a request has one
    // connection: one at a time). A commune sharing a computed person with one written before it (someone who moved)
    // waits for that one: its cycle must see what the earlier cycle wrote for them, or both could pay their arrears.
    const writing = new Map<string, Promise<PaymentCycleRow>>();
    const oneConnection = requestTransaction() !== undefined;
    try {
      // On one connection each transaction is a savepoint of the request's: a cycle's savepoint must not enclose a
      // batch's forecast being saved (releasing or rolling back one would take the other with it), so every batch is
      // computed first.
      if (oneConnection) await plan.allComputed();
      await pMap(
        communeCodes,
        (c) => {
          const cycle = Promise.all(plan.writtenAfter(c).flatMap((earlier) => writing.get(earlier) ?? [])).then(async () =>
            createOne(actor, c, period, await plan.entitlementsFor(c), plan.fromForecast.get(c) ?? [], plan.plannedBelow, plan.carryOversOf(c)),
          );
          writing.set(c, cycle);
          return cycle.then((row) => out.set(c, row));
        },
        { concurrency: oneConnection ? 1 : WRITING_CONCURRENCY },
      );
      failed = false;
    } finally {
      // A failure answers only once every cycle already being written has ended: nothing goes on after the answer.
      await Promise.allSettled(writing.values());
      const stats = await plan.finish(failed);
      if (!failed)
        logger?.info(
          { ...stats, lines: [...out.values()].reduce((n, c) => n + c.lineCount, 0), writeMs: Math.round(performance.now() - started) },
          'payment cycles created',
        );
    }
    return out;
  }

  /**
   * Writes one commune's cycle from its planned entitlements in its own transaction, or returns the one that exists.
   * The entitlements are computed before the transaction (they read through the pool); what earlier cycles hold is
   * read inside it, after the cycle's lock, so two creations of one cycle never both write lines.
   */
  async function createOne(
    actor: AuditActor,
    communeCode: string,
    period: string,
    entitlements: Map<string, EntitlementMonth[]>,
    fromForecast: readonly string[],
    plannedBelow: string,
    /** The failed or returned lines planning found might carry over into this cycle (checked again after the lock). */
    carryOverCandidates: readonly string[],
  ): Promise<PaymentCycleRow> {
    const day = firstDay(period);
    const codes = new Set([communeCode, ...places.communesOn(communeCode, day)]);
    const months = windowOf(period);
    // Everything earlier cycles hold for these people, whether or not an enrolment still has a line in a month (one
    // ended back over a paid month has none: all of that month is owed back). Of a person whose past months were not
    // computed (settled: planCycles), only the cycle's month, which their past months cannot give a line for.
    const people = [...entitlements.keys()];
    const pastComputed = new Set(people.filter((id) => entitlements.get(id)?.some((m) => m.period < period)));
    return auditedTransaction(db, actor, async (tx) => {
      await repo.lockCycleKey(tx, communeCode, period);
      const again = await repo.findCycle(tx, communeCode, day);
      if (again) return { result: again, audit: [] };
      const held = new Map<string, Held>();
      const recipients: PaymentRecipientRow[] = [];
      for (let i = 0; i < people.length; i += 5000) {
        const batch = people.slice(i, i + 5000);
        const [wide, narrow, recs] = await concurrently(tx, [
          () =>
            repo.findPaymentsOf(
              tx,
              batch.filter((id) => pastComputed.has(id)),
              firstDay(months[0] ?? period),
              day,
            ),
          () =>
            repo.findPaymentsOf(
              tx,
              batch.filter((id) => !pastComputed.has(id)),
              day,
              day,
            ),
          () => repo.findRecipientsOfPeople(tx, batch),
        ]);
        const rows = [...wide, ...narrow];
        recipients.push(...recs);
        const carriedIds = new Set(rows.map((r) => r.carriedFrom));
        for (const r of rows) {
          const key = `${r.enrolmentId}:${periodOf(toDateString(r.period))}`;
          const h = held.get(key) ?? { amount: 0, lines: 0, regular: false, communeCode: r.cycleCommuneCode, personId: r.personId, programCode: r.programCode };
          // What the month holds: paid or on its way; a failed or returned line counts until it is paid again (its
          // carry-over then counts instead), so a failure is never also arrears.
          if (r.status === 'PAID' || r.status === 'PENDING' || !carriedIds.has(r.id)) h.amount += r.amount;
          h.lines += 1;
          h.regular ||= r.kind === 'REGULAR';
          held.set(key, h);
        }
      }
      const [cycleMonths, carryOvers] = await concurrently(tx, [
        () => repo.cycleMonths(tx, [communeCode], firstDay(months[0] ?? period), day),
        () => repo.findCarryOvers(tx, [communeCode], day, carryOverCandidates),
      ]);
      const byEnrolment = groupBy(recipients, (r) => r.enrolmentId);
      const lines = cycleLines({
        period,
        communeCode,
        codes,
        months: entitlements,
        held,
        cycleHeld: (m) => cycleMonths.has(`${communeCode}:${firstDay(m)}`),
        // The recipient in force on the cycle's first day (rows are oldest first).
        recipientOf: (id) => (byEnrolment.get(id) ?? []).filter((r) => toDateString(r.validFrom) <= day).at(-1),
        carryOvers,
      });
      const totals = totalsOf(lines);
      const cycle = await repo.insertCycle(tx, {
        communeCode,
        period: day,
        status: 'CREATED',
        lineCount: totals.lines,
        payableAmount: totals.payableAmount,
        recoveryAmount: totals.recoveryAmount,
        byProgram: totals.byProgram,
        createdBy: actor.principal.subject,
        plannedBelow,
      });
      await repo.insertPayments(
        tx,
        lines.map((l) => ({ ...l, cycleId: cycle.id })),
      );
      // The people the forecast serves: their month's lines are written by the database, and counted there.
      const forecastLines = await forecasts.insertForecastLines(tx, { cycleId: cycle.id, personIds: fromForecast, day, codes: [...codes] });
      const written = forecastLines > 0 ? await repo.setCycleTotals(tx, cycle.id, await repo.lineTotals(tx, cycle.id)) : cycle;
      return { result: written, audit: [{ action: 'createPaymentCycle', entityType: 'PaymentCycle', entityId: cycle.id, after: written }] };
    });
  }

  return {
    maskAccountFor,

    /** Who receives an enrolment's money from a date: audited, one transaction. */
    async recordPaymentRecipient(actor: AuditActor, input: RecordPaymentRecipientInput): Promise<PaymentRecipientRow> {
      assertCanMutate(actor.principal);
      const enrolment = await enrolmentForCaller(actor.principal, input.enrolmentId);
      const p = new Problems();
      if (!isValidDate(input.validFrom)) p.add('input.validFrom', 'is not a valid date', 'không phải ngày hợp lệ');
      else if (input.validFrom > clock.today()) p.add('input.validFrom', 'is in the future', 'là ngày trong tương lai');
      const accountNo = input.accountNo?.replace(/\s+/g, '') ?? null;
      const provider = input.provider?.trim() ?? null;
      const nonCash = input.method === 'BANK' || input.method === 'EWALLET';
      if (nonCash && (!accountNo || !/^[0-9]{6,20}$/.test(accountNo)))
        p.add('input.accountNo', 'must be 6–20 digits for a bank account or e-wallet', 'phải có 6–20 chữ số với tài khoản ngân hàng hoặc ví điện tử');
      if (!nonCash && accountNo) p.add('input.accountNo', `is only for BANK or EWALLET, not ${input.method}`, 'chỉ dùng cho ngân hàng hoặc ví điện tử');
      if (nonCash && !isCleanLine(provider ?? '', 200))
        p.add('input.provider', 'must name the bank or e-wallet (1–200 characters)', 'phải ghi tên ngân hàng hoặc ví điện tử (1–200 ký tự)');
      let recipientName = input.recipientName?.trim() ?? '';
      // Decree 20/2021 art. 20: these care allowances go to whoever cares for the person, never to the person; and a
      // carer receives only those.
      const careAllowance = PAID_TO_CARER.has(enrolment.programCode);
      if (careAllowance && input.kind !== 'CARER')
        p.add(
          'input.kind',
          `must be CARER: ${enrolment.programCode} is a care allowance paid to the carer or the household, not to the person cared for (Decree 20/2021 art. 20)`,
          `phải là CARER: ${enrolment.programCode} là kinh phí chăm sóc chi cho người hoặc hộ nhận chăm sóc, không chi cho người được chăm sóc (Nghị định 20/2021, điều 20)`,
        );
      if (!careAllowance && input.kind === 'CARER')
        p.add(
          'input.kind',
          `CARER is only for the care allowances of Decree 20/2021 art. 20 (${[...PAID_TO_CARER].join(', ')}), not ${enrolment.programCode}`,
          `CARER chỉ dùng cho kinh phí chăm sóc theo Nghị định 20/2021, điều 20 (${[...PAID_TO_CARER].join(', ')}), không dùng cho ${enrolment.programCode}`,
        );
      if (input.kind === 'CARER' && input.recipientPersonId === enrolment.personId)
        p.add('input.recipientPersonId', 'is the person cared for: the carer is someone else', 'là người được chăm sóc: người nhận phải là người chăm sóc');
      if (input.kind === 'BENEFICIARY') {
        if (input.recipientPersonId)
          p.add('input.recipientPersonId', 'is only for a guardian or an authorised person', 'chỉ dùng cho người giám hộ hoặc người được ủy quyền');
        const person = await registry.personForCaller(actor.principal, enrolment.personId);
        recipientName ||= person.fullName;
      } else {
        if (input.recipientPersonId) {
          const other = await registry.personForCaller(actor.principal, input.recipientPersonId);
          recipientName ||= other.fullName;
        }
        if (!recipientName)
          p.add(
            'input.recipientName',
            `is required for a ${input.kind.toLowerCase()}`,
            'là bắt buộc với người giám hộ, người được ủy quyền hoặc người chăm sóc',
          );
      }
      if (recipientName && !isCleanLine(recipientName, 200))
        p.add('input.recipientName', 'must be 1–200 characters without control characters', 'phải có 1–200 ký tự, không có ký tự điều khiển');
      p.throwIfAny();
      return auditedTransaction(db, actor, async (tx) => {
        const existing = (await repo.findRecipientsOf(tx, [enrolment.id])).find((r) => toDateString(r.validFrom) === input.validFrom);
        if (existing)
          throw conflict(
            `A recipient from ${input.validFrom} is already recorded for this enrolment`,
            `Đã có người nhận từ ngày ${input.validFrom} cho hồ sơ này`,
            {
              field: 'input.validFrom',
            },
          );
        const row = await repo.insertRecipient(tx, {
          enrolmentId: enrolment.id,
          kind: input.kind,
          recipientPersonId: input.recipientPersonId ?? null,
          recipientName,
          method: input.method,
          accountNo,
          provider,
          validFrom: input.validFrom,
          recordedBy: actor.principal.subject,
        });
        // The account number is personal data: the audit event keeps only its last 4 digits.
        return {
          result: row,
          audit: [
            {
              action: 'recordPaymentRecipient',
              entityType: 'Enrolment',
              entityId: enrolment.id,
              after: { ...row, accountNo: row.accountNo && maskAccount(row.accountNo) },
            },
          ],
        };
      });
    },

    async paymentRecipients(principal: Principal, enrolmentId: string) {
      assertMayReadBenefits(principal);
      await enrolmentForCaller(principal, enrolmentId);
      return repo.findRecipientsOf(db, [enrolmentId]);
    },

    recipient: (id: string) => repo.findRecipient(db, id),

    /** A commune's cycle for a month, created once (docs/payments.md#cycles). */
    async createPaymentCycle(actor: AuditActor, communeCode: string, period: string): Promise<PaymentCycleRow> {
      assertCanMutate(actor.principal);
      assertRole(actor.principal, 'commune_officer', 'district_officer', 'admin');
      const p = new Problems();
      places.checkCommune(p, 'communeCode', communeCode);
      checkPeriod(p, 'period', period);
      p.throwIfAny();
      places.checkCommuneOpen(p, 'communeCode', communeCode, firstDay(period));
      p.throwIfAny();
      assertCanSee(registry.callerOn(actor.principal, firstDay(period)), communeCode);
      const existing = await repo.findCycle(db, communeCode, firstDay(period));
      if (existing) return existing;
      const made = (await createCycles(actor, [communeCode], period)).get(communeCode);
      if (!made) throw new Error(`no cycle was written for ${communeCode}`);
      return made;
    },

    /** The cycle of every commune of the district open on the month's first day, each created once. */
    async createPaymentCycles(actor: AuditActor, period: string): Promise<PaymentCycleRow[]> {
      assertRole(actor.principal, 'district_officer', 'admin');
      const p = new Problems();
      checkPeriod(p, 'period', period);
      p.throwIfAny();
      const day = firstDay(period);
      const communes = places.list({ level: 'COMMUNE' }).filter((c) => c.validFrom <= day && (c.validTo == null || c.validTo >= day));
      const existing = new Map((await repo.findCycles(db, { period: day }, communes.length + 1)).map((c) => [c.communeCode, c]));
      const made = await createCycles(
        actor,
        communes.filter((c) => !existing.has(c.code)).map((c) => c.code),
        period,
      );
      return communes.flatMap((c) => existing.get(c.code) ?? made.get(c.code) ?? []);
    },

    /** Approval by a district officer other than the creator, after the control totals are recomputed. */
    async approvePaymentCycle(actor: AuditActor, id: string): Promise<PaymentCycleRow> {
      assertRole(actor.principal, 'district_officer', 'admin');
      return auditedTransaction(db, actor, async (tx) => {
        const before = await repo.findCycleById(tx, id, true);
        if (!before) throw notFound('payment cycle', id);
        if (before.status !== 'CREATED') throw conflict(`The cycle is ${before.status}, not CREATED`, 'Kỳ chi đã được phê duyệt', { field: 'id' });
        if (before.createdBy === actor.principal.subject)
          throw forbidden('A cycle is approved by someone other than the person who created it', 'Người lập kỳ chi không được tự phê duyệt');
        const now = await repo.lineTotals(tx, id);
        const fixed = storedTotals(before);
        if (!sameTotals(now, fixed))
          throw conflict(
            `The lines no longer match the control totals (${now.lines} lines, ${fmt(now.payableAmount)} now; ${fixed.lines} lines, ${fmt(fixed.payableAmount)} when created)`,
            `Các khoản chi không còn khớp tổng kiểm soát (${now.lines} khoản, ${fmtVi(now.payableAmount)} hiện nay; ${fixed.lines} khoản, ${fmtVi(fixed.payableAmount)} khi lập)`,
            { field: 'id' },
          );
        const after = await repo.approveCycle(tx, id, actor.principal.subject);
        return { result: after, audit: [{ action: 'approvePaymentCycle', entityType: 'PaymentCycle', entityId: id, before, after }] };
      });
    },

    /** What the bank or post office reported for a payment: idempotent by key, never rewriting a paid line. */
    async recordPaymentResult(
      actor: AuditActor,
      args: { paymentId: string; status: string; reference: string; paidAt: string; idempotencyKey: string },
    ): Promise<PaymentRow> {
      assertRole(actor.principal, 'district_officer', 'admin');
      const p = new Problems();
      const checked = checkPaymentResult(p, args, clock.today());
      p.throwIfAny();
      if (!checked) throw new Error('result checked above');
      return auditedTransaction(db, actor, async (tx) => {
        const { payment, audit } = await applyPaymentResult(tx, actor, { ...args, ...checked });
        return { result: payment, audit };
      });
    },

    async paymentCycle(principal: Principal, id: string): Promise<PaymentCycleRow | null> {
      assertMayReadBenefits(principal);
      const row = await repo.findCycleById(db, id);
      // A cycle of a commune the caller does not see is answered as unknown: no existence leak.
      return row && canSee(registry.callerOn(principal, toDateString(row.period)), row.communeCode) ? row : null;
    },

    async paymentCycles(principal: Principal, filter: { communeCode?: string | null; period?: string | null }): Promise<PaymentCycleRow[]> {
      assertMayReadBenefits(principal);
      const p = new Problems();
      if (filter.period != null && !PERIOD_RE.test(filter.period)) p.add('period', 'must be a month yyyy-mm', 'phải là tháng yyyy-mm');
      p.throwIfAny();
      const visible = communesVisibleTo(principal);
      const wanted = filter.communeCode ? [filter.communeCode] : undefined;
      const communeCodes = visible === null ? wanted : (wanted ?? [...visible]).filter((c) => visible.includes(c));
      return repo.findCycles(db, { communeCodes, period: filter.period ? firstDay(filter.period) : undefined }, 500);
    },

    /** The lines of a cycle the caller already reached (paymentCycle checked the commune). */
    paymentsOfCycle: (cycleId: string, filter: { kinds?: readonly string[] | null; statuses?: readonly string[] | null }) =>
      repo.findPaymentsOfCycle(db, cycleId, { kinds: filter.kinds ?? undefined, statuses: filter.statuses ?? undefined }),

    /**
     * A cycle's totals and non-cash share as this caller may see them. Lines of art. 5.3 and 5.8 say HIV: for a
     * caller without HIV sight (whose `payments` leave them out) both are computed from the cycle's other lines, so
     * that they add up to what the caller sees and tell nothing of the lines left out; the others get the totals
     * fixed at creation (docs/security.md "HIV status").
     */
    async totalsFor(principal: Principal, c: PaymentCycleRow): Promise<LineTotals> {
      return seesHiv(principal) ? storedTotals(c) : repo.lineTotals(db, c.id, [...HIV_PROGRAMS]);
    },
    async nonCashShareFor(principal: Principal, cycleId: string): Promise<number> {
      const shares = await repo.nonCashShares(db, [cycleId], seesHiv(principal) ? [] : [...HIV_PROGRAMS]);
      return shares.get(cycleId) ?? 0;
    },

    /**
     * The lines of a cycle the caller already reached (paymentCycle checked the commune), with their person, program
     * and recipient, page by page in paymentsOfCycle's order, for the officers' export (src/http/payment-exports.ts).
     * One page in memory at a time; returning the iterator stops the reading.
     */
    async *cycleLinePages(
      cycleId: string,
      filter: { kinds?: readonly string[] | null; statuses?: readonly string[] | null; withoutPrograms?: readonly string[] },
      pageSize = 1000,
    ): AsyncGenerator<repo.CycleLineRow[]> {
      const f = { kinds: filter.kinds ?? undefined, statuses: filter.statuses ?? undefined, withoutPrograms: filter.withoutPrograms };
      let after: repo.CycleLineKey | undefined;
      for (;;) {
        const rows = await repo.findCycleLinePage(db, cycleId, f, after, pageSize);
        if (rows.length > 0) yield rows;
        if (rows.length < pageSize) return;
        after = rows[rows.length - 1];
      }
    },

    nonCashShares: (cycleIds: readonly string[]) => repo.nonCashShares(db, cycleIds),
    storedTotals,
    lineTotals: (cycleId: string) => repo.lineTotals(db, cycleId),
  };
}

/** A result as checked by checkPaymentResult: the fields normalised. */
export interface PaymentResultInput {
  paymentId: string;
  status: PaymentStatus;
  reference: string;
  paidAt: string;
  idempotencyKey: string;
}

/**
 * The input checks of a reported result (status, reference, date, idempotency key), shared by recordPaymentResult
 * and the reconciliation file (exchange.service.ts): adds each problem to `p`; returns the normalised fields when
 * there was none.
 */
export function checkPaymentResult(
  p: Problems,
  args: { status: string; reference: string; paidAt: string; idempotencyKey: string },
  today: string,
): Omit<PaymentResultInput, 'paymentId'> | undefined {
  const before = p.any;
  const status = PAYMENT_STATUSES.find((s) => s === args.status && s !== 'PENDING');
  if (!status) p.add('status', 'must be PAID, FAILED or RETURNED', 'phải là PAID, FAILED hoặc RETURNED');
  const reference = args.reference.trim();
  if (!isCleanLine(reference, 100)) p.add('reference', 'must be 1–100 characters without control characters', 'phải có 1–100 ký tự, không có ký tự điều khiển');
  if (!isValidDate(args.paidAt)) p.add('paidAt', 'is not a valid date', 'không phải ngày hợp lệ');
  else if (args.paidAt > today) p.add('paidAt', 'is in the future', 'là ngày trong tương lai');
  const key = args.idempotencyKey.trim();
  if (!isCleanLine(key, 200)) p.add('idempotencyKey', 'must be 1–200 characters without control characters', 'phải có 1–200 ký tự, không có ký tự điều khiển');
  return status && !p.any && !before ? { status, reference, paidAt: args.paidAt, idempotencyKey: key } : undefined;
}

/**
 * Applies one checked result inside the caller's transaction: the one rule set for a result, whether it comes from
 * recordPaymentResult or a reconciliation file. The payment is locked first, so two reports of one line (a file
 * imported twice at once) serialise and the second finds the first's key. Every refusal is thrown before anything
 * is written, so a caller applying many results may catch it and go on in the same transaction. `changed` is false
 * when the key was used before for this same result (nothing written, no audit event).
 */
export async function applyPaymentResult(
  tx: Tx,
  actor: AuditActor,
  args: PaymentResultInput,
): Promise<{ payment: PaymentRow; changed: boolean; audit: AuditEntry[] }> {
  const before = await repo.findPayment(tx, args.paymentId, true);
  if (!before) throw notFound('payment', args.paymentId);
  const replay = await repo.findResultByKey(tx, args.idempotencyKey);
  if (replay) {
    const same =
      replay.paymentId === args.paymentId &&
      replay.status === args.status &&
      replay.reference === args.reference &&
      toDateString(replay.paidAt) === args.paidAt;
    if (!same)
      throw conflict('This idempotency key was used for another result', 'Khóa chống trùng này đã dùng cho một kết quả khác', { field: 'idempotencyKey' });
    return { payment: before, changed: false, audit: [] };
  }
  const cycle = await repo.findCycleById(tx, before.cycleId);
  if (cycle?.status !== 'APPROVED')
    throw conflict('The payment’s cycle is not approved yet', 'Kỳ chi của khoản này chưa được phê duyệt', { field: 'paymentId' });
  const allowed =
    (before.status === 'PENDING' && (args.status === 'PAID' || args.status === 'FAILED')) || (before.status === 'PAID' && args.status === 'RETURNED');
  if (!allowed)
    throw conflict(
      `The payment is already ${before.status}${before.reference ? ` (${before.reference})` : ''}: it cannot become ${args.status}`,
      `Khoản chi đã ở trạng thái ${before.status}${before.reference ? ` (${before.reference})` : ''}: không thể chuyển sang ${args.status}`,
      { field: 'status' },
    );
  const result = await repo.insertResult(tx, { ...args, recordedBy: actor.principal.subject });
  const after = await repo.setPaymentStatus(tx, before.id, { status: args.status, reference: args.reference, paidAt: args.paidAt });
  return {
    payment: after,
    changed: true,
    audit: [{ action: 'recordPaymentResult', entityType: 'Payment', entityId: before.id, before, after: { ...after, result } }],
  };
}

/** A cycle's control totals as fixed when it was created. */
function storedTotals(c: PaymentCycleRow): LineTotals {
  return {
    lines: c.lineCount,
    payableAmount: c.payableAmount,
    recoveryAmount: c.recoveryAmount,
    byProgram: c.byProgram as LineTotals['byProgram'],
  };
}

export type PaymentsService = ReturnType<typeof createPaymentsService>;
export type { PaymentKind };
