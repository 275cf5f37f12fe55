/**
 * Rules use cases: the rule book (its one owner), publishing rule versions and base levels (admin only,
 * each a new row: nothing is ever edited), circumstance flags, the records behind a person's facts, and
 * explaining a person's eligibility for every program.
 */
import type { Clock } from '../../clock.js';
import { BASE_LEVEL_KINDS, CIRCUMSTANCE_FLAGS } from '../../core/code-lists.js';
import { evaluateRule } from '../../core/evaluate.js';
import { isValidDate, lastDay, periodOf } from '../../core/period.js';
import { exampleFacts, RuleDefinitionSchema, RuleExampleSchema, type RuleDefinition, type RuleExample } from '../../core/rule-format.js';
import type { Database, DbOrTx } from '../../db/client.js';
import { conflict, DomainError, notFound, Problems, uniqueAsConflict } from '../../errors.js';
import { auditedTransaction, type AuditActor, type AuditEntry } from '../audit/audit.service.js';
import { assertCanSeeOn, assertMayReadBenefits, programHiddenFrom } from '../auth/access-policy.js';
import { assertRole } from '../auth/auth.service.js';
import type { Principal } from '../auth/auth.types.js';
import type { PlacesService } from '../places/places.service.js';
import type { RegistryService } from '../registry/registry.service.js';
import {
  baseLevelInForceBy,
  decide,
  earliestStart,
  unconfirmedReasons,
  type ProgramDecision,
  type RuleBook,
  type StartMonth,
  type UnconfirmedReason,
} from './rule-book.js';
import { checkConditionDepth, checkDefinitionValues, checkExampleValues, checkJsonShape, RULE_LIMITS } from './rule-bounds.js';
import * as repo from './rules.repository.js';

export type { CircumstanceFlagRow } from './rules.repository.js';
export type {
  ProgramDecision,
  ProgramRow,
  RuleBook,
  RuleVersionRow,
  BaseLevelRow,
  TimingRuleRow,
  StartMonth,
  LevelChange,
  UnconfirmedReason,
} from './rule-book.js';
// The pure decisions other modules (benefits) build on, offered through this interface.
export { baseLevelInForceBy, decide, decideEnrolmentMonth, decideMonth, earliestStart, unconfirmedReasons } from './rule-book.js';

export interface CircumstanceFlagInput {
  personId: string;
  flag: string;
  validFrom: string;
  validTo?: string | null;
  evidence: string;
}

export interface WithdrawRuleVersionInput {
  programCode: string;
  version: number;
  effectiveTo?: string | null;
  reason: string;
}

export interface PublishBaseLevelInput {
  kind: string;
  amount: number;
  effectiveFrom: string;
  /** The day the decree was signed, when known. */
  issuedOn?: string | null;
  /** The day the decree came into force; default effectiveFrom, or issuedOn when that is later. */
  inForceOn?: string | null;
  legalBasis: string;
  confirmed?: boolean | null;
  /** The row of the same kind and date this one corrects (a wrong figure or date). */
  supersedes?: string | null;
}

export interface PublishRuleVersionInput {
  programCode: string;
  effectiveFrom: string;
  effectiveTo?: string | null;
  legalBasis: string;
  definition: unknown;
  examples: unknown[];
  confirmed?: boolean | null;
  note?: string | null;
}

export interface PublishProvincialSchemeInput {
  code: string;
  nameVi: string;
  nameEn: string;
  /** Default MONTHLY. */
  kind?: 'MONTHLY' | 'ONE_OFF' | null;
  provinceCode: string;
  resolutionNo: string;
  resolutionIssuedOn: string;
  validFrom: string;
  validTo?: string | null;
  highestOnly: boolean;
  definition: unknown;
  examples: unknown[];
  confirmed?: boolean | null;
  note?: string | null;
}

/** A provincial scheme's program code: P, the province code, an underscore, then capitals, digits or underscores. */
/** Decree 20/2021/NĐ-CP took effect: a provincial scheme under its art. 4.3 applies from then at the earliest. */
const DECREE_20_FROM = '2021-07-01';
const PROVINCIAL_CODE_RE = /^P([0-9]{2})_[A-Z0-9_]{1,36}$/;

/** dd/mm/yyyy, as a Vietnamese legal citation writes a date. */
const dateVi = (d: string) => `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)}`;

export interface ExampleOutcome {
  example: RuleExample;
  eligible: boolean;
  amount: number | null;
  passed: boolean;
  failing: string[];
}

/** Runs a definition's example cases against the base levels in the book. */
export function runExamples(book: RuleBook, def: RuleDefinition, examples: RuleExample[], defaultDate: string): ExampleOutcome[] {
  return examples.map((example) => {
    const d = example.asOf ?? defaultDate;
    const ev = evaluateRule(def, exampleFacts(example.facts), (kind) => book.baseAt(kind, d));
    const amountOk = !ev.eligible || example.expectedAmount === undefined || ev.amount === example.expectedAmount;
    return {
      example,
      eligible: ev.eligible,
      amount: ev.amount,
      passed: ev.eligible === example.expectedEligible && amountOk,
      failing: ev.conditions.filter((c) => !c.held).map((c) => c.text),
    };
  });
}

const alreadyWithdrawn = (reason: string) =>
  conflict(`This rule version is already withdrawn (${reason})`, `Phiên bản quy tắc này đã được rút bỏ (${reason})`, { field: 'version' });

/** The calendar day before a yyyy-mm-dd date. */
const dayBefore = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

const zodProblems = (p: Problems, field: string, issues: { path: PropertyKey[]; message: string }[]) => {
  for (const i of issues.slice(0, 20)) {
    const at = i.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
    p.add(`${field}${at}`, i.message, `không hợp lệ: ${i.message}`);
  }
};

/**
 * Checks a rule version's definition and examples (bounds first, then shape, then values), adding problems under
 * `input.definition` and `input.examples`. The examples are run by checkExamplesPass once nothing else is wrong.
 */
function checkRuleDraft(p: Problems, definitionIn: unknown, examplesIn: unknown[]): { definition: RuleDefinition | undefined; examples: RuleExample[] } {
  // Bounds first, without recursion (rule-bounds.ts): the schema and the evaluators recurse.
  const shapeOk = checkConditionDepth(p, 'input.definition', definitionIn) && checkJsonShape(p, 'input.definition', definitionIn);
  const def = shapeOk ? RuleDefinitionSchema.safeParse(definitionIn) : { success: false as const, data: undefined, error: undefined };
  if (def.error) zodProblems(p, 'input.definition', def.error.issues);
  else if (def.success) checkDefinitionValues(p, 'input.definition', def.data);
  const examples: RuleExample[] = [];
  if (examplesIn.length === 0) p.add('input.examples', 'needs at least one example case', 'cần ít nhất một ví dụ');
  if (examplesIn.length > RULE_LIMITS.maxExamples)
    p.add('input.examples', `at most ${RULE_LIMITS.maxExamples} example cases`, `tối đa ${RULE_LIMITS.maxExamples} ví dụ`);
  else
    examplesIn.forEach((e, i) => {
      if (!checkJsonShape(p, `input.examples[${i}]`, e, { maxDepth: 8 })) return;
      const r = RuleExampleSchema.safeParse(e);
      if (r.success) {
        examples.push(r.data);
        checkExampleValues(p, `input.examples[${i}]`, r.data);
      } else zodProblems(p, `input.examples[${i}]`, r.error.issues);
    });
  return { definition: def.data, examples };
}

/** After checkRuleDraft found nothing wrong: every example must pass before anything is written; the failing ones are listed. */
function checkExamplesPass(
  p: Problems,
  book: RuleBook,
  draft: ReturnType<typeof checkRuleDraft>,
  effectiveFrom: string,
): { definition: RuleDefinition; examples: RuleExample[] } {
  // Parsed by now: a definition that did not parse added a problem, and problems have been thrown.
  const { definition, examples } = draft;
  if (!definition) throw new Error('rule definition not parsed yet no problem reported');
  runExamples(book, definition, examples, effectiveFrom).forEach((o, i) => {
    if (o.passed) return;
    const want = `${o.example.expectedEligible ? 'eligible' : 'not eligible'}${o.example.expectedAmount !== undefined ? `, ${o.example.expectedAmount}` : ''}`;
    const got = `${o.eligible ? 'eligible' : 'not eligible'}${o.eligible ? `, ${o.amount}` : ''}`;
    const wantVi = `${o.example.expectedEligible ? 'đủ điều kiện' : 'không đủ điều kiện'}${o.example.expectedAmount !== undefined ? `, ${o.example.expectedAmount}` : ''}`;
    const gotVi = `${o.eligible ? 'đủ điều kiện' : 'không đủ điều kiện'}${o.eligible ? `, ${o.amount}` : ''}`;
    const why = o.failing.length ? ` (${o.failing.join('; ')})` : '';
    p.add(
      `input.examples[${i}]`,
      `example "${o.example.name}" expected ${want}, got ${got}${why}`,
      `ví dụ "${o.example.name}" cần ${wantVi}, kết quả ${gotVi}${why}`,
    );
  });
  p.throwIfAny();
  return { definition, examples };
}

export function createRulesService(deps: { database: Database; clock: Clock; places: PlacesService; registry: RegistryService }) {
  const { database, places, registry, clock } = deps;
  const db = database.db;

  /**
   * The rule book is read once per scope: a GraphQL request passes its context, so every resolver and
   * service call of one request shares one read (three small statements). Without a scope, a fresh read.
   */
  const books = new WeakMap<object, Promise<RuleBook>>();
  function ruleBook(scope?: object): Promise<RuleBook> {
    if (!scope) return repo.loadRuleBook(db);
    let book = books.get(scope);
    if (!book) {
      book = repo.loadRuleBook(db);
      books.set(scope, book);
    }
    return book;
  }

  /** The date a question is asked for: the one given, else today; VALIDATION_FAILED when not a date. */
  function asOfOrToday(asOf: string | null | undefined): string {
    const d = asOf ?? clock.today();
    if (!isValidDate(d)) new Problems().add('asOf', 'is not a valid date', 'không phải ngày hợp lệ').throwIfAny();
    return d;
  }

  return {
    ruleBook,

    asOfOrToday,

    /** The records behind the facts of many people (in the caller's transaction when given one). */
    factsSources: (personIds: readonly string[], tx: DbOrTx = db) => repo.loadFactsSources(tx, personIds),
    /** The extremely disadvantaged areas, every period. */
    areaClasses: (tx: DbOrTx = db) => repo.loadAreaClasses(tx),

    /** Circumstance flags of many people (health and HIV among them: sensitive, so benefits:read for integrations). */
    async circumstanceFlagsOf(principal: Principal, personIds: readonly string[]) {
      assertMayReadBenefits(principal);
      return repo.findCircumstanceFlagsOf(db, [...new Set(personIds)]);
    },

    async publishRuleVersion(actor: AuditActor, input: PublishRuleVersionInput) {
      assertRole(actor.principal, 'admin');
      const p = new Problems();
      if (!isValidDate(input.effectiveFrom)) p.add('input.effectiveFrom', 'is not a valid date', 'không phải ngày hợp lệ');
      if (input.effectiveTo != null && (!isValidDate(input.effectiveTo) || input.effectiveTo < input.effectiveFrom)) {
        p.add('input.effectiveTo', 'must be a date on or after effectiveFrom', 'phải là ngày từ effectiveFrom trở đi');
      }
      if (!input.legalBasis.trim()) p.add('input.legalBasis', 'is required: cite the decree and article', 'là bắt buộc: ghi rõ nghị định, điều khoản');
      const draft = checkRuleDraft(p, input.definition, input.examples);
      const book = await repo.loadRuleBook(db);
      if (!book.program(input.programCode)) p.add('input.programCode', `unknown program ${input.programCode}`, `không có chương trình ${input.programCode}`);
      p.throwIfAny();
      const { definition, examples } = checkExamplesPass(p, book, draft, input.effectiveFrom);
      p.throwIfAny();
      const concurrentVersion = () =>
        conflict(
          `Another version of ${input.programCode} was published at the same time; read the versions and publish again`,
          `Một phiên bản khác của ${input.programCode} vừa được ban hành cùng lúc; hãy xem lại và ban hành lại`,
          { field: 'input.programCode' },
        );
      return uniqueAsConflict(
        () =>
          auditedTransaction(db, actor, async (tx) => {
            const v = await repo.lastRuleVersion(tx, input.programCode);
            const row = await repo.insertRuleVersion(tx, {
              programCode: input.programCode,
              version: v + 1,
              effectiveFrom: input.effectiveFrom,
              effectiveTo: input.effectiveTo ?? null,
              legalBasis: input.legalBasis.trim(),
              definition,
              examples,
              confirmed: input.confirmed ?? true,
              note: input.note ?? null,
              publishedBy: actor.principal.subject,
            });
            return { result: row, audit: [{ action: 'publishRuleVersion', entityType: 'ProgramRule', entityId: row.id, after: row }] };
          }),
        { program_rules_version_uq: concurrentVersion },
      );
    },

    /**
     * Admin: a province's own scheme (Decree 20/2021 art. 4.3 as amended by Decree 76/2024; docs/law.md#provincial-schemes):
     * its program (family PROVINCIAL), its People's Council resolution and dates, and its first rule version, in one
     * audited transaction. The rule version's legal basis cites the resolution.
     */
    async publishProvincialScheme(actor: AuditActor, input: PublishProvincialSchemeInput) {
      assertRole(actor.principal, 'admin');
      const p = new Problems();
      const code = PROVINCIAL_CODE_RE.exec(input.code);
      if (!code)
        p.add(
          'input.code',
          'must be P, the province code, an underscore, then capitals, digits or underscores (e.g. P68_ELDERLY_70), at most 40 characters',
          'phải gồm P, mã tỉnh, dấu gạch dưới, rồi chữ in hoa, chữ số hoặc dấu gạch dưới (ví dụ P68_ELDERLY_70), tối đa 40 ký tự',
        );
      const province = places.checkProvince(p, 'input.provinceCode', input.provinceCode);
      if (code && province && code[1] !== province.code)
        p.add('input.code', `must begin with P${province.code}_ (the province's code)`, `phải bắt đầu bằng P${province.code}_ (mã tỉnh)`);
      for (const [field, value] of [
        ['nameVi', input.nameVi],
        ['nameEn', input.nameEn],
      ] as const)
        if (!value.trim() || value.length > 300) p.add(`input.${field}`, 'must be 1–300 characters', 'phải có 1–300 ký tự');
      const resolutionNo = input.resolutionNo.trim();
      if (!resolutionNo || resolutionNo.length > 100)
        p.add('input.resolutionNo', 'must be 1–100 characters: the number of the resolution', 'phải có 1–100 ký tự: số hiệu nghị quyết');
      if (!isValidDate(input.resolutionIssuedOn)) p.add('input.resolutionIssuedOn', 'is not a valid date', 'không phải ngày hợp lệ');
      else if (input.resolutionIssuedOn > clock.today()) p.add('input.resolutionIssuedOn', 'is in the future', 'là ngày trong tương lai');
      if (!isValidDate(input.validFrom)) p.add('input.validFrom', 'is not a valid date', 'không phải ngày hợp lệ');
      else if (input.validFrom < DECREE_20_FROM)
        p.add(
          'input.validFrom',
          `cannot be before ${DECREE_20_FROM} (Decree 20/2021 took effect)`,
          `không được trước ${DECREE_20_FROM} (ngày Nghị định 20/2021 có hiệu lực)`,
        );
      if (input.validTo != null && (!isValidDate(input.validTo) || input.validTo < input.validFrom))
        p.add('input.validTo', 'must be a date on or after validFrom', 'phải là ngày từ validFrom trở đi');
      const draft = checkRuleDraft(p, input.definition, input.examples);
      const book = await repo.loadRuleBook(db);
      p.throwIfAny();
      const { definition, examples } = checkExamplesPass(p, book, draft, input.validFrom);
      // Checked above: the province exists (else problems were thrown).
      const provinceName = province?.name ?? input.provinceCode;
      const legalBasis = `Nghị quyết ${resolutionNo} ngày ${dateVi(input.resolutionIssuedOn)} của Hội đồng nhân dân ${provinceName} (Nghị định 20/2021/NĐ-CP, điều 4 khoản 3, sửa đổi bởi Nghị định 76/2024/NĐ-CP)`;
      const taken = () => conflict(`A program with code ${input.code} already exists`, `Đã có chương trình mã ${input.code}`, { field: 'input.code' });
      if (book.program(input.code)) throw taken();
      return uniqueAsConflict(
        () =>
          auditedTransaction(db, actor, async (tx) => {
            const { program, scheme } = await repo.insertProvincialScheme(
              tx,
              {
                code: input.code,
                nameVi: input.nameVi.trim(),
                nameEn: input.nameEn.trim(),
                family: 'PROVINCIAL',
                kind: input.kind ?? 'MONTHLY',
                startRule: 'DECISION_MONTH',
                legalBasis,
                highestOnly: input.highestOnly,
              },
              {
                programCode: input.code,
                provinceCode: input.provinceCode,
                resolutionNo,
                resolutionIssuedOn: input.resolutionIssuedOn,
                validFrom: input.validFrom,
                validTo: input.validTo ?? null,
                publishedBy: actor.principal.subject,
              },
            );
            const version = await repo.insertRuleVersion(tx, {
              programCode: input.code,
              version: 1,
              effectiveFrom: input.validFrom,
              effectiveTo: input.validTo ?? null,
              legalBasis,
              definition,
              examples,
              confirmed: input.confirmed ?? true,
              note: input.note ?? null,
              publishedBy: actor.principal.subject,
            });
            return {
              result: program,
              audit: [
                { action: 'publishProvincialScheme', entityType: 'ProvincialScheme', entityId: input.code, after: { program, scheme, ruleVersion: version } },
              ],
            };
          }),
        { programs_pkey: taken, provincial_schemes_pkey: taken },
      );
    },

    /**
     * Withdraws a rule version (published by mistake, or ended by a later decision): from the day after
     * `effectiveTo` it no longer applies; without `effectiveTo` it never applied. Appended as its own row with
     * the reason, audited; the version's row is never changed.
     */
    async withdrawRuleVersion(actor: AuditActor, args: WithdrawRuleVersionInput) {
      assertRole(actor.principal, 'admin');
      const p = new Problems();
      if (args.effectiveTo != null && !isValidDate(args.effectiveTo)) p.add('effectiveTo', 'is not a valid date', 'không phải ngày hợp lệ');
      const reason = args.reason.trim();
      if (reason.length === 0 || reason.length > 1000)
        p.add('reason', 'must be 1–1000 characters: cite the decision or the mistake', 'phải có 1–1000 ký tự: nêu quyết định hoặc sai sót');
      p.throwIfAny();
      const book = await ruleBook();
      const version = book.versions(args.programCode).find((v) => v.version === args.version);
      if (!version) {
        throw new DomainError(
          'NOT_FOUND',
          { en: `No rule version ${args.programCode} v${args.version}`, vi: `Không tìm thấy phiên bản ${args.version} của quy tắc ${args.programCode}` },
          { field: 'version' },
        );
      }
      if (version.withdrawal) throw alreadyWithdrawn(version.withdrawal.reason);
      // Never in force: the day before it took effect.
      const effectiveTo = args.effectiveTo ?? dayBefore(version.effectiveFrom);
      if (args.effectiveTo != null && args.effectiveTo < version.effectiveFrom) {
        p.add(
          'effectiveTo',
          `is before the version took effect (${version.effectiveFrom}); leave it empty to withdraw the whole version`,
          `trước ngày phiên bản có hiệu lực (${version.effectiveFrom}); để trống để rút bỏ toàn bộ phiên bản`,
        );
      }
      if (version.effectiveTo !== null && effectiveTo >= version.effectiveTo) {
        p.add(
          'effectiveTo',
          `must be before the version's own end (${version.effectiveTo})`,
          `phải trước ngày hết hiệu lực của phiên bản (${version.effectiveTo})`,
        );
      }
      p.throwIfAny();
      return uniqueAsConflict(
        () =>
          auditedTransaction(db, actor, async (tx) => {
            const withdrawal = await repo.insertRuleWithdrawal(tx, { ruleId: version.id, effectiveTo, reason, withdrawnBy: actor.principal.subject });
            // The audit holds the stored columns (the parsed copy of the definition is left out).
            const before = { ...version, parsed: undefined };
            const after = { ...before, effectiveTo, withdrawal };
            return {
              result: { ...version, effectiveTo, withdrawal },
              audit: [{ action: 'withdrawRuleVersion', entityType: 'ProgramRule', entityId: version.id, before, after }],
            };
          }),
        { program_rule_withdrawals_rule_uq: () => alreadyWithdrawn('withdrawn concurrently') },
      );
    },

    async publishBaseLevel(actor: AuditActor, args: PublishBaseLevelInput) {
      assertRole(actor.principal, 'admin');
      const p = new Problems();
      if (!(BASE_LEVEL_KINDS as readonly string[]).includes(args.kind))
        p.add('kind', `must be one of ${BASE_LEVEL_KINDS.join(', ')}`, `phải là một trong ${BASE_LEVEL_KINDS.join(', ')}`);
      if (!Number.isSafeInteger(args.amount) || args.amount <= 0) p.add('amount', 'must be a positive whole number of đồng', 'phải là số đồng nguyên dương');
      if (!isValidDate(args.effectiveFrom)) p.add('effectiveFrom', 'is not a valid date', 'không phải ngày hợp lệ');
      if (args.issuedOn != null && !isValidDate(args.issuedOn)) p.add('issuedOn', 'is not a valid date', 'không phải ngày hợp lệ');
      if (args.inForceOn != null && !isValidDate(args.inForceOn)) p.add('inForceOn', 'is not a valid date', 'không phải ngày hợp lệ');
      if (!args.legalBasis.trim()) p.add('legalBasis', 'is required: cite the decree', 'là bắt buộc: ghi rõ nghị định');
      p.throwIfAny();
      // A decree silent on its in-force date is taken to be payable from the date it applies (or from its signing,
      // when that is later): docs/law.md#social-assistance-base-level.
      const issuedOn = args.issuedOn ?? null;
      const inForceOn = args.inForceOn ?? (issuedOn !== null && issuedOn > args.effectiveFrom ? issuedOn : args.effectiveFrom);
      if (issuedOn !== null && issuedOn > inForceOn)
        p.add(
          'inForceOn',
          `is before issuedOn (${issuedOn}): a decree is in force only once signed`,
          `trước ngày ban hành (${issuedOn}): văn bản chỉ có hiệu lực sau khi ban hành`,
        );
      p.throwIfAny();
      const alreadyPublished = (amount: number | string) =>
        conflict(
          `A ${args.kind} base level from ${args.effectiveFrom} is already published (${amount}); base levels are never edited: to correct it, publish with supersedes its id`,
          `Đã có mức chuẩn ${args.kind} từ ${args.effectiveFrom} (${amount}); mức chuẩn không được sửa: để đính chính, công bố mức mới với supersedes là mã mức cũ`,
          { field: 'effectiveFrom' },
        );
      const alreadySuperseded = (by: string) =>
        conflict(
          `That base level is already superseded (by ${by}): correct the row in force instead`,
          `Mức chuẩn này đã được thay thế (bởi ${by}): hãy đính chính mức đang áp dụng`,
          { field: 'supersedes' },
        );
      return uniqueAsConflict(
        () =>
          auditedTransaction(db, actor, async (tx) => {
            const kind = args.kind as (typeof BASE_LEVEL_KINDS)[number];
            const existing = await repo.findBaseLevel(tx, kind, args.effectiveFrom);
            let superseded: Awaited<ReturnType<typeof repo.findBaseLevelById>> = undefined;
            if (args.supersedes != null) {
              // A correction replaces the row in force for the same kind and date (docs/law.md#social-assistance-base-level).
              superseded = await repo.findBaseLevelById(tx, args.supersedes);
              if (!superseded) throw notFound('base level', args.supersedes);
              if (superseded.supersededBy) throw alreadySuperseded(superseded.supersededBy);
              if (superseded.row.kind !== kind || superseded.row.effectiveFrom !== args.effectiveFrom)
                p.add(
                  'supersedes',
                  `is the ${superseded.row.kind} level from ${superseded.row.effectiveFrom}: a correction keeps the kind and effectiveFrom of the row it supersedes`,
                  `là mức ${superseded.row.kind} từ ${superseded.row.effectiveFrom}: mức đính chính phải cùng loại và cùng ngày áp dụng với mức bị thay thế`,
                ).throwIfAny();
            } else if (existing) throw alreadyPublished(existing.amount);
            const row = await repo.insertBaseLevel(tx, {
              kind,
              amount: args.amount,
              effectiveFrom: args.effectiveFrom,
              issuedOn,
              inForceOn,
              legalBasis: args.legalBasis.trim(),
              confirmed: args.confirmed ?? true,
              publishedBy: actor.principal.subject,
              supersedes: superseded?.row.id ?? null,
            });
            const audit: AuditEntry[] = [{ action: 'publishBaseLevel', entityType: 'BaseLevel', entityId: row.id, after: row }];
            // The corrected row's own trail says it was replaced, and by what.
            if (superseded)
              audit.push({
                action: 'supersedeBaseLevel',
                entityType: 'BaseLevel',
                entityId: superseded.row.id,
                before: superseded.row,
                after: { ...superseded.row, supersededBy: row.id },
              });
            return { result: { ...row, confirmation: null, supersededBy: null }, audit };
          }),
        {
          base_levels_kind_from_uq: () => alreadyPublished('published concurrently'),
          base_levels_supersedes_uq: () => alreadySuperseded('a correction published concurrently'),
        },
      );
    },

    /**
     * Admin: confirms a base level published unconfirmed, citing what was checked (the decree's official text):
     * amounts on it stop being flagged. The level's row is never changed; the confirmation is its own row. One
     * transaction, audited. NOT_FOUND for an unknown id; CONFLICT when already confirmed or superseded.
     */
    async confirmBaseLevel(actor: AuditActor, id: string, source: string) {
      assertRole(actor.principal, 'admin');
      const checked = source.trim();
      if (checked.length === 0 || checked.length > 1000)
        new Problems()
          .add(
            'source',
            'must be 1–1000 characters: cite the official text checked (gazette, number, date)',
            'phải có 1–1000 ký tự: ghi rõ văn bản gốc đã đối chiếu (công báo, số, ngày)',
          )
          .throwIfAny();
      const alreadyConfirmed = (how: string) =>
        conflict(`The base level is already confirmed (${how})`, `Mức chuẩn này đã được xác nhận (${how})`, { field: 'id' });
      return uniqueAsConflict(
        () =>
          auditedTransaction(db, actor, async (tx) => {
            const found = await repo.findBaseLevelById(tx, id);
            if (!found) throw notFound('base level', id);
            const { row, supersededBy, confirmation } = found;
            if (supersededBy)
              throw conflict(
                `The base level is superseded by ${supersededBy}: confirm that one`,
                `Mức chuẩn này đã được thay thế bởi ${supersededBy}: hãy xác nhận mức đó`,
                { field: 'id' },
              );
            if (row.confirmed) throw alreadyConfirmed('published confirmed');
            if (confirmation) throw alreadyConfirmed(`${confirmation.confirmedBy}, ${confirmation.source}`);
            const added = await repo.insertBaseLevelConfirmation(tx, { baseLevelId: id, source: checked, confirmedBy: actor.principal.subject });
            const before = { ...row, confirmation: null, supersededBy: null };
            const after = { ...row, confirmed: true, confirmation: added, supersededBy: null };
            return { result: after, audit: [{ action: 'confirmBaseLevel', entityType: 'BaseLevel', entityId: id, before, after }] };
          }),
        { base_level_confirmations_level_uq: () => alreadyConfirmed('confirmed concurrently') },
      );
    },

    async recordCircumstanceFlag(actor: AuditActor, input: CircumstanceFlagInput) {
      return registry.recordPersonCircumstance(
        actor,
        input.personId,
        'recordCircumstanceFlag',
        (p, person) => {
          if (!(CIRCUMSTANCE_FLAGS as readonly string[]).includes(input.flag))
            p.add('input.flag', `must be one of ${CIRCUMSTANCE_FLAGS.join(', ')}`, `phải là một trong ${CIRCUMSTANCE_FLAGS.join(', ')}`);
          if (!isValidDate(input.validFrom)) p.add('input.validFrom', 'is not a valid date', 'không phải ngày hợp lệ');
          else if (input.validFrom < person.dateOfBirth) p.add('input.validFrom', 'is before the date of birth', 'trước ngày sinh');
          if (input.validTo != null && (!isValidDate(input.validTo) || input.validTo < input.validFrom))
            p.add('input.validTo', 'must be a date on or after validFrom', 'phải là ngày từ validFrom trở đi');
          if (!input.evidence.trim())
            p.add('input.evidence', 'is required (decision, certificate or record number)', 'là bắt buộc (số quyết định, giấy xác nhận, biên bản)');
        },
        (tx) =>
          repo.insertCircumstanceFlag(tx, {
            personId: input.personId,
            flag: input.flag as (typeof CIRCUMSTANCE_FLAGS)[number],
            validFrom: input.validFrom,
            validTo: input.validTo ?? null,
            evidence: input.evidence.trim(),
          }),
      );
    },

    /** Every program: eligible or not on `asOf`, with the rule version, legal basis and each condition. */
    async eligibility(
      principal: Principal,
      personId: string,
      asOf: string | null | undefined,
      scope?: object,
    ): Promise<(ProgramDecision & { startsFrom: StartMonth | null; unconfirmedReasons: UnconfirmedReason[]; baseLevelInForce: boolean })[]> {
      assertMayReadBenefits(principal);
      const date = asOfOrToday(asOf);
      const [book, sources, areas] = await Promise.all([ruleBook(scope), repo.loadFactsSources(db, [personId]), repo.loadAreaClasses(db)]);
      const src = sources.get(personId);
      if (!src) throw notFound('person', personId);
      // Visibility follows residence: the commune the person lived in on asOf (a past date: where they lived then).
      assertCanSeeOn(registry.callerOn(principal, date), src.residences, date);
      // A program whose rule reads the HIV flag answers eligible or not by it (art. 5.7: "no HIV flag"): left out
      // whole for callers without HIV sight, decided by the rule, not the person (docs/security.md "HIV status").
      const shown = book.programs.filter((program) => !programHiddenFrom(principal, program.code, book.ruleAt(program.code, date)?.definition));
      return shown.map((program) => {
        const decision = decide(book, program, src, areas, date);
        return {
          ...decision,
          startsFrom: decision.eligible ? earliestStart(book, program, src, date) : null,
          unconfirmedReasons: unconfirmedReasons(decision.version, decision.eligible ? decision.baseLevel : null),
          // As on entitlement lines: was the level in force by the end of asOf's month (else the amount is arrears).
          baseLevelInForce: baseLevelInForceBy(decision.eligible ? decision.baseLevel : null, lastDay(periodOf(date))),
        };
      });
    },
  };
}
export type RulesService = ReturnType<typeof createRulesService>;
