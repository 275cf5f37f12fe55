/** Calendar dates in Vietnam's time zone: "today" for a district officer is today in Asia/Ho_Chi_Minh. */
const VIETNAM_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit' });

export interface Clock {
  /** Today's date, yyyy-mm-dd. */
  today(): string;
}

export const systemClock: Clock = { today: () => VIETNAM_DAY.format(new Date()) };

/** Whole years between two yyyy-mm-dd dates (age on a date). */
export function yearsBetween(from: string, to: string): number {
  const [fy = NaN, fm = NaN, fd = NaN] = from.split('-').map(Number);
  const [ty = NaN, tm = NaN, td = NaN] = to.split('-').map(Number);
  return ty - fy - (tm < fm || (tm === fm && td < fd) ? 1 : 0);
}
