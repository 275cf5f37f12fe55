import type { MercuriusContext } from 'mercurius';
import type { Resolvers } from '../../graphql/generated.js';
import type { AuditActor } from '../audit/audit.service.js';

const actorOf = (ctx: MercuriusContext): AuditActor => ({ principal: ctx.principal, requestId: ctx.requestId });

export const changesResolvers: Resolvers = {
  Query: {
    changes: (_, args, ctx) => ctx.services.changes.changes(ctx.principal, args),
    changeDeadLetters: async (_, args, ctx) =>
      (await ctx.services.changes.deadLetters(ctx.principal, args)).map((d) => ({
        sink: d.sink,
        eventId: String(d.position),
        type: d.type,
        attempts: d.attempts,
        lastError: d.lastError,
        deadLetteredAt: d.deadLetteredAt ?? new Date(0),
      })),
  },
  Mutation: {
    replayChangeDeadLetters: (_, args, ctx) => ctx.services.changes.replayDeadLetters(actorOf(ctx), args),
  },
};
