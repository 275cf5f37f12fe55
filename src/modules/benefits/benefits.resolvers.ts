/**
 * GraphQL for enrolments, entitlements and coverage gaps: translation only; the benefits service checks
 * access and input, the registry service gives the people (with the access policy applied).
 */
import type { MercuriusContext } from 'mercurius';
import { periodOf, toDateString } from '../../core/period.js';
import { checkId, DomainError } from '../../errors.js';
import type { Loaders, Resolvers } from '../../graphql/generated.js';
import type { GapConnection } from '../../graphql/parents.js';
import type { AuditActor } from '../audit/audit.service.js';
import type { PersonRecord } from '../registry/registry.service.js';
import type { ProgramRow } from '../rules/rules.service.js';

const actorOf = (ctx: MercuriusContext): AuditActor => ({ principal: ctx.principal, requestId: ctx.requestId });
/** The request's context is the rule book's scope: one read per request. */
const bookFor = (ctx: MercuriusContext) => ctx.services.rules.ruleBook(ctx);

const countsOf = (conn: GapConnection, ctx: MercuriusContext) => (conn.counts ??= ctx.services.benefits.countGaps(conn.book, conn.filter));

/** A program that a row names by code: the code references programs, so a miss is a broken invariant. */
async function programOf(ctx: MercuriusContext, code: string): Promise<ProgramRow> {
  const program = (await bookFor(ctx)).program(code);
  if (!program) throw new DomainError('INTERNAL', { en: `program ${code} is not in the rule book`, vi: 'không tìm thấy chương trình trong bộ quy tắc' });
  return program;
}

export const benefitsResolvers: Resolvers = {
  Query: {
    async enrolment(_, { id }, ctx) {
      checkId('id', id);
      return ctx.services.benefits.enrolment(ctx.principal, id);
    },
    async entitlements(_, args, ctx) {
      checkId('personId', args.personId);
      return ctx.services.benefits.entitlements(ctx.principal, args.personId, args.from, args.to);
    },
    coverageGaps: (_, args, ctx) => ctx.services.benefits.coverageGaps(ctx.principal, args, ctx),
    pensionConversions: (_, { communeCode }, ctx) => ctx.services.benefits.pensionConversions(ctx.principal, communeCode),
  },
  CoverageGapConnection: {
    // The service counts with the page (finding a page evaluates every gap anyway); a connection without
    // counts would run one count statement for both fields.
    totalCount: async (conn, _, ctx) => (await countsOf(conn, ctx)).reduce((s, c) => s + c.count, 0),
    byProgram: (conn, _, ctx) => countsOf(conn, ctx),
  },
  CoverageGap: {
    program: (g, _, ctx) => programOf(ctx, g.programCode),
    ruleVersion: (g) => g.decision.version ?? null,
    monthlyAmount: (g) => (g.decision.program.kind === 'MONTHLY' ? g.decision.amount : null),
    unconfirmed: (g) => g.unconfirmedReasons.length > 0,
  },
  PensionConversion: {
    effectivePeriod: (c) => periodOf(toDateString(c.effectiveMonth)),
  },
  Enrolment: {
    program: (e, _, ctx) => programOf(ctx, e.programCode),
    startPeriod: (e) => periodOf(toDateString(e.startMonth)),
    endPeriod: (e) => (e.endMonth ? periodOf(toDateString(e.endMonth)) : null),
  },
  EnrolmentSuspension: {
    fromPeriod: (x) => periodOf(toDateString(x.fromMonth)),
    toPeriod: (x) => (x.toMonth ? periodOf(toDateString(x.toMonth)) : null),
  },
  EntitlementLine: {
    programCode: (l) => l.program.code,
    unconfirmed: (l) => l.unconfirmedReasons.length > 0,
    payingCommune: (l, _, ctx) => (l.payingCommuneCode ? (ctx.services.places.get(l.payingCommuneCode) ?? null) : null),
  },
  Mutation: {
    enrol: (_, { input }, ctx) => {
      checkId('input.personId', input.personId);
      return ctx.services.benefits.enrol(actorOf(ctx), input);
    },
    approveEnrolment: (_, { id }, ctx) => {
      checkId('id', id);
      return ctx.services.benefits.approveEnrolment(actorOf(ctx), id);
    },
    recordPensionConversion: (_, { input }, ctx) => ctx.services.benefits.recordPensionConversion(actorOf(ctx), input),
    withdrawPensionConversion: (_, { id, reason }, ctx) => ctx.services.benefits.withdrawPensionConversion(actorOf(ctx), id, reason),
    endEnrolment: (_, args, ctx) => {
      checkId('id', args.id);
      return ctx.services.benefits.endEnrolment(actorOf(ctx), args.id, args.endPeriod, args.reason);
    },
    stopEnrolment: (_, args, ctx) => {
      checkId('id', args.id);
      return ctx.services.benefits.stopEnrolment(actorOf(ctx), args.id, args.endPeriod, args.stopCase, args.reason);
    },
    suspendEnrolment: (_, args, ctx) => {
      checkId('id', args.id);
      return ctx.services.benefits.suspendEnrolment(actorOf(ctx), args.id, args.fromPeriod, args.reason);
    },
    resumeEnrolment: (_, args, ctx) => {
      checkId('id', args.id);
      return ctx.services.benefits.resumeEnrolment(actorOf(ctx), args.id, args.fromPeriod, args.payBack);
    },
  },
};

/**
 * The people of many rows, in order, read with the caller's access policy (nested objects never leak another
 * commune). A row with a date (`on`: a coverage gap's asOf, an entitlement month's paying day) reads the person as
 * they lived that day, with visibility on that day; one without, as they live today. Every row reached here is one
 * the caller was allowed to read for its person on that date (an enrolment by id checks the person; a person's
 * enrolments, a commune's gaps and an entitlement month are of people the caller sees then), so a person missing
 * is a broken invariant, not a null to hand out for a non-null field.
 */
async function personsOf(ctx: MercuriusContext, rows: { personId: string; on?: string | undefined }[]): Promise<PersonRecord[]> {
  const byDate = new Map<string | undefined, string[]>();
  for (const r of rows) byDate.set(r.on, [...(byDate.get(r.on) ?? []), r.personId]);
  const found = new Map<string, PersonRecord>();
  const key = (id: string, on: string | undefined) => `${on ?? ''}|${id}`;
  await Promise.all(
    [...byDate].map(async ([on, ids]) => {
      const people = on ? await ctx.services.registry.visiblePersonsOn(ctx.principal, ids, on) : await ctx.services.registry.visiblePersons(ctx.principal, ids);
      for (const p of people) found.set(key(p.id, on), p);
    }),
  );
  return rows.map((r) => {
    const person = found.get(key(r.personId, r.on));
    if (!person) throw new DomainError('INTERNAL', { en: 'a person of a benefit record cannot be read', vi: 'không đọc được người hưởng của hồ sơ trợ giúp' });
    return person;
  });
}

export const benefitsLoaders: Loaders = {
  Person: {
    async enrolments(queries, ctx) {
      const rows = await ctx.services.benefits.enrolmentsOf(
        ctx.principal,
        queries.map((q) => q.obj.id),
      );
      return queries.map((q) => rows.filter((r) => r.personId === q.obj.id));
    },
  },
  Enrolment: {
    async suspensions(queries, ctx) {
      const rows = await ctx.services.benefits.suspensionsOf(
        ctx.principal,
        queries.map((q) => q.obj.id),
      );
      return queries.map((q) => rows.filter((r) => r.enrolmentId === q.obj.id));
    },
    person(queries, ctx) {
      return personsOf(
        ctx,
        queries.map((q) => ({ personId: q.obj.personId, on: q.obj.seenOn })),
      );
    },
  },
  CoverageGap: {
    person(queries, ctx) {
      return personsOf(
        ctx,
        queries.map((q) => ({ personId: q.obj.personId, on: q.obj.asOf })),
      );
    },
  },
};
