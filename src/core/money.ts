/** Amounts of đồng as messages write them: 1,500,000 in English, 1.500.000 in Vietnamese. */
export const formatVnd = (n: number): string => n.toLocaleString('en-US');
export const formatVndVi = (n: number): string => n.toLocaleString('en-US').replaceAll(',', '.');
