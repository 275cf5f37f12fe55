/**
 * GraphQL for residence over time: a person's periods, the period in force on a date, and the moves and
 * household changes (schema/residence.graphql). Translates arguments and results; the residence service does
 * every read and write with its access check.
 */
import type { MercuriusContext } from 'mercurius';
import { checkId } from '../../errors.js';
import type { Loaders, Resolvers } from '../../graphql/generated.js';
import type { AuditActor } from '../audit/audit.service.js';

const actorOf = (ctx: MercuriusContext): AuditActor => ({ principal: ctx.principal, requestId: ctx.requestId });

/** Ids are checked before they reach the service (an id that is not a UUID is the caller's mistake). */
const checkIds = (entries: [field: string, id: string | null | undefined][]) => {
  for (const [field, id] of entries) if (id != null) checkId(field, id);
};
const relationIds = (relations: readonly { personId: string }[] | null | undefined): [string, string][] =>
  (relations ?? []).map((r, i) => [`input.relations[${i}].personId`, r.personId]);

export const residenceResolvers: Resolvers = {
  ResidencePeriod: {
    from: (r) => r.validFrom,
    to: (r) => r.validTo,
    commune: (r, _, ctx) => (r.communeCode ? (ctx.services.places.get(r.communeCode) ?? null) : null),
  },
  Mutation: {
    movePerson: (_, { input }, ctx) => {
      checkIds([
        ['input.personId', input.personId],
        ['input.householdId', input.householdId],
      ]);
      return ctx.services.residence.movePerson(actorOf(ctx), input);
    },
    splitHousehold: (_, { input }, ctx) => {
      checkIds([
        ['input.householdId', input.householdId],
        ['input.headId', input.headId],
        ...input.memberIds.map((id, i): [string, string] => [`input.memberIds[${i}]`, id]),
        ...relationIds(input.relations),
      ]);
      return ctx.services.residence.splitHousehold(actorOf(ctx), input);
    },
    mergeHouseholds: (_, { input }, ctx) => {
      checkIds([['input.householdId', input.householdId], ['input.intoHouseholdId', input.intoHouseholdId], ...relationIds(input.relations)]);
      return ctx.services.residence.mergeHouseholds(actorOf(ctx), input);
    },
    changeHouseholdHead: (_, { input }, ctx) => {
      checkIds([['input.householdId', input.householdId], ['input.newHeadId', input.newHeadId], ...relationIds(input.relations)]);
      return ctx.services.residence.changeHouseholdHead(actorOf(ctx), input);
    },
    correctResidence: (_, { input }, ctx) => {
      checkIds([
        ['input.personId', input.personId],
        ...input.periods.map((r, i): [string, string | null | undefined] => [`input.periods[${i}].householdId`, r.householdId]),
      ]);
      return ctx.services.residence.correctResidence(actorOf(ctx), input);
    },
  },
};

export const residenceLoaders: Loaders = {
  Person: {
    async residenceHistory(queries, ctx) {
      const byPerson = await ctx.services.residence.historyOf(queries.map((q) => q.obj.id));
      return queries.map((q) => byPerson.get(q.obj.id) ?? []);
    },
    residence(queries, ctx) {
      const today = ctx.services.clock.today();
      return ctx.services.residence.residenceOn(queries.map((q) => ({ personId: q.obj.id, asOf: q.params.asOf ?? today })));
    },
  },
  ResidencePeriod: {
    household: (queries, ctx) =>
      ctx.services.residence.householdsOfPeriods(
        ctx.principal,
        queries.map((q) => q.obj),
      ),
  },
};
