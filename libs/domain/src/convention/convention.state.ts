import { CalendarDate, addDays, maxDate, minDate } from '../shared/calendar-date';
import { ConventionEvent, ExpiryReason, Party } from './convention.events';
import { Period } from './period';

/** One offer of an annex over time: [from, until], both included; until null while it runs (R-TIME-3). */
export interface OfferInterval {
  readonly offerId: string;
  readonly from: CalendarDate;
  readonly until: CalendarDate | null;
}

/**
 * One annex period of a service (R-ANX-1, R-ANX-2): a service stopped and annexed again has two.
 * `until` is the annex's last day, set by a stop, a termination or an expiry (it may lie in the
 * future). An annex ended on its first day has until = from − 1: it never was in force.
 */
export interface Annex {
  readonly serviceId: string;
  readonly from: CalendarDate;
  readonly until: CalendarDate | null;
  /** R-ANX-4: the offer history, oldest first; the last one is the current offer. */
  readonly offers: readonly OfferInterval[];
  readonly stop: { readonly effectiveOn: CalendarDate; readonly reason: string } | null;
}

export interface NonRenewal {
  readonly notifiedOn: CalendarDate;
  readonly by: Party;
  readonly reason: string;
  /** R-CONV-5: the convention expires at this period's end. */
  readonly appliesToPeriod: Period;
}

export interface ConventionRecord {
  readonly conventionId: string;
  readonly communeInsee: string;
  readonly communeName: string;
  readonly signedOn: CalendarDate;
  /** The convention's first day (R-CONV-2). */
  readonly effectiveFrom: CalendarDate;
  readonly legalReference: string;
  /** R-CONV-3, R-CONV-4: the initial period and each recorded renewal, in order. */
  readonly periods: readonly Period[];
  /** Every annex period, in the order they were added. */
  readonly annexes: readonly Annex[];
  readonly nonRenewal: NonRenewal | null;
  /** R-CONV-6: the latest effective date among the recorded events (a termination may not precede it). */
  readonly latestEffectiveDate: CalendarDate;
}

export type EndReason = 'terminated' | ExpiryReason;

export interface ConventionEnd {
  /** The last day of the convention and of every annex in it (R-CONV-7, R-TIME-3). */
  readonly lastDay: CalendarDate;
  readonly reason: EndReason;
  /** Set when reason is `terminated` (R-CONV-6). */
  readonly termination: { readonly effectiveOn: CalendarDate; readonly by: Party; readonly reason: string } | null;
}

export interface NoConvention {
  readonly status: 'none';
}
export interface ActiveConvention extends ConventionRecord {
  readonly status: 'active';
}
/** R-CONV-8: accepts no command; reads and audit still work. */
export interface EndedConvention extends ConventionRecord {
  readonly status: 'ended';
  readonly end: ConventionEnd;
}

export type ConventionState = NoConvention | ActiveConvention | EndedConvention;

export const noConvention = (): ConventionState => ({ status: 'none' });

/** Applies a fact; never re-checks a rule. */
export function evolveConvention(state: ConventionState, event: ConventionEvent): ConventionState {
  if (event.type === 'ConventionSigned') {
    const { conventionId, communeInsee, communeName, signedOn, effectiveFrom, legalReference, initialPeriod } = event.data;
    return {
      status: 'active',
      conventionId,
      communeInsee,
      communeName,
      signedOn,
      effectiveFrom,
      legalReference,
      periods: [{ number: 1, ...initialPeriod }],
      annexes: [],
      nonRenewal: null,
      latestEffectiveDate: effectiveFrom,
    };
  }
  if (state.status === 'none') return state; // a stream always starts with ConventionSigned
  switch (event.type) {
    case 'AnnexAdded': {
      const { serviceId, offerId, effectiveFrom } = event.data;
      const annex: Annex = {
        serviceId,
        from: effectiveFrom,
        until: null,
        offers: [{ offerId, from: effectiveFrom, until: null }],
        stop: null,
      };
      return { ...state, annexes: [...state.annexes, annex], latestEffectiveDate: maxDate(state.latestEffectiveDate, effectiveFrom) };
    }
    case 'ServiceStopped': {
      const { serviceId, effectiveOn, reason } = event.data;
      const lastDay = addDays(effectiveOn, -1); // R-TIME-3
      return {
        ...state,
        annexes: state.annexes.map((annex) =>
          annex.serviceId === serviceId && annex.until === null ? { ...closeAnnex(annex, lastDay), stop: { effectiveOn, reason } } : annex,
        ),
        latestEffectiveDate: maxDate(state.latestEffectiveDate, effectiveOn),
      };
    }
    case 'OfferChanged': {
      const { serviceId, offerId, effectiveFrom } = event.data;
      const lastDay = addDays(effectiveFrom, -1); // R-ANX-4: the old offer ends the day before
      return {
        ...state,
        annexes: state.annexes.map((annex) =>
          annex.serviceId === serviceId && annex.until === null
            ? {
                ...annex,
                offers: [
                  ...annex.offers.map((offer) => (offer.until === null ? { ...offer, until: lastDay } : offer)),
                  { offerId, from: effectiveFrom, until: null },
                ],
              }
            : annex,
        ),
        latestEffectiveDate: maxDate(state.latestEffectiveDate, effectiveFrom),
      };
    }
    case 'NonRenewalNotified': {
      const { notifiedOn, by, reason, appliesToPeriod } = event.data;
      return {
        ...state,
        nonRenewal: { notifiedOn, by, reason, appliesToPeriod },
        latestEffectiveDate: maxDate(state.latestEffectiveDate, notifiedOn),
      };
    }
    case 'ConventionRenewed': {
      const { renewalNumber, period } = event.data;
      return {
        ...state,
        periods: [...state.periods, { number: renewalNumber + 1, ...period }],
        latestEffectiveDate: maxDate(state.latestEffectiveDate, period.start),
      };
    }
    case 'ConventionTerminated': {
      const { effectiveOn, lastDay, by, reason } = event.data;
      return endConvention(state, { lastDay, reason: 'terminated', termination: { effectiveOn, by, reason } });
    }
    case 'ConventionExpired':
      return endConvention(state, { lastDay: event.data.lastDay, reason: event.data.reason, termination: null });
  }
}

/** R-CONV-7: the end of the convention ends every annex and offer still running on its last day. */
function endConvention(state: ActiveConvention | EndedConvention, end: ConventionEnd): EndedConvention {
  return { ...state, status: 'ended', end, annexes: state.annexes.map((annex) => closeAnnex(annex, end.lastDay)) };
}

function closeAnnex(annex: Annex, lastDay: CalendarDate): Annex {
  const close = (until: CalendarDate | null) => (until === null ? lastDay : minDate(until, lastDay));
  return { ...annex, until: close(annex.until), offers: annex.offers.map((offer) => ({ ...offer, until: close(offer.until) })) };
}

/** The latest recorded period: the convention's known life ends on its end. */
export function currentPeriod(convention: ConventionRecord): Period {
  return convention.periods[convention.periods.length - 1];
}

/** The annex of a service that no stop, termination or expiry has ended yet (R-ANX-2: at most one). */
export function runningAnnex(convention: ConventionRecord, serviceId: string): Annex | undefined {
  return convention.annexes.find((annex) => annex.serviceId === serviceId && annex.until === null);
}

export function currentOffer(annex: Annex): OfferInterval {
  return annex.offers[annex.offers.length - 1];
}

/**
 * What the commune index keeps of a convention, for R-CONV-1: `lastDay` is null while it is active
 * (its end is not decided), its last day once ended.
 */
export interface ConventionSummary {
  readonly conventionId: string;
  readonly communeInsee: string;
  readonly status: 'active' | 'ended';
  readonly lastDay: CalendarDate | null;
}

export function conventionSummary(state: ConventionState): ConventionSummary | undefined {
  if (state.status === 'none') return undefined;
  return {
    conventionId: state.conventionId,
    communeInsee: state.communeInsee,
    status: state.status,
    lastDay: state.status === 'ended' ? state.end.lastDay : null,
  };
}
