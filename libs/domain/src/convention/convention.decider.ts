import { CalendarDate, addDays, addYears } from '../shared/calendar-date';
import { Decider } from '../shared/decider';
import { Refusal, isRefusal, refusal } from '../shared/refusal';
import { CatalogueState, findOffer, findService, isOpen } from '../catalogue/catalogue.state';
import {
  AddAnnex,
  AnnexRequest,
  ChangeOffer,
  ConventionCommand,
  NotifyNonRenewal,
  SignConvention,
  StopService,
  TerminateConvention,
} from './convention.commands';
import { AnnexAdded, ConventionEvent } from './convention.events';
import { dueLifecycleEvents } from './convention.lifecycle';
import {
  ActiveConvention,
  ConventionState,
  ConventionSummary,
  currentOffer,
  currentPeriod,
  evolveConvention,
  noConvention,
  runningAnnex,
} from './convention.state';
import { periodContaining, periodStartingOn } from './period';

/**
 * Reading (R-CONV-2, API: legalReference is optional): a convention signed without a legal reference
 * is one of the model approved by CP-2025-4074, which it then cites.
 */
export const FRAMEWORK_LEGAL_REFERENCE = 'CP-2025-4074';

/** Facts from outside the convention's stream, supplied by the application layer. */
export interface ConventionContext {
  /** R-ANX-1, R-CAT-3: the catalogue as recorded. */
  readonly catalogue: CatalogueState;
  /**
   * R-CONV-1: the commune's conventions (from the commune index), read by SignConvention only; the
   * other commands accept an empty list.
   */
  readonly communeConventions: readonly ConventionSummary[];
}

export const conventionDecider: Decider<ConventionState, ConventionCommand, ConventionEvent, ConventionContext> = {
  initialState: noConvention,
  decide: (command, state, context) => {
    switch (command.type) {
      case 'SignConvention':
        return sign(command, state, context);
      case 'RunLifecycle':
        return dueLifecycleEvents(state, command.data.asOf);
      default: {
        // R-CONV-8: every other command needs a convention that has not ended.
        if (state.status === 'none')
          return refusal(
            'R-CONV-8',
            'ConventionNotFound',
            `No convention ${command.data.conventionId}`,
            { conventionId: command.data.conventionId },
            'not_found',
          );
        if (state.status === 'ended')
          return refusal('R-CONV-8', 'ConventionEnded', `Convention ${state.conventionId} ended on ${state.end.lastDay}`, {
            conventionId: state.conventionId,
            lastDay: state.end.lastDay,
            reason: state.end.reason,
          });
        switch (command.type) {
          case 'AddAnnex':
            return addAnnex(command, state, context.catalogue);
          case 'StopService':
            return stopService(command, state);
          case 'ChangeOffer':
            return changeOffer(command, state, context.catalogue);
          case 'NotifyNonRenewal':
            return notifyNonRenewal(command, state);
          case 'TerminateConvention':
            return terminate(command, state);
        }
      }
    }
  },
  evolve: evolveConvention,
};

function sign(
  { data }: SignConvention,
  state: ConventionState,
  { catalogue, communeConventions }: ConventionContext,
): ConventionEvent[] | Refusal {
  const { conventionId, communeInsee, signedOn, effectiveFrom } = data;
  if (state.status !== 'none')
    return refusal('R-CONV-1', 'ConventionAlreadySigned', `Convention ${conventionId} already exists`, { conventionId }, 'conflict');
  // R-CONV-1: one convention at a time: any other must have ended, and before this one starts.
  const others = communeConventions.filter((other) => other.communeInsee === communeInsee && other.conventionId !== conventionId);
  const live = others.find((other) => other.status === 'active');
  if (live)
    return refusal('R-CONV-1', 'CommuneHasLiveConvention', `Commune ${communeInsee} has convention ${live.conventionId} in force`, {
      communeInsee,
      conventionId: live.conventionId,
    });
  const overlapping = others.find((other) => other.lastDay !== null && other.lastDay >= effectiveFrom);
  if (overlapping)
    return refusal('R-CONV-1', 'ConventionOverlapsPrevious', `Convention ${overlapping.conventionId} runs until ${overlapping.lastDay}`, {
      communeInsee,
      conventionId: overlapping.conventionId,
      lastDay: overlapping.lastDay,
      effectiveFrom,
    });
  // R-CONV-2: the effective date may precede the signature by one year at most.
  const earliest = addYears(signedOn, -1);
  if (effectiveFrom < earliest)
    return refusal('R-CONV-2', 'EffectiveDateTooEarly', `The effective date may not precede ${earliest}`, {
      signedOn,
      effectiveFrom,
      earliest,
    });

  const initialPeriod = periodStartingOn(effectiveFrom, 1); // R-CONV-3
  const events: ConventionEvent[] = [
    {
      type: 'ConventionSigned',
      schemaVersion: 1,
      data: {
        conventionId,
        communeInsee,
        communeName: data.communeName,
        signedOn,
        effectiveFrom,
        legalReference: data.legalReference?.trim() || FRAMEWORK_LEGAL_REFERENCE,
        initialPeriod: { start: initialPeriod.start, end: initialPeriod.end },
      },
    },
  ];
  // R-ANX-1: annexes chosen at signature are decided as if added right after it, one by one.
  let convention = evolveConvention(state, events[0]) as ActiveConvention;
  for (const annex of data.annexes ?? []) {
    const decided = decideAnnex(conventionId, annex, convention, catalogue);
    if (isRefusal(decided)) return decided;
    events.push(decided);
    convention = evolveConvention(convention, decided) as ActiveConvention;
  }
  return events;
}

function addAnnex({ data }: AddAnnex, convention: ActiveConvention, catalogue: CatalogueState): ConventionEvent[] | Refusal {
  const decided = decideAnnex(data.conventionId, data, convention, catalogue);
  return isRefusal(decided) ? decided : [decided];
}

function decideAnnex(
  conventionId: string,
  { serviceId, offerId, effectiveFrom }: AnnexRequest,
  convention: ActiveConvention,
  catalogue: CatalogueState,
): AnnexAdded | Refusal {
  const known = knownOffer(catalogue, serviceId, offerId);
  if (known) return known;
  if (!isOpen(catalogue, serviceId, offerId, effectiveFrom)) return offerNotOpen(catalogue, serviceId, offerId, effectiveFrom);
  const outside = outsideLife(convention, effectiveFrom);
  if (outside) return outside;
  // R-ANX-2: every earlier annex of the service has ended before this one starts.
  const clash = convention.annexes.find((annex) => annex.serviceId === serviceId && (annex.until === null || annex.until >= effectiveFrom));
  if (clash)
    return refusal('R-ANX-2', 'AnnexAlreadyInForce', `Service ${serviceId} has an annex from ${clash.from}`, {
      serviceId,
      effectiveFrom,
      annexFrom: clash.from,
      annexUntil: clash.until,
    });
  return { type: 'AnnexAdded', schemaVersion: 1, data: { conventionId, serviceId, offerId, effectiveFrom } };
}

function stopService({ data }: StopService, convention: ActiveConvention): ConventionEvent[] | Refusal {
  const { conventionId, serviceId, effectiveOn, reason } = data;
  const annex = runningAnnex(convention, serviceId);
  if (!annex) return refusal('R-ANX-3', 'NoAnnexInForce', `No running annex for ${serviceId}`, { conventionId, serviceId }, 'not_found');
  const offer = currentOffer(annex);
  // R-ANX-3, R-TIME-3: the last day is effectiveOn − 1. Stopping on the current offer's first day
  // is allowed (it cancels an annex or offer change not yet in force); stopping earlier would rewrite it.
  if (effectiveOn < offer.from)
    return refusal('R-ANX-3', 'StopBeforeOfferStart', `The ${serviceId} offer ${offer.offerId} runs from ${offer.from}`, {
      serviceId,
      effectiveOn,
      offerFrom: offer.from,
    });
  const periodEnd = currentPeriod(convention).end;
  if (effectiveOn > addDays(periodEnd, 1))
    return refusal('R-ANX-3', 'StopOutsideConventionLife', `The convention's known life ends on ${periodEnd}`, {
      serviceId,
      effectiveOn,
      conventionEnd: periodEnd,
    });
  return [{ type: 'ServiceStopped', schemaVersion: 1, data: { conventionId, serviceId, offerId: offer.offerId, effectiveOn, reason } }];
}

function changeOffer({ data }: ChangeOffer, convention: ActiveConvention, catalogue: CatalogueState): ConventionEvent[] | Refusal {
  const { conventionId, serviceId, offerId, effectiveFrom } = data;
  const annex = runningAnnex(convention, serviceId);
  if (!annex) return refusal('R-ANX-4', 'NoAnnexInForce', `No running annex for ${serviceId}`, { conventionId, serviceId }, 'not_found');
  const known = knownOffer(catalogue, serviceId, offerId);
  if (known) return known;
  const current = currentOffer(annex);
  if (current.offerId === offerId)
    return refusal('R-ANX-4', 'SameOffer', `The ${serviceId} annex already has offer ${offerId}`, { serviceId, offerId });
  // R-ANX-4: the old offer keeps at least its first day (it ends on effectiveFrom − 1).
  if (effectiveFrom <= current.from)
    return refusal('R-ANX-4', 'OfferChangeNotAfterCurrentStart', `Offer ${current.offerId} runs from ${current.from}`, {
      serviceId,
      effectiveFrom,
      offerFrom: current.from,
    });
  const outside = outsideLife(convention, effectiveFrom);
  if (outside) return outside;
  if (!isOpen(catalogue, serviceId, offerId, effectiveFrom)) return offerNotOpen(catalogue, serviceId, offerId, effectiveFrom);
  return [
    { type: 'OfferChanged', schemaVersion: 1, data: { conventionId, serviceId, previousOfferId: current.offerId, offerId, effectiveFrom } },
  ];
}

function notifyNonRenewal({ data }: NotifyNonRenewal, convention: ActiveConvention): ConventionEvent[] | Refusal {
  const { conventionId, notifiedOn, by, reason } = data;
  if (convention.nonRenewal)
    return refusal(
      'R-CONV-5',
      'NonRenewalAlreadyNotified',
      `Non-renewal was notified on ${convention.nonRenewal.notifiedOn}`,
      {
        notifiedOn: convention.nonRenewal.notifiedOn,
        periodEnd: convention.nonRenewal.appliesToPeriod.end,
      },
      'conflict',
    );
  if (notifiedOn < convention.signedOn)
    return refusal('R-CONV-5', 'NoticeBeforeSignature', `The convention was signed on ${convention.signedOn}`, {
      notifiedOn,
      signedOn: convention.signedOn,
    });
  const current = currentPeriod(convention);
  // Reading: a notice between signature and start applies to the first period; a notice dated in a
  // period already renewed came too late to prevent that renewal.
  if (notifiedOn < current.start && current.number > 1)
    return refusal('R-CONV-5', 'NoticeBeforeCurrentPeriod', `Period ${current.number} started on ${current.start}`, {
      notifiedOn,
      periodStart: current.start,
    });
  // R-CONV-5: the notice applies to the period it falls in, counting the renewals the lifecycle has not
  // recorded yet (a notice after a period's end applies to the next period).
  const period = periodContaining(current, notifiedOn);
  if (!period)
    return refusal('R-CONV-5', 'NoticeAfterLastPeriod', 'The convention has reached its six years (R-CONV-4) and expires anyway', {
      notifiedOn,
    });
  return [
    {
      type: 'NonRenewalNotified',
      schemaVersion: 1,
      data: { conventionId, notifiedOn, by, reason, appliesToPeriod: { number: period.number, start: period.start, end: period.end } },
    },
  ];
}

function terminate({ data }: TerminateConvention, convention: ActiveConvention): ConventionEvent[] | Refusal {
  const { conventionId, effectiveOn, by, reason } = data;
  if (effectiveOn < convention.effectiveFrom)
    return refusal('R-CONV-6', 'TerminationBeforeStart', `The convention starts on ${convention.effectiveFrom}`, {
      effectiveOn,
      start: convention.effectiveFrom,
    });
  if (effectiveOn < convention.latestEffectiveDate)
    return refusal('R-CONV-6', 'TerminationBeforeLatestEvent', `A recorded event takes effect on ${convention.latestEffectiveDate}`, {
      effectiveOn,
      latestEffectiveDate: convention.latestEffectiveDate,
    });
  // The current life ends on the current period's end: the termination's last day (effectiveOn − 1) lies in it.
  const periodEnd = currentPeriod(convention).end;
  if (effectiveOn > addDays(periodEnd, 1))
    return refusal('R-CONV-6', 'TerminationAfterConventionLife', `The convention's known life ends on ${periodEnd}`, {
      effectiveOn,
      conventionEnd: periodEnd,
    });
  return [
    { type: 'ConventionTerminated', schemaVersion: 1, data: { conventionId, effectiveOn, lastDay: addDays(effectiveOn, -1), by, reason } },
  ];
}

/** R-ANX-1: the service and the offer must be in the catalogue. */
function knownOffer(catalogue: CatalogueState, serviceId: string, offerId: string): Refusal | undefined {
  if (!findService(catalogue, serviceId))
    return refusal('R-ANX-1', 'UnknownService', `Service ${serviceId} is not in the catalogue`, { serviceId });
  if (!findOffer(catalogue, serviceId, offerId))
    return refusal('R-ANX-1', 'UnknownOffer', `Service ${serviceId} has no offer ${offerId}`, { serviceId, offerId });
  return undefined;
}

/** R-CAT-3 */
function offerNotOpen(catalogue: CatalogueState, serviceId: string, offerId: string, date: CalendarDate): Refusal {
  const openedOn = findOffer(catalogue, serviceId, offerId)?.openedOn ?? null;
  return refusal('R-CAT-3', 'OfferNotOpen', `Offer ${serviceId}/${offerId} is not open on ${date}`, {
    serviceId,
    offerId,
    effectiveFrom: date,
    openedOn,
  });
}

/**
 * R-ANX-1: an annex or offer takes effect within the convention's life, from its start to the end of
 * the latest recorded period (a later period exists only once the lifecycle has recorded its renewal).
 */
function outsideLife(convention: ActiveConvention, date: CalendarDate): Refusal | undefined {
  const periodEnd = currentPeriod(convention).end;
  if (date < convention.effectiveFrom || date > periodEnd)
    return refusal('R-ANX-1', 'AnnexOutsideConventionLife', `The convention's known life is ${convention.effectiveFrom}..${periodEnd}`, {
      effectiveFrom: date,
      conventionStart: convention.effectiveFrom,
      conventionEnd: periodEnd,
    });
  return undefined;
}
