/**
 * The event store port. Its semantics are EventStoreDB's, so that every adapter
 * (PostgreSQL, PGlite, EventStoreDB, in-memory) is interchangeable and passes one contract suite
 * (test/event-store.contract.ts).
 */
import { Position } from '@lib/domain/shared/log-position';

/** Metadata every event carries (R-AUD-1): who, why, and the ids that tie it to its command. */
export interface EventMetadata {
  actor?: { id: string; role: string };
  reason?: string;
  legalReference?: string;
  commandId?: string;
  correlationId?: string;
  causationId?: string;
  [key: string]: unknown;
}

/** An event as a writer proposes it. `id` is a UUID chosen by the writer: it makes retries idempotent. */
export interface EventToAppend<T = unknown> {
  id: string;
  type: string;
  schemaVersion: number;
  data: T;
  metadata: EventMetadata;
}

/**
 * A place in the global order. Ordered by (commit, prepare): on PostgreSQL (transaction id, sequence),
 * on EventStoreDB its commit and prepare positions, in memory (sequence, sequence).
 * Numbers, not bigints: every store stays far below 2^53 and positions travel as JSON.
 */
export type { Position } from '@lib/domain/shared/log-position';
export { START, comparePositions, formatPosition, parsePosition } from '@lib/domain/shared/log-position';
/** An event as the store recorded it. */
export interface RecordedEvent<T = unknown> extends EventToAppend<T> {
  streamId: string;
  /** 0 for a stream's first event. */
  revision: number;
  position: Position;
  /** ISO 8601 UTC instant set by the store when the event was recorded. */
  recordedAt: string;
}

/** `no_stream`: the stream must not exist; `stream_exists`: it must; `any`: no check; a number: its last revision. */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | number;

export interface AppendOptions {
  expectedRevision?: ExpectedRevision;
}

export interface AppendResult {
  /** The revision of the stream's last event after the append. */
  nextExpectedRevision: number;
  /** The global position of the batch's last event. */
  position: Position;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** Inclusive. Default: the start when reading forwards, the end when reading backwards. */
  fromRevision?: number | 'start' | 'end';
  maxCount?: number;
}

export interface AllFilter {
  eventTypes?: readonly string[];
  streamPrefix?: string;
}

export interface ReadAllOptions {
  /** Exclusive: only events after this position. Default START. */
  after?: Position;
  filter?: AllFilter;
  maxCount?: number;
}

export interface SubscribeOptions {
  /** Exclusive checkpoint: the subscription delivers every event after it, then live events. */
  after?: Position;
  filter?: AllFilter;
}

/** A catch-up subscription: iterate it; `close()` ends the iteration. */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

export interface EventStore {
  /** Atomic for the batch. Throws WrongExpectedRevisionError (writing nothing) on a failed expectation. */
  appendToStream(streamId: string, events: readonly EventToAppend[], options?: AppendOptions): Promise<AppendResult>;
  /** Streams results; an unknown stream yields nothing. */
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;
  /** Streams the global order forwards, after a position. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  subscribeToAll(options?: SubscribeOptions): Subscription;
  /** The position of the last event a reader can see now (START when empty). */
  headPosition(): Promise<Position>;
  /** How many events the store holds (the server's own events excluded): e.g. a replay's progress bar. */
  eventCount(): Promise<number>;
  /** Resolves when the store is reachable; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The expectation failed: nothing was written. `actual` is the stream's last revision, or 'no_stream'. */
export class WrongExpectedRevisionError extends Error {
  readonly code = 'WRONG_EXPECTED_REVISION';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | 'no_stream',
  ) {
    super(`Stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

/** An event id already recorded elsewhere (another stream or another place), so the batch is not a retry. */
export class DuplicateEventIdError extends Error {
  readonly code = 'DUPLICATE_EVENT_ID';
  constructor(
    readonly streamId: string,
    readonly eventId: string,
  ) {
    super(`Event ${eventId} was already recorded elsewhere than ${streamId}`);
    this.name = 'DuplicateEventIdError';
  }
}

/** The DI token under which the configured store is provided. */
export const EVENT_STORE = Symbol('EVENT_STORE');

/**
 * A one-shot read could not see every event acknowledged before it in time (PostgreSQL: a transaction
 * elsewhere in the cluster stays open and holds the visibility horizon back). Transient: retry.
 */
export class HorizonTimeoutError extends Error {
  readonly code = 'HORIZON_TIMEOUT';
  constructor(waitedMs: number) {
    super(`Events acknowledged before the read stay invisible after ${waitedMs} ms: a transaction in the database has been open since`);
  }
}
