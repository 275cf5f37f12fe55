import type { IResolvers } from 'mercurius';
import { assertRole } from '../auth/auth.service.js';
import { auditTrail, verifyChain } from './audit.service.js';

export const auditResolvers: IResolvers = {
  Query: {
    auditTrail: (_: unknown, args: { entityType: string; entityId: string }, ctx) => {
      assertRole(ctx.principal, 'auditor', 'district_officer', 'admin');
      return auditTrail(ctx.services.database.db, args.entityType, args.entityId);
    },
    verifyAuditChain: (_: unknown, __: unknown, ctx) => {
      assertRole(ctx.principal, 'auditor', 'admin');
      return verifyChain(ctx.services.database.db);
    },
  },
};
