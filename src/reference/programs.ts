/**
 * Programs, their first rule versions and the base levels, as data (sources: docs/law.md, and the decree each row cites).
 * Applied idempotently by seedProgramsAndRules (called from seedReferenceData): rows are inserted with
 * ON CONFLICT DO NOTHING on their natural keys, so a re-run writes nothing and a row an admin published
 * later is never touched. Rule versions and base levels are immutable once written (a trigger refuses
 * UPDATE/DELETE): a change of law is published as a new row (publishRuleVersion / publishBaseLevel).
 *
 * The 2026 levels (docs/law.md#social-assistance-base-level, #merit-base-levels) are seeded flagged unconfirmed
 * (`confirmed: false`) with their decree numbers and dates: every amount resting on them says so (eligibility,
 * entitlements, coverage gaps: `unconfirmed`, `unconfirmedReasons`). Being inserted with ON CONFLICT DO NOTHING,
 * they also reach a database seeded before them, on its next start; a row an admin had already published for the
 * same kind and date is kept instead.
 */
import type { Db } from '../db/client.js';
import { baseLevels, programRules, programs } from '../db/schema/index.js';
import type { RuleDefinition, RuleExample } from '../core/rule-format.js';

export const SEED_PUBLISHER = 'seed:reference';

type ProgramRow = typeof programs.$inferInsert;

export const PROGRAMS: ProgramRow[] = [
  { code: 'D20_5_1', sortOrder: 10, family: 'SOCIAL_ASSISTANCE', kind: 'MONTHLY', startRule: 'DECISION_MONTH', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5 khoản 1', nameVi: 'Trẻ em dưới 16 tuổi không có nguồn nuôi dưỡng', nameEn: 'Child under 16 with no one to support them' },
  { code: 'D20_5_2', sortOrder: 20, family: 'SOCIAL_ASSISTANCE', kind: 'MONTHLY', startRule: 'DECISION_MONTH', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5 khoản 2', nameVi: 'Người từ 16 đến 22 tuổi đang đi học, trước đây thuộc khoản 1', nameEn: 'Aged 16–22, formerly art. 5.1, still in school' },
  { code: 'D20_5_3', sortOrder: 30, family: 'SOCIAL_ASSISTANCE', kind: 'MONTHLY', startRule: 'DECISION_MONTH', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5 khoản 3', nameVi: 'Trẻ em nhiễm HIV/AIDS thuộc hộ nghèo', nameEn: 'Child with HIV in a poor household' },
  { code: 'D20_5_4', sortOrder: 40, family: 'SOCIAL_ASSISTANCE', kind: 'MONTHLY', startRule: 'DECISION_MONTH', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5 khoản 4', nameVi: 'Người đơn thân nghèo đang nuôi con', nameEn: 'Single parent in a poor or near-poor household raising children' },
  { code: 'D20_5_5A', sortOrder: 51, family: 'SOCIAL_ASSISTANCE', kind: 'MONTHLY', startRule: 'DECISION_MONTH', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5 khoản 5 điểm a', nameVi: 'Người cao tuổi thuộc hộ nghèo không có người phụng dưỡng', nameEn: 'Elderly in a poor household with no one obliged to support them' },
  { code: 'D20_5_5B', sortOrder: 52, family: 'SOCIAL_ASSISTANCE', kind: 'MONTHLY', startRule: 'TURNS_75', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5 khoản 5 điểm b', nameVi: 'Người từ 75 đến dưới 80 tuổi thuộc hộ nghèo, cận nghèo ở xã, thôn đặc biệt khó khăn', nameEn: 'Aged 75–79, poor or near-poor, in an extremely disadvantaged commune or village' },
  { code: 'D20_5_5C', sortOrder: 53, family: 'SOCIAL_ASSISTANCE', kind: 'MONTHLY', startRule: 'TURNS_80', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5 khoản 5 điểm c', nameVi: 'Người từ đủ 80 tuổi không có lương hưu, trợ cấp BHXH hằng tháng, trợ cấp xã hội', nameEn: 'Aged 80+ without pension, monthly social insurance or social allowance' },
  { code: 'D20_5_5D', sortOrder: 54, family: 'SOCIAL_ASSISTANCE', kind: 'MONTHLY', startRule: 'DECISION_MONTH', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5 khoản 5 điểm d', nameVi: 'Người cao tuổi thuộc hộ nghèo được nhận chăm sóc tại cộng đồng', nameEn: 'Elderly poor person taken in by a community carer' },
  { code: 'D20_5_6', sortOrder: 60, family: 'SOCIAL_ASSISTANCE', kind: 'MONTHLY', startRule: 'CERTIFICATE_MONTH', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5 khoản 6', nameVi: 'Người khuyết tật nặng, đặc biệt nặng', nameEn: 'Person with severe or particularly severe disability' },
  { code: 'D20_5_7', sortOrder: 70, family: 'SOCIAL_ASSISTANCE', kind: 'MONTHLY', startRule: 'DECISION_MONTH', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5 khoản 7', nameVi: 'Trẻ em dưới 3 tuổi thuộc hộ nghèo, cận nghèo ở xã, thôn đặc biệt khó khăn', nameEn: 'Child under 36 months, poor or near-poor, in an extremely disadvantaged commune or village' },
  { code: 'D20_5_8', sortOrder: 80, family: 'SOCIAL_ASSISTANCE', kind: 'MONTHLY', startRule: 'DECISION_MONTH', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5 khoản 8', nameVi: 'Người nhiễm HIV/AIDS thuộc hộ nghèo không có nguồn thu nhập ổn định', nameEn: 'Person with HIV in a poor household without stable income' },
  { code: 'D20_20_2', sortOrder: 90, family: 'CARE_ALLOWANCE', kind: 'MONTHLY', startRule: 'DECISION_MONTH', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 20 khoản 2', nameVi: 'Hỗ trợ kinh phí chăm sóc: người khuyết tật nặng, đặc biệt nặng mang thai hoặc nuôi con dưới 36 tháng', nameEn: 'Care allowance: severely disabled person pregnant or raising a child under 36 months' },
  { code: 'D20_20_1', sortOrder: 88, family: 'CARE_ALLOWANCE', kind: 'MONTHLY', startRule: 'DECISION_MONTH', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 20 khoản 1', nameVi: 'Hỗ trợ kinh phí chăm sóc, nuôi dưỡng: hộ gia đình, cá nhân nhận chăm sóc trẻ em không có nguồn nuôi dưỡng hoặc người cao tuổi tại cộng đồng', nameEn: 'Care allowance: household or person taking in a child without support or an elderly person in the community' },
  { code: 'D20_20_2C', sortOrder: 91, family: 'CARE_ALLOWANCE', kind: 'MONTHLY', startRule: 'DECISION_MONTH', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 20 khoản 2 điểm c', nameVi: 'Hỗ trợ kinh phí chăm sóc: hộ gia đình trực tiếp nuôi dưỡng, chăm sóc người khuyết tật đặc biệt nặng', nameEn: 'Care allowance: household caring for its particularly severely disabled member' },
  { code: 'D20_20_2D', sortOrder: 92, family: 'CARE_ALLOWANCE', kind: 'MONTHLY', startRule: 'DECISION_MONTH', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 20 khoản 2 điểm d', nameVi: 'Hỗ trợ kinh phí chăm sóc: người nhận nuôi dưỡng, chăm sóc người khuyết tật đặc biệt nặng', nameEn: 'Care allowance: non-family carer of a particularly severely disabled person' },
  { code: 'SOCIAL_PENSION', sortOrder: 100, family: 'SOCIAL_PENSION', kind: 'MONTHLY', startRule: 'DECISION_MONTH', legalBasis: 'Luật Bảo hiểm xã hội 41/2024/QH15, điều 21; Nghị định 176/2025/NĐ-CP', nameVi: 'Trợ cấp hưu trí xã hội', nameEn: 'Social pension' },
  { code: 'D39_BIRTH', sortOrder: 110, family: 'BIRTH_SUPPORT', kind: 'ONE_OFF', startRule: 'DECISION_MONTH', legalBasis: 'Nghị định 39/2015/NĐ-CP', nameVi: 'Hỗ trợ phụ nữ dân tộc thiểu số thuộc hộ nghèo khi sinh con', nameEn: 'One-off birth support for ethnic-minority women in poor households' },
  { code: 'MERIT_WAR_INVALID', sortOrder: 200, family: 'MERIT', kind: 'MONTHLY', startRule: 'DECISION_MONTH', legalBasis: 'Pháp lệnh 02/2020/UBTVQH14; Nghị định 75/2021/NĐ-CP, phụ lục II', nameVi: 'Thương binh (trợ cấp theo tỷ lệ tổn thương cơ thể)', nameEn: 'War invalid (by injury rate)' },
  { code: 'MERIT_MARTYR_FAMILY', sortOrder: 210, family: 'MERIT', kind: 'MONTHLY', startRule: 'DECISION_MONTH', legalBasis: 'Pháp lệnh 02/2020/UBTVQH14; Nghị định 75/2021/NĐ-CP', nameVi: 'Thân nhân của một liệt sĩ', nameEn: 'Family of one martyr' },
  { code: 'MERIT_HEROIC_MOTHER', sortOrder: 220, family: 'MERIT', kind: 'MONTHLY', startRule: 'DECISION_MONTH', legalBasis: 'Pháp lệnh 02/2020/UBTVQH14; Nghị định 75/2021/NĐ-CP', nameVi: 'Bà mẹ Việt Nam anh hùng', nameEn: 'Vietnamese Heroic Mother' },
];

type BaseLevelRow = typeof baseLevels.$inferInsert;
/**
 * Three dates per level (docs/law.md#social-assistance-base-level): `effectiveFrom` (applies from), `inForceOn`
 * and `issuedOn`. Where our sources give no in-force date, it is taken to be the applies-from date (the level
 * was payable for every month it applies to: no arrears), and `issuedOn` stays null (unknown); the legal basis
 * says so for the 2026 rows, which are unconfirmed.
 */
export const BASE_LEVELS: Omit<BaseLevelRow, 'publishedBy'>[] = [
  { kind: 'SOCIAL_ASSISTANCE', amount: 360_000, effectiveFrom: '2021-07-01', inForceOn: '2021-07-01', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 4 khoản 2', confirmed: true },
  { kind: 'SOCIAL_ASSISTANCE', amount: 500_000, effectiveFrom: '2024-07-01', inForceOn: '2024-07-01', legalBasis: 'Nghị định 76/2024/NĐ-CP', confirmed: true },
  {
    kind: 'SOCIAL_ASSISTANCE',
    amount: 540_000,
    effectiveFrom: '2026-07-01',
    issuedOn: '2026-08-21',
    inForceOn: '2026-10-05',
    legalBasis: 'Nghị định 335/2026/NĐ-CP (ban hành 21/8/2026, có hiệu lực 05/10/2026, áp dụng từ 01/7/2026); chưa xác nhận từ văn bản gốc',
    confirmed: false,
  },
  { kind: 'SOCIAL_PENSION', amount: 500_000, effectiveFrom: '2025-07-01', inForceOn: '2025-07-01', legalBasis: 'Luật Bảo hiểm xã hội 41/2024/QH15; Nghị định 176/2025/NĐ-CP', confirmed: true },
  {
    kind: 'SOCIAL_PENSION',
    amount: 540_000,
    effectiveFrom: '2026-07-01',
    issuedOn: '2026-08-21',
    inForceOn: '2026-10-05',
    legalBasis:
      'Có lẽ cùng Nghị định 335/2026/NĐ-CP (ban hành 21/8/2026, có hiệu lực 05/10/2026, áp dụng từ 01/7/2026); chưa xác nhận văn bản nào quy định mức này, các ngày lấy theo Nghị định 335/2026',
    confirmed: false,
  },
  { kind: 'MERIT', amount: 1_624_000, effectiveFrom: '2021-07-01', inForceOn: '2021-07-01', legalBasis: 'Nghị định 75/2021/NĐ-CP', confirmed: true },
  { kind: 'MERIT', amount: 2_055_000, effectiveFrom: '2023-07-01', inForceOn: '2023-07-01', legalBasis: 'Nghị định 55/2023/NĐ-CP', confirmed: true },
  { kind: 'MERIT', amount: 2_789_000, effectiveFrom: '2024-07-01', inForceOn: '2024-07-01', legalBasis: 'Nghị định 77/2024/NĐ-CP', confirmed: true },
  {
    kind: 'MERIT',
    amount: 3_012_000,
    effectiveFrom: '2026-07-01',
    inForceOn: '2026-07-01',
    legalBasis:
      'Nghị định 321/2026/NĐ-CP (áp dụng từ 01/7/2026); chưa xác nhận từ văn bản gốc. Ngày ban hành và ngày có hiệu lực chưa rõ: tạm coi có hiệu lực từ ngày áp dụng',
    confirmed: false,
  },
];

// -------------------------------------------------------------------------------------------------
// War invalids: one row per percent 21–100 (Decree 75/2021 annex II and its successors). docs/law.md gives
// five anchor amounts per base level; an anchor's coefficient is amount / base (6 decimals, chosen so that
// round(coefficient × base, -3) gives the anchor back exactly). Rows between anchors are interpolated
// linearly and flagged confirmed: false. The 2,055,000 and 2,789,000 anchors are not exactly proportional
// (e.g. 100%: 6,589,000 / 2,055,000 ≠ 8,941,000 / 2,789,000 to the thousand), so each base has its own version.
// -------------------------------------------------------------------------------------------------

export const WAR_INVALID_ANCHORS = {
  2_055_000: { 21: 1_384_000, 41: 2_702_000, 61: 4_016_000, 81: 5_335_000, 100: 6_589_000 },
  2_789_000: { 21: 1_878_000, 41: 3_667_000, 61: 5_450_000, 81: 7_240_000, 100: 8_941_000 },
} as const;

export function warInvalidTable(base: keyof typeof WAR_INVALID_ANCHORS) {
  const anchors = Object.entries(WAR_INVALID_ANCHORS[base]).map(([rate, amount]) => ({ rate: Number(rate), coefficient: Math.round((amount / base) * 1e6) / 1e6 }));
  const rows: { from: number; to: number; coefficient: number; confirmed: boolean }[] = [];
  for (let rate = 21; rate <= 100; rate++) {
    const exact = anchors.find((a) => a.rate === rate);
    if (exact) {
      rows.push({ from: rate, to: rate, coefficient: exact.coefficient, confirmed: true });
      continue;
    }
    // Rates 21 and 100 are anchors, so every rate between has an anchor below and one above.
    const lo = [...anchors].reverse().find((a) => a.rate < rate);
    const hi = anchors.find((a) => a.rate > rate);
    if (!lo || !hi) throw new Error(`war invalid rate ${rate} is not between two anchors`);
    const c = lo.coefficient + ((hi.coefficient - lo.coefficient) * (rate - lo.rate)) / (hi.rate - lo.rate);
    rows.push({ from: rate, to: rate, coefficient: Math.round(c * 1e6) / 1e6, confirmed: false });
  }
  return rows;
}

// -------------------------------------------------------------------------------------------------
// Rule versions
// -------------------------------------------------------------------------------------------------

export interface SeedRule {
  programCode: string;
  version: number;
  effectiveFrom: string;
  effectiveTo?: string | null;
  legalBasis: string;
  confirmed: boolean;
  note?: string;
  definition: RuleDefinition;
  examples: RuleExample[];
}

const POOR_OR_NEAR = { fact: 'householdPoverty' as const, op: 'in' as const, value: ['POOR', 'NEAR_POOR'] };
const POOR = { fact: 'householdPoverty', op: 'eq', value: 'POOR' } as const;
const SA = (coefficient: number) => ({ kind: 'BASE_TIMES_COEFFICIENT' as const, base: 'SOCIAL_ASSISTANCE' as const, coefficient });

// Art. 5.5.b and 5.5.c: their definitions serve two versions (v1 from 2021-07-01, v2 from 2025-07-01 below).
const D20_5_5B_RULE: RuleDefinition = {
  summaryVi: 'Người từ 75 đến dưới 80 tuổi thuộc hộ nghèo, cận nghèo, sống ở xã, thôn đặc biệt khó khăn vùng đồng bào dân tộc thiểu số và miền núi: hệ số 1,0 (từ tháng đủ 75 tuổi).',
  summaryEn: 'Aged 75 to under 80, poor or near-poor household, in an extremely disadvantaged commune or village: 1.0 (from the month they turn 75).',
  conditions: [{ fact: 'ageYears', op: 'gte', value: 75 }, { fact: 'ageYears', op: 'lt', value: 80 }, POOR_OR_NEAR, { fact: 'disadvantagedArea', op: 'eq', value: true }],
  amount: SA(1.0),
};
const D20_5_5B_EXAMPLES: RuleExample[] = [
  { name: '76, near-poor, region III commune', asOf: '2024-07-01', facts: { ageYears: 76, householdPoverty: 'NEAR_POOR', disadvantagedArea: true }, expectedEligible: true, expectedAmount: 500_000 },
  { name: '76, near-poor, ordinary commune', facts: { ageYears: 76, householdPoverty: 'NEAR_POOR' }, expectedEligible: false },
];
const D20_5_5C_RULE: RuleDefinition = {
  summaryVi: 'Người từ đủ 80 tuổi không có lương hưu, trợ cấp bảo hiểm xã hội hằng tháng, trợ cấp xã hội hằng tháng: hệ số 1,0 (từ tháng đủ 80 tuổi).',
  summaryEn: 'Aged 80 and over without pension, monthly social insurance or social allowance: 1.0 (from the month they turn 80).',
  conditions: [{ fact: 'ageYears', op: 'gte', value: 80 }, { fact: 'receivesPension', op: 'eq', value: false }],
  amount: SA(1.0),
};
const D20_5_5C_EXAMPLES: RuleExample[] = [
  { name: '82 without pension, June 2024', asOf: '2024-06-01', facts: { ageYears: 82 }, expectedEligible: true, expectedAmount: 360_000 },
  { name: '82 without pension, July 2024', asOf: '2024-07-01', facts: { ageYears: 82 }, expectedEligible: true, expectedAmount: 500_000 },
  { name: '82 with a pension', facts: { ageYears: 82, receivesPension: true }, expectedEligible: false },
  { name: '79 without pension', facts: { ageYears: 79 }, expectedEligible: false },
];

/**
 * Art. 5.5.b and 5.5.c after 2025-06 (docs/law.md#social-pension): Decree 176/2025 very probably ended them, their
 * people moving to the social pension, but whether and from which month is unconfirmed. The same conditions and
 * amount continue as version 2 from 2025-07-01 flagged `confirmed: false`, so every month after 2025-06 resting on
 * them carries the "legal status unconfirmed" flag (the same flag as an unconfirmed base level), and a commune's
 * move to the social pension is recorded by an admin (recordPensionConversion), never assumed here.
 */
const REGIME_UNCONFIRMED_NOTE =
  'Legal status unconfirmed after 2025-06-30: Decree 176/2025 very probably ended art. 5.5.b/5.5.c, their recipients moving to the social pension (whether automatically, and from which month, is unconfirmed). Months are paid as before until an admin records the conversion for the commune (recordPensionConversion).';
const REGIME_UNCONFIRMED_VERSIONS: SeedRule[] = [
  {
    programCode: 'D20_5_5B',
    version: 2,
    effectiveFrom: '2025-07-01',
    legalBasis:
      'Nghị định 20/2021/NĐ-CP, điều 5.5 điểm b; điều 6.1 (hệ số 1,0). Từ 01/7/2025 chưa xác định còn áp dụng hay đã chuyển sang trợ cấp hưu trí xã hội (Luật 41/2024/QH15, Nghị định 176/2025/NĐ-CP)',
    confirmed: false,
    note: REGIME_UNCONFIRMED_NOTE,
    definition: D20_5_5B_RULE,
    examples: [
      { name: '76, near-poor, region III commune, August 2025', asOf: '2025-08-01', facts: { ageYears: 76, householdPoverty: 'NEAR_POOR', disadvantagedArea: true }, expectedEligible: true, expectedAmount: 500_000 },
      { name: '76, near-poor, ordinary commune', facts: { ageYears: 76, householdPoverty: 'NEAR_POOR' }, expectedEligible: false },
    ],
  },
  {
    programCode: 'D20_5_5C',
    version: 2,
    effectiveFrom: '2025-07-01',
    legalBasis:
      'Nghị định 20/2021/NĐ-CP, điều 5.5 điểm c; điều 6.1 (hệ số 1,0). Từ 01/7/2025 chưa xác định còn áp dụng hay đã chuyển sang trợ cấp hưu trí xã hội (Luật 41/2024/QH15, Nghị định 176/2025/NĐ-CP)',
    confirmed: false,
    note: REGIME_UNCONFIRMED_NOTE,
    definition: D20_5_5C_RULE,
    examples: [
      { name: '82 without pension, August 2025', asOf: '2025-08-01', facts: { ageYears: 82 }, expectedEligible: true, expectedAmount: 500_000 },
      { name: '82 with a pension', facts: { ageYears: 82, receivesPension: true }, expectedEligible: false },
    ],
  },
];

export const RULES: SeedRule[] = [
  {
    programCode: 'D20_5_1', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5.1; điều 6.1 (hệ số 2,5 / 1,5)', confirmed: true,
    definition: {
      summaryVi: 'Trẻ em dưới 16 tuổi không có nguồn nuôi dưỡng: hệ số 2,5 nếu dưới 4 tuổi, 1,5 nếu từ 4 tuổi.',
      summaryEn: 'Child under 16 with no one to support them: 2.5 under 4, 1.5 from 4.',
      conditions: [{ fact: 'ageYears', op: 'lt', value: 16 }, { fact: 'flags', op: 'includes', value: 'ORPHAN_NO_SUPPORT' }],
      amount: { ...SA(1.5), tiers: [{ when: [{ fact: 'ageYears', op: 'lt', value: 4 }], coefficient: 2.5, label: 'dưới 4 tuổi' }] },
    },
    examples: [
      { name: '3-year-old orphan', asOf: '2024-07-01', facts: { ageYears: 3, flags: ['ORPHAN_NO_SUPPORT'] }, expectedEligible: true, expectedAmount: 1_250_000 },
      { name: '10-year-old orphan', asOf: '2024-07-01', facts: { ageYears: 10, flags: ['ORPHAN_NO_SUPPORT'] }, expectedEligible: true, expectedAmount: 750_000 },
      { name: '10-year-old with parents', facts: { ageYears: 10 }, expectedEligible: false },
    ],
  },
  {
    programCode: 'D20_5_2', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5.2; điều 6.1 (hệ số 1,5)', confirmed: true,
    note: 'APPROXIMATION: "formerly under art. 5.1" is read from the ORPHAN_NO_SUPPORT flag still in force.',
    definition: {
      summaryVi: 'Người từ 16 đến 22 tuổi không có nguồn nuôi dưỡng đang đi học: hệ số 1,5.',
      summaryEn: 'Aged 16 to 22 with no one to support them, in school: 1.5.',
      conditions: [{ fact: 'ageYears', op: 'gte', value: 16 }, { fact: 'ageYears', op: 'lte', value: 22 }, { fact: 'flags', op: 'includes', value: 'ORPHAN_NO_SUPPORT' }, { fact: 'flags', op: 'includes', value: 'IN_SCHOOL' }],
      amount: SA(1.5),
    },
    examples: [
      { name: '18-year-old orphan student', asOf: '2024-07-01', facts: { ageYears: 18, flags: ['ORPHAN_NO_SUPPORT', 'IN_SCHOOL'] }, expectedEligible: true, expectedAmount: 750_000 },
      { name: '18-year-old orphan not in school', facts: { ageYears: 18, flags: ['ORPHAN_NO_SUPPORT'] }, expectedEligible: false },
    ],
  },
  {
    programCode: 'D20_5_3', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5.3; điều 6.1 (hệ số 2,5 / 2,0)', confirmed: true,
    definition: {
      summaryVi: 'Trẻ em nhiễm HIV thuộc hộ nghèo: hệ số 2,5 nếu dưới 4 tuổi, 2,0 từ 4 đến dưới 16 tuổi.',
      summaryEn: 'Child with HIV in a poor household: 2.5 under 4, 2.0 from 4 to under 16.',
      conditions: [{ fact: 'ageYears', op: 'lt', value: 16 }, { fact: 'flags', op: 'includes', value: 'HIV' }, POOR],
      amount: { ...SA(2.0), tiers: [{ when: [{ fact: 'ageYears', op: 'lt', value: 4 }], coefficient: 2.5, label: 'dưới 4 tuổi' }] },
    },
    examples: [
      { name: '6-year-old with HIV, poor', asOf: '2024-07-01', facts: { ageYears: 6, flags: ['HIV'], householdPoverty: 'POOR' }, expectedEligible: true, expectedAmount: 1_000_000 },
      { name: '6-year-old with HIV, near-poor', facts: { ageYears: 6, flags: ['HIV'], householdPoverty: 'NEAR_POOR' }, expectedEligible: false },
    ],
  },
  {
    programCode: 'D20_5_4', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5.4; điều 6.1 (hệ số 1,0 mỗi con)', confirmed: true,
    note: 'APPROXIMATION: children counted are household members with relation "Con" under 16; children aged 16–22 in school are not counted.',
    definition: {
      summaryVi: 'Người đơn thân thuộc hộ nghèo, cận nghèo đang nuôi con dưới 16 tuổi: hệ số 1,0 cho mỗi con.',
      summaryEn: 'Single parent in a poor or near-poor household raising children under 16: 1.0 per child.',
      conditions: [{ fact: 'flags', op: 'includes', value: 'SINGLE_PARENT' }, POOR_OR_NEAR, { fact: 'childrenUnder16', op: 'gte', value: 1 }],
      amount: { ...SA(1.0), multiplyBy: 'childrenUnder16' },
    },
    examples: [
      { name: 'single mother of two, near-poor', asOf: '2024-07-01', facts: { ageYears: 35, flags: ['SINGLE_PARENT'], householdPoverty: 'NEAR_POOR', childrenUnder16: 2 }, expectedEligible: true, expectedAmount: 1_000_000 },
      { name: 'single mother, not poor', facts: { ageYears: 35, flags: ['SINGLE_PARENT'], childrenUnder16: 2 }, expectedEligible: false },
    ],
  },
  {
    programCode: 'D20_5_5A', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5.5 điểm a; điều 6.1 (hệ số 1,5 / 2,0)', confirmed: true,
    definition: {
      summaryVi: 'Người cao tuổi thuộc hộ nghèo, không có người có nghĩa vụ và quyền phụng dưỡng: hệ số 1,5 từ 60 đến dưới 80 tuổi, 2,0 từ 80 tuổi.',
      summaryEn: 'Elderly in a poor household with no one obliged to support them: 1.5 aged 60–79, 2.0 aged 80 and over.',
      conditions: [{ fact: 'ageYears', op: 'gte', value: 60 }, POOR, { fact: 'flags', op: 'includes', value: 'NO_SUPPORTER' }],
      amount: { ...SA(1.5), tiers: [{ when: [{ fact: 'ageYears', op: 'gte', value: 80 }], coefficient: 2.0, label: 'từ 80 tuổi' }] },
    },
    examples: [
      { name: '82, poor, no supporter', asOf: '2024-07-01', facts: { ageYears: 82, householdPoverty: 'POOR', flags: ['NO_SUPPORTER'] }, expectedEligible: true, expectedAmount: 1_000_000 },
      { name: '65, poor, no supporter, before 2024-07', asOf: '2024-06-01', facts: { ageYears: 65, householdPoverty: 'POOR', flags: ['NO_SUPPORTER'] }, expectedEligible: true, expectedAmount: 540_000 },
      { name: '82, poor, with children who support them', facts: { ageYears: 82, householdPoverty: 'POOR' }, expectedEligible: false },
    ],
  },
  { programCode: 'D20_5_5B', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5.5 điểm b; điều 6.1 (hệ số 1,0)', confirmed: true, definition: D20_5_5B_RULE, examples: D20_5_5B_EXAMPLES },
  { programCode: 'D20_5_5C', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5.5 điểm c; điều 6.1 (hệ số 1,0)', confirmed: true, definition: D20_5_5C_RULE, examples: D20_5_5C_EXAMPLES },
  ...REGIME_UNCONFIRMED_VERSIONS,
  {
    programCode: 'D20_5_5D', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5.5 điểm d; điều 6.1 (hệ số 3,0)', confirmed: true,
    definition: {
      summaryVi: 'Người cao tuổi thuộc hộ nghèo được cá nhân, hộ gia đình nhận chăm sóc tại cộng đồng: hệ số 3,0.',
      summaryEn: 'Elderly poor person taken in by a community carer: 3.0.',
      conditions: [{ fact: 'ageYears', op: 'gte', value: 60 }, POOR, { fact: 'flags', op: 'includes', value: 'COMMUNITY_CARER' }],
      amount: SA(3.0),
    },
    examples: [
      { name: '70, poor, community carer', asOf: '2024-07-01', facts: { ageYears: 70, householdPoverty: 'POOR', flags: ['COMMUNITY_CARER'] }, expectedEligible: true, expectedAmount: 1_500_000 },
      { name: '70, poor, living with family', facts: { ageYears: 70, householdPoverty: 'POOR' }, expectedEligible: false },
    ],
  },
  {
    programCode: 'D20_5_6', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5.6; điều 6.1 (hệ số 2,0 / 2,5; 1,5 / 2,0)', confirmed: true,
    definition: {
      summaryVi: 'Người khuyết tật đặc biệt nặng: hệ số 2,0 (trẻ em dưới 16 tuổi hoặc người cao tuổi: 2,5); khuyết tật nặng: 1,5 (trẻ em hoặc người cao tuổi: 2,0). Từ tháng được cấp giấy xác nhận khuyết tật.',
      summaryEn: 'Particularly severe disability: 2.0 (child under 16 or elderly: 2.5); severe: 1.5 (child or elderly: 2.0). From the month of the certificate.',
      conditions: [{ fact: 'disabilityLevel', op: 'gte', value: 'SEVERE' }],
      amount: {
        ...SA(1.5),
        tiers: [
          { when: [{ fact: 'disabilityLevel', op: 'eq', value: 'PARTICULARLY_SEVERE' }, { anyOf: [{ fact: 'ageYears', op: 'lt', value: 16 }, { fact: 'ageYears', op: 'gte', value: 60 }] }], coefficient: 2.5, label: 'đặc biệt nặng, trẻ em/người cao tuổi' },
          { when: [{ fact: 'disabilityLevel', op: 'eq', value: 'PARTICULARLY_SEVERE' }], coefficient: 2.0, label: 'đặc biệt nặng' },
          { when: [{ anyOf: [{ fact: 'ageYears', op: 'lt', value: 16 }, { fact: 'ageYears', op: 'gte', value: 60 }] }], coefficient: 2.0, label: 'nặng, trẻ em/người cao tuổi' },
        ],
      },
    },
    examples: [
      { name: 'adult, particularly severe', asOf: '2024-07-01', facts: { ageYears: 40, disabilityLevel: 'PARTICULARLY_SEVERE' }, expectedEligible: true, expectedAmount: 1_000_000 },
      { name: 'child, particularly severe', asOf: '2024-07-01', facts: { ageYears: 8, disabilityLevel: 'PARTICULARLY_SEVERE' }, expectedEligible: true, expectedAmount: 1_250_000 },
      { name: 'adult, severe', asOf: '2024-07-01', facts: { ageYears: 40, disabilityLevel: 'SEVERE' }, expectedEligible: true, expectedAmount: 750_000 },
      { name: 'elderly, severe', asOf: '2024-07-01', facts: { ageYears: 70, disabilityLevel: 'SEVERE' }, expectedEligible: true, expectedAmount: 1_000_000 },
      { name: 'mild disability', facts: { ageYears: 40, disabilityLevel: 'MILD' }, expectedEligible: false },
    ],
  },
  {
    programCode: 'D20_5_7', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5.7; điều 6.1 (hệ số 1,5)', confirmed: true,
    note: '"Not already under 5.1, 5.3 or 5.6" is read as: no ORPHAN_NO_SUPPORT or HIV flag and no severe disability.',
    definition: {
      summaryVi: 'Trẻ em dưới 3 tuổi thuộc hộ nghèo, cận nghèo ở xã, thôn đặc biệt khó khăn vùng đồng bào dân tộc thiểu số và miền núi, không thuộc khoản 1, 3, 6: hệ số 1,5.',
      summaryEn: 'Child under 36 months in a poor or near-poor household of an extremely disadvantaged commune or village, not under 5.1, 5.3 or 5.6: 1.5.',
      conditions: [
        { fact: 'ageMonths', op: 'lt', value: 36 },
        POOR_OR_NEAR,
        { fact: 'disadvantagedArea', op: 'eq', value: true },
        { fact: 'flags', op: 'excludes', value: 'ORPHAN_NO_SUPPORT' },
        { fact: 'flags', op: 'excludes', value: 'HIV' },
        { fact: 'disabilityLevel', op: 'lt', value: 'SEVERE' },
      ],
      amount: SA(1.5),
    },
    examples: [
      { name: '20 months, poor, region III commune', asOf: '2024-07-01', facts: { ageMonths: 20, householdPoverty: 'POOR', disadvantagedArea: true }, expectedEligible: true, expectedAmount: 750_000 },
      { name: '36 months', facts: { ageMonths: 36, householdPoverty: 'POOR', disadvantagedArea: true }, expectedEligible: false },
      { name: '20 months, severe disability (art. 5.6 instead)', facts: { ageMonths: 20, householdPoverty: 'POOR', disadvantagedArea: true, disabilityLevel: 'SEVERE' }, expectedEligible: false },
    ],
  },
  {
    programCode: 'D20_5_8', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 5.8; điều 6.1 (hệ số 1,5)', confirmed: true,
    definition: {
      summaryVi: 'Người nhiễm HIV/AIDS thuộc hộ nghèo không có nguồn thu nhập ổn định (từ 16 tuổi): hệ số 1,5.',
      summaryEn: 'Person with HIV in a poor household without stable income (16 and over): 1.5.',
      conditions: [{ fact: 'ageYears', op: 'gte', value: 16 }, { fact: 'flags', op: 'includes', value: 'HIV' }, POOR, { fact: 'flags', op: 'includes', value: 'NO_STABLE_INCOME' }],
      amount: SA(1.5),
    },
    examples: [
      { name: 'adult with HIV, poor, no income', asOf: '2024-07-01', facts: { ageYears: 30, flags: ['HIV', 'NO_STABLE_INCOME'], householdPoverty: 'POOR' }, expectedEligible: true, expectedAmount: 750_000 },
      { name: 'adult with HIV, stable income', facts: { ageYears: 30, flags: ['HIV'], householdPoverty: 'POOR' }, expectedEligible: false },
    ],
  },
  {
    programCode: 'D20_20_2', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 20 khoản 2 (hệ số 1,5 / 2,0)', confirmed: true,
    definition: {
      summaryVi: 'Người khuyết tật nặng, đặc biệt nặng đang mang thai hoặc nuôi một con dưới 36 tháng: hệ số 1,5; mang thai và nuôi một con, hoặc nuôi từ hai con dưới 36 tháng: 2,0. Hưởng thêm, ngoài trợ cấp hằng tháng.',
      summaryEn: 'Severely disabled person pregnant or raising one child under 36 months: 1.5; pregnant and raising one, or raising two or more: 2.0. Paid on top of the monthly allowance.',
      conditions: [{ fact: 'disabilityLevel', op: 'gte', value: 'SEVERE' }, { anyOf: [{ fact: 'pregnant', op: 'eq', value: true }, { fact: 'childrenUnder36Months', op: 'gte', value: 1 }] }],
      amount: {
        ...SA(1.5),
        tiers: [
          { when: [{ anyOf: [{ allOf: [{ fact: 'pregnant', op: 'eq', value: true }, { fact: 'childrenUnder36Months', op: 'gte', value: 1 }] }, { fact: 'childrenUnder36Months', op: 'gte', value: 2 }] }], coefficient: 2.0, label: 'mang thai và nuôi con, hoặc nuôi từ 2 con' },
        ],
      },
    },
    examples: [
      { name: 'severely disabled mother of one baby', asOf: '2024-07-01', facts: { ageYears: 28, disabilityLevel: 'SEVERE', childrenUnder36Months: 1 }, expectedEligible: true, expectedAmount: 750_000 },
      { name: 'pregnant with one baby', asOf: '2024-07-01', facts: { ageYears: 28, disabilityLevel: 'SEVERE', pregnant: true, childrenUnder36Months: 1 }, expectedEligible: true, expectedAmount: 1_000_000 },
      { name: 'no child, not pregnant', facts: { ageYears: 28, disabilityLevel: 'SEVERE' }, expectedEligible: false },
    ],
  },
  // Art. 20.1, 20.2.c, 20.2.d (docs/law.md#care-allowances): paid on top of the person's own allowance (not under
  // art. 6.2) to whoever cares for them; the enrolment is the cared-for person's, the payment's recipient the carer.
  {
    programCode: 'D20_20_1', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 20 khoản 1 (hệ số 2,5 / 1,5; người cao tuổi 1,5)', confirmed: true,
    note: 'The enrolment is recorded on the person cared for (a child under art. 5.1, or an elderly person under art. 5.5.d) with the COMMUNITY_CARER flag; the carer receives the money (the payment recipient).',
    definition: {
      summaryVi: 'Hộ gia đình, cá nhân nhận chăm sóc, nuôi dưỡng tại cộng đồng trẻ em không có nguồn nuôi dưỡng (hệ số 2,5 nếu dưới 4 tuổi, 1,5 từ 4 đến dưới 16 tuổi) hoặc người cao tuổi thuộc hộ nghèo (hệ số 1,5). Hưởng thêm, ngoài trợ cấp hằng tháng của người được chăm sóc.',
      summaryEn: 'A household or person taking in, in the community, a child without support (2.5 under 4, 1.5 from 4 to under 16) or a poor elderly person (1.5). Paid on top of the cared-for person\'s own allowance.',
      conditions: [
        { fact: 'flags', op: 'includes', value: 'COMMUNITY_CARER' },
        { anyOf: [{ allOf: [{ fact: 'ageYears', op: 'lt', value: 16 }, { fact: 'flags', op: 'includes', value: 'ORPHAN_NO_SUPPORT' }] }, { allOf: [{ fact: 'ageYears', op: 'gte', value: 60 }, POOR] }] },
      ],
      amount: { ...SA(1.5), tiers: [{ when: [{ fact: 'ageYears', op: 'lt', value: 4 }], coefficient: 2.5, label: 'trẻ em dưới 4 tuổi' }] },
    },
    examples: [
      { name: 'carer of a 3-year-old orphan', asOf: '2024-07-01', facts: { ageYears: 3, flags: ['ORPHAN_NO_SUPPORT', 'COMMUNITY_CARER'] }, expectedEligible: true, expectedAmount: 1_250_000 },
      { name: 'carer of a 10-year-old orphan', asOf: '2024-07-01', facts: { ageYears: 10, flags: ['ORPHAN_NO_SUPPORT', 'COMMUNITY_CARER'] }, expectedEligible: true, expectedAmount: 750_000 },
      { name: 'carer of a poor 70-year-old', asOf: '2024-07-01', facts: { ageYears: 70, householdPoverty: 'POOR', flags: ['COMMUNITY_CARER'] }, expectedEligible: true, expectedAmount: 750_000 },
      { name: 'orphan not taken in by a carer', facts: { ageYears: 10, flags: ['ORPHAN_NO_SUPPORT'] }, expectedEligible: false },
    ],
  },
  {
    programCode: 'D20_20_2C', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 20 khoản 2 điểm c (hệ số 1,0)', confirmed: true,
    note: 'READING: a household is taken to care for its particularly severely disabled member unless the member is cared for by someone outside the family (NON_FAMILY_CARER, art. 20.2.d) or taken in by a community carer (COMMUNITY_CARER). The household (its head) receives the money.',
    definition: {
      summaryVi: 'Hộ gia đình có người khuyết tật đặc biệt nặng đang trực tiếp nuôi dưỡng, chăm sóc người đó: hệ số 1,0. Hưởng thêm, ngoài trợ cấp hằng tháng của người khuyết tật.',
      summaryEn: 'A household directly caring for its particularly severely disabled member: 1.0. Paid on top of the disabled person\'s own allowance.',
      conditions: [
        { fact: 'disabilityLevel', op: 'eq', value: 'PARTICULARLY_SEVERE' },
        { fact: 'flags', op: 'excludes', value: 'NON_FAMILY_CARER' },
        { fact: 'flags', op: 'excludes', value: 'COMMUNITY_CARER' },
      ],
      amount: SA(1.0),
    },
    examples: [
      { name: 'household of a particularly severely disabled adult', asOf: '2024-07-01', facts: { ageYears: 40, disabilityLevel: 'PARTICULARLY_SEVERE' }, expectedEligible: true, expectedAmount: 500_000 },
      { name: 'severe (not particularly severe) disability', facts: { ageYears: 40, disabilityLevel: 'SEVERE' }, expectedEligible: false },
      { name: 'cared for outside the family (art. 20.2.d instead)', facts: { ageYears: 40, disabilityLevel: 'PARTICULARLY_SEVERE', flags: ['NON_FAMILY_CARER'] }, expectedEligible: false },
    ],
  },
  {
    programCode: 'D20_20_2D', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Nghị định 20/2021/NĐ-CP, điều 20 khoản 2 điểm d (hệ số 1,5; trẻ em 2,5)', confirmed: true,
    note: 'The enrolment is recorded on the disabled person with the NON_FAMILY_CARER flag; the carer receives the money. "Child" read as under 16.',
    definition: {
      summaryVi: 'Người nhận nuôi dưỡng, chăm sóc người khuyết tật đặc biệt nặng (không phải thành viên gia đình): hệ số 1,5; nếu là trẻ em khuyết tật đặc biệt nặng: 2,5.',
      summaryEn: 'A person (not family) taking in and caring for a particularly severely disabled person: 1.5; for a particularly severely disabled child: 2.5.',
      conditions: [
        { fact: 'disabilityLevel', op: 'eq', value: 'PARTICULARLY_SEVERE' },
        { fact: 'flags', op: 'includes', value: 'NON_FAMILY_CARER' },
      ],
      amount: { ...SA(1.5), tiers: [{ when: [{ fact: 'ageYears', op: 'lt', value: 16 }], coefficient: 2.5, label: 'trẻ em' }] },
    },
    examples: [
      { name: 'carer of a particularly severely disabled adult', asOf: '2024-07-01', facts: { ageYears: 40, disabilityLevel: 'PARTICULARLY_SEVERE', flags: ['NON_FAMILY_CARER'] }, expectedEligible: true, expectedAmount: 750_000 },
      { name: 'carer of a particularly severely disabled child', asOf: '2024-07-01', facts: { ageYears: 9, disabilityLevel: 'PARTICULARLY_SEVERE', flags: ['NON_FAMILY_CARER'] }, expectedEligible: true, expectedAmount: 1_250_000 },
      { name: 'cared for by the family', facts: { ageYears: 40, disabilityLevel: 'PARTICULARLY_SEVERE' }, expectedEligible: false },
    ],
  },
  {
    programCode: 'SOCIAL_PENSION', version: 1, effectiveFrom: '2025-07-01', legalBasis: 'Luật Bảo hiểm xã hội 41/2024/QH15, điều 21; Nghị định 176/2025/NĐ-CP', confirmed: true,
    note: 'Someone whose pension is below the social pension is treated as receiving a pension (not eligible): the amount comparison is not modelled.',
    definition: {
      summaryVi: 'Từ đủ 75 tuổi không hưởng lương hưu, trợ cấp BHXH hằng tháng; hoặc từ 70 đến dưới 75 tuổi thuộc hộ nghèo, cận nghèo và không hưởng lương hưu: mức trợ cấp hưu trí xã hội.',
      summaryEn: 'Aged 75+ without pension or monthly social insurance, or 70 to under 75 in a poor or near-poor household without pension: the social pension amount.',
      conditions: [
        { fact: 'receivesPension', op: 'eq', value: false },
        { anyOf: [{ fact: 'ageYears', op: 'gte', value: 75 }, { allOf: [{ fact: 'ageYears', op: 'gte', value: 70 }, POOR_OR_NEAR] }] },
      ],
      amount: { kind: 'BASE_TIMES_COEFFICIENT', base: 'SOCIAL_PENSION', coefficient: 1.0 },
    },
    examples: [
      { name: '76, near-poor, August 2025', asOf: '2025-08-01', facts: { ageYears: 76, householdPoverty: 'NEAR_POOR' }, expectedEligible: true, expectedAmount: 500_000 },
      { name: '72, poor', asOf: '2025-08-01', facts: { ageYears: 72, householdPoverty: 'POOR' }, expectedEligible: true, expectedAmount: 500_000 },
      { name: '72, not poor', facts: { ageYears: 72 }, expectedEligible: false },
      { name: '80 with a pension', facts: { ageYears: 80, receivesPension: true }, expectedEligible: false },
    ],
  },
  {
    programCode: 'D39_BIRTH', version: 1, effectiveFrom: '2017-01-01', legalBasis: 'Nghị định 39/2015/NĐ-CP (Lâm Đồng áp dụng từ 2017)', confirmed: true,
    note: 'APPROXIMATIONS: a Kinh woman with an ethnic-minority husband and the population-policy condition (1–2 children) are not checked; eligibility is read while pregnant. Unconfirmed whether it survives the Population Law 113/2025 from 2026-07-01.',
    definition: {
      summaryVi: 'Phụ nữ dân tộc thiểu số thuộc hộ nghèo, cư trú ở vùng đặc biệt khó khăn, không tham gia BHXH bắt buộc, sinh con đúng chính sách dân số: hỗ trợ một lần 2.000.000 đồng.',
      summaryEn: 'Ethnic-minority woman in a poor household in a disadvantaged area, not in compulsory social insurance: one-off 2,000,000 VND at birth.',
      conditions: [
        { fact: 'sex', op: 'eq', value: 'FEMALE' },
        { fact: 'ethnicMinority', op: 'eq', value: true },
        POOR,
        { fact: 'disadvantagedArea', op: 'eq', value: true },
        { fact: 'flags', op: 'excludes', value: 'COMPULSORY_SOCIAL_INSURANCE' },
        { fact: 'pregnant', op: 'eq', value: true },
      ],
      amount: { kind: 'FIXED', amount: 2_000_000 },
    },
    examples: [
      { name: "pregnant K'Ho woman, poor, region III", facts: { ageYears: 24, sex: 'FEMALE', ethnicMinority: true, householdPoverty: 'POOR', disadvantagedArea: true, pregnant: true }, expectedEligible: true, expectedAmount: 2_000_000 },
      { name: 'pregnant, in compulsory social insurance', facts: { ageYears: 24, sex: 'FEMALE', ethnicMinority: true, householdPoverty: 'POOR', disadvantagedArea: true, pregnant: true, flags: ['COMPULSORY_SOCIAL_INSURANCE'] }, expectedEligible: false },
    ],
  },
  {
    programCode: 'MERIT_WAR_INVALID', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Nghị định 75/2021/NĐ-CP phụ lục II; hệ số suy ra từ mức của Nghị định 55/2023/NĐ-CP (mức chuẩn 2.055.000)', confirmed: false,
    note: 'Coefficients derived from the five anchor amounts of docs/law.md at base 2,055,000 (21/41/61/81/100%); rows between anchors interpolated (confirmed: false). Amounts at base 1,624,000 (2021-07..2023-06) are derived, not checked. 5–20% (one-off 4/6/8 × base) is not modelled.',
    definition: {
      summaryVi: 'Thương binh: trợ cấp hằng tháng theo tỷ lệ tổn thương cơ thể từ 21% (bảng theo từng %), bằng hệ số × mức chuẩn, làm tròn đến nghìn đồng.',
      summaryEn: 'War invalid: monthly amount by injury rate from 21% (one row per percent), coefficient × merit base, rounded to the thousand.',
      conditions: [{ fact: 'meritCategories', op: 'includes', value: 'WAR_INVALID' }, { fact: 'warInjuryRate', op: 'gte', value: 21 }],
      amount: { kind: 'TABLE', base: 'MERIT', fact: 'warInjuryRate', rows: warInvalidTable(2_055_000), roundTo: 1000 },
    },
    examples: [
      { name: '61% in 2023-07', asOf: '2023-07-01', facts: { meritCategories: ['WAR_INVALID'], warInjuryRate: 61 }, expectedEligible: true, expectedAmount: 4_016_000 },
      { name: '100% in 2023-07', asOf: '2023-07-01', facts: { meritCategories: ['WAR_INVALID'], warInjuryRate: 100 }, expectedEligible: true, expectedAmount: 6_589_000 },
      { name: '15% (one-off, not monthly)', asOf: '2023-07-01', facts: { meritCategories: ['WAR_INVALID'], warInjuryRate: 15 }, expectedEligible: false },
    ],
  },
  {
    programCode: 'MERIT_WAR_INVALID', version: 2, effectiveFrom: '2024-07-01', legalBasis: 'Nghị định 77/2024/NĐ-CP (mức chuẩn 2.789.000), phụ lục theo tỷ lệ tổn thương', confirmed: false,
    note: 'Coefficients derived from the five anchor amounts of docs/law.md at base 2,789,000; rows between anchors interpolated (confirmed: false).',
    definition: {
      summaryVi: 'Thương binh: trợ cấp hằng tháng theo tỷ lệ tổn thương cơ thể từ 21% (bảng theo từng %), bằng hệ số × mức chuẩn, làm tròn đến nghìn đồng.',
      summaryEn: 'War invalid: monthly amount by injury rate from 21% (one row per percent), coefficient × merit base, rounded to the thousand.',
      conditions: [{ fact: 'meritCategories', op: 'includes', value: 'WAR_INVALID' }, { fact: 'warInjuryRate', op: 'gte', value: 21 }],
      amount: { kind: 'TABLE', base: 'MERIT', fact: 'warInjuryRate', rows: warInvalidTable(2_789_000), roundTo: 1000 },
    },
    examples: [
      { name: '61% in 2024-07', asOf: '2024-07-01', facts: { meritCategories: ['WAR_INVALID'], warInjuryRate: 61 }, expectedEligible: true, expectedAmount: 5_450_000 },
      { name: '21% in 2024-07', asOf: '2024-07-01', facts: { meritCategories: ['WAR_INVALID'], warInjuryRate: 21 }, expectedEligible: true, expectedAmount: 1_878_000 },
      { name: '100% in 2024-07', asOf: '2024-07-01', facts: { meritCategories: ['WAR_INVALID'], warInjuryRate: 100 }, expectedEligible: true, expectedAmount: 8_941_000 },
    ],
  },
  {
    programCode: 'MERIT_MARTYR_FAMILY', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Pháp lệnh 02/2020/UBTVQH14; Nghị định 75/2021/NĐ-CP (thân nhân của một liệt sĩ: 1,0 × mức chuẩn)', confirmed: true,
    definition: {
      summaryVi: 'Thân nhân của một liệt sĩ: 1,0 lần mức chuẩn trợ cấp ưu đãi.',
      summaryEn: 'Family of one martyr: 1.0 × the merit base.',
      conditions: [{ fact: 'meritCategories', op: 'includes', value: 'MARTYR_RELATIVE' }],
      amount: { kind: 'BASE_TIMES_COEFFICIENT', base: 'MERIT', coefficient: 1.0 },
    },
    examples: [{ name: 'martyr relative, 2024-07', asOf: '2024-07-01', facts: { meritCategories: ['MARTYR_RELATIVE'] }, expectedEligible: true, expectedAmount: 2_789_000 }],
  },
  {
    programCode: 'MERIT_HEROIC_MOTHER', version: 1, effectiveFrom: '2021-07-01', legalBasis: 'Pháp lệnh 02/2020/UBTVQH14; Nghị định 75/2021/NĐ-CP (Bà mẹ Việt Nam anh hùng: 3,0 × mức chuẩn)', confirmed: true,
    definition: {
      summaryVi: 'Bà mẹ Việt Nam anh hùng: 3,0 lần mức chuẩn trợ cấp ưu đãi.',
      summaryEn: 'Vietnamese Heroic Mother: 3.0 × the merit base.',
      conditions: [{ fact: 'meritCategories', op: 'includes', value: 'HEROIC_MOTHER' }],
      amount: { kind: 'BASE_TIMES_COEFFICIENT', base: 'MERIT', coefficient: 3.0 },
    },
    examples: [{ name: 'heroic mother, 2024-07', asOf: '2024-07-01', facts: { meritCategories: ['HEROIC_MOTHER'] }, expectedEligible: true, expectedAmount: 8_367_000 }],
  },
];

/** Idempotent and fast: three INSERT … ON CONFLICT DO NOTHING statements. */
export async function seedProgramsAndRules(db: Db): Promise<void> {
  await db.insert(programs).values(PROGRAMS).onConflictDoNothing();
  await db
    .insert(programRules)
    .values(
      RULES.map((r) => ({
        programCode: r.programCode,
        version: r.version,
        effectiveFrom: r.effectiveFrom,
        effectiveTo: r.effectiveTo ?? null,
        legalBasis: r.legalBasis,
        definition: r.definition,
        examples: r.examples,
        confirmed: r.confirmed,
        note: r.note ?? null,
        publishedBy: SEED_PUBLISHER,
      })),
    )
    .onConflictDoNothing();
  await db
    .insert(baseLevels)
    .values(BASE_LEVELS.map((b) => ({ ...b, publishedBy: SEED_PUBLISHER })))
    .onConflictDoNothing();
}
