import type { Resolvers } from '../../graphql/generated.js';

export const dciResolvers: Resolvers = {
  Query: {
    dciPartners: (_, _args, ctx) => ctx.services.dci.partners(ctx.principal),
  },
  Mutation: {
    saveDciPartner: (_, { input }, ctx) => ctx.services.dci.savePartner({ principal: ctx.principal, requestId: ctx.requestId }, input),
  },
  DciPartner: {
    keyIds: (p, _, ctx) => ctx.services.dci.keyIdsOf(p),
    active: (p) => p.active === 'ACTIVE',
  },
};
