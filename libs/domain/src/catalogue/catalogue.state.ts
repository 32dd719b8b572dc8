import { CalendarDate } from '../shared/calendar-date';
import { FeeSchedule } from '../fees/fee-schedule';
import { CatalogueEvent } from './catalogue.events';

/** One fee schedule decision (R-CAT-5): in force for billing years ≥ fromYear, until a later decision. */
export interface ScheduleDecision {
  readonly fromYear: number;
  readonly feeSchedule: FeeSchedule;
  readonly legalReference: string;
}

export interface CatalogueOffer {
  readonly offerId: string;
  readonly name: string;
  /** R-CAT-3: annexes with this offer are accepted from this date; null while the offer is not open. */
  readonly openedOn: CalendarDate | null;
  /** Every decision in recording order, the first one made at entry (R-CAT-5). */
  readonly schedules: readonly ScheduleDecision[];
}

export interface CatalogueService {
  readonly serviceId: string;
  readonly name: string;
  readonly legalReference: string;
  readonly effectiveFrom: CalendarDate;
  readonly offers: readonly CatalogueOffer[];
}

/** The catalogue, folded from the `catalogue` stream. Plain data: the queries below read it. */
export interface CatalogueState {
  readonly services: readonly CatalogueService[];
}

export const emptyCatalogue = (): CatalogueState => ({ services: [] });

export function evolveCatalogue(state: CatalogueState, event: CatalogueEvent): CatalogueState {
  switch (event.type) {
    case 'ServiceEnteredCatalogue': {
      const { serviceId, name, legalReference, effectiveFrom, offers } = event.data;
      // The schedule set at entry counts from the entry's year: no annex can exist before it.
      const fromYear = Number(effectiveFrom.slice(0, 4));
      const service: CatalogueService = {
        serviceId,
        name,
        legalReference,
        effectiveFrom,
        offers: offers.map((offer) => ({
          offerId: offer.offerId,
          name: offer.name,
          openedOn: offer.open ? effectiveFrom : null,
          schedules: [{ fromYear, feeSchedule: offer.feeSchedule, legalReference }],
        })),
      };
      return { services: [...state.services, service] };
    }
    case 'OfferOpened':
      return updateOffer(state, event.data.serviceId, event.data.offerId, (offer) => ({ ...offer, openedOn: event.data.openedOn }));
    case 'FeeScheduleReplaced': {
      const { fromYear, feeSchedule, legalReference } = event.data;
      return updateOffer(state, event.data.serviceId, event.data.offerId, (offer) => ({
        ...offer,
        schedules: [...offer.schedules, { fromYear, feeSchedule, legalReference }],
      }));
    }
  }
}

function updateOffer(
  state: CatalogueState,
  serviceId: string,
  offerId: string,
  update: (offer: CatalogueOffer) => CatalogueOffer,
): CatalogueState {
  return {
    services: state.services.map((service) =>
      service.serviceId !== serviceId
        ? service
        : { ...service, offers: service.offers.map((offer) => (offer.offerId === offerId ? update(offer) : offer)) },
    ),
  };
}

export function findService(catalogue: CatalogueState, serviceId: string): CatalogueService | undefined {
  return catalogue.services.find((service) => service.serviceId === serviceId);
}

export function findOffer(catalogue: CatalogueState, serviceId: string, offerId: string): CatalogueOffer | undefined {
  return findService(catalogue, serviceId)?.offers.find((offer) => offer.offerId === offerId);
}

/** The offers of a service, in catalogue order; empty for an unknown service. */
export function offersOf(catalogue: CatalogueState, serviceId: string): readonly CatalogueOffer[] {
  return findService(catalogue, serviceId)?.offers ?? [];
}

/** R-CAT-3: annexes with this offer are accepted on `date` (the opening day included). */
export function isOpen(catalogue: CatalogueState, serviceId: string, offerId: string, date: CalendarDate): boolean {
  const openedOn = findOffer(catalogue, serviceId, offerId)?.openedOn;
  return openedOn != null && openedOn <= date;
}

/**
 * R-CAT-5: the schedule in force for billing year N. Each decision sets the schedule of every year
 * ≥ its fromYear, so the one in force for N is the last recorded among those with fromYear ≤ N
 * (a later decision from an earlier year overrides an earlier decision from a later year).
 * `undefined` for an unknown offer or a year before the service entered the catalogue.
 */
export function scheduleFor(
  catalogue: CatalogueState,
  serviceId: string,
  offerId: string,
  billingYear: number,
): ScheduleDecision | undefined {
  const schedules = findOffer(catalogue, serviceId, offerId)?.schedules ?? [];
  return schedules.filter((decision) => decision.fromYear <= billingYear).at(-1);
}
