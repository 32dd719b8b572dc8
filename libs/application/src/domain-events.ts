import { RecordedEvent } from '@lib/event-store/event-store.port';

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

export function toDomainEvent<E extends DomainEvent = DomainEvent>(recorded: Pick<RecordedEvent, 'type' | 'schemaVersion' | 'data'>): E {
  let { schemaVersion, data } = recorded;
  for (let upcast = upcasters.get(`${recorded.type}@${schemaVersion}`); upcast; upcast = upcasters.get(`${recorded.type}@${schemaVersion}`)) {
    data = upcast(data);
    schemaVersion += 1;
  }
  return { type: recorded.type, schemaVersion, data } as E;
}
