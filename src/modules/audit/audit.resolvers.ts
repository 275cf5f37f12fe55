import type { IResolvers } from 'mercurius';

export const auditResolvers: IResolvers = {
  Query: {
    auditTrail: (_: unknown, args: { entityType: string; entityId: string }, ctx) => ctx.services.audit.trail(ctx.principal, args.entityType, args.entityId),
    verifyAuditChain: (_: unknown, __: unknown, ctx) => ctx.services.audit.verifyChain(ctx.principal),
  },
};
