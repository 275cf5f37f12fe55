/**
 * Which commune pays a month, from a person's dated residence (LAW.md "Moving house", Decree 20/2021 art.
 * 8.3–8.4; docs/law.md#paying-commune). The old commune pays through the month of a move, the new one from the
 * month after: a month is paid by the commune the person lived in on the last day of the month before. When the
 * person did not live in the district on that day (born, or first resident in the district, during the month),
 * the month is paid by the commune of their first period in the district that month. A month in which the
 * person never lived in the district, and which does not follow a day they did, has no paying commune.
 *
 * This makes "no month paid twice or lost" hold by construction: each month has at most one paying commune, and
 * every month in which the person lived in the district on any day has one (test/paying-commune.test.ts).
 */
import { addMonths, firstDay, lastDay } from './period.js';

/** A period of residence in the district (residence_periods with a commune), as facts.ts ResidenceFact has it. */
export interface CommunePeriod {
  validFrom: string;
  /** Last day of the period; null while it lasts. */
  validTo: string | null;
  communeCode: string;
}

const covers = (r: CommunePeriod, d: string) => r.validFrom <= d && (r.validTo === null || r.validTo >= d);

/**
 * The commune that pays `period` (yyyy-mm) and the day the person lived there that decides it (the eve, or the
 * first day of their first period that month), or null when the person did not live in the district on the last
 * day of the month before nor on any day of the month. `residences` are the person's periods in the district;
 * they never overlap, in any order.
 */
export function payingResidence(residences: readonly CommunePeriod[], period: string): { communeCode: string; on: string } | null {
  const eve = lastDay(addMonths(period, -1));
  const before = residences.find((r) => covers(r, eve));
  if (before) return { communeCode: before.communeCode, on: eve };
  // Not in the district on the eve: a period in force on some day of the month started during it.
  const first = firstDay(period);
  const last = lastDay(period);
  let earliest: CommunePeriod | undefined;
  for (const r of residences) {
    if (r.validFrom >= first && r.validFrom <= last && (!earliest || r.validFrom < earliest.validFrom)) earliest = r;
  }
  return earliest ? { communeCode: earliest.communeCode, on: earliest.validFrom } : null;
}

/** The commune that pays `period`, or null (see payingResidence). */
export const payingCommune = (residences: readonly CommunePeriod[], period: string): string | null => payingResidence(residences, period)?.communeCode ?? null;

/** The person's latest commune in the district (the one that keeps their file after they move out). */
export function latestCommune(residences: readonly CommunePeriod[]): string | undefined {
  let latest: CommunePeriod | undefined;
  for (const r of residences) if (!latest || r.validFrom > latest.validFrom) latest = r;
  return latest?.communeCode;
}

/**
 * The commune that answers for the person on `d` (whose officers see them, src/modules/auth/access-policy.ts):
 * where they lived that day; when they did not live in the district then (before arriving, after leaving), their
 * latest commune in the district.
 */
export function communeAnsweringOn(residences: readonly CommunePeriod[], d: string): string | undefined {
  return residences.find((r) => covers(r, d))?.communeCode ?? latestCommune(residences);
}

/**
 * The commune that answers for the person's month `period`: its paying commune; for a month with none (the
 * person did not live in the district), their latest commune in the district.
 */
export function communeAnsweringForMonth(residences: readonly CommunePeriod[], period: string): string | undefined {
  return payingCommune(residences, period) ?? latestCommune(residences);
}
