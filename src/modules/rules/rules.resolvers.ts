/**
 * GraphQL for programs, rule versions, base levels, circumstance flags and eligibility.
 */
import { and, asc, inArray, isNull } from 'drizzle-orm';
import type { IResolvers, MercuriusContext, MercuriusLoaders } from 'mercurius';
import { personCircumstanceFlags } from '../../db/schema/index.js';
import { forbidden, Problems } from '../../errors.js';
import { isValidDate } from '../../graphql/scalars.js';
import type { AuditActor } from '../audit/audit.service.js';
import type { ProgramDecision, ProgramRow, RuleBook } from './rule-book.js';
import type { PublishRuleVersionInput } from './rules.service.js';

const actorOf = (ctx: MercuriusContext): AuditActor => ({ principal: ctx.principal, requestId: ctx.requestId });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function checkId(field: string, id: string): void {
  if (!UUID.test(id)) new Problems().add(field, 'is not a valid id', 'không phải mã hợp lệ').throwIfAny();
}
export function checkAsOf(asOf: string | null | undefined, ctx: MercuriusContext): string {
  const d = asOf ?? ctx.services.clock.today();
  if (!isValidDate(d)) new Problems().add('asOf', 'is not a valid date', 'không phải ngày hợp lệ').throwIfAny();
  return d;
}

/**
 * Eligibility, entitlements and coverage gaps reveal health, disability and HIV circumstances (sensitive
 * personal data, Decree 13/2023): integration clients need the explicit `benefits:read` scope.
 */
export function assertMayReadBenefits(ctx: MercuriusContext): void {
  if (ctx.principal.role === 'integration' && !ctx.principal.scopes.has('benefits:read')) {
    throw forbidden('This needs the benefits:read scope', 'Chức năng này cần quyền benefits:read');
  }
}

/** The rule book, read once per request (three small statements) and shared by every resolver of it. */
const books = new WeakMap<object, Promise<RuleBook>>();
export function bookFor(ctx: MercuriusContext): Promise<RuleBook> {
  let b = books.get(ctx);
  if (!b) {
    b = ctx.services.rules.loadRuleBook();
    books.set(ctx, b);
  }
  return b;
}

type EligibilityRow = ProgramDecision & { startsFrom: { period: string; en: string; vi: string } | null };

export const rulesResolvers: IResolvers = {
  Query: {
    programs: async (_: unknown, __: unknown, ctx) => (await bookFor(ctx)).programs,
    program: async (_: unknown, { code }: { code: string }, ctx) => (await bookFor(ctx)).program(code) ?? null,
    baseLevels: async (_: unknown, { kind }: { kind?: string | null }, ctx) =>
      (await bookFor(ctx)).baseLevels.filter((b) => !kind || b.kind === kind),
    async eligibility(_: unknown, args: { personId: string; asOf?: string | null }, ctx) {
      checkId('personId', args.personId);
      assertMayReadBenefits(ctx);
      const asOf = checkAsOf(args.asOf, ctx);
      const rows = await ctx.services.rules.eligibility(ctx.principal, args.personId, asOf);
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
    ruleVersion: async (p: ProgramRow, { asOf }: { asOf?: string | null }, ctx) => (await bookFor(ctx)).ruleAt(p.code, checkAsOf(asOf, ctx)) ?? null,
  },
  RuleVersion: {
    summary: (r: { definition: { summaryVi?: string } }) => r.definition.summaryVi ?? '',
    summaryEn: (r: { definition: { summaryEn?: string } }) => r.definition.summaryEn ?? '',
  },
  Mutation: {
    publishRuleVersion: (_: unknown, { input }: { input: PublishRuleVersionInput }, ctx) => ctx.services.rules.publishRuleVersion(actorOf(ctx), input),
    withdrawRuleVersion: (
      _: unknown,
      args: { programCode: string; version: number; effectiveTo?: string | null; reason: string },
      ctx,
    ) => ctx.services.rules.withdrawRuleVersion(actorOf(ctx), args),
    publishBaseLevel: (
      _: unknown,
      args: { kind: string; amount: number; effectiveFrom: string; legalBasis: string; confirmed?: boolean | null },
      ctx,
    ) => ctx.services.rules.publishBaseLevel(actorOf(ctx), args),
    recordCircumstanceFlag: (
      _: unknown,
      { input }: { input: { personId: string; flag: string; validFrom: string; validTo?: string | null; evidence: string } },
      ctx,
    ) => {
      checkId('input.personId', input.personId);
      return ctx.services.rules.recordCircumstanceFlag(actorOf(ctx), input);
    },
  },
};

type Q<T> = { obj: T; params: Record<string, never> };

export const rulesLoaders: MercuriusLoaders = {
  Person: {
    async circumstanceFlags(queries: Q<{ id: string }>[], ctx) {
      // HIV and other circumstances are sensitive personal data, like eligibility itself.
      assertMayReadBenefits(ctx);
      const ids = [...new Set(queries.map((q) => q.obj.id))];
      const rows = await ctx.services.database.db
        .select()
        .from(personCircumstanceFlags)
        .where(and(inArray(personCircumstanceFlags.personId, ids), isNull(personCircumstanceFlags.withdrawnAt)))
        .orderBy(asc(personCircumstanceFlags.validFrom));
      return queries.map((q) => rows.filter((r) => r.personId === q.obj.id));
    },
  },
};
