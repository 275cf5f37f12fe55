/**
 * GraphQL for the registry: translates arguments and results, and calls the registry service for
 * everything (reads included, so every read gets the access policy). Nested lists go through Mercurius
 * loaders, which batch every parent of a response level into one service call (one SQL statement): a page
 * of 50 people with household, members and circumstances costs the same number of statements as a page of 1.
 */
import type { IResolvers, MercuriusContext, MercuriusLoaders } from 'mercurius';
import { checkId } from '../../errors.js';
import type { AuditActor } from '../audit/audit.service.js';
import { maskNationalIdFor } from '../auth/access-policy.js';
import { personIncludeOf, type PersonCircumstance } from './registry.prefetch.js';
import type {
  BeneficiariesInput,
  BeneficiaryFilter,
  HouseholdRow,
  PersonRecord,
  DisabilityInput,
  MeritStatusInput,
  PensionStatusInput,
  PovertyAssessmentInput,
  PregnancyInput,
  RegisterHouseholdInput,
  RegisterPersonInput,
  UpdatePersonInput,
} from './registry.service.js';

export { MAX_PAGE_SIZE } from './registry.service.js';

const actorOf = (ctx: MercuriusContext): AuditActor => ({ principal: ctx.principal, requestId: ctx.requestId });

export const registryResolvers: IResolvers = {
  Query: {
    async person(_: unknown, { id }: { id: string }, ctx) {
      checkId('id', id);
      return ctx.services.registry.person(ctx.principal, id);
    },
    personByNationalId: (_: unknown, { nationalId }: { nationalId: string }, ctx, info) =>
      ctx.services.registry.personByNationalId(ctx.principal, nationalId, personIncludeOf(info, [])),
    household: (_: unknown, args: { id?: string; code?: string }, ctx) => ctx.services.registry.household(ctx.principal, args),
    beneficiaries: (_: unknown, args: BeneficiariesInput, ctx, info) =>
      ctx.services.registry.beneficiaries(ctx.principal, args, personIncludeOf(info, ['nodes'], ['edges', 'node'])),
  },
  BeneficiaryConnection: {
    // Counted only when asked for: the count reads every matching row, the page only `first` of them.
    totalCount: (conn: { filter: BeneficiaryFilter }, _: unknown, ctx) => ctx.services.registry.countBeneficiaries(conn.filter),
  },
  Person: {
    nationalId: (p: PersonRecord, _: unknown, ctx) => maskNationalIdFor(ctx.principal, p.nationalId),
    commune: (p: PersonRecord, _: unknown, ctx) => ctx.services.places.get(p.communeCode),
  },
  Household: {
    village: (h: HouseholdRow, _: unknown, ctx) => (h.villageCode ? ctx.services.places.get(h.villageCode) : null),
  },
  Mutation: {
    registerHousehold: (_: unknown, { input }: { input: RegisterHouseholdInput }, ctx) => ctx.services.registry.registerHousehold(actorOf(ctx), input),
    registerPerson: (_: unknown, { input }: { input: RegisterPersonInput }, ctx) => {
      if (input.householdId) checkId('input.householdId', input.householdId);
      return ctx.services.registry.registerPerson(actorOf(ctx), input);
    },
    updatePerson: (_: unknown, { id, input }: { id: string; input: UpdatePersonInput }, ctx) => {
      checkId('id', id);
      if (input.householdId) checkId('input.householdId', input.householdId);
      return ctx.services.registry.updatePerson(actorOf(ctx), id, input);
    },
    recordDeath: (_: unknown, { personId, dateOfDeath }: { personId: string; dateOfDeath: string }, ctx) => {
      checkId('personId', personId);
      return ctx.services.registry.recordDeath(actorOf(ctx), personId, dateOfDeath);
    },
    recordPovertyAssessment: (_: unknown, { input }: { input: PovertyAssessmentInput }, ctx) => {
      checkId('input.householdId', input.householdId);
      return ctx.services.registry.recordPovertyAssessment(actorOf(ctx), input);
    },
    recordDisability: (_: unknown, { input }: { input: DisabilityInput }, ctx) => {
      checkId('input.personId', input.personId);
      return ctx.services.registry.recordDisability(actorOf(ctx), input);
    },
    recordMeritStatus: (_: unknown, { input }: { input: MeritStatusInput }, ctx) => {
      checkId('input.personId', input.personId);
      return ctx.services.registry.recordMeritStatus(actorOf(ctx), input);
    },
    recordPensionStatus: (_: unknown, { input }: { input: PensionStatusInput }, ctx) => {
      checkId('input.personId', input.personId);
      return ctx.services.registry.recordPensionStatus(actorOf(ctx), input);
    },
    recordPregnancy: (_: unknown, { input }: { input: PregnancyInput }, ctx) => {
      checkId('input.personId', input.personId);
      return ctx.services.registry.recordPregnancy(actorOf(ctx), input);
    },
  },
};

type Q<T, P = Record<string, never>> = { obj: T; params: P };

/** Builds a loader for a per-person circumstance list. */
const circumstanceLoader = (kind: PersonCircumstance) => async (queries: Q<PersonRecord>[], ctx: MercuriusContext) => {
  const byPerson = await ctx.services.registry.circumstancesOf(
    kind,
    queries.map((q) => q.obj.id),
  );
  return queries.map((q) => byPerson.get(q.obj.id) ?? []);
};

export const registryLoaders: MercuriusLoaders = {
  Person: {
    async household(queries: Q<PersonRecord>[], ctx) {
      const ids = queries.map((q) => q.obj.householdId).filter((id): id is string => !!id);
      const byId = new Map((await ctx.services.registry.householdsByIds(ids)).map((h) => [h.id, h]));
      return queries.map((q) => (q.obj.householdId ? (byId.get(q.obj.householdId) ?? null) : null));
    },
    disabilityCertificates: circumstanceLoader('disabilityCertificates'),
    meritRecords: circumstanceLoader('meritRecords'),
    pensionStatuses: circumstanceLoader('pensionStatuses'),
    pregnancies: circumstanceLoader('pregnancies'),
    async groups(queries: Q<PersonRecord, { asOf?: string | null }>[], ctx) {
      const today = ctx.services.clock.today();
      // One call per date asked (usually one).
      const dates = [...new Set(queries.map((q) => q.params.asOf ?? today))];
      const byDate = new Map<string, Map<string, unknown[]>>();
      for (const asOf of dates) {
        const ids = queries.filter((q) => (q.params.asOf ?? today) === asOf).map((q) => q.obj.id);
        byDate.set(asOf, await ctx.services.registry.groupsOf(ids, asOf));
      }
      return queries.map((q) => byDate.get(q.params.asOf ?? today)?.get(q.obj.id) ?? []);
    },
  },
  Household: {
    async members(queries: Q<HouseholdRow>[], ctx) {
      const byHousehold = await ctx.services.registry.visibleMembersOf(
        ctx.principal,
        queries.map((q) => q.obj.id),
      );
      return queries.map((q) => byHousehold.get(q.obj.id) ?? []);
    },
    async head(queries: Q<HouseholdRow>[], ctx) {
      const ids = queries.map((q) => q.obj.headPersonId).filter((id): id is string => !!id);
      const byId = new Map((await ctx.services.registry.visiblePersons(ctx.principal, ids)).map((p) => [p.id, p]));
      return queries.map((q) => (q.obj.headPersonId ? (byId.get(q.obj.headPersonId) ?? null) : null));
    },
    async povertyAssessments(queries: Q<HouseholdRow>[], ctx) {
      const byHousehold = await ctx.services.registry.assessmentsOf(queries.map((q) => q.obj.id));
      return queries.map((q) => byHousehold.get(q.obj.id) ?? []);
    },
    povertyAssessment: (queries: Q<HouseholdRow, { asOf?: string | null }>[], ctx) => {
      const today = ctx.services.clock.today();
      return ctx.services.registry.assessmentsInForce(queries.map((q) => ({ householdId: q.obj.id, asOf: q.params.asOf ?? today })));
    },
  },
};
