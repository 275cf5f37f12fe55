import type { IResolvers } from 'mercurius';
import type { AdminUnitRow } from './places.service.js';

export const placesResolvers: IResolvers = {
  Query: {
    adminUnits: (_: unknown, args: { level?: AdminUnitRow['level']; parentCode?: string }, ctx) =>
      ctx.services.places.list({ level: args.level ?? (args.parentCode ? undefined : 'COMMUNE'), parentCode: args.parentCode }),
    adminUnit: (_: unknown, args: { code: string }, ctx) => ctx.services.places.get(args.code) ?? null,
  },
  AdminUnit: {
    parent: (u: AdminUnitRow, _: unknown, ctx) => (u.parentCode ? ctx.services.places.get(u.parentCode) : null),
    successor: (u: AdminUnitRow, _: unknown, ctx) => (u.successorCode ? ctx.services.places.get(u.successorCode) : null),
    predecessors: (u: AdminUnitRow, _: unknown, ctx) => ctx.services.places.predecessors(u.code),
    children: (u: AdminUnitRow, _: unknown, ctx) => ctx.services.places.children(u.code),
    classifications: (u: AdminUnitRow, _: unknown, ctx) => ctx.services.places.classificationsOf(u.code),
  },
};
