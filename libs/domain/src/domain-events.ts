import { CatalogueEvent } from './catalogue';
import {
  AnnexAdded,
  ConventionEvent,
  ConventionEventType,
  ConventionSigned,
  FRAMEWORK_LEGAL_REFERENCE,
  periodStartingOn,
} from './convention';
import { LedgerEvent } from './ledger';
import { CommuneEvent, SyntecEvent } from './reference';
import { CalendarDate } from './shared/calendar-date';

/** Every event the domain stores, in its current shape: tables keyed by its `type` are complete by construction. */
export type StoredEvent = CatalogueEvent | ConventionEvent | CommuneEvent | SyntecEvent | LedgerEvent;
export type StoredEventType = StoredEvent['type'];

/** A domain event as deciders and evolvers see it: type, schema version, data. */
export interface DomainEvent {
  type: string;
  schemaVersion: number;
  data: unknown;
}

/**
 * Turns a recorded event into the current shape of its type. Events keep the schema version they were
 * written with; an upcaster registered here for (type, version) lifts an old shape to the next version.
 */
export type Upcaster = (data: unknown) => unknown;
const upcasters = new Map<string, Upcaster>();

export function registerUpcaster(type: string, fromVersion: number, upcast: Upcaster): void {
  upcasters.set(`${type}@${fromVersion}`, upcast);
}

export function toDomainEvent<E extends DomainEvent = DomainEvent>(recorded: {
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
}): E {
  let { schemaVersion, data } = recorded;
  for (
    let upcast = upcasters.get(`${recorded.type}@${schemaVersion}`);
    upcast;
    upcast = upcasters.get(`${recorded.type}@${schemaVersion}`)
  ) {
    data = upcast(data);
    schemaVersion += 1;
  }
  return { type: recorded.type, schemaVersion, data } as E;
}

/*
 * The upcasters, in one place. Stored events are never rewritten (R-TIME-2): an event keeps the schema
 * version it was written with, and is lifted to the current shape each time it is read.
 *
 * Schema version 0 is the shape of the pilot's exports (docs/audit.md, "Schema evolution"), which a
 * migration imports as they were written:
 * - ConventionSigned@0 had no legal reference (every pilot convention was of the CP-2025-4074 model) and
 *   no initial period (it was derived from the effective date, R-CONV-3);
 * - AnnexAdded@0 named its fields `service`, `offer` and `from`.
 */
registerUpcaster(ConventionEventType.ConventionSigned, 0, (data) => {
  const v0 = data as Omit<ConventionSigned['data'], 'legalReference' | 'initialPeriod'> & { legalReference?: string };
  const period = periodStartingOn(v0.effectiveFrom, 1);
  return {
    ...v0,
    legalReference: v0.legalReference ?? FRAMEWORK_LEGAL_REFERENCE,
    initialPeriod: { start: period.start, end: period.end },
  } satisfies ConventionSigned['data'];
});

registerUpcaster(ConventionEventType.AnnexAdded, 0, (data) => {
  const { conventionId, service, offer, from } = data as { conventionId: string; service: string; offer: string; from: CalendarDate };
  return { conventionId, serviceId: service, offerId: offer, effectiveFrom: from } satisfies AnnexAdded['data'];
});
