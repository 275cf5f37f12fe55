/**
 * GraphQL for the registry: translates arguments and results, and calls the registry service for
 * everything (reads included, so every read gets the access policy). Nested lists go through Mercurius
 * loaders, which batch every parent of a response level into one service call (one SQL statement): a page
 * of 50 people with household, members and circumstances costs the same number of statements as a page of 1.
 */
import type { MercuriusContext } from 'mercurius';
import type { BeneficiaryGroup } from '../../core/code-lists.js';
import { checkId, DomainError } from '../../errors.js';
import type { LoaderQuery, Loaders, Resolvers } from '../../graphql/generated.js';
import type { AuditActor } from '../audit/audit.service.js';
import { maskNationalIdFor } from '../auth/access-policy.js';
import { personIncludeOf, type PersonCircumstance } from './registry.prefetch.js';
import type { PersonRecord } from './registry.service.js';

export { MAX_PAGE_SIZE } from './registry.service.js';

const actorOf = (ctx: MercuriusContext): AuditActor => ({ principal: ctx.principal, requestId: ctx.requestId });

export const registryResolvers: Resolvers = {
  Query: {
    async person(_, { id }, ctx) {
      checkId('id', id);
      return ctx.services.registry.person(ctx.principal, id);
    },
    personByNationalId: (_, { nationalId }, ctx, info) => ctx.services.registry.personByNationalId(ctx.principal, nationalId, personIncludeOf(info, [])),
    household: (_, args, ctx) => ctx.services.registry.household(ctx.principal, args),
    birthYearConventions: (_, __, ctx) => ctx.services.registry.birthYearConventions(),
    beneficiaries: (_, args, ctx, info) => ctx.services.registry.beneficiaries(ctx.principal, args, personIncludeOf(info, ['nodes'], ['edges', 'node'])),
  },
  BeneficiaryConnection: {
    // Counted only when asked for: the count reads every matching row, the page only `first` of them.
    totalCount: (conn, _, ctx) => ctx.services.registry.countBeneficiaries(conn.filter),
  },
  Person: {
    nationalId: (p, _, ctx) => maskNationalIdFor(ctx.principal, p.nationalId),
    commune: (p, _, ctx) => {
      // persons.commune_code references admin_units and places keeps every unit: a miss is a broken invariant.
      const commune = ctx.services.places.get(p.communeCode);
      if (!commune) throw new DomainError('INTERNAL', { en: "the person's commune is unknown", vi: 'không tìm thấy xã của người này' });
      return commune;
    },
  },
  Household: {
    village: (h, _, ctx) => (h.villageCode ? (ctx.services.places.get(h.villageCode) ?? null) : null),
  },
  Mutation: {
    setBirthYearConvention: (_, args, ctx) => ctx.services.registry.setBirthYearConvention(actorOf(ctx), args),
    registerHousehold: (_, { input }, ctx) => ctx.services.registry.registerHousehold(actorOf(ctx), input),
    registerPerson: (_, { input }, ctx) => {
      if (input.householdId) checkId('input.householdId', input.householdId);
      return ctx.services.registry.registerPerson(actorOf(ctx), input);
    },
    updatePerson: (_, { id, input }, ctx) => {
      checkId('id', id);
      if (input.householdId) checkId('input.householdId', input.householdId);
      return ctx.services.registry.updatePerson(actorOf(ctx), id, input);
    },
    recordDeath: (_, { personId, dateOfDeath }, ctx) => {
      checkId('personId', personId);
      return ctx.services.registry.recordDeath(actorOf(ctx), personId, dateOfDeath);
    },
    recordPovertyAssessment: (_, { input }, ctx) => {
      checkId('input.householdId', input.householdId);
      return ctx.services.registry.recordPovertyAssessment(actorOf(ctx), input);
    },
    recordDisability: (_, { input }, ctx) => {
      checkId('input.personId', input.personId);
      return ctx.services.registry.recordDisability(actorOf(ctx), input);
    },
    recordMeritStatus: (_, { input }, ctx) => {
      checkId('input.personId', input.personId);
      return ctx.services.registry.recordMeritStatus(actorOf(ctx), input);
    },
    recordPensionStatus: (_, { input }, ctx) => {
      checkId('input.personId', input.personId);
      return ctx.services.registry.recordPensionStatus(actorOf(ctx), input);
    },
    recordPregnancy: (_, { input }, ctx) => {
      checkId('input.personId', input.personId);
      return ctx.services.registry.recordPregnancy(actorOf(ctx), input);
    },
    correctDeath: (_, { personId, dateOfDeath, reason }, ctx) => {
      checkId('personId', personId);
      return ctx.services.registry.correctDeath(actorOf(ctx), personId, dateOfDeath ?? null, reason);
    },
    withdrawCircumstance: (_, { kind, id, reason }, ctx) => ctx.services.registry.withdrawCircumstance(actorOf(ctx), kind, id, reason),
  },
};

/** Builds a loader for a per-person circumstance list. */
const circumstanceLoader =
  <K extends PersonCircumstance>(kind: K) =>
  async (queries: LoaderQuery<PersonRecord, Record<string, never>>[], ctx: MercuriusContext) => {
    const byPerson = await ctx.services.registry.circumstancesOf(
      kind,
      queries.map((q) => q.obj.id),
    );
    return queries.map((q) => byPerson.get(q.obj.id) ?? []);
  };

export const registryLoaders: Loaders = {
  Person: {
    async birthDatePrecision(queries, ctx) {
      const rows = new Map((await ctx.services.registry.birthDatePrecisionsOf(queries.map((q) => q.obj.id))).map((r) => [r.id, r]));
      return queries.map((q) => rows.get(q.obj.id)?.birthDatePrecision ?? 'DAY');
    },
    async birthYearConvention(queries, ctx) {
      const rows = new Map((await ctx.services.registry.birthDatePrecisionsOf(queries.map((q) => q.obj.id))).map((r) => [r.id, r]));
      return queries.map((q) => rows.get(q.obj.id)?.convention ?? null);
    },
    async household(queries, ctx) {
      const ids = queries.map((q) => q.obj.householdId).filter((id): id is string => !!id);
      const byId = new Map((await ctx.services.registry.householdsByIds(ids)).map((h) => [h.id, h]));
      return queries.map((q) => (q.obj.householdId ? (byId.get(q.obj.householdId) ?? null) : null));
    },
    disabilityCertificates: circumstanceLoader('disabilityCertificates'),
    meritRecords: circumstanceLoader('meritRecords'),
    pensionStatuses: circumstanceLoader('pensionStatuses'),
    pregnancies: circumstanceLoader('pregnancies'),
    async groups(queries, ctx) {
      const today = ctx.services.clock.today();
      // One call per date asked (usually one).
      const dates = [...new Set(queries.map((q) => q.params.asOf ?? today))];
      const byDate = new Map<string, Map<string, BeneficiaryGroup[]>>();
      for (const asOf of dates) {
        const ids = queries.filter((q) => (q.params.asOf ?? today) === asOf).map((q) => q.obj.id);
        byDate.set(asOf, await ctx.services.registry.groupsOf(ids, asOf));
      }
      return queries.map((q) => byDate.get(q.params.asOf ?? today)?.get(q.obj.id) ?? []);
    },
  },
  Household: {
    async members(queries, ctx) {
      const today = ctx.services.clock.today();
      // One call per date asked (usually one).
      const byDate = new Map<string, Map<string, PersonRecord[]>>();
      for (const asOf of new Set(queries.map((q) => q.params.asOf ?? today))) {
        const ids = queries.filter((q) => (q.params.asOf ?? today) === asOf).map((q) => q.obj.id);
        byDate.set(asOf, await ctx.services.registry.visibleMembersOf(ctx.principal, ids, asOf));
      }
      return queries.map((q) => byDate.get(q.params.asOf ?? today)?.get(q.obj.id) ?? []);
    },
    async head(queries, ctx) {
      const ids = queries.map((q) => q.obj.headPersonId).filter((id): id is string => !!id);
      const byId = new Map((await ctx.services.registry.visiblePersons(ctx.principal, ids)).map((p) => [p.id, p]));
      return queries.map((q) => (q.obj.headPersonId ? (byId.get(q.obj.headPersonId) ?? null) : null));
    },
    async povertyAssessments(queries, ctx) {
      const byHousehold = await ctx.services.registry.assessmentsOf(queries.map((q) => q.obj.id));
      return queries.map((q) => byHousehold.get(q.obj.id) ?? []);
    },
    povertyAssessment: (queries, ctx) => {
      const today = ctx.services.clock.today();
      return ctx.services.registry.assessmentsInForce(queries.map((q) => ({ householdId: q.obj.id, asOf: q.params.asOf ?? today })));
    },
  },
};
