import { EventTypeNames } from '../shared/event-type-names';
import { CalendarDate } from '../shared/calendar-date';
import { FeeSchedule } from '../fees/fee-schedule';

/** Stream of the catalogue (R-CAT-1): one stream for every service. */
export const CATALOGUE_STREAM = 'catalogue';

/** Event type strings are written out and never renamed once stored (a new shape gets a new schemaVersion). */
export const CatalogueEventType = {
  ServiceEnteredCatalogue: 'ServiceEnteredCatalogue',
  OfferOpened: 'OfferOpened',
  FeeScheduleReplaced: 'FeeScheduleReplaced',
} as const satisfies EventTypeNames<CatalogueEvent>;

export interface OfferAtEntry {
  offerId: string;
  name: string;
  /** R-CAT-3: open from the service's effective date, or closed until an OfferOpened. */
  open: boolean;
  feeSchedule: FeeSchedule;
}

/** R-CAT-1, R-CAT-2: a service enters the catalogue with its offers and their fee schedules. */
export interface ServiceEnteredCatalogue {
  type: 'ServiceEnteredCatalogue';
  schemaVersion: 1;
  data: {
    serviceId: string;
    name: string;
    legalReference: string;
    /** The first day the service may be annexed (the open offers are open from it). */
    effectiveFrom: CalendarDate;
    offers: OfferAtEntry[];
  };
}

/** R-CAT-3: annexes with this offer are accepted from `openedOn` (included). */
export interface OfferOpened {
  type: 'OfferOpened';
  schemaVersion: 1;
  data: { serviceId: string; offerId: string; openedOn: CalendarDate; legalReference: string };
}

/** R-CAT-5: billing years ≥ fromYear use this schedule (until a later decision replaces it). */
export interface FeeScheduleReplaced {
  type: 'FeeScheduleReplaced';
  schemaVersion: 1;
  data: { serviceId: string; offerId: string; fromYear: number; feeSchedule: FeeSchedule; legalReference: string };
}

export type CatalogueEvent = ServiceEnteredCatalogue | OfferOpened | FeeScheduleReplaced;

export const CATALOGUE_EVENT_TYPES: readonly CatalogueEvent['type'][] = Object.values(CatalogueEventType);

export function isCatalogueEvent(event: { type: string }): event is CatalogueEvent {
  return (CATALOGUE_EVENT_TYPES as readonly string[]).includes(event.type);
}
