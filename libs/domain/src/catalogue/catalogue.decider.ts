import { yearOf } from '../shared/calendar-date';
import { Decider } from '../shared/decider';
import { isDecimalInput, isMoneyInput } from '../shared/money';
import { Refusal, refusal } from '../shared/refusal';
import { FeeSchedule } from '../fees/fee-schedule';
import { AddServiceToCatalogue, CatalogueCommand, OpenOffer, ReplaceFeeSchedule } from './catalogue.commands';
import { CatalogueEvent } from './catalogue.events';
import { CatalogueState, emptyCatalogue, evolveCatalogue, findService } from './catalogue.state';

/** The catalogue decider (R-CAT-1..5), on the `catalogue` stream. */
export const catalogueDecider: Decider<CatalogueState, CatalogueCommand, CatalogueEvent> = {
  initialState: emptyCatalogue,
  decide: (command, state) => {
    switch (command.type) {
      case 'AddServiceToCatalogue':
        return addService(command, state);
      case 'OpenOffer':
        return openOffer(command, state);
      case 'ReplaceFeeSchedule':
        return replaceFeeSchedule(command, state);
    }
  },
  evolve: evolveCatalogue,
};

function addService({ data }: AddServiceToCatalogue, state: CatalogueState): CatalogueEvent[] | Refusal {
  const { serviceId } = data;
  if (findService(state, serviceId))
    return refusal('R-CAT-1', 'ServiceAlreadyInCatalogue', `Service ${serviceId} is already in the catalogue`, { serviceId }, 'conflict');
  if (!data.legalReference.trim())
    return refusal('R-CAT-1', 'LegalReferenceMissing', 'A service enters the catalogue citing its legal reference', { serviceId });
  if (data.offers.length === 0) return refusal('R-CAT-1', 'ServiceWithoutOffer', `Service ${serviceId} has no offer`, { serviceId });
  const offerIds = data.offers.map((offer) => offer.offerId);
  const duplicate = offerIds.find((offerId, index) => offerIds.indexOf(offerId) !== index);
  if (duplicate !== undefined)
    return refusal('R-CAT-1', 'DuplicateOffer', `Offer ${duplicate} is listed twice`, { serviceId, offerId: duplicate });
  const invalid = data.offers.find((offer) => !isValidFeeSchedule(offer.feeSchedule));
  if (invalid)
    return refusal('R-CAT-4', 'InvalidFeeSchedule', `The fee schedule of ${invalid.offerId} is not valid`, {
      serviceId,
      offerId: invalid.offerId,
    });
  return [
    {
      type: 'ServiceEnteredCatalogue',
      schemaVersion: 1,
      data: {
        serviceId,
        name: data.name,
        legalReference: data.legalReference,
        effectiveFrom: data.effectiveFrom,
        offers: data.offers.map(({ offerId, name, open, feeSchedule }) => ({ offerId, name, open, feeSchedule })),
      },
    },
  ];
}

function openOffer({ data }: OpenOffer, state: CatalogueState): CatalogueEvent[] | Refusal {
  const { serviceId, offerId, openedOn, legalReference } = data;
  const found = knownOffer(state, serviceId, offerId);
  if ('kind' in found) return found;
  if (found.offer.openedOn !== null)
    return refusal(
      'R-CAT-3',
      'OfferAlreadyOpen',
      `Offer ${serviceId}/${offerId} is open since ${found.offer.openedOn}`,
      { serviceId, offerId, openedOn: found.offer.openedOn },
      'conflict',
    );
  if (openedOn < found.service.effectiveFrom)
    return refusal(
      'R-CAT-3',
      'OfferOpenedBeforeServiceEntered',
      `Service ${serviceId} entered the catalogue on ${found.service.effectiveFrom}`,
      {
        serviceId,
        offerId,
        openedOn,
        serviceEffectiveFrom: found.service.effectiveFrom,
      },
    );
  if (!legalReference.trim())
    return refusal('R-CAT-3', 'LegalReferenceMissing', 'Opening an offer cites its legal reference', { serviceId, offerId });
  return [{ type: 'OfferOpened', schemaVersion: 1, data: { serviceId, offerId, openedOn, legalReference } }];
}

function replaceFeeSchedule({ data }: ReplaceFeeSchedule, state: CatalogueState): CatalogueEvent[] | Refusal {
  const { serviceId, offerId, fromYear, feeSchedule, legalReference } = data;
  const found = knownOffer(state, serviceId, offerId);
  if ('kind' in found) return found;
  if (!legalReference.trim())
    return refusal('R-CAT-5', 'LegalReferenceMissing', 'A fee schedule is replaced by a decision citing its legal reference', {
      serviceId,
      offerId,
    });
  const entryYear = yearOf(found.service.effectiveFrom);
  if (!Number.isInteger(fromYear) || fromYear < entryYear)
    return refusal('R-CAT-5', 'ReplacementBeforeServiceEntered', `Service ${serviceId} entered the catalogue in ${entryYear}`, {
      serviceId,
      offerId,
      fromYear,
      entryYear,
    });
  if (!isValidFeeSchedule(feeSchedule))
    return refusal('R-CAT-4', 'InvalidFeeSchedule', 'The fee schedule is not valid', { serviceId, offerId });
  return [{ type: 'FeeScheduleReplaced', schemaVersion: 1, data: { serviceId, offerId, fromYear, feeSchedule, legalReference } }];
}

function knownOffer(state: CatalogueState, serviceId: string, offerId: string) {
  const service = findService(state, serviceId);
  if (!service) return refusal('R-CAT-1', 'UnknownService', `Service ${serviceId} is not in the catalogue`, { serviceId }, 'not_found');
  const offer = service.offers.find((candidate) => candidate.offerId === offerId);
  if (!offer)
    return refusal('R-CAT-1', 'UnknownOffer', `Service ${serviceId} has no offer ${offerId}`, { serviceId, offerId }, 'not_found');
  return { service: service, offer };
}

/**
 * R-CAT-4: the facts a schedule of each kind needs. The HTTP edge checks the shape; this refuses what
 * no decision can say (a rate that is not a decimal, a base year that is not a year). A new kind is a
 * compile error here until its check is written.
 */
export function isValidFeeSchedule(schedule: FeeSchedule): boolean {
  switch (schedule.kind) {
    case 'free':
      return true;
    case 'fixed_plus_per_inhabitant':
      return (
        isMoneyInput(schedule.fixed) &&
        isDecimalInput(schedule.perInhabitant) &&
        Number.isInteger(schedule.baseYear) &&
        schedule.baseYear >= 2000 &&
        schedule.indexation === 'syntec' &&
        (schedule.proration === undefined || schedule.proration === 'prorata_days' || schedule.proration === 'none')
      );
    default: {
      const unknownKind: never = schedule;
      return unknownKind;
    }
  }
}
