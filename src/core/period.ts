/** Calendar dates ('yyyy-mm-dd'), calendar months ('yyyy-mm') and the dates the rules evaluate them on. */

/** A real calendar date written yyyy-mm-dd (the contract's Date scalar, and every date a service is given). */
export function isValidDate(v: string): boolean {
  // Year 0000 does not exist in PostgreSQL's calendar (1 BC is followed by AD 1): it would fail in the database.
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || v.startsWith('0000')) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

export const PERIOD_RE = /^\d{4}-(0[1-9]|1[0-2])$/;

export const periodOf = (date: string): string => date.slice(0, 7);
export const firstDay = (period: string): string => `${period}-01`;

export function lastDay(period: string): string {
  // A missing part is NaN, which is what arithmetic on it would give anyway (periods are checked by PERIOD_RE).
  const [y = NaN, m = NaN] = period.split('-').map(Number);
  const d = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${period}-${String(d).padStart(2, '0')}`;
}

/** The date `n` days after `date` (before, for a negative n): a residence period ends the day before the next starts. */
export function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function addMonths(period: string, n: number): string {
  const [y = NaN, m = NaN] = period.split('-').map(Number);
  const i = y * 12 + (m - 1) + n;
  return `${String(Math.floor(i / 12)).padStart(4, '0')}-${String((i % 12) + 1).padStart(2, '0')}`;
}

/** Every month from `from` to `to`, both included. */
export function monthsFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let p = from; p <= to; p = addMonths(p, 1)) out.push(p);
  return out;
}

/** PGlite returns DATE columns of raw queries as Date objects, pg (as configured) as strings. */
export function toDateString(v: unknown): string {
  return v instanceof Date ? v.toISOString().slice(0, 10) : String(v);
}

/** Whole months between two dates (a person's age in months), PostgreSQL's age() arithmetic. */
export function monthsBetween(from: string, to: string): number {
  const [fy = NaN, fm = NaN, fd = NaN] = from.split('-').map(Number);
  const [ty = NaN, tm = NaN, td = NaN] = to.split('-').map(Number);
  return (ty - fy) * 12 + (tm - fm) - (td < fd ? 1 : 0);
}
