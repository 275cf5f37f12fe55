/**
 * GraphQL for audit findings and payment reports: translation only; the findings service checks access and input.
 */
import type { MercuriusContext } from 'mercurius';
import type { Resolvers } from '../../graphql/generated.js';
import type { AuditActor } from '../audit/audit.service.js';

const actorOf = (ctx: MercuriusContext): AuditActor => ({ principal: ctx.principal, requestId: ctx.requestId });

export const findingsResolvers: Resolvers = {
  Query: {
    auditFindings: (_, args, ctx) => ctx.services.findings.auditFindings(ctx.principal, args),
    paymentReport: (_, args, ctx) => ctx.services.findings.paymentReport(ctx.principal, args),
  },
  Mutation: {
    reviewAuditFinding: (_, args, ctx) => ctx.services.findings.reviewAuditFinding(actorOf(ctx), args),
  },
};
