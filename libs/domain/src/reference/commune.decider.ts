import { Decider } from '../shared/decider';
import { MoneyString, isMoneyInput, money } from '../shared/money';
import { Refusal, refusal } from '../shared/refusal';
import { CatalogueState, findOffer, findService } from '../catalogue/catalogue.state';
import { CommuneCommand, RecordLegacyConvention, RecordPopulation } from './commune.commands';
import { CommuneEvent } from './commune.events';
import { CommuneState, emptyCommune, evolveCommune, legacyConventionOf, populationRecordedFor } from './commune.state';
import { ContinuityConvention, LEGACY_END_WITHOUT_CONTINUITY } from './legacy-continuity';
import { correctionReason } from './correction';
import { dueLegacyAccessEnds } from './legacy-transition';

/** R-LEG-1: the legacy contribution recorded is the one paid for 2025. */
export const LEGACY_CONTRIBUTION_YEAR = 2025;

export interface CommuneContext {
  /** R-LEG-1: a legacy convention names a service and offer of the catalogue. */
  readonly catalogue: CatalogueState;
  /** R-LEG-2: the commune's conventions (folded states), read by RunLegacyTransition only. */
  readonly conventions: readonly ContinuityConvention[];
}

/** The reference facts of one commune, on the `commune-<insee>` stream. */
export const communeDecider: Decider<CommuneState, CommuneCommand, CommuneEvent, CommuneContext> = {
  initialState: emptyCommune,
  decide: (command, state, context) => {
    switch (command.type) {
      case 'RecordPopulation':
        return recordPopulation(command, state);
      case 'RecordLegacyConvention':
        return recordLegacyConvention(command, state, context.catalogue);
      case 'RunLegacyTransition':
        return dueLegacyAccessEnds(state, context.conventions, command.data.asOf);
    }
  },
  evolve: evolveCommune,
};

function recordPopulation({ data }: RecordPopulation, state: CommuneState): CommuneEvent[] | Refusal {
  const { communeInsee, population, effectiveDate, source } = data;
  // Reading: a commune that takes services has inhabitants, so 0 is taken for a typing mistake.
  if (!Number.isSafeInteger(population) || population < 1)
    return refusal('R-FEE-2', 'InvalidPopulation', 'A population is a whole number of inhabitants, at least 1', {
      communeInsee,
      population,
    });
  if (!source.trim()) return refusal('R-FEE-2', 'SourceMissing', 'A population figure names its source', { communeInsee, effectiveDate });
  const recorded = populationRecordedFor(state, effectiveDate);
  const event = { communeInsee, population, effectiveDate, source };
  if (!recorded) return [{ type: 'PopulationRecorded', schemaVersion: 1, data: event }];
  // The same figure again (a re-run import, a retry) records nothing new.
  if (recorded.population === population && recorded.source === source) return [];
  const reason = correctionReason(data.reason, { communeInsee, effectiveDate, recordedPopulation: recorded.population });
  if (typeof reason !== 'string') return reason;
  return [
    {
      type: 'PopulationRecorded',
      schemaVersion: 1,
      data: { ...event, corrects: { population: recorded.population, source: recorded.source, reason } },
    },
  ];
}

function recordLegacyConvention(
  { data }: RecordLegacyConvention,
  state: CommuneState,
  catalogue: CatalogueState,
): CommuneEvent[] | Refusal {
  const { communeInsee, communeName, serviceId, offerId, year } = data;
  if (!findService(catalogue, serviceId))
    return refusal('R-LEG-1', 'UnknownService', `Service ${serviceId} is not in the catalogue`, { serviceId });
  if (!findOffer(catalogue, serviceId, offerId))
    return refusal('R-LEG-1', 'UnknownOffer', `Service ${serviceId} has no offer ${offerId}`, { serviceId, offerId });
  if (year !== LEGACY_CONTRIBUTION_YEAR)
    return refusal('R-LEG-1', 'WrongContributionYear', `The legacy contribution recorded is the one for ${LEGACY_CONTRIBUTION_YEAR}`, {
      year,
    });
  const contribution = data.annualContribution ?? null;
  if (contribution !== null && !isMoneyInput(contribution))
    return refusal('R-LEG-1', 'InvalidContribution', 'A contribution is a non-negative amount in euros, two decimals at most', {
      annualContribution: contribution,
    });
  const startDate = data.startDate ?? null;
  if (startDate !== null && startDate > LEGACY_END_WITHOUT_CONTINUITY)
    return refusal('R-LEG-1', 'LegacyStartAfterTransition', `A legacy convention starts before ${LEGACY_END_WITHOUT_CONTINUITY}`, {
      startDate,
    });
  const annualContribution: MoneyString | null = contribution === null ? null : money(contribution);
  const event = { communeInsee, communeName, serviceId, offerId, annualContribution, year, startDate };
  const recorded = legacyConventionOf(state, serviceId);
  if (!recorded) return [{ type: 'LegacyConventionRecorded', schemaVersion: 1, data: event }];
  if (
    recorded.offerId === offerId &&
    recorded.annualContribution === annualContribution &&
    recorded.startDate === startDate &&
    recorded.communeName === communeName
  )
    return [];
  const reason = correctionReason(data.reason, { communeInsee, serviceId });
  if (typeof reason !== 'string') return reason;
  return [
    {
      type: 'LegacyConventionRecorded',
      schemaVersion: 1,
      data: {
        ...event,
        corrects: { offerId: recorded.offerId, annualContribution: recorded.annualContribution, startDate: recorded.startDate, reason },
      },
    },
  ];
}
