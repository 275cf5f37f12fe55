import type { Resolvers } from '../../graphql/generated.js';

export const auditResolvers: Resolvers = {
  Query: {
    auditTrail: (_, args, ctx) => ctx.services.audit.trail(ctx.principal, args.entityType, args.entityId),
    verifyAuditChain: (_, __, ctx) => ctx.services.audit.verifyChain(ctx.principal),
  },
};
