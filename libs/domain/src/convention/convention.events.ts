import { EventTypeNames } from '../shared/event-type-names';
import { CalendarDate } from '../shared/calendar-date';

/** One stream per convention: `convention-<conventionId>`, the id being `<insee>-<n>` (e.g. `convention-69123-1`). */
export const conventionStreamId = (conventionId: string): string => `convention-${conventionId}`;
export const CONVENTION_STREAM_PREFIX = 'convention-';

/** Event type strings are written out and never renamed once stored (a new shape gets a new schemaVersion). */
export const ConventionEventType = {
  ConventionSigned: 'ConventionSigned',
  AnnexAdded: 'AnnexAdded',
  ServiceStopped: 'ServiceStopped',
  OfferChanged: 'OfferChanged',
  NonRenewalNotified: 'NonRenewalNotified',
  ConventionTerminated: 'ConventionTerminated',
  ConventionRenewed: 'ConventionRenewed',
  ConventionExpired: 'ConventionExpired',
} as const satisfies EventTypeNames<ConventionEvent>;

/** Who notifies a non-renewal or terminates: either party (R-CONV-5, R-CONV-6). */
export type Party = 'commune' | 'metropole';
export const PARTIES: readonly Party[] = ['commune', 'metropole'];

/** A period as events carry it: both days included (R-TIME-3). */
export interface PeriodData {
  start: CalendarDate;
  end: CalendarDate;
}

/** R-CONV-2, R-CONV-3: the convention exists; its first period is recorded with it. */
export interface ConventionSigned {
  type: 'ConventionSigned';
  schemaVersion: 1;
  data: {
    conventionId: string;
    communeInsee: string;
    communeName: string;
    signedOn: CalendarDate;
    effectiveFrom: CalendarDate;
    legalReference: string;
    initialPeriod: PeriodData;
  };
}

/** R-ANX-1, R-ANX-2: a new annex period for a service, from `effectiveFrom` (included). */
export interface AnnexAdded {
  type: 'AnnexAdded';
  schemaVersion: 1;
  data: { conventionId: string; serviceId: string; offerId: string; effectiveFrom: CalendarDate };
}

/** R-ANX-3: the annex ends; its last day is effectiveOn − 1 (R-TIME-3). */
export interface ServiceStopped {
  type: 'ServiceStopped';
  schemaVersion: 1;
  data: { conventionId: string; serviceId: string; offerId: string; effectiveOn: CalendarDate; reason: string };
}

/** R-ANX-4: previousOfferId ends on effectiveFrom − 1, offerId starts on effectiveFrom. */
export interface OfferChanged {
  type: 'OfferChanged';
  schemaVersion: 1;
  data: { conventionId: string; serviceId: string; previousOfferId: string; offerId: string; effectiveFrom: CalendarDate };
}

/** R-CONV-5: the convention will expire at the end of the period the notice applies to. */
export interface NonRenewalNotified {
  type: 'NonRenewalNotified';
  schemaVersion: 1;
  data: { conventionId: string; notifiedOn: CalendarDate; by: Party; reason: string; appliesToPeriod: PeriodData & { number: number } };
}

/** R-CONV-6, R-CONV-7: the convention and every annex end; lastDay = effectiveOn − 1. */
export interface ConventionTerminated {
  type: 'ConventionTerminated';
  schemaVersion: 1;
  data: { conventionId: string; effectiveOn: CalendarDate; lastDay: CalendarDate; by: Party; reason: string };
}

/** R-CONV-4: tacit renewal number 1..5, for one more period. */
export interface ConventionRenewed {
  type: 'ConventionRenewed';
  schemaVersion: 1;
  data: { conventionId: string; renewalNumber: number; period: PeriodData };
}

export type ExpiryReason = 'max_duration' | 'not_renewed';

/** R-CONV-4, R-CONV-5, R-CONV-7: the convention and every annex end after lastDay (a period's end). */
export interface ConventionExpired {
  type: 'ConventionExpired';
  schemaVersion: 1;
  data: { conventionId: string; lastDay: CalendarDate; reason: ExpiryReason };
}

export type ConventionEvent =
  | ConventionSigned
  | AnnexAdded
  | ServiceStopped
  | OfferChanged
  | NonRenewalNotified
  | ConventionTerminated
  | ConventionRenewed
  | ConventionExpired;

export const CONVENTION_EVENT_TYPES: readonly ConventionEvent['type'][] = Object.values(ConventionEventType);

export function isConventionEvent(event: { type: string }): event is ConventionEvent {
  return (CONVENTION_EVENT_TYPES as readonly string[]).includes(event.type);
}
