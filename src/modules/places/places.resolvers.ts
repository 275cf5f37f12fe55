import type { IResolvers } from 'mercurius';
import type { AdminUnitRow, AreaClassificationInput } from './places.service.js';

export const placesResolvers: IResolvers = {
  Query: {
    adminUnits: (_: unknown, args: { level?: AdminUnitRow['level']; parentCode?: string }, ctx) =>
      ctx.services.places.list({ level: args.level ?? (args.parentCode ? undefined : 'COMMUNE'), parentCode: args.parentCode }),
    adminUnit: (_: unknown, args: { code: string }, ctx) => ctx.services.places.get(args.code) ?? null,
  },
  Mutation: {
    recordAreaClassification: (_: unknown, { input }: { input: AreaClassificationInput }, ctx) =>
      ctx.services.places.recordAreaClassification({ principal: ctx.principal, requestId: ctx.requestId }, input),
    confirmAreaClassification: (_: unknown, args: { id: string; legalBasis: string; validTo?: string | null }, ctx) =>
      ctx.services.places.confirmAreaClassification({ principal: ctx.principal, requestId: ctx.requestId }, args.id, args.legalBasis, args.validTo),
  },
  AdminUnit: {
    parent: (u: AdminUnitRow, _: unknown, ctx) => (u.parentCode ? ctx.services.places.get(u.parentCode) : null),
    successor: (u: AdminUnitRow, _: unknown, ctx) => (u.successorCode ? ctx.services.places.get(u.successorCode) : null),
    predecessors: (u: AdminUnitRow, _: unknown, ctx) => ctx.services.places.predecessors(u.code),
    children: (u: AdminUnitRow, _: unknown, ctx) => ctx.services.places.children(u.code),
    classifications: (u: AdminUnitRow, _: unknown, ctx) => ctx.services.places.classificationsOf(u.code),
  },
};
