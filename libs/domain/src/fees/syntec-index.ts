import { CalendarDate } from '../shared/calendar-date';

/** A recorded Syntec index value (R-FEE-3). */
export interface SyntecIndexValue {
  /** The month the value is for, `YYYY-MM`. */
  readonly period: string;
  /** A decimal string as recorded ("322.2"). */
  readonly value: string;
  readonly publishedOn: CalendarDate;
  /** Rank in the recording order (e.g. the event's global position): higher means recorded later. */
  readonly sequence: number;
  readonly eventId: string;
}

/**
 * R-FEE-3: S(Y), the index "known on 1 January of Y": the value of the latest period among those
 * published on or before Y-01-01. `undefined` when none is (the line is then pending, `index_missing`).
 *
 * Two values recorded for the same period: the later recording is a correction (R-TIME-2) and
 * replaces the earlier one entirely, its publication date included, before anything else is looked
 * at. So a mistyped value or a mistyped publication date is put right by recording the period again;
 * the earlier recording no longer counts for any year.
 */
export function syntecKnownOnFirstJanuary(values: readonly SyntecIndexValue[], year: number): SyntecIndexValue | undefined {
  const firstJanuary = `${year}-01-01`;
  let known: SyntecIndexValue | undefined;
  for (const value of currentValuesByPeriod(values).values()) {
    if (value.publishedOn <= firstJanuary && (!known || value.period > known.period)) known = value;
  }
  return known;
}

/** S(Y) for every year asked of the same values: R-FEE-3 as syntecKnownOnFirstJanuary gives it. */
export interface SyntecKnown {
  readonly onFirstJanuary: (year: number) => SyntecIndexValue | undefined;
}

/**
 * The values' answers, each year worked out once on first asking: a national ledger asks the same
 * few years for each of its lines, and rescanning every value each time cost a quarter of its time.
 * `values` must not change afterwards.
 */
export function syntecKnown(values: readonly SyntecIndexValue[]): SyntecKnown {
  const answers = new Map<number, SyntecIndexValue | undefined>();
  return {
    onFirstJanuary: (year) => {
      if (!answers.has(year)) answers.set(year, syntecKnownOnFirstJanuary(values, year));
      return answers.get(year);
    },
  };
}

/** The last recording of each period. Of two with the same rank, the later in the list counts as recorded later. */
function currentValuesByPeriod(values: readonly SyntecIndexValue[]): Map<string, SyntecIndexValue> {
  const current = new Map<string, SyntecIndexValue>();
  for (const value of values) {
    const previous = current.get(value.period);
    if (!previous || value.sequence >= previous.sequence) current.set(value.period, value);
  }
  return current;
}
