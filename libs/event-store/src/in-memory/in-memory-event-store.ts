import {
  AllFilter,
  AppendOptions,
  AppendResult,
  DuplicateEventIdError,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  Position,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  START,
  SubscribeOptions,
  Subscription,
  WrongExpectedRevisionError,
  comparePositions,
} from '../event-store.port';
import { checkAppend, checkMaxCount, expectationHolds, isRetryInPlace, startRevision } from '../append-rules';
import { ChainLink, ChainedEventStore, eventHash } from '../integrity/event-hash';

/**
 * For unit tests only: the port's semantics (checked by the same contract suite as the real stores)
 * without a database. Position {commit: seq, prepare: seq}. Events are copied through JSON in and out,
 * as a database would store them, so a caller can never change what was recorded. Appends extend the
 * integrity chain (integrity/event-hash.ts) like the PostgreSQL store's.
 */
export class InMemoryEventStore implements EventStore, ChainedEventStore {
  private readonly log: RecordedEvent[] = [];
  /** hashes[i] is the chain hash of log[i]. */
  private readonly hashes: string[] = [];
  private readonly streams = new Map<string, RecordedEvent[]>();
  private readonly byId = new Map<string, RecordedEvent>();
  private readonly wakeUps = new Set<() => void>();
  private closed = false;

  /** `clock` gives the recording instant (the store sets it, never the writer). */
  constructor(private readonly clock: () => Date = () => new Date()) {}

  async appendToStream(streamId: string, events: readonly EventToAppend[], options: AppendOptions = {}): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    checkAppend(streamId, events, expected);
    const ids = events.map((event) => event.id.toLowerCase());
    if (ids.some((id) => this.byId.has(id))) return this.retriedAppend(streamId, ids, expected);

    const stream = this.streams.get(streamId) ?? [];
    const current = stream.length === 0 ? undefined : stream.length - 1;
    if (!expectationHolds(expected, current)) throw new WrongExpectedRevisionError(streamId, expected, current ?? 'no_stream');
    if (events.length === 0) return { nextExpectedRevision: current ?? -1, position: stream.at(-1)?.position ?? START };

    // Like the PostgreSQL store: recording instants never decrease along the global order.
    const clock = this.clock().toISOString();
    const previous = this.log.at(-1)?.recordedAt;
    const recordedAt = previous !== undefined && previous > clock ? previous : clock;
    for (const [i, event] of events.entries()) {
      const seq = this.log.length + 1;
      const recorded: RecordedEvent = copy({
        id: ids[i],
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: event.data ?? null,
        metadata: event.metadata ?? {},
        streamId,
        revision: stream.length,
        position: { commit: seq, prepare: seq },
        recordedAt,
      });
      this.hashes.push(eventHash(recorded, this.hashes.at(-1) ?? null));
      this.log.push(recorded);
      stream.push(recorded);
      this.byId.set(recorded.id, recorded);
    }
    this.streams.set(streamId, stream);
    this.wakeUps.forEach((wakeUp) => wakeUp());
    return { nextExpectedRevision: stream.length - 1, position: stream[stream.length - 1].position };
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    const backwards = options.direction === 'backwards';
    const maxCount = checkMaxCount(options.maxCount);
    const from = startRevision(options.fromRevision, backwards);
    const streams = this.streams;
    return {
      async *[Symbol.asyncIterator]() {
        const stream = streams.get(streamId) ?? [];
        let count = 0;
        for (let revision = backwards ? Math.min(from, stream.length - 1) : from; count < maxCount; revision += backwards ? -1 : 1) {
          const event = stream[revision];
          if (revision < 0 || event === undefined) return;
          count++;
          yield copy(event);
        }
      },
    };
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const maxCount = checkMaxCount(options.maxCount);
    const after = options.after ?? START;
    const log = this.log;
    return {
      async *[Symbol.asyncIterator]() {
        let count = 0;
        for (let i = firstIndexAfter(log, after); i < log.length && count < maxCount; i++) {
          if (!matches(log[i], options.filter)) continue;
          count++;
          yield copy(log[i]);
        }
      },
    };
  }

  readChain(options: { after?: Position } = {}): AsyncIterable<ChainLink> {
    const { log, hashes } = this;
    return {
      async *[Symbol.asyncIterator]() {
        for (let i = firstIndexAfter(log, options.after ?? START); i < log.length; i++) yield { event: copy(log[i]), hash: hashes[i] };
      },
    };
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    const log = this.log;
    const wakeUps = this.wakeUps;
    let closed = false;
    let wakeUp: (() => void) | undefined;
    const wake = () => wakeUp?.();
    const isClosed = () => closed || this.closed;
    wakeUps.add(wake);
    return {
      async *[Symbol.asyncIterator]() {
        try {
          for (let i = firstIndexAfter(log, options.after ?? START); !isClosed();) {
            if (i < log.length) {
              const event = log[i++];
              if (matches(event, options.filter)) yield copy(event);
              continue;
            }
            // Pull-based: wait for the next append (or close) only when the consumer asks for more.
            await new Promise<void>((resolve) => (wakeUp = resolve));
            wakeUp = undefined;
          }
        } finally {
          wakeUps.delete(wake);
        }
      },
      async close() {
        closed = true;
        wakeUps.delete(wake);
        wakeUp?.();
      },
    };
  }

  async headPosition(): Promise<Position> {
    return this.log.at(-1)?.position ?? START;
  }

  async eventCount(): Promise<number> {
    return this.log.length;
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('The in-memory event store is closed');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeUps.forEach((wakeUp) => wakeUp());
  }

  /** A retry only if the whole batch is recorded, in order, where its expectation designates (append-rules.ts). */
  private retriedAppend(streamId: string, ids: string[], expected: ExpectedRevision): AppendResult {
    const recorded = ids.map((id) => this.byId.get(id));
    if (!isRetryInPlace(streamId, expected, recorded))
      throw new DuplicateEventIdError(
        streamId,
        ids.find((id) => this.byId.has(id))!,
      );
    const last = recorded[recorded.length - 1]!;
    return { nextExpectedRevision: last.revision, position: last.position };
  }
}

/** The log is in position order: binary search for the first event after `after`. */
function firstIndexAfter(log: readonly RecordedEvent[], after: Position): number {
  let low = 0;
  let high = log.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (comparePositions(log[mid].position, after) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

function matches(event: RecordedEvent, filter: AllFilter | undefined): boolean {
  if (filter?.eventTypes && !filter.eventTypes.includes(event.type)) return false;
  if (filter?.streamPrefix !== undefined && !event.streamId.startsWith(filter.streamPrefix)) return false;
  return true;
}

function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
