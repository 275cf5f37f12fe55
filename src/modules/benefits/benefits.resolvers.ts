/**
 * GraphQL for enrolments, entitlements and coverage gaps: translation only; the benefits service checks
 * access and input, the registry service gives the people (with the access policy applied).
 */
import type { IResolvers, MercuriusContext, MercuriusLoaders } from 'mercurius';
import { periodOf, toDateString } from '../../core/period.js';
import { checkId } from '../../errors.js';
import type { AuditActor } from '../audit/audit.service.js';
import type { ProgramDecision, RuleBook } from '../rules/rules.service.js';
import type { CoverageGapsInput, EnrolInput, EnrolmentRow, EntitlementLine, GapFilter } from './benefits.service.js';

const actorOf = (ctx: MercuriusContext): AuditActor => ({ principal: ctx.principal, requestId: ctx.requestId });
/** The request's context is the rule book's scope: one read per request. */
const bookFor = (ctx: MercuriusContext) => ctx.services.rules.ruleBook(ctx);

type GapConnection = {
  filter: GapFilter;
  book: RuleBook;
  counts?: Promise<{ programCode: string; count: number }[]>;
};
const countsOf = (conn: GapConnection, ctx: MercuriusContext) => (conn.counts ??= ctx.services.benefits.countGaps(conn.book, conn.filter));

type GapNode = { personId: string; programCode: string; decision: ProgramDecision; reasons: unknown[] };

export const benefitsResolvers: IResolvers = {
  Query: {
    async enrolment(_: unknown, { id }: { id: string }, ctx) {
      checkId('id', id);
      return ctx.services.benefits.enrolment(ctx.principal, id);
    },
    async entitlements(_: unknown, args: { personId: string; from: string; to: string }, ctx) {
      checkId('personId', args.personId);
      return ctx.services.benefits.entitlements(ctx.principal, args.personId, args.from, args.to);
    },
    coverageGaps: (_: unknown, args: CoverageGapsInput, ctx) => ctx.services.benefits.coverageGaps(ctx.principal, args, ctx),
  },
  CoverageGapConnection: {
    // Counted only when asked: the count evaluates every gap, a page only `first` of them. One count
    // statement serves both fields.
    totalCount: async (conn: GapConnection, _: unknown, ctx) => (await countsOf(conn, ctx)).reduce((s, c) => s + c.count, 0),
    byProgram: (conn: GapConnection, _: unknown, ctx) => countsOf(conn, ctx),
  },
  CoverageGap: {
    program: async (g: GapNode, _: unknown, ctx) => (await bookFor(ctx)).program(g.programCode),
    ruleVersion: (g: GapNode) => g.decision.version ?? null,
    monthlyAmount: (g: GapNode) => (g.decision.program.kind === 'MONTHLY' ? g.decision.amount : null),
  },
  Enrolment: {
    program: async (e: EnrolmentRow, _: unknown, ctx) => (await bookFor(ctx)).program(e.programCode),
    startPeriod: (e: EnrolmentRow) => periodOf(toDateString(e.startMonth)),
    endPeriod: (e: EnrolmentRow) => (e.endMonth ? periodOf(toDateString(e.endMonth)) : null),
  },
  EntitlementLine: {
    programCode: (l: EntitlementLine) => l.program.code,
  },
  Mutation: {
    enrol: (_: unknown, { input }: { input: EnrolInput }, ctx) => {
      checkId('input.personId', input.personId);
      return ctx.services.benefits.enrol(actorOf(ctx), input);
    },
    approveEnrolment: (_: unknown, { id }: { id: string }, ctx) => {
      checkId('id', id);
      return ctx.services.benefits.approveEnrolment(actorOf(ctx), id);
    },
    endEnrolment: (_: unknown, args: { id: string; endPeriod: string; reason: string }, ctx) => {
      checkId('id', args.id);
      return ctx.services.benefits.endEnrolment(actorOf(ctx), args.id, args.endPeriod, args.reason);
    },
  },
};

type Q<T> = { obj: T; params: Record<string, never> };

/** The people of many rows, those the caller may see (nested objects never leak another commune). */
async function personsById(ctx: MercuriusContext, ids: string[]) {
  const rows = await ctx.services.registry.visiblePersons(ctx.principal, ids);
  return new Map(rows.map((p) => [p.id, p]));
}

export const benefitsLoaders: MercuriusLoaders = {
  Person: {
    async enrolments(queries: Q<{ id: string }>[], ctx) {
      const rows = await ctx.services.benefits.enrolmentsOf(
        ctx.principal,
        queries.map((q) => q.obj.id),
      );
      return queries.map((q) => rows.filter((r) => r.personId === q.obj.id));
    },
  },
  Enrolment: {
    async person(queries: Q<EnrolmentRow>[], ctx) {
      const byId = await personsById(
        ctx,
        queries.map((q) => q.obj.personId),
      );
      return queries.map((q) => byId.get(q.obj.personId) ?? null);
    },
  },
  CoverageGap: {
    async person(queries: Q<GapNode>[], ctx) {
      const byId = await personsById(
        ctx,
        queries.map((q) => q.obj.personId),
      );
      return queries.map((q) => byId.get(q.obj.personId) ?? null);
    },
  },
};
