import { CalendarDate } from '../shared/calendar-date';

/** A recorded legal population (R-FEE-2), as the ledger needs it: the value, where it came from, and when it was recorded. */
export interface PopulationFigure {
  readonly communeInsee: string;
  readonly population: number;
  readonly effectiveDate: CalendarDate;
  readonly source: string;
  /** Rank in the recording order (e.g. the event's global position): higher means recorded later. */
  readonly sequence: number;
  readonly eventId: string;
}

/**
 * R-FEE-2: billing year N uses the commune's figure with the latest effective date on or before
 * (N-1)-12-31; among figures sharing that date, the one recorded last (a correction) wins.
 * `undefined` when there is none: the caller makes the line pending (`population_missing`).
 */
export function populationForYear(figures: readonly PopulationFigure[], communeInsee: string, year: number): PopulationFigure | undefined {
  const lastDay = `${year - 1}-12-31`;
  let chosen: PopulationFigure | undefined;
  for (const figure of figures) {
    if (figure.communeInsee !== communeInsee || figure.effectiveDate > lastDay) continue;
    // `>=` on sequence: of two figures with the same rank, the later in the list counts as recorded later.
    if (
      !chosen ||
      figure.effectiveDate > chosen.effectiveDate ||
      (figure.effectiveDate === chosen.effectiveDate && figure.sequence >= chosen.sequence)
    ) {
      chosen = figure;
    }
  }
  return chosen;
}
