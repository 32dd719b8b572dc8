import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START as ESDB_START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
} from './client';
import type {
  AllStreamSubscription,
  AppendExpectedRevision,
  CurrentRevision,
  EsdbPosition,
  EsdbRecordedEvent,
  EventData,
  Filter,
  JSONType,
  ReadPosition,
  ReadRevision,
} from './client';
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
import { checkAppend, checkMaxCount } from '../append-rules';

const PING_TIMEOUT_MS = 5_000;

/**
 * The EventStore port on EventStoreDB/KurrentDB (server 22.6 or later: older servers give no position
 * on stream reads). The server does the hard parts natively: optimistic concurrency, idempotent retries
 * by event id at the same place, the global order and catch-up subscriptions.
 */
export class EventStoreDbEventStore implements EventStore {
  private constructor(private readonly client: EventStoreDBClient) {}

  /** e.g. `esdb://localhost:2113?tls=false`. Connects lazily, on the first call. */
  static fromConnectionString(connectionString: string): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString));
  }

  async appendToStream(streamId: string, events: readonly EventToAppend[], options: AppendOptions = {}): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    checkAppend(streamId, events, expected);
    let result;
    try {
      result = await this.client.appendToStream(streamId, events.map(toEsdbEvent), {
        expectedRevision: toEsdbExpectedRevision(expected),
      });
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      await this.refusePartialRetry(streamId, events, expected);
      throw new WrongExpectedRevisionError(streamId, expected, fromEsdbCurrentRevision(error.actualVersion));
    }
    const nextExpectedRevision = toSafeNumber(result.nextExpectedRevision, 'revision');
    // The server answers with the position of the batch's last event; it may omit it (no event written).
    const position = result.position ? toPosition(result.position) : await this.positionOfLastEvent(streamId);
    return { nextExpectedRevision, position };
  }

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    const direction = options.direction ?? 'forwards';
    if (checkMaxCount(options.maxCount) === 0) return;
    const read = this.client.readStream(streamId, {
      direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
      fromRevision: toEsdbReadRevision(options.fromRevision, direction),
      maxCount: options.maxCount,
    });
    try {
      for await (const resolved of read) if (resolved.event) yield fromEsdbEvent(resolved.event);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return; // an unknown stream yields nothing
      throw error;
    } finally {
      await cancelQuietly(read);
    }
  }

  /**
   * Filtered here, not on the server: the v6 client's readAll sends no filter (only subscriptions do).
   * `maxCount` counts the events yielded, after filtering.
   */
  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const after = options.after ?? START;
    const maxCount = checkMaxCount(options.maxCount);
    if (maxCount === 0) return;
    const read = this.client.readAll({ direction: FORWARDS, fromPosition: toEsdbReadPosition(after) });
    let yielded = 0;
    try {
      for await (const { event } of read) {
        if (!event || !isAfter(event.position, after) || !matchesFilter(event, options.filter)) continue;
        yield fromEsdbEvent(event);
        if (++yielded >= maxCount) return;
      }
    } finally {
      await cancelQuietly(read);
    }
  }

  /** Filtered on the server (by stream prefix, else by event type, else system events out), then checked here. */
  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    const after = options.after ?? START;
    const filter = options.filter;
    const client = this.client;
    let closed = false;
    let active: AllStreamSubscription | undefined;

    const close = async (): Promise<void> => {
      closed = true;
      const subscription = active;
      active = undefined;
      if (!subscription) return;
      try {
        await subscription.unsubscribe();
      } catch {
        // the connection may already be gone: there is nothing left to cancel
      }
      // Cancelling the gRPC call does not end the client's stream: destroying it ends our iteration.
      subscription.destroy();
    };

    return {
      close,
      async *[Symbol.asyncIterator]() {
        if (closed) return;
        // Created on first iteration so that no error can be emitted before anyone listens.
        const subscription = client.subscribeToAll({ fromPosition: toEsdbReadPosition(after), filter: toServerFilter(filter) });
        active = subscription;
        try {
          for await (const { event } of subscription) {
            if (!event || !isAfter(event.position, after) || !matchesFilter(event, filter)) continue;
            yield fromEsdbEvent(event);
          }
        } catch (error) {
          if (!closed) throw error; // after close(), the destroyed stream's premature end is expected
        } finally {
          if (active === subscription) await close();
        }
      },
    };
  }

  async headPosition(): Promise<Position> {
    const read = this.client.readAll({ direction: BACKWARDS, fromPosition: END });
    try {
      for await (const { event } of read) if (event && !isSystemEvent(event)) return toPosition(event.position);
      return START;
    } finally {
      await cancelQuietly(read);
    }
  }

  /** EventStoreDB keeps no count of $all: read it through, as a replay would, without the server's own events. */
  async eventCount(): Promise<number> {
    let count = 0;
    for await (const _ of this.readAll()) count++;
    return count;
  }

  /** Reads one record of $all: the adapter needs $all, so this also checks the credentials allow it. */
  async ping(): Promise<void> {
    const read = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`EventStoreDB did not answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
    });
    const readOne = (async () => {
      for await (const _ of read) break;
    })();
    try {
      await Promise.race([readOne, timeout]);
    } finally {
      clearTimeout(timer);
      await cancelQuietly(read);
      read.destroy(); // ends a read still waiting for the server
    }
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }

  /**
   * The server answers "wrong expected version" to a retry of which only a part was recorded. When the
   * batch's first event already sits where the batch was expected to go, that is what happened.
   * (Ids recorded in another stream or at another place are not detected: EventStoreDB keeps no index
   * of event ids, and writes them again.)
   */
  private async refusePartialRetry(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<void> {
    if (events.length === 0 || (expected !== 'no_stream' && typeof expected !== 'number')) return;
    const at = expected === 'no_stream' ? 0 : expected + 1;
    for await (const recorded of this.readStream(streamId, { fromRevision: at, maxCount: 1 }))
      if (recorded.id === events[0].id) throw new DuplicateEventIdError(streamId, recorded.id);
  }

  private async positionOfLastEvent(streamId: string): Promise<Position> {
    for await (const event of this.readStream(streamId, { direction: 'backwards', maxCount: 1 })) return event.position;
    return START;
  }
}

// ---- Pure mappings between the port and the client (unit-tested without a server) ----

export function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      if (!Number.isSafeInteger(expected) || expected < 0)
        throw new RangeError(`expectedRevision must be 'no_stream', 'stream_exists', 'any' or an integer >= 0, got ${expected}`);
      return BigInt(expected);
  }
}

/** The client reports an absent stream as 'no_stream' (or -1 from older servers). */
export function fromEsdbCurrentRevision(actual: CurrentRevision): number | 'no_stream' {
  if (actual === NO_STREAM || actual < 0n) return 'no_stream';
  return toSafeNumber(actual, 'revision');
}

export function toEsdbReadRevision(from: ReadStreamOptions['fromRevision'], direction: 'forwards' | 'backwards'): ReadRevision {
  if (from === undefined) return direction === 'forwards' ? ESDB_START : END;
  if (from === 'start') return ESDB_START;
  if (from === 'end') return END;
  return BigInt(from);
}

/** Our START means "before everything": the server's own start, not a record at 0/0. */
export function toEsdbReadPosition(after: Position): ReadPosition {
  if (isStart(after)) return ESDB_START;
  return { commit: BigInt(after.commit), prepare: BigInt(after.prepare) };
}

export function toPosition(position: EsdbPosition | undefined): Position {
  if (!position) throw new Error('EventStoreDB gave no position for an event: the server must be 22.6 or later');
  return { commit: toSafeNumber(position.commit, 'commit position'), prepare: toSafeNumber(position.prepare, 'prepare position') };
}

/**
 * Reading $all from a position includes the event at that position; our `after` excludes it.
 * Comparing (rather than skipping the first event) also holds if the server ever starts after it.
 */
export function isAfter(position: EsdbPosition | undefined, after: Position): boolean {
  if (isStart(after)) return true;
  return comparePositions(toPosition(position), after) > 0;
}

export function toEsdbEvent(event: EventToAppend): EventData {
  return jsonEvent({
    id: event.id,
    type: event.type,
    data: event.data as JSONType,
    metadata: { ...event.metadata, schemaVersion: event.schemaVersion },
  });
}

export function fromEsdbEvent(event: EsdbRecordedEvent): RecordedEvent {
  const { schemaVersion, ...metadata } = isPlainObject(event.metadata) ? event.metadata : {};
  return {
    id: event.id,
    type: event.type,
    // Events written by other tools carry no schema version: they are at their first.
    schemaVersion: typeof schemaVersion === 'number' ? schemaVersion : 1,
    data: event.data,
    metadata: metadata,
    streamId: event.streamId,
    revision: toSafeNumber(event.revision, 'revision'),
    position: toPosition(event.position),
    recordedAt: event.created.toISOString(),
  };
}

/** The server's own events ($-prefixed types, $-prefixed streams such as $stats-…) are never ours. */
export function isSystemEvent(event: { streamId: string; type: string }): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

export function matchesFilter(event: { streamId: string; type: string }, filter: AllFilter | undefined): boolean {
  if (isSystemEvent(event)) return false;
  if (filter?.eventTypes && !filter.eventTypes.includes(event.type)) return false;
  if (filter?.streamPrefix !== undefined && !event.streamId.startsWith(filter.streamPrefix)) return false;
  return true;
}

/** The server takes one filter: the stream prefix narrows most, else the exact event types, else no system events. */
export function toServerFilter(filter: AllFilter | undefined): Filter {
  if (filter?.streamPrefix) return streamNameFilter({ prefixes: [filter.streamPrefix] });
  if (filter?.eventTypes) return eventTypeFilter({ regex: `^(?:${filter.eventTypes.map(escapeRegex).join('|')})$` });
  return excludeSystemEvents();
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isStart(position: Position): boolean {
  return position.commit === 0 && position.prepare === 0;
}

function toSafeNumber(value: bigint, what: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`EventStoreDB ${what} ${value} is not a safe integer`);
  return Number(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

async function cancelQuietly(read: { cancel(): Promise<void> }): Promise<void> {
  try {
    await read.cancel();
  } catch {
    // the call never started (e.g. no connection): nothing to cancel
  }
}
