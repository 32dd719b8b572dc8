import { EventTypeNames } from '../shared/event-type-names';
import { CalendarDate } from '../shared/calendar-date';
import { MoneyString } from '../shared/money';

/**
 * One stream per commune, `commune-<insee>`, for the reference facts about it: its population
 * figures (R-FEE-2) and its legacy conventions (R-LEG-1, R-LEG-3). Conventions have their own streams.
 */
export const communeStreamId = (communeInsee: string): string => `commune-${communeInsee}`;
export const COMMUNE_STREAM_PREFIX = 'commune-';

/** Event type strings are written out and never renamed once stored (a new shape gets a new schemaVersion). */
export const CommuneEventType = {
  PopulationRecorded: 'PopulationRecorded',
  LegacyConventionRecorded: 'LegacyConventionRecorded',
  LegacyAccessEnded: 'LegacyAccessEnded',
} as const satisfies EventTypeNames<CommuneEvent>;

/** R-FEE-2: a legal population figure; R-TIME-2: a correction says what it replaces and why. */
export interface PopulationRecorded {
  type: 'PopulationRecorded';
  schemaVersion: 1;
  data: {
    communeInsee: string;
    population: number;
    effectiveDate: CalendarDate;
    source: string;
    /** Present when a figure with the same effective date was recorded before: the one it replaces. */
    corrects?: { population: number; source: string; reason: string };
  };
}

/** R-LEG-1: the per-service agreement the commune held before the framework. */
export interface LegacyConventionRecorded {
  type: 'LegacyConventionRecorded';
  schemaVersion: 1;
  data: {
    communeInsee: string;
    communeName: string;
    serviceId: string;
    offerId: string;
    /** The contribution paid for `year` under it, two decimals; null when unknown (not yet recorded). */
    annualContribution: MoneyString | null;
    year: number;
    /** null: in force since before 2025. */
    startDate: CalendarDate | null;
    /** Present when the legacy convention of this service was recorded before: what it replaces. */
    corrects?: { offerId: string; annualContribution: MoneyString | null; startDate: CalendarDate | null; reason: string };
  };
}

export type LegacyEndReason = 'continued_by_convention' | 'no_continuity';

/** R-LEG-2, R-LEG-3: the legacy access to a service has ended; recorded by the time-driven process. */
export interface LegacyAccessEnded {
  type: 'LegacyAccessEnded';
  schemaVersion: 1;
  data: {
    communeInsee: string;
    serviceId: string;
    /** The last day of legacy access (included). */
    lastDay: CalendarDate;
    reason: LegacyEndReason;
    /** With continuity: the convention and the start of its annex that takes over. */
    conventionId: string | null;
    annexFrom: CalendarDate | null;
    /** Present when later facts changed the outcome recorded before (R-TIME-2). */
    corrects?: { lastDay: CalendarDate; reason: LegacyEndReason; conventionId: string | null };
  };
}

export type CommuneEvent = PopulationRecorded | LegacyConventionRecorded | LegacyAccessEnded;

export const COMMUNE_EVENT_TYPES: readonly CommuneEvent['type'][] = Object.values(CommuneEventType);

export function isCommuneEvent(event: { type: string }): event is CommuneEvent {
  return (COMMUNE_EVENT_TYPES as readonly string[]).includes(event.type);
}
