/**
 * The facts a rule reads, for one person as of a date, computed in TypeScript from the person's records
 * (loaded once by the rules repository, loadFactsSources, then evaluated for as many dates as needed: month-by-month entitlements ask for two dates
 * a month). Each fact's definition here has an SQL twin in src/db/rule-sql.ts; keep them in step (the property
 * test compares them on random people).
 *
 * Definitions (as of date d):
 * - ages: whole years / months between birth and d (PostgreSQL age() arithmetic);
 * - ethnic minority: an ethnicity recorded and not 'Kinh';
 * - household poverty: the household's latest assessment on or before d under a standard still in force on d
 *   (same rule as the registry's POOR_HOUSEHOLD group), NONE when there is none;
 * - extremely disadvantaged area: a classification in force on d for the person's commune, that commune's
 *   2025 successor, or the household's village;
 * - disability level: the highest level among certificates issued on or before d and not expired;
 * - receives pension: any pension / monthly social insurance / social allowance in force on d;
 * - merit categories, war injury rate: merit records in force on d (rate: highest WAR_INVALID rate, else 0);
 * - pregnant: as the registry's PREGNANT_WOMAN group (reported, not ended, at most 30 days past the due date);
 * - flags: circumstance flags in force on d;
 * - children raised: APPROXIMATION — the household's living members with relation 'Con', counted only for
 *   the head and the head's spouse ('Chủ hộ', 'Vợ', 'Chồng'); grandchildren and children living elsewhere
 *   are not seen (docs/rules.md).
 */
import { DISABILITY_LEVELS, type Facts } from './rule-format.js';
import { monthsBetween } from './period.js';

export const PARENT_RELATIONS = ['Chủ hộ', 'Vợ', 'Chồng'] as const;
export const CHILD_RELATION = 'Con';

export interface PersonFactsSource {
  id: string;
  dateOfBirth: string;
  dateOfDeath: string | null;
  sex: 'MALE' | 'FEMALE';
  ethnicity: string | null;
  communeCode: string;
  householdId: string | null;
  relationToHead: string | null;
  villageCode: string | null;
  communeSuccessor: string | null;
  assessments: { assessedOn: string; classification: 'POOR' | 'NEAR_POOR' | 'NONE'; standardValidTo: string }[];
  certificates: { level: string; issuedOn: string; validTo: string | null }[];
  merits: { category: string; injuryRate: number | null; recognizedOn: string; validTo: string | null }[];
  pensions: { startsOn: string; endsOn: string | null }[];
  pregnancies: { reportedOn: string; expectedDeliveryOn: string; endedOn: string | null }[];
  flags: { flag: string; validFrom: string; validTo: string | null }[];
  children: { dateOfBirth: string; dateOfDeath: string | null }[];
}

export interface AreaClass {
  unitCode: string;
  validFrom: string;
  validTo: string | null;
}

const inForce = (from: string, to: string | null, d: string) => from <= d && (to === null || to >= d);

export function addDays(date: string, days: number): string {
  const t = new Date(`${date}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + days);
  return t.toISOString().slice(0, 10);
}

/** Alive on d: born by then, and not died before it (the day of death counts, so its month is paid). */
export const isAlive = (p: { dateOfBirth: string; dateOfDeath: string | null }, d: string) =>
  p.dateOfBirth <= d && (p.dateOfDeath === null || p.dateOfDeath >= d);

export function factsAsOf(p: PersonFactsSource, areas: AreaClass[], d: string): Facts {
  const ageMonths = monthsBetween(p.dateOfBirth, d);
  // Latest assessment on or before d under a standard in force (records are sorted oldest first).
  let householdPoverty: Facts['householdPoverty'] = 'NONE';
  for (let i = p.assessments.length - 1; i >= 0; i--) {
    const a = p.assessments[i];
    if (a.assessedOn <= d && a.standardValidTo >= d) {
      householdPoverty = a.classification;
      break;
    }
  }
  const units = new Set([p.communeCode, p.communeSuccessor, p.villageCode].filter((u): u is string => !!u));
  let disability = 0;
  for (const c of p.certificates) if (inForce(c.issuedOn, c.validTo, d)) disability = Math.max(disability, DISABILITY_LEVELS.indexOf(c.level as never));
  const merits = p.merits.filter((m) => inForce(m.recognizedOn, m.validTo, d));
  const parent = p.relationToHead !== null && (PARENT_RELATIONS as readonly string[]).includes(p.relationToHead);
  const kids = parent ? p.children.filter((c) => isAlive(c, d)) : [];
  return {
    ageYears: Math.floor(ageMonths / 12),
    ageMonths,
    sex: p.sex,
    ethnicMinority: p.ethnicity !== null && p.ethnicity !== 'Kinh',
    householdPoverty,
    disadvantagedArea: areas.some((a) => units.has(a.unitCode) && inForce(a.validFrom, a.validTo, d)),
    disabilityLevel: DISABILITY_LEVELS[disability],
    receivesPension: p.pensions.some((x) => inForce(x.startsOn, x.endsOn, d)),
    meritCategories: [...new Set(merits.map((m) => m.category))].sort(),
    warInjuryRate: Math.max(0, ...merits.filter((m) => m.category === 'WAR_INVALID').map((m) => m.injuryRate ?? 0)),
    pregnant: p.sex === 'FEMALE' && p.pregnancies.some((x) => x.reportedOn <= d && d < (x.endedOn ?? addDays(x.expectedDeliveryOn, 30))),
    flags: [...new Set(p.flags.filter((f) => inForce(f.validFrom, f.validTo, d)).map((f) => f.flag))].sort(),
    childrenUnder36Months: kids.filter((c) => monthsBetween(c.dateOfBirth, d) < 36).length,
    childrenUnder16: kids.filter((c) => monthsBetween(c.dateOfBirth, d) < 16 * 12).length,
  };
}
