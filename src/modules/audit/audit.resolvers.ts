import type { MercuriusContext } from 'mercurius';
import type { GraphQLResolveInfo } from 'graphql';
import { pathOf } from '../../graphql/field-policy.js';
import type { Resolvers } from '../../graphql/generated.js';
import { auditImageFor, auditImageGroups, withheldReason } from '../auth/access-policy.js';
import type { AuditEventRow } from './audit.service.js';

/**
 * An audit event's before or after image as the caller may see it (access-policy.ts auditImageFor): fields of a
 * group withheld from the caller are null and noted in `extensions.withheld`; what is shown of a person's
 * sensitive groups is logged as a read of that person (entity Person) like any other read.
 */
function image(e: AuditEventRow, which: 'before' | 'after', ctx: MercuriusContext, info: GraphQLResolveInfo): unknown {
  const raw = e[which];
  if (raw == null) return null;
  const { image: shown, withheld } = auditImageFor(ctx.principal, e.entityType, raw);
  const path = [...pathOf(info)];
  for (const w of withheld) ctx.reads.withhold({ path: w.key ? [...path, w.key] : path, fieldGroup: w.group, reason: withheldReason(ctx.principal, w.group) });
  if (e.entityType === 'Person') {
    ctx.reads.operation ||= 'auditTrail';
    ctx.reads.note('person', e.entityId, auditImageGroups(shown));
  }
  return shown;
}

export const auditResolvers: Resolvers = {
  Query: {
    auditTrail: (_, args, ctx) => ctx.services.audit.trail(ctx.principal, args.entityType, args.entityId),
    verifyAuditChain: (_, __, ctx) => ctx.services.audit.verifyChain(ctx.principal),
    accessLog: (_, args, ctx) => ctx.services.accessLog.eventsOf(ctx.principal, args.personId, args.first),
  },
  AuditEvent: {
    before: (e, _, ctx, info) => image(e, 'before', ctx, info),
    after: (e, _, ctx, info) => image(e, 'after', ctx, info),
  },
  AccessEvent: {
    fieldGroups: (e) => e.fieldGroups.map((g) => g.toUpperCase() as 'HEALTH'),
    peopleRead: (e) => e.personIds.length,
  },
};
