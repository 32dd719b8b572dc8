import { CalendarDate, daysInYear, daysInclusive, maxDate, minDate } from '../shared/calendar-date';
import { Dec, round2 } from '../shared/money';
import { Proration } from './fee-schedule';

/** An annex period (R-TIME-3): [from, until], both days included; `until` null while it runs. */
export interface InForcePeriod {
  readonly from: CalendarDate;
  readonly until: CalendarDate | null;
}

export interface DaysInForce {
  /** The part of the period inside the year. */
  readonly from: CalendarDate;
  readonly until: CalendarDate;
  /** d of R-FEE-6. */
  readonly days: number;
  /** D of R-FEE-6: 365 or 366. */
  readonly daysInYear: number;
}

/** The days of `year` on which the period is in force; undefined when it does not touch the year. */
export function daysInForceIn(year: number, period: InForcePeriod): DaysInForce | undefined {
  const from = maxDate(period.from, `${year}-01-01` as CalendarDate);
  const until = period.until === null ? (`${year}-12-31` as CalendarDate) : minDate(period.until, `${year}-12-31` as CalendarDate);
  const days = daysInclusive(from, until);
  return days === 0 ? undefined : { from, until, days, daysInYear: daysInYear(year) };
}

/**
 * R-FEE-6: the amount due is round2(A × d / D); in force all year it is exactly A (A is already to the
 * cent). With `proration: none`, any year touched owes A in full.
 */
export function amountDue(annualAmount: Dec, days: number, daysInYear: number, proration: Proration): Dec {
  if (proration === 'none') return annualAmount;
  return round2(annualAmount.times(days).dividedBy(daysInYear));
}
