import { EventTypeNames } from '../shared/event-type-names';
import { CalendarDate } from '../shared/calendar-date';

/** One stream for the Syntec index (R-FEE-3): the values are not about any commune. */
export const SYNTEC_STREAM = 'syntec';

export const SyntecEventType = {
  SyntecIndexRecorded: 'SyntecIndexRecorded',
} as const satisfies EventTypeNames<SyntecEvent>;

/** R-FEE-3: the index value of a month, as published; R-TIME-2: a correction says what it replaces. */
export interface SyntecIndexRecorded {
  type: 'SyntecIndexRecorded';
  schemaVersion: 1;
  data: {
    /** The month the value is for, `YYYY-MM`. */
    period: string;
    /** A positive decimal string ("322.2"), as published. */
    value: string;
    publishedOn: CalendarDate;
    /** Present when the period was recorded before: the value it replaces (entirely, publication date included). */
    corrects?: { value: string; publishedOn: CalendarDate; reason: string };
  };
}

export type SyntecEvent = SyntecIndexRecorded;

export const SYNTEC_EVENT_TYPES: readonly SyntecEvent['type'][] = Object.values(SyntecEventType);

/** `reason` is required when the period was already recorded with another value or date (R-TIME-2). */
export interface RecordSyntecIndex {
  type: 'RecordSyntecIndex';
  data: { period: string; value: string; publishedOn: CalendarDate; reason?: string };
}

export type SyntecCommand = RecordSyntecIndex;
