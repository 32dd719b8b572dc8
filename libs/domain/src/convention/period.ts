import { CalendarDate, addDays, addYears } from '../shared/calendar-date';

/** One period of a convention (R-CONV-3): `start` and `end` both included (R-TIME-3). */
export interface Period {
  /** 1 for the initial period, 2..6 for the renewals 1..5. */
  readonly number: number;
  readonly start: CalendarDate;
  readonly end: CalendarDate;
}

/** R-CONV-3: at most six years in all, i.e. the initial period and five renewals. */
export const MAX_PERIODS = 6;

/**
 * R-CONV-3: "the same date a year later". 29 February has none in the next year (never a leap year),
 * and the rule says a 29 February start ends on 28 February, so the same date is taken as 1 March.
 */
export function sameDateAYearLater(date: CalendarDate): CalendarDate {
  if (date.endsWith('-02-29')) return `${String(Number(date.slice(0, 4)) + 1).padStart(4, '0')}-03-01` as CalendarDate;
  return addYears(date, 1);
}

/** R-CONV-3: a period from `start` ends the day before the same date a year later. */
export function periodStartingOn(start: CalendarDate, number: number): Period {
  return { number, start, end: addDays(sameDateAYearLater(start), -1) };
}

/** R-CONV-4: a renewal is one year from the day after the previous period's end. */
export function nextPeriod(period: Period): Period {
  return periodStartingOn(addDays(period.end, 1), period.number + 1);
}

/**
 * The period containing `date`, counting on from `from` (a period already recorded): renewals not yet
 * recorded are those the lifecycle would record. `undefined` past the sixth period; `from` for a date
 * before it.
 */
export function periodContaining(from: Period, date: CalendarDate): Period | undefined {
  let period = from;
  while (period.end < date) {
    if (period.number >= MAX_PERIODS) return undefined;
    period = nextPeriod(period);
  }
  return period;
}
