import { CalendarDate } from '../shared/calendar-date';
import { FeeSchedule } from '../fees/fee-schedule';
import { OfferAtEntry } from './catalogue.events';

/** R-CAT-1: a service enters the catalogue (at first start, or later by amendment). */
export interface AddServiceToCatalogue {
  type: 'AddServiceToCatalogue';
  data: {
    serviceId: string;
    name: string;
    legalReference: string;
    effectiveFrom: CalendarDate;
    offers: OfferAtEntry[];
  };
}

/** R-CAT-3 */
export interface OpenOffer {
  type: 'OpenOffer';
  data: { serviceId: string; offerId: string; openedOn: CalendarDate; legalReference: string };
}

/** R-CAT-5 */
export interface ReplaceFeeSchedule {
  type: 'ReplaceFeeSchedule';
  data: { serviceId: string; offerId: string; fromYear: number; feeSchedule: FeeSchedule; legalReference: string };
}

export type CatalogueCommand = AddServiceToCatalogue | OpenOffer | ReplaceFeeSchedule;
