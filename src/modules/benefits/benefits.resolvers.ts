/**
 * GraphQL for enrolments, entitlements and coverage gaps.
 */
import type { IResolvers, MercuriusContext, MercuriusLoaders } from 'mercurius';
import { Problems } from '../../errors.js';
import type { AuditActor } from '../audit/audit.service.js';
import { visiblePersons } from './visibility.js';
import * as registryRepo from '../registry/registry.repository.js';
import { periodOf, toDateString } from '../rules/period.js';
import { assertMayReadBenefits, bookFor, checkAsOf, checkId } from '../rules/rules.resolvers.js';
import type { EnrolmentRow } from './benefits.repository.js';
import type { EntitlementLine } from './benefits.service.js';

const actorOf = (ctx: MercuriusContext): AuditActor => ({ principal: ctx.principal, requestId: ctx.requestId });

const encodeCursor = (personId: string, programCode: string) => Buffer.from(`g:${personId}:${programCode}`).toString('base64url');
function decodeCursor(cursor: string): { personId: string; programCode: string } {
  const m = Buffer.from(cursor, 'base64url').toString('utf8').match(/^g:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):([A-Z0-9_]{1,40})$/i);
  if (!m) new Problems().add('after', 'is not a cursor this API returned', 'không phải con trỏ trang do API trả về').throwIfAny();
  return { personId: m![1], programCode: m![2] };
}

type GapConnection = {
  filter: import('./benefits.repository.js').GapFilter;
  book: import('../rules/rule-book.js').RuleBook;
  counts?: Promise<{ programCode: string; count: number }[]>;
};
const countsOf = (conn: GapConnection, ctx: MercuriusContext) =>
  (conn.counts ??= ctx.services.benefits.countGaps(ctx.services.database.db, conn.book, conn.filter));

type GapNode = { personId: string; programCode: string; decision: import('../rules/rule-book.js').ProgramDecision; reasons: unknown[] };

export const benefitsResolvers: IResolvers = {
  Query: {
    async enrolment(_: unknown, { id }: { id: string }, ctx) {
      checkId('id', id);
      assertMayReadBenefits(ctx);
      return ctx.services.benefits.enrolment(ctx.principal, id);
    },
    async entitlements(_: unknown, args: { personId: string; from: string; to: string }, ctx) {
      checkId('personId', args.personId);
      assertMayReadBenefits(ctx);
      return ctx.services.benefits.entitlements(ctx.principal, args.personId, args.from, args.to);
    },
    async coverageGaps(
      _: unknown,
      args: { communeCode?: string | null; programCode?: string | null; asOf?: string | null; first?: number | null; after?: string | null },
      ctx,
    ) {
      assertMayReadBenefits(ctx);
      const p = new Problems();
      if (args.communeCode) ctx.services.places.checkCommune(p, 'communeCode', args.communeCode);
      p.throwIfAny();
      const asOf = checkAsOf(args.asOf, ctx);
      const result = await ctx.services.benefits.coverageGaps(ctx.principal, {
        communeCode: args.communeCode,
        programCode: args.programCode,
        asOf,
        first: args.first ?? 100,
        after: args.after ? decodeCursor(args.after) : undefined,
      });
      const last = result.nodes[result.nodes.length - 1];
      return {
        ...result,
        pageInfo: { hasNextPage: result.hasNextPage, endCursor: last ? encodeCursor(last.personId, last.programCode) : null },
      };
    },
  },
  CoverageGapConnection: {
    // The service counts with the page (finding a page evaluates every gap anyway); a connection without
    // counts would run one count statement for both fields.
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
    enrol: (_: unknown, { input }: { input: { personId: string; programCode: string; decisionNo: string; decisionDate: string; startPeriod: string } }, ctx) => {
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

async function personsById(ctx: MercuriusContext, ids: string[]) {
  const rows = visiblePersons(ctx, await registryRepo.findPersonsByIds(ctx.services.database.db, [...new Set(ids)]));
  return new Map(rows.map((p) => [p.id, p]));
}

export const benefitsLoaders: MercuriusLoaders = {
  Person: {
    async enrolments(queries: Q<{ id: string }>[], ctx) {
      assertMayReadBenefits(ctx);
      const rows = await ctx.services.benefits.enrolmentsOf(queries.map((q) => q.obj.id));
      return queries.map((q) => rows.filter((r) => r.personId === q.obj.id));
    },
  },
  Enrolment: {
    async person(queries: Q<EnrolmentRow>[], ctx) {
      const byId = await personsById(ctx, queries.map((q) => q.obj.personId));
      return queries.map((q) => byId.get(q.obj.personId) ?? null);
    },
  },
  CoverageGap: {
    async person(queries: Q<GapNode>[], ctx) {
      const byId = await personsById(ctx, queries.map((q) => q.obj.personId));
      return queries.map((q) => byId.get(q.obj.personId) ?? null);
    },
  },
};
