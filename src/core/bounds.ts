/**
 * Dates and months parsed into numbers with sane bounds, so that nothing downstream compares them as text
 * ("10000-01" < "9999-12" as strings) or walks a million months before a range check. Pure: no database,
 * no GraphQL.
 */

/** Years a date or month may fall in, unless a field documents otherwise (DESIGN: 1900–2100). */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2100;

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

const DATE_SHAPE = /^(\d{4})-(\d{2})-(\d{2})$/;
const PERIOD_SHAPE = /^(\d{4})-(\d{2})$/;

const inYears = (year: number) => year >= MIN_YEAR && year <= MAX_YEAR;

/** 'yyyy-mm-dd' of a real calendar day between MIN_YEAR and MAX_YEAR, else undefined. */
export function parseDate(text: string): CalendarDate | undefined {
  const m = DATE_SHAPE.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (!inYears(year) || month < 1 || month > 12 || day < 1) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth ? { year, month, day } : undefined;
}

/** 'yyyy-mm' between MIN_YEAR and MAX_YEAR: the month as a count of months since year 0, else undefined. */
export function parsePeriod(text: string): number | undefined {
  const m = PERIOD_SHAPE.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  if (!inYears(year) || month < 1 || month > 12) return undefined;
  return year * 12 + (month - 1);
}

/** The month index of a period already accepted by parsePeriod (or of any 'yyyy-mm'). */
export function monthIndex(period: string): number {
  const year = Number(period.slice(0, 4));
  const month = Number(period.slice(5, 7));
  return year * 12 + (month - 1);
}

/** How many months from `from` to `to`, both included (0 or less when `to` is before `from`). */
export function monthSpan(from: string, to: string): number {
  return monthIndex(to) - monthIndex(from) + 1;
}

export const DATE_RANGE_TEXT = {
  en: `a calendar date yyyy-mm-dd in the years ${MIN_YEAR}–${MAX_YEAR}`,
  vi: `phải là ngày dạng năm-tháng-ngày (ví dụ 2024-07-01), năm từ ${MIN_YEAR} đến ${MAX_YEAR}`,
};
export const PERIOD_RANGE_TEXT = {
  en: `a calendar month yyyy-mm in the years ${MIN_YEAR}–${MAX_YEAR}`,
  vi: `phải là tháng dạng năm-tháng (ví dụ 2024-07), năm từ ${MIN_YEAR} đến ${MAX_YEAR}`,
};
