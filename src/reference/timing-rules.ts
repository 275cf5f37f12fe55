/**
 * The timing rules every installation starts with (table timing_rules, src/db/schema/rules.ts): when an
 * enrolment may start and when a change of level takes effect, by period of the law. Sources and confidence:
 * docs/law.md#start-change-and-stop-months. Applied idempotently (ON CONFLICT DO NOTHING) by seedReferenceData.
 */
import type { Db } from '../db/client.js';
import { timingRules } from '../db/schema/index.js';

export type TimingRuleSeed = typeof timingRules.$inferInsert;

export const TIMING_RULES: TimingRuleSeed[] = [
  {
    code: 'D20_ART8',
    validFrom: '2021-07-01',
    validTo: '2025-06-30',
    families: ['SOCIAL_ASSISTANCE', 'CARE_ALLOWANCE'],
    startBasis: 'LEGAL_START',
    backPayFloor: '2021-07-01',
    increaseEffect: 'SAME_MONTH',
    decreaseEffect: 'MONTH_AFTER',
    legalBasis:
      'Nghị định 20/2021/NĐ-CP, điều 8 khoản 1 (điểm đ: khoản 5 điểm b từ tháng đủ 75 tuổi, điểm c từ tháng đủ 80 tuổi, người khuyết tật từ tháng được cấp giấy xác nhận; thay đổi mức hưởng từ tháng đủ điều kiện) và khoản 2 (thôi hưởng từ tháng sau)',
    confirmed: true,
    note: 'Start from the month of the decision, or from the legal start (75th/80th birthday month, certificate month); months before the decision month are back pay, never before 2021-07-01 (the decree took effect). An increase of level applies from the month the person qualifies; a decrease from the month after (reading: art. 8.2, the higher level is lost from the month after). docs/law.md#start-change-and-stop-months',
  },
  {
    code: 'D147_ART5',
    validFrom: '2025-07-01',
    validTo: null,
    families: ['SOCIAL_ASSISTANCE', 'CARE_ALLOWANCE'],
    startBasis: 'DECISION_MONTH',
    backPayFloor: null,
    increaseEffect: 'MONTH_AFTER',
    decreaseEffect: 'MONTH_AFTER',
    legalBasis:
      'Nghị định 147/2025/NĐ-CP, điều 5 (chính quyền địa phương hai cấp: Chủ tịch UBND cấp xã quyết định; hưởng từ tháng ký quyết định; dừng, thay đổi mức hưởng từ tháng sau tháng phát sinh)',
    confirmed: false,
    note: 'Unconfirmed reading from secondary sources: start from the month of signing (no back-dating), a change or stop from the month after the event. docs/law.md#start-change-and-stop-months',
  },
];

export async function seedTimingRules(db: Db): Promise<void> {
  await db.insert(timingRules).values(TIMING_RULES).onConflictDoNothing();
}
