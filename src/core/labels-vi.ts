/**
 * Vietnamese words for the domain's stable codes, so a Vietnamese message never shows a raw code
 * ("hoàn cảnh ... ORPHAN_NO_SUPPORT") or an English word ("enrolment") to a commune officer. Codes
 * without an entry are shown as they are (they are then a bug to fix here).
 */
const CODES_VI: Record<string, string> = {
  // Sex, poverty classification, disability levels
  MALE: 'nam',
  FEMALE: 'nữ',
  POOR: 'hộ nghèo',
  NEAR_POOR: 'hộ cận nghèo',
  NONE: 'không',
  MILD: 'khuyết tật nhẹ',
  SEVERE: 'khuyết tật nặng',
  PARTICULARLY_SEVERE: 'khuyết tật đặc biệt nặng',
  // Circumstances
  NO_SUPPORTER: 'không có người phụng dưỡng, nuôi dưỡng',
  SINGLE_PARENT: 'đơn thân nuôi con',
  HIV: 'nhiễm HIV/AIDS',
  NO_STABLE_INCOME: 'không có nguồn thu nhập ổn định',
  ORPHAN_NO_SUPPORT: 'trẻ em không có nguồn nuôi dưỡng',
  IN_SCHOOL: 'đang đi học',
  COMMUNITY_CARER: 'được cộng đồng nhận chăm sóc',
  COMPULSORY_SOCIAL_INSURANCE: 'tham gia bảo hiểm xã hội bắt buộc',
  NON_FAMILY_CARER: 'được người không phải thành viên gia đình nhận nuôi dưỡng, chăm sóc',
  // Merit categories (Pháp lệnh 02/2020/UBTVQH14)
  REVOLUTIONARY_PRE_1945: 'người hoạt động cách mạng trước năm 1945',
  REVOLUTIONARY_1945: 'người hoạt động cách mạng từ 1945 đến Tổng khởi nghĩa',
  MARTYR_RELATIVE: 'thân nhân liệt sĩ',
  HEROIC_MOTHER: 'Bà mẹ Việt Nam anh hùng',
  HERO: 'Anh hùng lực lượng vũ trang, Anh hùng lao động',
  WAR_INVALID: 'thương binh',
  WAR_INVALID_TYPE_B: 'thương binh loại B',
  SICK_SOLDIER: 'bệnh binh',
  AGENT_ORANGE: 'người hoạt động kháng chiến bị nhiễm chất độc hóa học',
  IMPRISONED: 'người hoạt động cách mạng bị địch bắt tù, đày',
  RESISTANCE_PARTICIPANT: 'người hoạt động kháng chiến',
  REVOLUTION_HELPER: 'người có công giúp đỡ cách mạng',
  // Enrolment statuses
  PROPOSED: 'đề nghị',
  ACTIVE: 'đang hưởng',
  ENDED: 'đã thôi hưởng',
};

const ROLES_VI: Record<string, string> = {
  commune_officer: 'cán bộ xã',
  district_officer: 'cán bộ huyện',
  auditor: 'kiểm tra viên',
  integration: 'hệ thống kết nối',
  admin: 'quản trị viên',
};

/** The Vietnamese name of a role. */
export const roleVi = (role: string): string => ROLES_VI[role] ?? role;

/** The Vietnamese word for a code, or the code itself when none is known. */
export const codeVi = (code: string): string => CODES_VI[code] ?? code;
