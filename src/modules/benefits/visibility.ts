import type { MercuriusContext } from 'mercurius';
import { communeFilter } from '../auth/auth.service.js';

/** Filters out people a commune officer may not see (nested objects never leak another commune). */
export function visiblePersons<T extends { communeCode: string }>(ctx: MercuriusContext, rows: T[]): T[] {
  const communes = communeFilter(ctx.principal);
  return communes ? rows.filter((r) => communes.includes(r.communeCode)) : rows;
}
