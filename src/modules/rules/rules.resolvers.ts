/**
 * GraphQL for programs, rule versions, base levels, circumstance flags and eligibility: translation only;
 * the rules service checks access and input. The request's context is the rule book's scope, so one
 * request reads the rule book once whatever it asks.
 */
import type { IResolvers, MercuriusContext, MercuriusLoaders } from 'mercurius';
import { checkId } from '../../errors.js';
import type { AuditActor } from '../audit/audit.service.js';
import type { CircumstanceFlagInput, ProgramDecision, ProgramRow, PublishBaseLevelInput, PublishRuleVersionInput } from './rules.service.js';

const actorOf = (ctx: MercuriusContext): AuditActor => ({ principal: ctx.principal, requestId: ctx.requestId });
const bookFor = (ctx: MercuriusContext) => ctx.services.rules.ruleBook(ctx);

type EligibilityRow = ProgramDecision & { startsFrom: { period: string; en: string; vi: string } | null };

export const rulesResolvers: IResolvers = {
  Query: {
    programs: async (_: unknown, __: unknown, ctx) => (await bookFor(ctx)).programs,
    program: async (_: unknown, { code }: { code: string }, ctx) => (await bookFor(ctx)).program(code) ?? null,
    baseLevels: async (_: unknown, { kind }: { kind?: string | null }, ctx) => (await bookFor(ctx)).baseLevels.filter((b) => !kind || b.kind === kind),
    async eligibility(_: unknown, args: { personId: string; asOf?: string | null }, ctx) {
      checkId('personId', args.personId);
      const rows = await ctx.services.rules.eligibility(ctx.principal, args.personId, args.asOf, ctx);
      return rows.map((r: EligibilityRow) => ({
        program: r.program,
        programCode: r.program.code,
        eligible: r.eligible,
        monthlyAmount: r.eligible && r.program.kind === 'MONTHLY' ? r.amount : null,
        amount: r.eligible ? r.amount : null,
        coefficient: r.eligible ? r.coefficient : null,
        baseLevel: r.eligible ? r.baseLevel : null,
        ruleVersion: r.version ?? null,
        legalBasis: r.version?.legalBasis ?? null,
        conditions: r.conditions,
        startsFrom: r.startsFrom?.period ?? null,
        startRuleText: r.startsFrom?.en ?? null,
        startRuleTextVi: r.startsFrom?.vi ?? null,
      }));
    },
  },
  Program: {
    name: (p: ProgramRow) => p.nameVi,
    ruleVersions: async (p: ProgramRow, _: unknown, ctx) => (await bookFor(ctx)).versions(p.code),
    ruleVersion: async (p: ProgramRow, { asOf }: { asOf?: string | null }, ctx) =>
      (await bookFor(ctx)).ruleAt(p.code, ctx.services.rules.asOfOrToday(asOf)) ?? null,
  },
  RuleVersion: {
    summary: (r: { definition: { summaryVi?: string } }) => r.definition.summaryVi ?? '',
    summaryEn: (r: { definition: { summaryEn?: string } }) => r.definition.summaryEn ?? '',
  },
  Mutation: {
    publishRuleVersion: (_: unknown, { input }: { input: PublishRuleVersionInput }, ctx) => ctx.services.rules.publishRuleVersion(actorOf(ctx), input),
    publishBaseLevel: (_: unknown, args: PublishBaseLevelInput, ctx) => ctx.services.rules.publishBaseLevel(actorOf(ctx), args),
    recordCircumstanceFlag: (_: unknown, { input }: { input: CircumstanceFlagInput }, ctx) => {
      checkId('input.personId', input.personId);
      return ctx.services.rules.recordCircumstanceFlag(actorOf(ctx), input);
    },
  },
};

type Q<T> = { obj: T; params: Record<string, never> };

export const rulesLoaders: MercuriusLoaders = {
  Person: {
    async circumstanceFlags(queries: Q<{ id: string }>[], ctx) {
      const rows = await ctx.services.rules.circumstanceFlagsOf(
        ctx.principal,
        queries.map((q) => q.obj.id),
      );
      return queries.map((q) => rows.filter((r) => r.personId === q.obj.id));
    },
  },
};
