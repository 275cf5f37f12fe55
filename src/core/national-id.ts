/**
 * The 12-digit personal identification number (số định danh cá nhân / CCCD):
 * digits 1–3 the province where the birth was registered, digit 4 century and sex
 * (0/1: 1900s male/female, 2/3: 2000s, 4/5: 2100s, 6/7: 2200s, 8/9: 1800s), digits 5–6 the year of
 * birth within the century, digits 7–12 random.
 */

/** Province codes used in identification numbers (Circular 59/2021/TT-BCA annex): the 63 pre-2025 provinces. */
export const PROVINCE_PREFIXES: ReadonlySet<string> = new Set([
  '001',
  '002',
  '004',
  '006',
  '008',
  '010',
  '011',
  '012',
  '014',
  '015',
  '017',
  '019',
  '020',
  '022',
  '024',
  '025',
  '026',
  '027',
  '030',
  '031',
  '033',
  '034',
  '035',
  '036',
  '037',
  '038',
  '040',
  '042',
  '044',
  '045',
  '046',
  '048',
  '049',
  '051',
  '052',
  '054',
  '056',
  '058',
  '060',
  '062',
  '064',
  '066',
  '067',
  '068',
  '070',
  '072',
  '074',
  '075',
  '077',
  '079',
  '080',
  '082',
  '083',
  '084',
  '086',
  '087',
  '089',
  '091',
  '092',
  '093',
  '094',
  '095',
  '096',
]);

const CENTURY_BASE: Record<number, number> = { 0: 1900, 1: 1900, 2: 2000, 3: 2000, 4: 2100, 5: 2100, 6: 2200, 7: 2200, 8: 1800, 9: 1800 };

export type Sex = 'MALE' | 'FEMALE';

export type NationalIdProblem = 'FORMAT' | 'PROVINCE' | 'BIRTH_YEAR_OR_SEX';

/** The digit that encodes century and sex for a birth year. */
export function centurySexDigit(birthYear: number, sex: Sex): number {
  const century = Math.floor(birthYear / 100) * 100;
  const base = { 1800: 8, 1900: 0, 2000: 2, 2100: 4, 2200: 6 }[century];
  if (base === undefined) throw new RangeError(`birth year ${birthYear} outside 1800–2299`);
  return base + (sex === 'FEMALE' ? 1 : 0);
}

/**
 * Checks a number against the person's date of birth (yyyy-mm-dd) and sex. Returns the first problem found,
 * or undefined when the number is consistent.
 */
export function checkNationalId(id: string, dateOfBirth: string, sex: Sex): NationalIdProblem | undefined {
  if (!/^\d{12}$/.test(id)) return 'FORMAT';
  if (!PROVINCE_PREFIXES.has(id.slice(0, 3))) return 'PROVINCE';
  const birthYear = Number(dateOfBirth.slice(0, 4));
  const digit = Number(id[3]);
  const year = CENTURY_BASE[digit] + Number(id.slice(4, 6));
  const sexOfDigit: Sex = digit % 2 === 0 ? 'MALE' : 'FEMALE';
  if (year !== birthYear || sexOfDigit !== sex) return 'BIRTH_YEAR_OR_SEX';
  return undefined;
}

/** Builds a well-formed number; `serial` (0–999999) gives the last six digits. */
export function makeNationalId(provincePrefix: string, birthYear: number, sex: Sex, serial: number): string {
  return `${provincePrefix}${centurySexDigit(birthYear, sex)}${String(birthYear % 100).padStart(2, '0')}${String(serial).padStart(6, '0')}`;
}

/** Masked form for callers whose role does not need the full number: province prefix and last three digits. */
export function maskNationalId(id: string): string {
  return `${id.slice(0, 3)}******${id.slice(9)}`;
}
