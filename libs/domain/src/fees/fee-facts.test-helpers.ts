// Builders for the fee tests: facts as the reference-fact events record them.
import { CalendarDate } from '../shared/calendar-date';
import { MoneyString } from '../shared/money';
import { FixedPlusPerInhabitantSchedule } from './fee-schedule';
import { PopulationFigure } from './population';
import { SyntecIndexValue } from './syntec-index';

let recorded = 0;

export function populationFigure(population: number, effectiveDate: string, overrides: Partial<PopulationFigure> = {}): PopulationFigure {
  recorded += 1;
  return {
    communeInsee: '69999',
    population,
    effectiveDate: effectiveDate as CalendarDate,
    source: 'INSEE populations légales',
    sequence: recorded,
    eventId: `population-${recorded}`,
    ...overrides,
  };
}

export function indexValue(
  period: string,
  value: string,
  publishedOn: string,
  overrides: Partial<SyntecIndexValue> = {},
): SyntecIndexValue {
  recorded += 1;
  return { period, value, publishedOn: publishedOn as CalendarDate, sequence: recorded, eventId: `syntec-${recorded}`, ...overrides };
}

const schedule = (fixed: string, perInhabitant: string): FixedPlusPerInhabitantSchedule => ({
  kind: 'fixed_plus_per_inhabitant',
  fixed: fixed as MoneyString,
  perInhabitant,
  baseYear: 2025,
  indexation: 'syntec',
});

/** R-CAT-2, CP-2025-4074 §III. */
export const toodegoPartenaire = schedule('5000.00', '0.20');
export const toodegoConnecte = schedule('5000.00', '0.02');
export const laclasseStandard = schedule('300.00', '0.06');

export const date = (text: string) => text as CalendarDate;
