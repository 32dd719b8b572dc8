import { calendarDate } from '../shared/calendar-date';
import { isRefusal } from '../shared/refusal';
import { FeeSchedule } from '../fees/fee-schedule';
import { AddServiceToCatalogue } from './catalogue.commands';
import { catalogueDecider } from './catalogue.decider';
import { CatalogueEvent } from './catalogue.events';
import { CatalogueState } from './catalogue.state';
import cp2025_4074 from './cp-2025-4074.catalogue.json';

/** The shape of a catalogue data file such as cp-2025-4074.catalogue.json (R-CAT-2). */
export interface CatalogueFile {
  legalReference: string;
  effectiveFrom: string;
  services: { serviceId: string; name: string; offers: { offerId: string; name: string; open: boolean; feeSchedule: unknown }[] }[];
}

/** R-CAT-2: the catalogue of CP-2025-4074 §III, as the data file cites it. */
export const CP_2025_4074_CATALOGUE: CatalogueFile = cp2025_4074;

/** The commands that record a catalogue file, one per service, in file order. */
export function catalogueCommandsOf(file: CatalogueFile): AddServiceToCatalogue[] {
  return file.services.map((service) => ({
    type: 'AddServiceToCatalogue',
    data: {
      serviceId: service.serviceId,
      name: service.name,
      legalReference: file.legalReference,
      effectiveFrom: calendarDate(file.effectiveFrom),
      // The file is ours and checked by its test; the decider still refuses an invalid schedule (R-CAT-4).
      offers: service.offers.map(({ offerId, name, open, feeSchedule }) => ({
        offerId,
        name,
        open,
        feeSchedule: feeSchedule as FeeSchedule,
      })),
    },
  }));
}

/**
 * The events to record at first start: the file's services, decided one after the other on the
 * current catalogue. Nothing when the catalogue already has services (it is recorded once; later
 * services enter by amendment, R-CAT-1). Throws on a refusal: the file itself is wrong.
 */
export function initialCatalogueEvents(current: CatalogueState, file: CatalogueFile = CP_2025_4074_CATALOGUE): CatalogueEvent[] {
  if (current.services.length > 0) return [];
  const events: CatalogueEvent[] = [];
  let state = current;
  for (const command of catalogueCommandsOf(file)) {
    const decided = catalogueDecider.decide(command, state);
    if (isRefusal(decided)) throw new Error(`Catalogue file refused (${decided.rule} ${decided.code}): ${decided.detail}`);
    events.push(...decided);
    state = decided.reduce(catalogueDecider.evolve, state);
  }
  return events;
}
