/**
 * The facts a rule reads, for one person as of a date, computed in TypeScript from the person's records
 * (loaded once by the rules repository, loadFactsSources, then evaluated for as many dates as needed: month-by-month entitlements ask for two dates
 * a month). Each fact's definition here has an SQL twin in src/db/rule-sql.ts; keep them in step (the property
 * test compares them on random people).
 *
 * Definitions (as of date d; "the residence" is the person's residence period in force on d, docs/residence.md):
 * - resident: a residence period in the district covers d (someone who moved out, or before their first period, is
 *   not the district's to pay: every program is refused with that reason, and the SQL reads only residents);
 * - ages: whole years / months between birth and d (PostgreSQL age() arithmetic);
 * - ethnic minority: an ethnicity recorded and not 'Kinh';
 * - household poverty: the latest assessment of the residence's household on or before d under a standard still in force on d
 *   (same rule as the registry's POOR_HOUSEHOLD group), NONE when there is none;
 * - extremely disadvantaged area: a classification in force on d for the residence's commune, that commune's
 *   2025 successor, or its household's village;
 * - disability level: the highest level among certificates issued on or before d and not expired;
 * - receives pension: any pension / monthly social insurance / social allowance in force on d;
 * - merit categories, war injury rate: merit records in force on d (rate: highest WAR_INVALID rate, else 0);
 * - pregnant: as the registry's PREGNANT_WOMAN group (reported, not ended, at most 30 days past the due date);
 * - flags: circumstance flags in force on d;
 * - children raised: APPROXIMATION — the living members of the residence's household on d with relation 'Con',
 *   counted only for the head and the head's spouse ('Chủ hộ', 'Vợ', 'Chồng') on d; grandchildren and children
 *   living elsewhere are not seen (docs/rules.md).
 */
import { DISABILITY_LEVELS, disabilityRank, type DisabilityLevelFact, type Facts } from './rule-format.js';
import { monthsBetween } from './period.js';

export const PARENT_RELATIONS = ['Chủ hộ', 'Vợ', 'Chồng'] as const;
export const CHILD_RELATION = 'Con';

/** One residence period in the district (residence_periods), with the places the rules read. */
export interface ResidenceFact {
  validFrom: string;
  validTo: string | null;
  communeCode: string;
  /** The commune's 2025 successor, if it merged. */
  communeSuccessor: string | null;
  householdId: string | null;
  villageCode: string | null;
  relationToHead: string | null;
}

export interface PersonFactsSource {
  id: string;
  dateOfBirth: string;
  /**
   * Set when only the year of birth is known: the convention that gave dateOfBirth its day and month, which the
   * reasons cite (docs/law.md#birth-year-only).
   */
  birthYearOnly?: { monthDay: string; legalBasis: string; confirmed: boolean } | null;
  dateOfDeath: string | null;
  sex: 'MALE' | 'FEMALE';
  ethnicity: string | null;
  /** The person's periods in the district, oldest first; they never overlap. */
  residences: ResidenceFact[];
  /** Assessments of every household the person lived in, oldest first. */
  assessments: { householdId: string; assessedOn: string; classification: 'POOR' | 'NEAR_POOR' | 'NONE'; standardValidTo: string }[];
  certificates: { level: string; issuedOn: string; validTo: string | null }[];
  merits: { category: string; injuryRate: number | null; recognizedOn: string; validTo: string | null }[];
  pensions: { startsOn: string; endsOn: string | null }[];
  pregnancies: { reportedOn: string; expectedDeliveryOn: string; endedOn: string | null }[];
  flags: { flag: string; validFrom: string; validTo: string | null }[];
  /** Periods in which someone lived as 'Con' in a household the person lived in, with that child's dates. */
  children: { householdId: string; validFrom: string; validTo: string | null; dateOfBirth: string; dateOfDeath: string | null }[];
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

/** The residence period in force on d, if the person lived in the district then. */
export const residenceOn = (p: PersonFactsSource, d: string): ResidenceFact | undefined => p.residences.find((r) => inForce(r.validFrom, r.validTo, d));

export function factsAsOf(p: PersonFactsSource, areas: AreaClass[], d: string): Facts {
  const ageMonths = monthsBetween(p.dateOfBirth, d);
  const home = residenceOn(p, d);
  const householdId = home?.householdId ?? null;
  // Latest assessment of that household on or before d under a standard in force (records are sorted oldest first).
  let householdPoverty: Facts['householdPoverty'] = 'NONE';
  for (let i = p.assessments.length - 1; i >= 0; i--) {
    const a = p.assessments[i];
    if (a?.householdId === householdId && a.assessedOn <= d && a.standardValidTo >= d) {
      householdPoverty = a.classification;
      break;
    }
  }
  const units = new Set([home?.communeCode, home?.communeSuccessor, home?.villageCode].filter((u): u is string => !!u));
  // The highest level in force; a code that is not a level (rank -1) never wins over NONE.
  let disabilityLevel: DisabilityLevelFact = 'NONE';
  for (const c of p.certificates) {
    const level = DISABILITY_LEVELS.find((l) => l === c.level);
    if (level && inForce(c.issuedOn, c.validTo, d) && disabilityRank(level) > disabilityRank(disabilityLevel)) disabilityLevel = level;
  }
  const merits = p.merits.filter((m) => inForce(m.recognizedOn, m.validTo, d));
  const relation = home?.relationToHead ?? null;
  const parent = householdId !== null && relation !== null && (PARENT_RELATIONS as readonly string[]).includes(relation);
  const kids = parent ? p.children.filter((c) => c.householdId === householdId && inForce(c.validFrom, c.validTo, d) && isAlive(c, d)) : [];
  return {
    ageYears: Math.floor(ageMonths / 12),
    ageMonths,
    sex: p.sex,
    ethnicMinority: p.ethnicity !== null && p.ethnicity !== 'Kinh',
    householdPoverty,
    disadvantagedArea: areas.some((a) => units.has(a.unitCode) && inForce(a.validFrom, a.validTo, d)),
    disabilityLevel,
    receivesPension: p.pensions.some((x) => inForce(x.startsOn, x.endsOn, d)),
    meritCategories: [...new Set(merits.map((m) => m.category))].sort(),
    warInjuryRate: Math.max(0, ...merits.filter((m) => m.category === 'WAR_INVALID').map((m) => m.injuryRate ?? 0)),
    pregnant: p.sex === 'FEMALE' && p.pregnancies.some((x) => x.reportedOn <= d && d < (x.endedOn ?? addDays(x.expectedDeliveryOn, 30))),
    flags: [...new Set(p.flags.filter((f) => inForce(f.validFrom, f.validTo, d)).map((f) => f.flag))].sort(),
    childrenUnder36Months: kids.filter((c) => monthsBetween(c.dateOfBirth, d) < 36).length,
    childrenUnder16: kids.filter((c) => monthsBetween(c.dateOfBirth, d) < 16 * 12).length,
  };
}
