import { CalendarDate } from '../shared/calendar-date';
import { Party } from './convention.events';

export interface AnnexRequest {
  serviceId: string;
  offerId: string;
  effectiveFrom: CalendarDate;
}

/** R-CONV-1, R-CONV-2, R-ANX-1: annexes may be chosen at signature. */
export interface SignConvention {
  type: 'SignConvention';
  data: {
    conventionId: string;
    communeInsee: string;
    communeName: string;
    signedOn: CalendarDate;
    effectiveFrom: CalendarDate;
    /** Defaults to the deliberation that approved the model convention (see FRAMEWORK_LEGAL_REFERENCE). */
    legalReference?: string;
    annexes?: AnnexRequest[];
  };
}

export interface AddAnnex {
  type: 'AddAnnex';
  data: { conventionId: string } & AnnexRequest;
}

export interface StopService {
  type: 'StopService';
  data: { conventionId: string; serviceId: string; effectiveOn: CalendarDate; reason: string };
}

export interface ChangeOffer {
  type: 'ChangeOffer';
  data: { conventionId: string; serviceId: string; offerId: string; effectiveFrom: CalendarDate };
}

export interface NotifyNonRenewal {
  type: 'NotifyNonRenewal';
  data: { conventionId: string; notifiedOn: CalendarDate; by: Party; reason: string };
}

export interface TerminateConvention {
  type: 'TerminateConvention';
  data: { conventionId: string; effectiveOn: CalendarDate; by: Party; reason: string };
}

/**
 * R-CONV-4, R-CONV-5: the time-driven process, as a command so that it goes through the same
 * load / decide / append path: it records every renewal and expiry due by `asOf` (dueLifecycleEvents).
 */
export interface RunLifecycle {
  type: 'RunLifecycle';
  data: { conventionId: string; asOf: CalendarDate };
}

export type ConventionCommand =
  SignConvention | AddAnnex | StopService | ChangeOffer | NotifyNonRenewal | TerminateConvention | RunLifecycle;
