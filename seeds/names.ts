/**
 * Name material for the demo population. The people are invented; the naming customs are real:
 *
 * - K'Ho (Cơ Ho, with its Lạch and Cil groups, the people of the Lang Biang plateau): a clan name
 *   (Cil, Liêng, Kră Jăn, Bon Niêng, …) then a given name; men's given names often carry "K'"
 *   ("Kră Jăn K' Sơn"), women's "Ka" ("Liêng Ka Hoàn"); many are registered with the prefix and given name
 *   only ("K' Brếu", "Ka Điệp"). K'Ho society is matrilineal: children take their mother's clan name.
 * - Kinh: family name (the father's), middle name (Văn / Thị / Đức / Minh …), given name.
 */

/** Values stored in persons.ethnicity. Everything but 'Kinh' is an ethnic minority here. */
export const ETHNICITY = {
  KINH: 'Kinh',
  KHO: "K'Ho",
  LACH: 'Lạch',
  CIL: 'Cil',
  TAY: 'Tày',
  NUNG: 'Nùng',
} as const;
export type Ethnicity = (typeof ETHNICITY)[keyof typeof ETHNICITY];

export const KHO_CLANS = [
  'Cil', 'Liêng', 'Kră Jăn', 'Ka Sá', 'Bon Niêng', 'Păng Ting', 'Rơ Ông', 'Đa Cát', 'Lơ Mu', 'Liêng Hót',
  'Kơ Să', 'Bon Đơng', 'Cil Múp', 'Liêng Jrang', 'Kon Sơ', 'Đa Gout', 'Bon Yô', 'Mơ Lơ', 'Ndu', 'Tou Prong',
] as const;

export const LACH_CLANS = ['Bon Đơng', 'Bon Yô', 'Liêng Hót', 'Kơ Să', 'Rơ Ông', 'Đa Cát', 'Bon Niêng', 'Lơ Mu'] as const;

export const CIL_CLANS = ['Cil', 'Cil Múp', 'Păng Ting', 'Mơ Lơ', 'Bon Yô', 'Đa Gout', 'Liêng Jrang'] as const;

export const KHO_MALE_GIVEN = [
  'Brếu', 'Sơn', 'Tiếp', 'Hùng', 'Điểu', 'Brơi', 'Thoại', 'Bình', 'Lang', 'Jăng', 'Dũng', 'Tuấn', 'Ha Thuận',
  'Múp', 'Jrang', 'Khiêm', 'Bốp', 'Drim', 'Kriêng', 'Ha Ruông', 'Ha Sen', 'Dơng', 'Yông', 'Thành', 'Phúc',
  'Lộc', 'Minh', 'Nam', 'Tân', 'Vin', 'Sỹ', 'Bròn', 'Ha Prông', 'Ha Ban', 'Tới',
] as const;

export const KHO_FEMALE_GIVEN = [
  'Hoàn', 'Điệp', 'Sương', 'Thuy', 'Trinh', 'Linh', 'Bôn', 'Nhung', 'Dung', 'Hương', 'Mai', 'Yên', 'Bơ',
  'Nhí', 'Djung', 'Prah', 'Srim', 'Hiền', 'Thủy', 'Lan', 'Xuân', 'Hồng', 'Duyên', 'Ngọc', 'Bích', 'Ly',
  'Sen', 'Păng', 'Jrông', 'Liên',
] as const;

export const KINH_FAMILY = [
  // Weighted roughly by frequency: Nguyễn is about four in ten.
  ['Nguyễn', 38], ['Trần', 11], ['Lê', 9.5], ['Phạm', 7], ['Hoàng', 5], ['Vũ', 4], ['Phan', 4], ['Đặng', 2.1],
  ['Bùi', 2], ['Đỗ', 1.4], ['Hồ', 1.3], ['Ngô', 1.3], ['Dương', 1], ['Lý', 0.5], ['Võ', 3], ['Huỳnh', 2],
  ['Trương', 1.2], ['Đinh', 1], ['Mai', 0.8], ['Lương', 0.7],
] as const;

export const KINH_MALE_MIDDLE = [['Văn', 40], ['Đức', 10], ['Minh', 10], ['Quang', 8], ['Hữu', 8], ['Thanh', 7], ['Xuân', 5], ['Ngọc', 4], ['Công', 4], ['Quốc', 4]] as const;
export const KINH_FEMALE_MIDDLE = [['Thị', 55], ['Ngọc', 10], ['Thu', 8], ['Thanh', 8], ['Minh', 6], ['Mỹ', 5], ['Kim', 4], ['Bảo', 4]] as const;

export const KINH_MALE_GIVEN = [
  'Đức', 'Hùng', 'Tuấn', 'Dũng', 'Nam', 'Hải', 'Long', 'Sơn', 'Thắng', 'Cường', 'Hưng', 'Minh', 'Quân',
  'Phúc', 'Thành', 'Trung', 'Khoa', 'Huy', 'Tài', 'Bình', 'Lộc', 'Vinh', 'Toàn', 'Kiên', 'Hiếu', 'Phong',
  'Quý', 'Thịnh', 'An', 'Khánh',
] as const;

export const KINH_FEMALE_GIVEN = [
  'Lan', 'Hương', 'Thảo', 'Phương', 'Hà', 'Quỳnh', 'Hằng', 'Nga', 'Trang', 'Linh', 'Mai', 'Hoa', 'Yến',
  'Thủy', 'Loan', 'Hạnh', 'Nhung', 'Tâm', 'Oanh', 'Vân', 'Dung', 'Ngân', 'Thu', 'Huyền', 'Anh', 'Ánh',
  'Diệp', 'Hiền', 'Liên', 'Nguyệt',
] as const;

export const TAY_NUNG_FAMILY = ['Hoàng', 'Nông', 'Lương', 'Lục', 'Hà', 'Vi', 'Lộc', 'Triệu', 'Lăng', 'Chu'] as const;
