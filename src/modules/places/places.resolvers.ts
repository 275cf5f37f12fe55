import type { Resolvers } from '../../graphql/generated.js';

export const placesResolvers: Resolvers = {
  Query: {
    adminUnits: (_, args, ctx) =>
      ctx.services.places.list({ level: args.level ?? (args.parentCode ? undefined : 'COMMUNE'), parentCode: args.parentCode ?? undefined }),
    adminUnit: (_, args, ctx) => ctx.services.places.get(args.code) ?? null,
  },
  Mutation: {
    recordAreaClassification: (_, { input }, ctx) =>
      ctx.services.places.recordAreaClassification({ principal: ctx.principal, requestId: ctx.requestId }, input),
    confirmAreaClassification: (_, args, ctx) =>
      ctx.services.places.confirmAreaClassification({ principal: ctx.principal, requestId: ctx.requestId }, args.id, args.legalBasis, args.validTo),
  },
  AdminUnit: {
    parent: (u, _, ctx) => (u.parentCode ? (ctx.services.places.get(u.parentCode) ?? null) : null),
    successor: (u, _, ctx) => (u.successorCode ? (ctx.services.places.get(u.successorCode) ?? null) : null),
    predecessors: (u, _, ctx) => ctx.services.places.predecessors(u.code),
    children: (u, _, ctx) => ctx.services.places.children(u.code),
    classifications: (u, _, ctx) => ctx.services.places.classificationsOf(u.code),
  },
};
