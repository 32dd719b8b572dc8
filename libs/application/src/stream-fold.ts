import { Decider } from '@lib/domain/shared/decider';
import { DomainEvent, toDomainEvent } from '@lib/domain/domain-events';
import { coalesced } from '@lib/event-store/coalesced';
import { EventStore } from '@lib/event-store/event-store.port';

type Fold<S, E> = Pick<Decider<S, unknown, E, unknown>, 'initialState' | 'evolve'>;

/**
 * The fold of one stream, kept and extended: a stream's events up to a revision never change, so a read
 * asks only for the events after the cached version (one indexed query, empty most of the time) and
 * folds those in. Each `current()` sees every event committed before it was called, as a whole read
 * would: calls arriving while a read is in flight share the NEXT read, never the one already running,
 * so under load one query serves many commands and none decides on a catalogue older than its arrival
 * (coalesced.ts).
 * The deciders are pure, so the state they are handed is shared, not copied.
 */
export class StreamFold<S, E extends DomainEvent = DomainEvent> {
  private state: S;
  private version = 0;

  constructor(
    private readonly store: EventStore,
    private readonly streamId: string,
    private readonly fold: Fold<S, E>,
  ) {
    this.state = fold.initialState();
  }

  readonly current: () => Promise<S> = coalesced(() => this.catchUp());

  private async catchUp(): Promise<S> {
    let { state, version } = this;
    for await (const recorded of this.store.readStream(this.streamId, { fromRevision: version })) {
      state = this.fold.evolve(state, toDomainEvent<E>(recorded));
      version = recorded.revision + 1;
    }
    this.state = state;
    this.version = version;
    return state;
  }
}

const folds = new WeakMap<EventStore, Map<string, unknown>>();

/** The one kept fold of `streamId` on `store` (per store: tests and tools open several). */
export function streamFoldOf<S, E extends DomainEvent>(store: EventStore, streamId: string, fold: Fold<S, E>): StreamFold<S, E> {
  let byStream = folds.get(store);
  if (!byStream) folds.set(store, (byStream = new Map<string, unknown>()));
  let kept = byStream.get(streamId) as StreamFold<S, E> | undefined;
  if (!kept) byStream.set(streamId, (kept = new StreamFold(store, streamId, fold)));
  return kept;
}
