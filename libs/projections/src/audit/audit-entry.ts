import { StoredEvent, StoredEventType, toDomainEvent } from '@lib/domain/domain-events';
import { CalendarDate, addDays, isCalendarDate } from '@lib/domain/shared/calendar-date';
import { RecordedEvent, formatPosition } from '@lib/event-store/event-store.port';

/** One event as the audit reads it (R-AUD-1): when it takes effect, when it was recorded, who, why, and its ids. */
export interface AuditEntry {
  position: string;
  eventId: string;
  streamId: string;
  revision: number;
  type: string;
  /** The schema version it was written with; `data` is shown as written (R-TIME-2: never rewritten). */
  schemaVersion: number;
  /** The first day the fact applies (R-TIME-3), from the date the event carries; null for a fact without one. */
  businessDate: CalendarDate | null;
  recordedAt: string;
  actor: { id: string; role: string } | null;
  reason: string | null;
  legalReference: string | null;
  commandId: string | null;
  correlationId: string | null;
  causationId: string | null;
  data: unknown;
  /** The integrity chain's hash of this event, where the read knows it. */
  hash?: string | null;
}

type Data = Record<string, unknown>;
const date = (value: unknown): CalendarDate | null => (isCalendarDate(value) ? value : null);
const dayAfter = (value: unknown): CalendarDate | null => (isCalendarDate(value) ? addDays(value, 1) : null);

/**
 * The business date of each event type: the effective date it carries, or for an end recorded by its
 * last day (an expiry, a legacy end) the day after it, the first day without access (R-TIME-3). Read
 * from the upcast data, so old schema versions get theirs too.
 */
type BusinessDates = { readonly [K in StoredEventType]: (data: Extract<StoredEvent, { type: K }>['data']) => CalendarDate | null };

const BUSINESS_DATES: BusinessDates = {
  ConventionSigned: (d) => date(d.effectiveFrom),
  AnnexAdded: (d) => date(d.effectiveFrom),
  ServiceStopped: (d) => date(d.effectiveOn),
  OfferChanged: (d) => date(d.effectiveFrom),
  NonRenewalNotified: (d) => date(d.notifiedOn),
  ConventionTerminated: (d) => date(d.effectiveOn),
  ConventionRenewed: (d) => date((d.period as Partial<typeof d.period> | undefined)?.start),
  ConventionExpired: (d) => dayAfter(d.lastDay),
  PopulationRecorded: (d) => date(d.effectiveDate),
  LegacyConventionRecorded: (d) => date(d.startDate),
  LegacyAccessEnded: (d) => dayAfter(d.lastDay),
  SyntecIndexRecorded: (d) => date(d.publishedOn),
  ServiceEnteredCatalogue: (d) => date(d.effectiveFrom),
  OfferOpened: (d) => date(d.openedOn),
  FeeScheduleReplaced: (d) => (typeof d.fromYear === 'number' ? date(`${String(d.fromYear).padStart(4, '0')}-01-01`) : null),
  // A ledger issue is an act of the Métropole's finance, not a fact with a date of effect.
  LedgerIssued: () => null,
};

const isStoredEventType = (type: string): type is StoredEventType => Object.hasOwn(BUSINESS_DATES, type);

/** The business date of an event as recorded (any schema version: upcast here). */
export function businessDateOf(event: Pick<RecordedEvent, 'type' | 'schemaVersion' | 'data'>): CalendarDate | null {
  return isStoredEventType(event.type) ? businessDateOfCurrent(toDomainEvent(event)) : null;
}

/** The business date of an event already in its current shape (a projected event's). */
export function businessDateOfCurrent({ type, data }: { type: string; data: unknown }): CalendarDate | null {
  if (!isStoredEventType(type)) return null;
  const of = BUSINESS_DATES[type] as (data: unknown) => CalendarDate | null;
  // Stored data is not trusted to have its declared shape: each accessor checks the date it reads.
  return data !== null && typeof data === 'object' ? of(data) : null;
}

/** The actor the metadata names, if it names one with an id and a role. */
export function actorOf(metadata: RecordedEvent['metadata'] | undefined): AuditEntry['actor'] {
  const actor = metadata?.actor;
  return actor && typeof actor.id === 'string' && typeof actor.role === 'string' ? { id: actor.id, role: actor.role } : null;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);

export function auditEntryOf(event: RecordedEvent, hash?: string | null): AuditEntry {
  const metadata = event.metadata ?? {};
  const data = (event.data !== null && typeof event.data === 'object' ? event.data : {}) as Data;
  return {
    position: formatPosition(event.position),
    eventId: event.id,
    streamId: event.streamId,
    revision: event.revision,
    type: event.type,
    schemaVersion: event.schemaVersion,
    businessDate: businessDateOf(event),
    recordedAt: event.recordedAt,
    actor: actorOf(metadata),
    // The command's reason, else the one the fact itself carries (a stop, a correction).
    reason: text(metadata.reason) ?? text(data.reason) ?? text((data.corrects as Data | undefined)?.reason),
    legalReference: text(metadata.legalReference) ?? text(data.legalReference),
    commandId: text(metadata.commandId),
    correlationId: text(metadata.correlationId),
    causationId: text(metadata.causationId),
    data: event.data,
    ...(hash !== undefined ? { hash } : {}),
  };
}
