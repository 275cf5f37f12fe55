/**
 * The multidimensional poverty standard (chuẩn nghèo đa chiều) as pure data and one pure function.
 *
 * Decree 07/2021/NĐ-CP (2022–2025, extended to 2026-12-31 by Decree 351/2025/NĐ-CP) and Decree 351/2025
 * (2027–2030) share the same rule: a household whose income per person per month is at or under the
 * line of its area (rural / urban) is POOR when deprived in at least `poorMinDeprivations` (3) of the
 * 12 indicators, NEAR_POOR when deprived in fewer. Some secondary sources say OR; the decree says AND.
 * The income lines themselves are dated reference data (table poverty_standards), never constants here.
 */

/** The 12 deprivation indicators in 6 dimensions. Codes are stable: they are stored in poverty_assessments. */
export const DEPRIVATION_INDICATORS = [
  { code: 'EMPLOYMENT', dimension: 'EMPLOYMENT', vi: 'Việc làm', en: 'Employment' },
  { code: 'DEPENDANTS', dimension: 'EMPLOYMENT', vi: 'Người phụ thuộc trong hộ gia đình', en: 'Dependants in the household' },
  { code: 'NUTRITION', dimension: 'HEALTH', vi: 'Dinh dưỡng', en: 'Nutrition' },
  { code: 'HEALTH_INSURANCE', dimension: 'HEALTH', vi: 'Bảo hiểm y tế', en: 'Health insurance' },
  { code: 'ADULT_EDUCATION', dimension: 'EDUCATION', vi: 'Trình độ giáo dục của người lớn', en: 'Adult education' },
  { code: 'CHILD_SCHOOL_ATTENDANCE', dimension: 'EDUCATION', vi: 'Tình trạng đi học của trẻ em', en: "Children's school attendance" },
  { code: 'HOUSING_QUALITY', dimension: 'HOUSING', vi: 'Chất lượng nhà ở', en: 'Housing quality' },
  { code: 'FLOOR_AREA', dimension: 'HOUSING', vi: 'Diện tích nhà ở bình quân đầu người', en: 'Floor area per person' },
  { code: 'WATER_SOURCE', dimension: 'WATER_AND_SANITATION', vi: 'Nguồn nước sinh hoạt', en: 'Drinking-water source' },
  { code: 'HYGIENIC_LATRINE', dimension: 'WATER_AND_SANITATION', vi: 'Nhà tiêu hợp vệ sinh', en: 'Hygienic latrine' },
  { code: 'TELECOM_USE', dimension: 'INFORMATION', vi: 'Sử dụng dịch vụ viễn thông', en: 'Use of telecommunication services' },
  { code: 'INFORMATION_DEVICES', dimension: 'INFORMATION', vi: 'Phương tiện phục vụ tiếp cận thông tin', en: 'Devices for access to information' },
] as const;

export type DeprivationIndicator = (typeof DEPRIVATION_INDICATORS)[number]['code'];

export const DEPRIVATION_CODES: readonly DeprivationIndicator[] = DEPRIVATION_INDICATORS.map((d) => d.code);

const DEPRIVATION_CODE_SET: ReadonlySet<string> = new Set(DEPRIVATION_CODES);

export function isDeprivationIndicator(code: string): code is DeprivationIndicator {
  return DEPRIVATION_CODE_SET.has(code);
}

export type PovertyArea = 'RURAL' | 'URBAN';
export type PovertyClassification = 'POOR' | 'NEAR_POOR' | 'NONE';

/** The fields of a poverty_standards row the rule needs. */
export interface PovertyStandardLines {
  ruralIncomeLine: number;
  urbanIncomeLine: number;
  poorMinDeprivations: number;
}

export interface PovertyMeasurement {
  /** Average income per person per month, VND. */
  incomePerPerson: number;
  area: PovertyArea;
  /** Indicator codes the household is deprived in; duplicates count once. */
  deprivations: readonly string[];
}

/** Poor / near-poor / none under a standard (AND rule: income at or under the line AND ≥ N deprivations → poor). */
export function classifyPoverty(m: PovertyMeasurement, standard: PovertyStandardLines): PovertyClassification {
  const line = m.area === 'URBAN' ? standard.urbanIncomeLine : standard.ruralIncomeLine;
  if (m.incomePerPerson > line) return 'NONE';
  const deprived = new Set(m.deprivations).size;
  return deprived >= standard.poorMinDeprivations ? 'POOR' : 'NEAR_POOR';
}
