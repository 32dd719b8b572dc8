import { DuplicateEventIdError, EventToAppend, ExpectedRevision, ReadStreamOptions } from './event-store.port';

/*
 * The port's rules for arguments and expectations, in one place for every adapter: what each store
 * checks before it touches its storage, and how it tells a retried batch from a duplicate.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Refuses, before anything is written, a batch no store could record as asked. */
export function checkAppend(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): void {
  if (typeof streamId !== 'string' || streamId.length === 0) throw new TypeError('A stream id is a non-empty string');
  if (typeof expected === 'number' && !(Number.isSafeInteger(expected) && expected >= 0)) {
    throw new RangeError(`An expected revision is a revision (>= 0) or no_stream, stream_exists, any: ${expected}`);
  }
  const ids = new Set<string>();
  for (const event of events) {
    // Every store keeps ids as UUIDs (a uuid column, EventStoreDB's own): the same refusal everywhere.
    if (typeof event.id !== 'string' || !UUID.test(event.id)) throw new TypeError(`An event id is a UUID: ${String(event.id)}`);
    const id = event.id.toLowerCase();
    if (ids.has(id)) throw new DuplicateEventIdError(streamId, event.id);
    ids.add(id);
  }
}

/** `current`: the stream's last revision, undefined when it has no event. */
export function expectationHolds(expected: ExpectedRevision, current: number | undefined): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return current === undefined;
  if (expected === 'stream_exists') return current !== undefined;
  return current === expected;
}

/**
 * Some ids of a batch are already recorded (`recorded[i]`: where the batch's i-th id is, if anywhere).
 * It is a retry only if the whole batch is there, in order, in this stream, at the place its
 * expectation designates; otherwise the batch is refused as a duplicate.
 */
export function isRetryInPlace(
  streamId: string,
  expected: ExpectedRevision,
  recorded: ReadonlyArray<{ streamId: string; revision: number } | undefined>,
): boolean {
  const first = recorded[0]?.revision;
  return (
    first !== undefined &&
    recorded.every((event, i) => event !== undefined && event.streamId === streamId && event.revision === first + i) &&
    (expected === 'any' ||
      (expected === 'no_stream' && first === 0) ||
      (expected === 'stream_exists' && first > 0) ||
      (typeof expected === 'number' && first === expected + 1))
  );
}

/** A read's maxCount: infinite when unset. */
export function checkMaxCount(maxCount: number | undefined): number {
  if (maxCount === undefined) return Number.POSITIVE_INFINITY;
  if (!(Number.isSafeInteger(maxCount) && maxCount >= 0)) throw new RangeError(`maxCount is a count (>= 0): ${maxCount}`);
  return maxCount;
}

/**
 * The first revision a stream read looks at. Forwards from the end reads nothing, like EventStoreDB:
 * -1, which a forward read takes for "nothing to read".
 */
export function startRevision(from: ReadStreamOptions['fromRevision'], backwards: boolean): number {
  if (from === undefined) return backwards ? Number.MAX_SAFE_INTEGER : 0;
  if (from === 'start') return 0;
  if (from === 'end') return backwards ? Number.MAX_SAFE_INTEGER : -1;
  if (!(Number.isSafeInteger(from) && from >= 0)) throw new RangeError(`A revision is >= 0: ${from}`);
  return from;
}
