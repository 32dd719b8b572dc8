import { CalendarDate } from '../shared/calendar-date';

/** R-FEE-2. `reason` is required when it corrects a figure recorded for the same date (R-TIME-2). */
export interface RecordPopulation {
  type: 'RecordPopulation';
  data: { communeInsee: string; population: number; effectiveDate: CalendarDate; source: string; reason?: string };
}

/** R-LEG-1. `reason` is required when it corrects the legacy convention recorded for the service (R-TIME-2). */
export interface RecordLegacyConvention {
  type: 'RecordLegacyConvention';
  data: {
    communeInsee: string;
    communeName: string;
    serviceId: string;
    offerId: string;
    /** A decimal with at most two decimals ("90000", "90000.50"); null or absent when unknown. */
    annualContribution?: string | null;
    year: number;
    startDate?: CalendarDate | null;
    reason?: string;
  };
}

/** R-LEG-3: the time-driven process for one commune: records every legacy access end due by `asOf`. */
export interface RunLegacyTransition {
  type: 'RunLegacyTransition';
  data: { communeInsee: string; asOf: CalendarDate };
}

export type CommuneCommand = RecordPopulation | RecordLegacyConvention | RunLegacyTransition;
