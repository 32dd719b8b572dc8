import { randomUUID } from 'node:crypto';
import * as fc from 'fast-check';
import {
  DuplicateEventIdError,
  EventMetadata,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  Position,
  RecordedEvent,
  WrongExpectedRevisionError,
  comparePositions,
} from '@lib/event-store/event-store.port';

/**
 * The one behaviour every EventStore adapter must have (EventStoreDB's semantics), called once per
 * adapter. `setup` runs once for the suite; tests keep apart by giving their streams and event types
 * names of their own, so a store shared by the suite is enough.
 *
 * Global readers of PostgreSQL see an acknowledged event once every transaction that began before it
 * has ended (see postgres/queries.ts); tests that read the global order right after appending first
 * wait until headPosition has reached what they appended (`visible`).
 */
/**
 * What a store may not offer. EventStoreDB keeps no index of event ids, so it cannot refuse an id
 * already recorded in another stream or at another place of the same stream; those cases are skipped
 * for it, and said so in the test name.
 */
export interface StoreCapabilities {
  globallyUniqueEventIds: boolean;
}

export function eventStoreContract(
  name: string,
  setup: () => Promise<{ store: EventStore; teardown: () => Promise<void> }>,
  capabilities: StoreCapabilities = { globallyUniqueEventIds: true },
): void {
  const uniqueIds = capabilities.globallyUniqueEventIds ? it : it.skip;
  describe(`EventStore contract: ${name}`, () => {
    // Generous: on a shared PostgreSQL cluster, any long transaction elsewhere delays global readers.
    jest.setTimeout(90_000);
    let store: EventStore;
    let teardown: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      ({ store, teardown } = await setup());
    }, 120_000);

    afterAll(async () => {
      await teardown?.();
    }, 60_000);

    describe('appendToStream and readStream', () => {
      it('appends a batch to a new stream at revisions 0..n-1 and answers with the last revision and position', async () => {
        const streamId = newStreamId();
        const batch = [newEvent('Opened'), newEvent('Changed'), newEvent('Closed')];

        const result = await store.appendToStream(streamId, batch, { expectedRevision: 'no_stream' });

        const read = await collect(store.readStream(streamId));
        expect(read.map((e) => [e.id, e.type, e.streamId, e.revision])).toEqual([
          [batch[0].id, 'Opened', streamId, 0],
          [batch[1].id, 'Changed', streamId, 1],
          [batch[2].id, 'Closed', streamId, 2],
        ]);
        expect(result.nextExpectedRevision).toBe(2);
        expect(result.position).toEqual(read[2].position);
      });

      it('reads forwards from a revision, at most maxCount events', async () => {
        const streamId = await streamWithRevisions(6);
        expect(revisions(await collect(store.readStream(streamId, { fromRevision: 2 })))).toEqual([2, 3, 4, 5]);
        expect(revisions(await collect(store.readStream(streamId, { fromRevision: 2, maxCount: 2 })))).toEqual([2, 3]);
        expect(revisions(await collect(store.readStream(streamId, { fromRevision: 'start', maxCount: 1 })))).toEqual([0]);
        expect(revisions(await collect(store.readStream(streamId, { maxCount: 0 })))).toEqual([]);
      });

      it('reads backwards from the end or from a revision, at most maxCount events', async () => {
        const streamId = await streamWithRevisions(6);
        const backwards = { direction: 'backwards' } as const;
        expect(revisions(await collect(store.readStream(streamId, backwards)))).toEqual([5, 4, 3, 2, 1, 0]);
        expect(revisions(await collect(store.readStream(streamId, { ...backwards, fromRevision: 'end', maxCount: 2 })))).toEqual([5, 4]);
        expect(revisions(await collect(store.readStream(streamId, { ...backwards, fromRevision: 3 })))).toEqual([3, 2, 1, 0]);
        expect(revisions(await collect(store.readStream(streamId, { ...backwards, fromRevision: 3, maxCount: 2 })))).toEqual([3, 2]);
        expect(revisions(await collect(store.readStream(streamId, { ...backwards, fromRevision: 'start' })))).toEqual([0]);
      });

      it('reads nothing forwards past the end, and backwards from past the end as from the end', async () => {
        const streamId = await streamWithRevisions(3);
        expect(await collect(store.readStream(streamId, { fromRevision: 3 }))).toEqual([]);
        expect(await collect(store.readStream(streamId, { fromRevision: 'end' }))).toEqual([]);
        expect(revisions(await collect(store.readStream(streamId, { direction: 'backwards', fromRevision: 100 })))).toEqual([2, 1, 0]);
      });

      it('reads an unknown stream as empty, in both directions', async () => {
        const streamId = newStreamId();
        expect(await collect(store.readStream(streamId))).toEqual([]);
        expect(await collect(store.readStream(streamId, { direction: 'backwards' }))).toEqual([]);
      });

      it('reads a stream longer than a page completely and in order, both ways and in the global order', async () => {
        const streamId = newStreamId();
        const batch = Array.from({ length: 1234 }, () => newEvent('Many'));
        const { position } = await store.appendToStream(streamId, batch, { expectedRevision: 'no_stream' });

        const forwards = await collect(store.readStream(streamId));
        expect(forwards.map((e) => e.id)).toEqual(batch.map((e) => e.id));
        expect(revisions(forwards)).toEqual(range(1234));
        const backwards = await collect(store.readStream(streamId, { direction: 'backwards' }));
        expect(backwards.map((e) => e.id)).toEqual(batch.map((e) => e.id).reverse());

        await visible(store, position);
        const all = await collect(store.readAll({ filter: { streamPrefix: streamId } }));
        expect(all.map((e) => e.id)).toEqual(batch.map((e) => e.id));
      });

      it('records data and every metadata field (R-AUD-1) as given', async () => {
        const streamId = newStreamId();
        const metadata: EventMetadata = {
          actor: { id: 'user-42', role: 'admin' },
          reason: 'Délibération « CP-2025-4074 » — annexe n°2',
          legalReference: 'CP-2025-4074 §II.2',
          commandId: randomUUID(),
          correlationId: randomUUID(),
          causationId: randomUUID(),
          source: { system: 'back-office', version: 3 },
        };
        const data = {
          communeInsee: '69123',
          amount: '111639.00',
          population: 522250,
          ratio: 0.2,
          annexes: [
            { serviceId: 'toodego', offerId: 'partenaire' },
            { serviceId: 'laclasse', offerId: 'standard' },
          ],
          note: null,
          active: true,
          text: 'quote " backslash \\ newline \n emoji 🚲 ñ',
        };
        const written: EventToAppend = { id: randomUUID(), type: 'ConventionSigned', schemaVersion: 2, data, metadata };

        await store.appendToStream(streamId, [written]);

        const [read] = await collect(store.readStream(streamId));
        expect({ id: read.id, type: read.type, schemaVersion: read.schemaVersion, data: read.data, metadata: read.metadata }).toEqual(
          written,
        );
      });

      it('sets recordedAt itself: an ISO 8601 UTC instant of the append, whatever the writer sends', async () => {
        const streamId = newStreamId();
        const before = Date.now();
        const claimed = { ...newEvent(), recordedAt: '2001-01-01T00:00:00.000Z' } as EventToAppend;
        await store.appendToStream(streamId, [claimed]);
        const after = Date.now();

        const [read] = await collect(store.readStream(streamId));
        expect(read.recordedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
        // The store's clock may be another machine's: a minute of tolerance, far from the claimed 2001.
        expect(Date.parse(read.recordedAt)).toBeGreaterThanOrEqual(before - 60_000);
        expect(Date.parse(read.recordedAt)).toBeLessThanOrEqual(after + 60_000);
      });
    });

    describe('expectedRevision', () => {
      it('no_stream: accepted for a new stream', async () => {
        const result = await store.appendToStream(newStreamId(), [newEvent()], { expectedRevision: 'no_stream' });
        expect(result.nextExpectedRevision).toBe(0);
      });

      it('stream_exists: accepted for an existing stream', async () => {
        const streamId = await streamWithRevisions(2);
        const result = await store.appendToStream(streamId, [newEvent()], { expectedRevision: 'stream_exists' });
        expect(result.nextExpectedRevision).toBe(2);
      });

      it('any (also the default): accepted for a new and for an existing stream', async () => {
        const streamId = newStreamId();
        expect((await store.appendToStream(streamId, [newEvent()], { expectedRevision: 'any' })).nextExpectedRevision).toBe(0);
        expect((await store.appendToStream(streamId, [newEvent()], { expectedRevision: 'any' })).nextExpectedRevision).toBe(1);
        expect((await store.appendToStream(streamId, [newEvent()])).nextExpectedRevision).toBe(2);
      });

      it('an exact revision: accepted when it is the last revision', async () => {
        const streamId = await streamWithRevisions(3);
        const result = await store.appendToStream(streamId, [newEvent(), newEvent()], { expectedRevision: 2 });
        expect(result.nextExpectedRevision).toBe(4);
      });

      const refusals: Array<[string, number, ExpectedRevision, number | 'no_stream']> = [
        ['no_stream on an existing stream', 2, 'no_stream', 1],
        ['stream_exists on a new stream', 0, 'stream_exists', 'no_stream'],
        ['a revision below the last', 3, 1, 2],
        ['a revision above the last', 3, 5, 2],
        ['a revision on a new stream', 0, 0, 'no_stream'],
      ];
      it.each(refusals)(
        '%s: refused with WrongExpectedRevisionError(expected, actual), nothing written',
        async (_, length, expected, actual) => {
          const streamId = length === 0 ? newStreamId() : await streamWithRevisions(length);
          const refused = [newEvent(), newEvent()];

          const error = await rejection(store.appendToStream(streamId, refused, { expectedRevision: expected }));

          expect(error).toBeInstanceOf(WrongExpectedRevisionError);
          expect(error).toMatchObject({ code: 'WRONG_EXPECTED_REVISION', streamId, expected, actual });
          expect(revisions(await collect(store.readStream(streamId)))).toEqual(range(length));
          // The refused ids were not recorded anywhere: they are still free.
          const elsewhere = await store.appendToStream(newStreamId(), refused, { expectedRevision: 'no_stream' });
          expect(elsewhere.nextExpectedRevision).toBe(1);
        },
      );
    });

    describe('refused arguments (append-rules.ts), nothing written', () => {
      it('an event id that is not a UUID, or twice in one batch', async () => {
        const streamId = newStreamId();
        const twice = newEvent();
        await expect(store.appendToStream(streamId, [newEvent(), { ...newEvent(), id: 'not-a-uuid' }])).rejects.toThrow(TypeError);
        await expect(store.appendToStream(streamId, [twice, twice])).rejects.toBeInstanceOf(DuplicateEventIdError);
        await expect(store.appendToStream(streamId, [newEvent()], { expectedRevision: -1 })).rejects.toThrow(RangeError);
        expect(await collect(store.readStream(streamId))).toEqual([]);
      });

      it('a maxCount that is not a count, when the read is asked for or when it starts', async () => {
        await expect(async () => collect(store.readAll({ maxCount: -1 }))).rejects.toThrow(RangeError);
        await expect(async () => collect(store.readStream(newStreamId(), { maxCount: 1.5 }))).rejects.toThrow(RangeError);
      });
    });

    describe('atomic batch and idempotent retries', () => {
      uniqueIds('a batch with one event recorded elsewhere is refused with DuplicateEventIdError and none of it is written', async () => {
        const first = newStreamId();
        const recorded = newEvent();
        await store.appendToStream(first, [recorded]);
        const second = newStreamId();
        const batch = [newEvent(), recorded, newEvent()];

        const error = await rejection(store.appendToStream(second, batch));

        expect(error).toBeInstanceOf(DuplicateEventIdError);
        expect(error).toMatchObject({ code: 'DUPLICATE_EVENT_ID', streamId: second, eventId: recorded.id });
        expect(await collect(store.readStream(second))).toEqual([]);
        expect(revisions(await collect(store.readStream(first)))).toEqual([0]);
        // The batch's other events were not written either: their ids are still free.
        await store.appendToStream(second, [batch[0], batch[2]], { expectedRevision: 'no_stream' });
      });

      const retries: Array<[string, number, ExpectedRevision]> = [
        ['no_stream', 0, 'no_stream'],
        ['stream_exists', 2, 'stream_exists'],
        ['any', 2, 'any'],
        ['an exact revision', 2, 1],
      ];
      it.each(retries)(
        'the same batch appended again with %s returns the first answer and records nothing new',
        async (_, length, expected) => {
          const streamId = length === 0 ? newStreamId() : await streamWithRevisions(length);
          const batch = [newEvent(), newEvent()];

          const first = await store.appendToStream(streamId, batch, { expectedRevision: expected });
          const again = await store.appendToStream(streamId, batch, { expectedRevision: expected });

          expect(again).toEqual(first);
          expect(first.nextExpectedRevision).toBe(length + 1);
          const read = await collect(store.readStream(streamId));
          expect(read.map((e) => e.id)).toEqual([...read.slice(0, length).map((e) => e.id), batch[0].id, batch[1].id]);
        },
      );

      it('a retry after the stream has moved on (the first answer was lost) still returns the first answer', async () => {
        const streamId = newStreamId();
        const lost = [newEvent()];
        const first = await store.appendToStream(streamId, lost, { expectedRevision: 'no_stream' });
        await store.appendToStream(streamId, [newEvent()], { expectedRevision: 0 });

        expect(await store.appendToStream(streamId, lost, { expectedRevision: 'no_stream' })).toEqual(first);
        expect(revisions(await collect(store.readStream(streamId)))).toEqual([0, 1]);
      });

      uniqueIds('an id recorded in the same stream at another place is refused with DuplicateEventIdError', async () => {
        const streamId = newStreamId();
        const recorded = newEvent();
        await store.appendToStream(streamId, [recorded, newEvent()]);

        const error = await rejection(store.appendToStream(streamId, [recorded], { expectedRevision: 1 }));

        expect(error).toBeInstanceOf(DuplicateEventIdError);
        expect(error).toMatchObject({ streamId, eventId: recorded.id });
        expect(revisions(await collect(store.readStream(streamId)))).toEqual([0, 1]);
      });

      it('a batch only partly recorded is not a retry: DuplicateEventIdError, and its new events are not written', async () => {
        const streamId = newStreamId();
        const recorded = newEvent();
        await store.appendToStream(streamId, [recorded], { expectedRevision: 'no_stream' });
        const extra = newEvent();

        const error = await rejection(store.appendToStream(streamId, [recorded, extra], { expectedRevision: 'no_stream' }));

        expect(error).toBeInstanceOf(DuplicateEventIdError);
        expect(error).toMatchObject({ eventId: recorded.id });
        expect((await collect(store.readStream(streamId))).map((e) => e.id)).toEqual([recorded.id]);
      });
    });

    describe('readAll', () => {
      it('reads the global order after a position, in strictly increasing positions', async () => {
        const prefix = newStreamId();
        const a = await store.appendToStream(`${prefix}-a`, [newEvent(), newEvent()]);
        const b = await store.appendToStream(`${prefix}-b`, [newEvent()]);
        const c = await store.appendToStream(`${prefix}-a`, [newEvent(), newEvent()]);
        await visible(store, c.position);

        const all = await collect(store.readAll({ filter: { streamPrefix: prefix } }));
        expect(all.map((e) => [e.streamId, e.revision])).toEqual([
          [`${prefix}-a`, 0],
          [`${prefix}-a`, 1],
          [`${prefix}-b`, 0],
          [`${prefix}-a`, 2],
          [`${prefix}-a`, 3],
        ]);
        expectStrictlyIncreasing(all.map((e) => e.position));
        expect(all[1].position).toEqual(a.position);
        expect(all[2].position).toEqual(b.position);
        expect(all[4].position).toEqual(c.position);

        const afterB = await collect(store.readAll({ after: b.position, filter: { streamPrefix: prefix } }));
        expect(afterB.map((e) => e.id)).toEqual(all.slice(3).map((e) => e.id));
        expect(await collect(store.readAll({ after: c.position, filter: { streamPrefix: prefix } }))).toEqual([]);
        const firstTwo = await collect(store.readAll({ filter: { streamPrefix: prefix }, maxCount: 2 }));
        expect(firstTwo.map((e) => e.id)).toEqual(all.slice(0, 2).map((e) => e.id));
      });

      it('filters by event type and by stream prefix', async () => {
        const prefix = newStreamId();
        const signed = `Signed${prefix.replace(/-/g, '')}`;
        const ended = `Ended${prefix.replace(/-/g, '')}`;
        await store.appendToStream(`${prefix}-x`, [newEvent(signed), newEvent('Other')]);
        await store.appendToStream(`other${prefix}`, [newEvent(signed)]);
        const last = await store.appendToStream(`${prefix}-y`, [newEvent(ended), newEvent(signed)]);
        await visible(store, last.position);

        const byType = await collect(store.readAll({ filter: { eventTypes: [signed] } }));
        expect(byType.map((e) => [e.streamId, e.type])).toEqual([
          [`${prefix}-x`, signed],
          [`other${prefix}`, signed],
          [`${prefix}-y`, signed],
        ]);
        const byTypes = await collect(store.readAll({ filter: { eventTypes: [ended, signed] } }));
        expect(byTypes.map((e) => e.type)).toEqual([signed, signed, ended, signed]);
        const byPrefix = await collect(store.readAll({ filter: { streamPrefix: `${prefix}-` } }));
        expect(byPrefix.map((e) => [e.streamId, e.type])).toEqual([
          [`${prefix}-x`, signed],
          [`${prefix}-x`, 'Other'],
          [`${prefix}-y`, ended],
          [`${prefix}-y`, signed],
        ]);
        const both = await collect(store.readAll({ filter: { streamPrefix: `${prefix}-`, eventTypes: [signed] } }));
        expect(both.map((e) => e.streamId)).toEqual([`${prefix}-x`, `${prefix}-y`]);
      });
    });

    describe('subscribeToAll', () => {
      it('delivers the events after its checkpoint, then new appends live, in order', async () => {
        const prefix = newStreamId();
        const checkpoint = await store.appendToStream(`${prefix}-a`, [newEvent()]);
        const caughtUp = [newEvent(), newEvent()];
        await store.appendToStream(`${prefix}-a`, caughtUp);
        const subscription = store.subscribeToAll({ after: checkpoint.position, filter: { streamPrefix: prefix } });
        const iterator = subscription[Symbol.asyncIterator]();
        try {
          expect((await take(iterator, 2)).map((e) => e.id)).toEqual(caughtUp.map((e) => e.id));

          const live = [newEvent(), newEvent(), newEvent()];
          await store.appendToStream(`${prefix}-b`, [live[0]]);
          await store.appendToStream(`${prefix}-a`, [live[1], live[2]]);
          const delivered = await take(iterator, 3);

          expect(delivered.map((e) => e.id)).toEqual(live.map((e) => e.id));
          expectStrictlyIncreasing([checkpoint.position, ...delivered.map((e) => e.position)]);
        } finally {
          await subscription.close();
        }
      });

      it('applies its filter to the events it catches up on and to live ones', async () => {
        const prefix = newStreamId();
        const wanted = `Wanted${prefix.replace(/-/g, '')}`;
        await store.appendToStream(`${prefix}-a`, [newEvent('Unwanted'), newEvent(wanted)]);
        const subscription = store.subscribeToAll({ filter: { streamPrefix: prefix, eventTypes: [wanted] } });
        const iterator = subscription[Symbol.asyncIterator]();
        try {
          const [old] = await take(iterator, 1);
          await store.appendToStream(`${prefix}-b`, [newEvent('Unwanted'), newEvent('Unwanted')]);
          await store.appendToStream(`other-${prefix}`, [newEvent(wanted)]);
          const live = newEvent(wanted);
          await store.appendToStream(`${prefix}-b`, [live]);

          const [next] = await take(iterator, 1);
          expect([old.streamId, old.type]).toEqual([`${prefix}-a`, wanted]);
          expect(next.id).toBe(live.id);
        } finally {
          await subscription.close();
        }
      });

      it('close() ends an iteration that is waiting for live events', async () => {
        const prefix = newStreamId();
        await store.appendToStream(prefix, [newEvent()]);
        const subscription = store.subscribeToAll({ filter: { streamPrefix: prefix } });
        const iterator = subscription[Symbol.asyncIterator]();
        await take(iterator, 1);
        const waiting = iterator.next();

        await subscription.close();

        expect(await within(waiting, 5_000)).toEqual({ done: true, value: undefined });
      });

      it('close() ends a for-await loop', async () => {
        const prefix = newStreamId();
        await store.appendToStream(prefix, [newEvent(), newEvent(), newEvent()]);
        const subscription = store.subscribeToAll({ filter: { streamPrefix: prefix } });
        const seen: RecordedEvent[] = [];
        const loop = (async () => {
          for await (const event of subscription) {
            seen.push(event);
            if (seen.length === 2) await subscription.close();
          }
        })();
        await within(loop, 60_000);
        expect(revisions(seen)).toEqual([0, 1]);
      });
    });

    describe('headPosition and ping', () => {
      it('headPosition reaches the position of the last append and readAll after it yields nothing of it', async () => {
        const streamId = newStreamId();
        const { position } = await store.appendToStream(streamId, [newEvent(), newEvent()]);
        await visible(store, position);
        const head = await store.headPosition();
        expect(comparePositions(head, position)).toBeGreaterThanOrEqual(0);
        expect(await collect(store.readAll({ after: head, filter: { streamPrefix: streamId } }))).toEqual([]);
      });

      it('eventCount counts every event appended (a refused batch adds none), as many as readAll reads', async () => {
        const before = await store.eventCount();
        const streamId = newStreamId();
        await store.appendToStream(streamId, [newEvent(), newEvent()], { expectedRevision: 'no_stream' });
        await rejection(store.appendToStream(streamId, [newEvent()], { expectedRevision: 'no_stream' }));
        const { position } = await store.appendToStream(streamId, [newEvent()], { expectedRevision: 1 });
        await visible(store, position);

        const count = await store.eventCount();
        expect(count - before).toBe(3);
        expect(count).toBe((await collect(store.readAll())).length);
      });

      it('ping resolves while the store is reachable', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });

    describe('the global order (property)', () => {
      it('any appends, in waves of concurrent appends: each event read once, in position order, contiguous batches, gap-free revisions', async () => {
        const append = fc.record({ stream: fc.integer({ min: 0, max: 3 }), size: fc.integer({ min: 1, max: 3 }) });
        await fc.assert(
          fc.asyncProperty(fc.array(fc.array(append, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }), async (waves) => {
            const prefix = newStreamId();
            const batches: Array<{ wave: number; streamId: string; ids: string[]; position: Position; nextExpectedRevision: number }> = [];
            for (const [wave, appends] of waves.entries()) {
              // Appends of one wave run at once (same streams included); waves one after the other.
              await Promise.all(
                appends.map(async ({ stream, size }) => {
                  const streamId = `${prefix}-${stream}`;
                  const events = Array.from({ length: size }, () => newEvent());
                  const result = await store.appendToStream(streamId, events, { expectedRevision: 'any' });
                  batches.push({ wave, streamId, ids: events.map((e) => e.id), ...result });
                }),
              );
            }
            const last = batches
              .map((b) => b.position)
              .sort(comparePositions)
              .at(-1)!;
            await visible(store, last);

            const read = await collect(store.readAll({ filter: { streamPrefix: `${prefix}-` } }));

            // Each event exactly once, in strictly increasing positions.
            expect(read.map((e) => e.id).sort()).toEqual(batches.flatMap((b) => b.ids).sort());
            expectStrictlyIncreasing(read.map((e) => e.position));
            // Each stream's revisions are 0..n-1 in the global order.
            const byStream = new Map<string, number[]>();
            for (const e of read) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e.revision]);
            for (const streamRevisions of byStream.values()) expect(streamRevisions).toEqual(range(streamRevisions.length));
            // A batch is contiguous, ends at the answered position and revision; an earlier wave comes first.
            const index = new Map(read.map((e, i) => [e.id, i]));
            for (const batch of batches) {
              const at = batch.ids.map((id) => index.get(id)!);
              expect(at).toEqual(range(at.length).map((i) => at[0] + i));
              const lastEvent = read[at[at.length - 1]];
              expect([lastEvent.position, lastEvent.revision]).toEqual([batch.position, batch.nextExpectedRevision]);
              for (const later of batches.filter((b) => b.wave > batch.wave))
                expect(index.get(later.ids[0])!).toBeGreaterThan(at[at.length - 1]);
            }
          }),
          { numRuns: 25 },
        );
      }, 180_000);
    });

    function newEvent(type = 'Happened', data: unknown = { n: 1 }): EventToAppend {
      return {
        id: randomUUID(),
        type,
        schemaVersion: 1,
        data,
        metadata: { actor: { id: 'test', role: 'admin' }, commandId: randomUUID() },
      };
    }

    async function streamWithRevisions(length: number): Promise<string> {
      const streamId = newStreamId();
      await store.appendToStream(
        streamId,
        Array.from({ length }, () => newEvent()),
        { expectedRevision: 'no_stream' },
      );
      return streamId;
    }
  });
}

/** Unique per test, so that tests sharing a store never read each other's streams. */
function newStreamId(): string {
  return `contract${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

function revisions(events: readonly RecordedEvent[]): number[] {
  return events.map((e) => e.revision);
}

function range(length: number): number[] {
  return Array.from({ length }, (_, i) => i);
}

function expectStrictlyIncreasing(positions: readonly Position[]): void {
  for (let i = 1; i < positions.length; i++) expect(comparePositions(positions[i - 1], positions[i])).toBe(-1);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Waits until the global order shows `position` (at once, except on PostgreSQL while older transactions run). */
async function visible(store: EventStore, position: Position): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (comparePositions(await store.headPosition(), position) < 0) {
    if (Date.now() > deadline) throw new Error(`position ${JSON.stringify(position)} never became visible`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function take(iterator: AsyncIterator<RecordedEvent>, count: number): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  while (events.length < count) {
    const next = await within(iterator.next(), 60_000);
    if (next.done) throw new Error(`the subscription ended after ${events.length} of ${count} events`);
    events.push(next.value);
  }
  return events;
}

async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
