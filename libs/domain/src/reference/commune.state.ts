import { CalendarDate } from '../shared/calendar-date';
import { MoneyString } from '../shared/money';
import { CommuneEvent, LegacyEndReason } from './commune.events';

export interface PopulationEntry {
  readonly population: number;
  readonly effectiveDate: CalendarDate;
  readonly source: string;
}

/** A legacy convention as last recorded (R-LEG-1), with the end of its access once recorded (R-LEG-3). */
export interface LegacyConvention {
  readonly communeInsee: string;
  readonly communeName: string;
  readonly serviceId: string;
  readonly offerId: string;
  readonly annualContribution: MoneyString | null;
  readonly year: number;
  readonly startDate: CalendarDate | null;
  readonly accessEnded: { readonly lastDay: CalendarDate; readonly reason: LegacyEndReason; readonly conventionId: string | null } | null;
}

export interface CommuneState {
  /** Every figure in recording order; for one effective date the last one counts (R-FEE-2). */
  readonly populations: readonly PopulationEntry[];
  /** One per service (R-LEG-1). */
  readonly legacyConventions: readonly LegacyConvention[];
}

export const emptyCommune = (): CommuneState => ({ populations: [], legacyConventions: [] });

export function evolveCommune(state: CommuneState, event: CommuneEvent): CommuneState {
  switch (event.type) {
    case 'PopulationRecorded': {
      const { population, effectiveDate, source } = event.data;
      return { ...state, populations: [...state.populations, { population, effectiveDate, source }] };
    }
    case 'LegacyConventionRecorded': {
      const { communeInsee, communeName, serviceId, offerId, annualContribution, year, startDate } = event.data;
      const previous = legacyConventionOf(state, serviceId);
      const recorded: LegacyConvention = {
        communeInsee,
        communeName,
        serviceId,
        offerId,
        annualContribution,
        year,
        startDate,
        accessEnded: previous?.accessEnded ?? null,
      };
      return { ...state, legacyConventions: [...state.legacyConventions.filter((legacy) => legacy.serviceId !== serviceId), recorded] };
    }
    case 'LegacyAccessEnded': {
      const { serviceId, lastDay, reason, conventionId } = event.data;
      return {
        ...state,
        legacyConventions: state.legacyConventions.map((legacy) =>
          legacy.serviceId === serviceId ? { ...legacy, accessEnded: { lastDay, reason, conventionId } } : legacy,
        ),
      };
    }
  }
}

/** The figure currently recorded for an effective date: the last one recorded (R-FEE-2, R-TIME-2). */
export function populationRecordedFor(state: CommuneState, effectiveDate: CalendarDate): PopulationEntry | undefined {
  return state.populations.filter((entry) => entry.effectiveDate === effectiveDate).at(-1);
}

export function legacyConventionOf(state: CommuneState, serviceId: string): LegacyConvention | undefined {
  return state.legacyConventions.find((legacy) => legacy.serviceId === serviceId);
}
