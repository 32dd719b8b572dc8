/**
 * Business dates are calendar dates (R-TIME-1), written `YYYY-MM-DD`, never instants.
 * Arithmetic goes through a day number (days since 1970-01-01 in the proleptic Gregorian calendar),
 * computed with UTC so that no time zone or daylight-saving change can shift a day.
 */
export type CalendarDate = string & { readonly __brand: 'CalendarDate' };

const FORMAT = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** True for a real date in the calendar: 2026-02-30 and 2025-02-29 are not. */
export function isCalendarDate(text: unknown): text is CalendarDate {
  if (typeof text !== 'string') return false;
  const match = FORMAT.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** Parses or throws; at the edges (HTTP, CSV) validate with isCalendarDate first to answer a clear error. */
export function calendarDate(text: string): CalendarDate {
  if (!isCalendarDate(text)) throw new RangeError(`Not a calendar date: ${text}`);
  return text;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

export function daysInYear(year: number): number {
  return isLeapYear(year) ? 366 : 365;
}

export function yearOf(date: CalendarDate): number {
  return Number(date.slice(0, 4));
}

export function toDayNumber(date: CalendarDate): number {
  const [year, month, day] = date.split('-').map(Number);
  // setUTCFullYear, unlike Date.UTC, does not map years 0..99 to 1900..1999.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return Math.round(d.getTime() / MS_PER_DAY);
}

export function fromDayNumber(dayNumber: number): CalendarDate {
  const d = new Date(dayNumber * MS_PER_DAY);
  const year = d.getUTCFullYear();
  const text = `${String(year).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
  return text as CalendarDate;
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  return fromDayNumber(toDayNumber(date) + days);
}

/** The same day `years` later; 29 February becomes 28 February in a common year. */
export function addYears(date: CalendarDate, years: number): CalendarDate {
  const [year, month, day] = date.split('-').map(Number);
  const target = year + years;
  const clamped = Math.min(day, daysInMonth(target, month));
  return `${String(target).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(clamped).padStart(2, '0')}` as CalendarDate;
}

export const isAfter = (a: CalendarDate, b: CalendarDate): boolean => a > b;
export const minDate = (a: CalendarDate, b: CalendarDate): CalendarDate => (a <= b ? a : b);
export const maxDate = (a: CalendarDate, b: CalendarDate): CalendarDate => (a >= b ? a : b);

/** Days from `from` to `to`, both included (R-TIME-3 intervals); 0 when `to` is before `from`. */
export function daysInclusive(from: CalendarDate, to: CalendarDate): number {
  return Math.max(0, toDayNumber(to) - toDayNumber(from) + 1);
}

/** Today's date in Europe/Paris (R-TIME-1). Only the edges (HTTP, schedule) call this, never the domain. */
export function parisDateOf(instant: Date): CalendarDate {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    instant,
  );
  return calendarDate(parts);
}
