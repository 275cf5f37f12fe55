/**
 * GraphQL for programs, rule versions, base levels, circumstance flags and eligibility: translation only;
 * the rules service checks access and input. The request's context is the rule book's scope, so one
 * request reads the rule book once whatever it asks.
 */
import type { MercuriusContext } from 'mercurius';
import { BASE_LEVEL_KINDS } from '../../core/code-lists.js';
import type { BaseLevelLike } from '../../core/evaluate.js';
import { checkId, DomainError } from '../../errors.js';
import type { Loaders, Resolvers } from '../../graphql/generated.js';
import type { AuditActor } from '../audit/audit.service.js';
import type { BaseLevelRow, ProgramDecision, StartMonth, UnconfirmedReason } from './rules.service.js';

const actorOf = (ctx: MercuriusContext): AuditActor => ({ principal: ctx.principal, requestId: ctx.requestId });
const bookFor = (ctx: MercuriusContext) => ctx.services.rules.ruleBook(ctx);

type EligibilityRow = ProgramDecision & { startsFrom: StartMonth | null; unconfirmedReasons: UnconfirmedReason[]; baseLevelInForce: boolean };

/** A summary text of a rule definition (validated when published: a hand-made row may lack it). */
function summaryOf(definition: unknown, key: 'summaryVi' | 'summaryEn'): string {
  if (typeof definition !== 'object' || definition === null || !(key in definition)) return '';
  const text: unknown = (definition as Record<typeof key, unknown>)[key];
  return typeof text === 'string' ? text : '';
}

/**
 * The evaluator sees base levels with any kind; those it hands back are the rule book's rows, of a known kind (the
 * defaults only type what the evaluator's view leaves out: the book's rows carry their own).
 */
function baseLevelRow(b: BaseLevelLike): BaseLevelRow {
  const kind = BASE_LEVEL_KINDS.find((k) => k === b.kind);
  if (!kind) throw new DomainError('INTERNAL', { en: `unknown base level kind ${b.kind}`, vi: 'loại mức chuẩn không hợp lệ' });
  return { supersedes: null, supersededBy: null, confirmation: null, ...b, kind };
}

export const rulesResolvers: Resolvers = {
  Query: {
    programs: async (_, __, ctx) => (await bookFor(ctx)).programs,
    program: async (_, { code }, ctx) => (await bookFor(ctx)).program(code) ?? null,
    baseLevels: async (_, { kind }, ctx) => (await bookFor(ctx)).baseLevels.filter((b) => !kind || b.kind === kind),
    timingRules: async (_, __, ctx) => (await bookFor(ctx)).timingRules,
    async eligibility(_, args, ctx) {
      checkId('personId', args.personId);
      const rows = await ctx.services.rules.eligibility(ctx.principal, args.personId, args.asOf, ctx);
      return rows.map((r: EligibilityRow) => ({
        program: r.program,
        programCode: r.program.code,
        eligible: r.eligible,
        monthlyAmount: r.eligible && r.program.kind === 'MONTHLY' ? r.amount : null,
        amount: r.eligible ? r.amount : null,
        coefficient: r.eligible ? r.coefficient : null,
        baseLevel: r.eligible && r.baseLevel ? baseLevelRow(r.baseLevel) : null,
        ruleVersion: r.version ?? null,
        legalBasis: r.version?.legalBasis ?? null,
        conditions: r.conditions,
        startsFrom: r.startsFrom?.period ?? null,
        startRuleText: r.startsFrom?.en ?? null,
        startRuleTextVi: r.startsFrom?.vi ?? null,
        unconfirmed: r.unconfirmedReasons.length > 0,
        unconfirmedReasons: r.unconfirmedReasons,
        baseLevelInForce: r.baseLevelInForce,
        startTimingRule: r.startsFrom?.timingRule ?? null,
      }));
    },
  },
  Program: {
    name: (p) => p.nameVi,
    ruleVersions: async (p, _, ctx) => (await bookFor(ctx)).versions(p.code),
    ruleVersion: async (p, { asOf }, ctx) => (await bookFor(ctx)).ruleAt(p.code, ctx.services.rules.asOfOrToday(asOf)) ?? null,
    provincialScheme: async (p, _, ctx) => {
      const scheme = (await bookFor(ctx)).provincialScheme(p.code);
      return scheme ? { ...scheme, highestOnly: p.highestOnly } : null;
    },
  },
  RuleVersion: {
    summary: (r) => summaryOf(r.definition, 'summaryVi'),
    summaryEn: (r) => summaryOf(r.definition, 'summaryEn'),
  },
  Mutation: {
    publishRuleVersion: (_, { input }, ctx) => ctx.services.rules.publishRuleVersion(actorOf(ctx), input),
    publishProvincialScheme: (_, { input }, ctx) => ctx.services.rules.publishProvincialScheme(actorOf(ctx), input),
    withdrawRuleVersion: (_, args, ctx) => ctx.services.rules.withdrawRuleVersion(actorOf(ctx), args),
    publishBaseLevel: (_, args, ctx) => {
      if (args.supersedes != null) checkId('supersedes', args.supersedes);
      return ctx.services.rules.publishBaseLevel(actorOf(ctx), args);
    },
    confirmBaseLevel: (_, { id, source }, ctx) => {
      checkId('id', id);
      return ctx.services.rules.confirmBaseLevel(actorOf(ctx), id, source);
    },
    recordCircumstanceFlag: (_, { input }, ctx) => {
      checkId('input.personId', input.personId);
      return ctx.services.rules.recordCircumstanceFlag(actorOf(ctx), input);
    },
  },
};

export const rulesLoaders: Loaders = {
  Person: {
    async circumstanceFlags(queries, ctx) {
      const rows = await ctx.services.rules.circumstanceFlagsOf(
        ctx.principal,
        queries.map((q) => q.obj.id),
      );
      return queries.map((q) => rows.filter((r) => r.personId === q.obj.id));
    },
  },
};
