import { Decider } from '@lib/domain/shared/decider';
import { Refusal, isRefusal } from '@lib/domain/shared/refusal';
import {
  AppendResult,
  EventStore,
  EventToAppend,
  Position,
  RecordedEvent,
  WrongExpectedRevisionError,
} from '@lib/event-store/event-store.port';
import { CommandContext, eventIdSource, metadataOf } from './command-context';
import { DomainEvent, toDomainEvent } from '@lib/domain/domain-events';

/**
 * The caller's If-Match names a version the stream is no longer at: nothing was recorded. Both are
 * versions as the ETag gives them (the number of events in the stream), not the store's 0-based
 * revisions, so that a client can compare them with what it sent and read.
 */
export class StaleVersionError extends Error {
  constructor(
    readonly streamId: string,
    readonly ifMatch: number,
    readonly current: number,
  ) {
    super(`Stream ${streamId}: If-Match "${ifMatch}", current version "${current}"`);
    this.name = 'StaleVersionError';
  }
}

/** The Idempotency-Key's events were recorded by another request (API.md: 422): nothing was recorded. */
export class IdempotencyKeyReusedError extends Error {
  constructor(readonly streamId: string) {
    super(`This Idempotency-Key was already used with another request (its events are in ${streamId})`);
    this.name = 'IdempotencyKeyReusedError';
  }
}

/** A decider refused the command: nothing was recorded. */
export class CommandRefusedError extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.detail);
    this.name = 'CommandRefusedError';
  }
}

export interface LoadedStream<S> {
  state: S;
  /** Number of events in the stream: the version clients see in ETag / If-Match. 0 when it does not exist. */
  version: number;
  events: RecordedEvent[];
}

export async function loadStream<S, E extends DomainEvent>(
  store: EventStore,
  streamId: string,
  decider: Pick<Decider<S, unknown, E, unknown>, 'initialState' | 'evolve'>,
  until?: (event: RecordedEvent) => boolean,
): Promise<LoadedStream<S>> {
  let state = decider.initialState();
  const events: RecordedEvent[] = [];
  for await (const recorded of store.readStream(streamId)) {
    if (until && !until(recorded)) break;
    events.push(recorded);
    state = decider.evolve(state, toDomainEvent<E>(recorded));
  }
  return { state, version: events.length, events };
}

/**
 * An event a command recorded, as its answer reports it: what was appended, where the store put it. Its
 * data with sorted keys: the first answer is made from the appended event, a retry's from the stored
 * one, and a store may keep keys in an order of its own (PostgreSQL's jsonb), yet a retry must get the
 * very bytes of the first answer.
 */
export type CommandEvent = Omit<RecordedEvent, 'recordedAt'>;

function commandEvent(event: CommandEvent): CommandEvent {
  const { streamId, revision, position, id, type, schemaVersion, data, metadata } = event;
  return { streamId, revision, position, id, type, schemaVersion, data: withSortedKeys(data), metadata };
}

function withSortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withSortedKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = withSortedKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

export interface StreamCommandResult {
  streamId: string;
  version: number;
  /** Position of the last recorded event; undefined when the command recorded nothing. */
  position?: Position;
  recorded: CommandEvent[];
  /** The command had been recorded already under its Idempotency-Key: this is its first answer again. */
  replayed?: true;
}

export interface StreamCommand<S, C, E extends DomainEvent, Ctx> {
  store: EventStore;
  streamId: string;
  decider: Decider<S, C, E, Ctx>;
  command: C;
  /** Read fresh for every attempt (the catalogue, the commune's conventions). */
  context: () => Promise<Ctx>;
  commandContext: CommandContext;
  /** The version the caller read (If-Match). When given, a stale one is a conflict and nothing is retried. */
  expectedVersion?: number;
  /** Scope of the event ids within the command (a command writing several streams). */
  idScope?: string;
}

const MAX_ATTEMPTS = 3;

/**
 * Load, decide, append with the expected revision. Without If-Match the caller did not base its command
 * on a version it read, so on a concurrent change the command is decided again on fresh state (the
 * decider re-checks every rule); with If-Match a stale version is the caller's conflict (409).
 */
export async function executeStreamCommand<S, C, E extends DomainEvent, Ctx>(
  spec: StreamCommand<S, C, E, Ctx>,
): Promise<StreamCommandResult> {
  const { store, streamId, decider, command, commandContext, expectedVersion } = spec;
  for (let attempt = 1; ; attempt++) {
    const loaded = await loadStream(store, streamId, decider);
    // An Idempotency-Key's command already recorded here (its answer was lost, or a concurrent retry
    // won the race): answer what it recorded, as the first time, rather than decide it again.
    const already = commandContext.idempotent ? loaded.events.filter((event) => event.metadata.commandId === commandContext.commandId) : [];
    if (already.length > 0) {
      // Events recorded before fingerprints were (no requestHash) are taken as the same request.
      const first = already[0].metadata.requestHash;
      if (commandContext.requestHash !== undefined && first !== undefined && first !== commandContext.requestHash)
        throw new IdempotencyKeyReusedError(streamId);
      return {
        streamId,
        version: already[already.length - 1].revision + 1,
        position: already[already.length - 1].position,
        recorded: already.map(commandEvent),
        replayed: true,
      };
    }
    const stale = expectedVersion !== undefined && expectedVersion !== loaded.version;
    const staleError = () => new StaleVersionError(streamId, expectedVersion!, loaded.version);
    // A stream that does not exist is the decider's to refuse (an unknown id is a 404, not a stale version).
    if (stale && loaded.version > 0) throw staleError();
    const decision = decider.decide(command, loaded.state, await spec.context());
    if (isRefusal(decision)) throw new CommandRefusedError(decision);
    if (stale) throw staleError();
    if (decision.length === 0) return { streamId, version: loaded.version, recorded: [] };
    const ids = eventIdSource(commandContext, spec.idScope);
    const metadata = metadataOf(commandContext);
    const toAppend = decision.map((event, index) => ({
      id: ids(index),
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata,
    }));
    try {
      const result = await store.appendToStream(streamId, toAppend, {
        expectedRevision: loaded.version === 0 ? 'no_stream' : loaded.version - 1,
      });
      return {
        streamId,
        version: result.nextExpectedRevision + 1,
        position: result.position,
        recorded: await recordedOf(store, streamId, toAppend, result),
      };
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError && expectedVersion === undefined && attempt < MAX_ATTEMPTS) continue;
      // Another command appended between our read and our append: the If-Match was current when read.
      if (error instanceof WrongExpectedRevisionError && expectedVersion !== undefined)
        throw new StaleVersionError(streamId, expectedVersion, error.actual === 'no_stream' ? 0 : error.actual + 1);
      throw error;
    }
  }
}

/**
 * The answer's events from the append itself: its result gives the last event's revision and position,
 * which is the whole answer for one event (nearly every command). The port gives no position for the
 * others of a batch (a signature with its annexes, the catalogue's seeding): those are read back.
 */
async function recordedOf(store: EventStore, streamId: string, appended: EventToAppend[], result: AppendResult): Promise<CommandEvent[]> {
  const first = result.nextExpectedRevision - appended.length + 1;
  if (appended.length === 1) return [commandEvent({ ...appended[0], streamId, revision: first, position: result.position })];
  const recorded: CommandEvent[] = [];
  for await (const event of store.readStream(streamId, { fromRevision: first, maxCount: appended.length }))
    recorded.push(commandEvent(event));
  return recorded;
}
